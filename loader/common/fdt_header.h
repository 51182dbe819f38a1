/* The FDT header checks fdt_scan needs before it may read a blob, without
 * libfdt (Debian has no riscv64 libfdt; the riscv64 loader uses this). The
 * same conditions libfdt's fdt_check_header enforces for what fdt_scan reads:
 * magic, versions, and every block inside totalsize, which fits in avail. */
#ifndef BOOTCHECK_FDT_HEADER_H
#define BOOTCHECK_FDT_HEADER_H

#include <stdint.h>

#define FDT_HEADER_SIZE  40u
#define FDT_HEADER_ERR_LEN 200

/* 0, or -1 with one sentence beginning "<what> is not a valid DTB: ". */
int fdt_header_check(const void *fdt, uint64_t avail, const char *what, char err[FDT_HEADER_ERR_LEN]);

/* The blob's totalsize field (after fdt_header_check: at most avail). */
uint32_t fdt_header_totalsize(const void *fdt);

#endif
