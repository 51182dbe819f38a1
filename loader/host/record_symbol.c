#include "record_symbol.h"

#include <stdio.h>

#include "../common/handoff_record.h"

static const char *symbol_kind(unsigned type)
{
    switch (type) {
    case 0: return "symbol without a type (STT_NOTYPE)";
    case ELF_STT_FUNC: return "function (STT_FUNC)";
    case 3: return "section (STT_SECTION)";
    case 4: return "file name (STT_FILE)";
    default: return "symbol that is not a data object";
    }
}

int record_symbol_locate(const struct elf_image *kernel, const char *symbol,
                         struct record_location *out, char err[RECORD_SYMBOL_ERR_LEN])
{
    struct elf64_sym sym;
    if (elf_symbol_find(kernel, symbol, &sym) != 0) {
        snprintf(err, RECORD_SYMBOL_ERR_LEN,
                 "hand-off record symbol '%s' is not in kernel.elf's symbol table", symbol);
        return -1;
    }
    uint64_t va = sym.st_value, size = sym.st_size;
    if (ELF_ST_TYPE(sym.st_info) != ELF_STT_OBJECT) {
        snprintf(err, RECORD_SYMBOL_ERR_LEN,
                 "hand-off record symbol '%s' at 0x%lx is a %s, not a data object (STT_OBJECT)",
                 symbol, (unsigned long)va, symbol_kind(ELF_ST_TYPE(sym.st_info)));
        return -1;
    }
    if (size < sizeof(struct handoff_record)) {
        snprintf(err, RECORD_SYMBOL_ERR_LEN,
                 "hand-off record symbol '%s' at 0x%lx is %lu bytes; the record needs %zu",
                 symbol, (unsigned long)va, (unsigned long)size, sizeof(struct handoff_record));
        return -1;
    }
    /* The loader stores the record as 64-bit words. */
    if (va % 8 != 0) {
        snprintf(err, RECORD_SYMBOL_ERR_LEN,
                 "hand-off record symbol '%s' at 0x%lx is not 8-byte aligned", symbol,
                 (unsigned long)va);
        return -1;
    }
    for (unsigned i = 0; i < kernel->nload; i++) {
        struct elf_segment s;
        elf_segment_get(kernel, i, &s);
        if (va >= s.vaddr && va - s.vaddr <= s.memsz && size <= s.memsz - (va - s.vaddr)) {
            *out = (struct record_location){ va, s.paddr + (va - s.vaddr), size };
            return 0;
        }
    }
    snprintf(err, RECORD_SYMBOL_ERR_LEN,
             "hand-off record symbol '%s' [0x%lx..0x%lx) is not inside a loadable segment of"
             " kernel.elf", symbol, (unsigned long)va, (unsigned long)(va + size));
    return -1;
}
