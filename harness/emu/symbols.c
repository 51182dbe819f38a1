#include "symbols.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../loader/common/elf.h"

#define STT_OBJECT 1
#define STT_FUNC   2
#define STT_SECTION 3
#define STT_FILE   4

static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static int read_ehdr(const uint8_t *file, uint64_t size, struct elf64_ehdr *eh)
{
    if (size < sizeof *eh)
        return -1;
    memcpy(eh, file, sizeof *eh);
    if (eh->e_shentsize != sizeof(struct elf64_shdr) ||
        !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(struct elf64_shdr), size))
        return -1;
    return 0;
}

static void read_shdr(const uint8_t *file, const struct elf64_ehdr *eh, unsigned i,
                      struct elf64_shdr *sh)
{
    memcpy(sh, file + eh->e_shoff + (uint64_t)i * sizeof *sh, sizeof *sh);
}

static int by_value(const void *a, const void *b)
{
    const struct emu_symbol *x = a, *y = b;
    return x->value < y->value ? -1 : x->value > y->value;
}

int emu_symbols_load(struct emu_symbols *t, const uint8_t *file, uint64_t size)
{
    memset(t, 0, sizeof *t);
    t->file = file;
    t->file_size = size;
    struct elf64_ehdr eh;
    if (read_ehdr(file, size, &eh) != 0)
        return 0;
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        struct elf64_shdr sh, str;
        read_shdr(file, &eh, i, &sh);
        if (sh.sh_type != ELF_SHT_SYMTAB || sh.sh_link >= eh.e_shnum)
            continue;
        read_shdr(file, &eh, sh.sh_link, &str);
        if (!in_file(sh.sh_offset, sh.sh_size, size) || !in_file(str.sh_offset, str.sh_size, size))
            return -1;
        size_t count = sh.sh_size / sizeof(struct elf64_sym);
        t->syms = calloc(count ? count : 1, sizeof *t->syms);
        if (t->syms == NULL)
            return -1;
        for (size_t k = 0; k < count; k++) {
            struct elf64_sym s;
            memcpy(&s, file + sh.sh_offset + k * sizeof s, sizeof s);
            unsigned type = s.st_info & 0xf;
            if (s.st_name == 0 || s.st_name >= str.sh_size || type == STT_SECTION || type == STT_FILE)
                continue;
            const char *name = (const char *)file + str.sh_offset + s.st_name;
            if (memchr(name, '\0', str.sh_size - s.st_name) == NULL)
                continue;
            t->syms[t->n++] = (struct emu_symbol){ name, s.st_value, s.st_size, type };
        }
        qsort(t->syms, t->n, sizeof *t->syms, by_value);
        return 0;
    }
    return 0;
}

void emu_symbols_free(struct emu_symbols *t)
{
    free(t->syms);
    memset(t, 0, sizeof *t);
}

int emu_symbol_value(const struct emu_symbols *t, const char *name, uint64_t *value, uint64_t *size)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->syms[i].name, name) == 0) {
            *value = t->syms[i].value;
            if (size != NULL)
                *size = t->syms[i].size;
            return 0;
        }
    }
    *value = 0;
    return -1;
}

const char *emu_symbolize(const struct emu_symbols *t, uint64_t addr, char *buf, size_t len)
{
    /* The closest function at or below addr; assembly labels have no type
     * or size, so an untyped symbol counts too, but data objects do not. */
    const struct emu_symbol *best = NULL;
    for (size_t i = 0; i < t->n && t->syms[i].value <= addr; i++) {
        const struct emu_symbol *s = &t->syms[i];
        if (s->type == STT_OBJECT)
            continue;
        if (s->type == STT_FUNC && s->size != 0 && addr >= s->value + s->size)
            continue;
        if (s->name[0] == '$' || s->name[0] == '.')   /* mapping symbols, local labels */
            continue;
        /* At one address, code names win over linker-script markers. */
        if (best != NULL && best->value == s->value && s->name[0] == '_' && s->name[1] == '_')
            continue;
        best = s;
    }
    if (best == NULL)
        snprintf(buf, len, "0x%lx", (unsigned long)addr);
    else if (addr == best->value)
        snprintf(buf, len, "%s", best->name);
    else
        snprintf(buf, len, "%s+0x%lx", best->name, (unsigned long)(addr - best->value));
    return buf;
}

const char *emu_symbolize_data(const struct emu_symbols *t, uint64_t addr, char *buf, size_t len)
{
    /* The sized symbol that contains addr (a variable like `rootserver`);
     * otherwise the nearest name below, as for code. */
    for (size_t i = 0; i < t->n && t->syms[i].value <= addr; i++) {
        const struct emu_symbol *s = &t->syms[i];
        if (s->size != 0 && addr < s->value + s->size && s->name[0] != '$' && s->name[0] != '.') {
            if (addr == s->value)
                snprintf(buf, len, "%s", s->name);
            else
                snprintf(buf, len, "%s+0x%lx", s->name, (unsigned long)(addr - s->value));
            return buf;
        }
    }
    return emu_symbolize(t, addr, buf, len);
}

int emu_section(const uint8_t *file, uint64_t size, const char *name, uint64_t *addr, uint64_t *len)
{
    struct elf64_ehdr eh;
    if (read_ehdr(file, size, &eh) != 0 || eh.e_shstrndx >= eh.e_shnum)
        return -1;
    struct elf64_shdr names;
    read_shdr(file, &eh, eh.e_shstrndx, &names);
    if (!in_file(names.sh_offset, names.sh_size, size))
        return -1;
    size_t want = strlen(name) + 1;
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        struct elf64_shdr sh;
        read_shdr(file, &eh, i, &sh);
        if (sh.sh_name < names.sh_size && names.sh_size - sh.sh_name >= want &&
            memcmp(file + names.sh_offset + sh.sh_name, name, want) == 0) {
            *addr = sh.sh_addr;
            *len = sh.sh_size;
            return 0;
        }
    }
    return -1;
}
