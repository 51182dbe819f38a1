/* The payload object the pack step links behind the loader: an ELF64 relocatable
 * object holding the payload archive in section .payload and the absolute
 * symbols the loader reads (payload_kernel_nodes, ...), the same object the
 * assembler makes of `.incbin` and `.globl`/`.set` lines, written here so
 * that a pack step starts no assembler. */
#ifndef PAYLOAD_OBJECT_H
#define PAYLOAD_OBJECT_H

#include <stdint.h>

struct payload_symbol {
    const char *name;
    uint64_t value;
};

/* arch: "aarch64" or "riscv64". Returns 0, or -1 after one `pack: error:`
 * line on stderr. */
int payload_object_write(const char *out_path, const char *archive_path, const char *arch,
                         const struct payload_symbol *symbols, unsigned nsymbols);

#endif
