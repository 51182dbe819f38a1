/* Symbol and section tables of an ELF file, for naming the code that did
 * something ("load_elf+0x3c") and for the loader's own layout symbols. */
#ifndef EMU_SYMBOLS_H
#define EMU_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct emu_symbol {
    const char *name;
    uint64_t value, size;
    unsigned type;          /* STT_* */
};

struct emu_symbols {
    struct emu_symbol *syms;   /* sorted by value */
    size_t n;
    const uint8_t *file;
    uint64_t file_size;
};

/* Reads .symtab of the ELF in file[0..size). An ELF without one gives an
 * empty table. The table points into file, which must outlive it. */
int emu_symbols_load(struct emu_symbols *t, const uint8_t *file, uint64_t size);
void emu_symbols_free(struct emu_symbols *t);

/* Value of a named symbol; 0 and -1 if absent. */
int emu_symbol_value(const struct emu_symbols *t, const char *name, uint64_t *value, uint64_t *size);

/* "name+0xoff" for the function (or other code symbol) containing addr, or
 * "0x..." when none does. */
const char *emu_symbolize(const struct emu_symbols *t, uint64_t addr, char *buf, size_t len);

/* "name+0xoff" for the sized symbol (a variable or function) containing
 * addr, else as emu_symbolize. */
const char *emu_symbolize_data(const struct emu_symbols *t, uint64_t addr, char *buf, size_t len);

/* Address and size of a named section; -1 if absent. */
int emu_section(const uint8_t *file, uint64_t size, const char *name, uint64_t *addr, uint64_t *len);

#endif
