/* Pack-time half of the hand-off record protocol (loader/common/handoff_record.h):
 * where in physical memory the kernel's record variable will be. */
#ifndef BOOTCHECK_RECORD_SYMBOL_H
#define BOOTCHECK_RECORD_SYMBOL_H

#include <stddef.h>
#include <stdint.h>

#include "../common/elf.h"

#define RECORD_SYMBOL_ERR_LEN 300

struct record_location {
    uint64_t vaddr, paddr, size;   /* the symbol's address, its load address, st_size */
};

/* Resolves `symbol` in the validated kernel: it must be a data object
 * (STT_OBJECT) of at least sizeof(struct handoff_record) bytes, 8-byte
 * aligned, lying inside one PT_LOAD segment, whose vaddr -> paddr mapping
 * gives the physical address. Returns -1 with one sentence in err otherwise. */
int record_symbol_locate(const struct elf_image *kernel, const char *symbol,
                         struct record_location *out, char err[RECORD_SYMBOL_ERR_LEN]);

#endif
