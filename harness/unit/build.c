#include "build.h"

#include <stdio.h>
#include <string.h>

struct elf64_ehdr *test_ehdr(struct test_elf *e)
{
    return (struct elf64_ehdr *)e->bytes;
}

struct elf64_phdr *test_phdr(struct test_elf *e, unsigned i)
{
    return (struct elf64_phdr *)(e->bytes + sizeof(struct elf64_ehdr)) + i;
}

void test_elf_init(struct test_elf *e, unsigned phnum)
{
    memset(e, 0, sizeof *e);
    struct elf64_ehdr *h = test_ehdr(e);
    memcpy(h->e_ident, "\x7f" "ELF\x02\x01\x01", 7);
    h->e_type = ELF_ET_EXEC;
    h->e_machine = ELF_EM_AARCH64;
    h->e_version = 1;
    h->e_phoff = sizeof(struct elf64_ehdr);
    h->e_ehsize = sizeof(struct elf64_ehdr);
    h->e_phentsize = sizeof(struct elf64_phdr);
    h->e_phnum = (uint16_t)phnum;
    e->size = TEST_ELF_SIZE;
}

void test_elf_load(struct test_elf *e, unsigned i, uint64_t vaddr, uint64_t paddr,
                   uint64_t filesz, uint64_t memsz)
{
    struct elf64_phdr *p = test_phdr(e, i);
    p->p_type = ELF_PT_LOAD;
    p->p_flags = ELF_PF_R | ELF_PF_W;
    p->p_offset = TEST_SEG_OFFSET(i);
    p->p_vaddr = vaddr;
    p->p_paddr = paddr;
    p->p_filesz = filesz;
    p->p_memsz = memsz;
    p->p_align = 0x1000;
    for (uint64_t b = 0; b < filesz && b < TEST_SEG_FILE; b++)
        e->bytes[TEST_SEG_OFFSET(i) + b] = (uint8_t)(0xa0 + i);
}

void test_elf_symtab(struct test_elf *e, const char *const names[], const uint64_t values[],
                     unsigned n)
{
    uint64_t strtab = e->size, len = 1;       /* index 0: the empty name */
    e->bytes[strtab] = '\0';
    struct elf64_sym syms[8] = { { 0 } };
    for (unsigned i = 0; i < n && i + 1 < 8; i++) {
        syms[i + 1].st_name = (uint32_t)len;
        syms[i + 1].st_value = values[i];
        syms[i + 1].st_size = 8 * (i + 1);
        size_t l = strlen(names[i]) + 1;
        memcpy(e->bytes + strtab + len, names[i], l);
        len += l;
    }
    uint64_t symtab = (strtab + len + 7) & ~(uint64_t)7;
    memcpy(e->bytes + symtab, syms, (n + 1) * sizeof syms[0]);
    uint64_t shoff = symtab + (n + 1) * sizeof syms[0];
    struct elf64_shdr sh[3] = { { 0 } };
    sh[1].sh_type = ELF_SHT_SYMTAB;
    sh[1].sh_offset = symtab;
    sh[1].sh_size = (n + 1) * sizeof syms[0];
    sh[1].sh_link = 2;
    sh[1].sh_entsize = sizeof syms[0];
    sh[2].sh_type = ELF_SHT_STRTAB;
    sh[2].sh_offset = strtab;
    sh[2].sh_size = len;
    memcpy(e->bytes + shoff, sh, sizeof sh);
    struct elf64_ehdr *h = test_ehdr(e);
    h->e_shoff = shoff;
    h->e_shentsize = sizeof(struct elf64_shdr);
    h->e_shnum = 3;
    e->size = shoff + sizeof sh;
}

void test_newc_member(uint8_t *out, size_t *len, const char *name, const void *data,
                      uint32_t size)
{
    size_t namesize = strlen(name) + 1;
    char header[111];
    snprintf(header, sizeof header,
             "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1u, 0100644u, 0u, 0u,
             1u, 0u, size, 0u, 0u, 0u, 0u, (unsigned)namesize, 0u);
    memcpy(out + *len, header, 110);
    *len += 110;
    memcpy(out + *len, name, namesize);
    *len += namesize;
    while (*len % 4 != 0)
        out[(*len)++] = 0;
    memcpy(out + *len, data, size);
    *len += size;
    while (*len % 4 != 0)
        out[(*len)++] = 0;
}
