#ifndef LIBFDT_ENV_H
#define LIBFDT_ENV_H
/* The environment libfdt.h expects, for the freestanding loader. libfdt.h
 * includes <libfdt_env.h>; the loader's include path puts this directory
 * before the unpacked libfdt-dev:arm64 headers, so this file replaces
 * Debian's, which pulls in a libc's <stdlib.h>, <string.h> and <limits.h>.
 * Only GCC's own freestanding headers are used here. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader_libc.h"

/* Device-tree cells are big-endian; the loader runs little-endian. */
typedef uint16_t fdt16_t;
typedef uint32_t fdt32_t;
typedef uint64_t fdt64_t;

static inline uint16_t fdt16_to_cpu(fdt16_t x) { return __builtin_bswap16(x); }
static inline fdt16_t cpu_to_fdt16(uint16_t x) { return __builtin_bswap16(x); }
static inline uint32_t fdt32_to_cpu(fdt32_t x) { return __builtin_bswap32(x); }
static inline fdt32_t cpu_to_fdt32(uint32_t x) { return __builtin_bswap32(x); }
static inline uint64_t fdt64_to_cpu(fdt64_t x) { return __builtin_bswap64(x); }
static inline fdt64_t cpu_to_fdt64(uint64_t x) { return __builtin_bswap64(x); }

#endif
