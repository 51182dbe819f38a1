/* Builders for the unit tests' inputs: small ELF64 images and CPIO "newc"
 * archives, written field by field so each test can break exactly one. */
#ifndef BOOTCHECK_UNIT_BUILD_H
#define BOOTCHECK_UNIT_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "../../loader/common/elf.h"

#define TEST_ELF_MAX 0x800
/* Segment i's file bytes live at TEST_SEG_OFFSET(i), TEST_SEG_FILE bytes each. */
#define TEST_SEG_OFFSET(i) (0x200u + 0x80u * (i))
#define TEST_SEG_FILE 0x80u
#define TEST_ELF_SIZE 0x400u

struct test_elf {
    _Alignas(8) uint8_t bytes[TEST_ELF_MAX];
    uint64_t size;
};

/* A valid-looking AArch64 ET_EXEC header with phnum PT_NULL program headers
 * at offset 64; size TEST_ELF_SIZE; entry 0. */
void test_elf_init(struct test_elf *e, unsigned phnum);
struct elf64_ehdr *test_ehdr(struct test_elf *e);
struct elf64_phdr *test_phdr(struct test_elf *e, unsigned i);
/* Makes program header i a PT_LOAD at TEST_SEG_OFFSET(i). */
void test_elf_load(struct test_elf *e, unsigned i, uint64_t vaddr, uint64_t paddr,
                   uint64_t filesz, uint64_t memsz);
/* Appends .strtab, .symtab with the given symbols and a section table. */
void test_elf_symtab(struct test_elf *e, const char *const names[], const uint64_t values[],
                     unsigned n);

/* Appends a newc member (or the trailer: name "TRAILER!!!") at out + *len. */
void test_newc_member(uint8_t *out, size_t *len, const char *name, const void *data,
                      uint32_t size);

#endif
