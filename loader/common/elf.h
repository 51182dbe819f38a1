/* ELF64 reader and validator, shared by the loader (freestanding) and the
 * host tools and tests. It never trusts the file: every offset and size is
 * checked against the buffer with overflow-safe arithmetic before use. */
#ifndef BOOTCHECK_ELF_H
#define BOOTCHECK_ELF_H

#include <stddef.h>
#include <stdint.h>

#define ELF_EM_AARCH64   183
#define ELF_EM_RISCV     243
#define ELF_ET_EXEC      2
#define ELF_PT_LOAD      1
#define ELF_PF_X         1
#define ELF_PF_W         2
#define ELF_PF_R         4
#define ELF_SHT_SYMTAB   2
#define ELF_SHT_STRTAB   3
#define ELF_STT_OBJECT   1
#define ELF_STT_FUNC     2
#define ELF_ST_TYPE(info) ((info) & 0xf)

struct elf64_ehdr {
    uint8_t  e_ident[16];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

struct elf64_shdr {
    uint32_t sh_name;
    uint32_t sh_type;
    uint64_t sh_flags;
    uint64_t sh_addr;
    uint64_t sh_offset;
    uint64_t sh_size;
    uint32_t sh_link;
    uint32_t sh_info;
    uint64_t sh_addralign;
    uint64_t sh_entsize;
};

struct elf64_sym {
    uint32_t st_name;
    uint8_t  st_info;
    uint8_t  st_other;
    uint16_t st_shndx;
    uint64_t st_value;
    uint64_t st_size;
};

/* A validated image: the bounds of its loadable segments. Ranges are
 * half-open [min, max). */
struct elf_image {
    const uint8_t *data;
    uint64_t size;
    uint64_t entry;
    unsigned machine;        /* e_machine */
    unsigned phnum;
    unsigned nload;          /* number of PT_LOAD segments with memsz > 0 */
    uint64_t vaddr_min, vaddr_max;
    uint64_t paddr_min, paddr_max;
};

/* One loadable segment, as validated. */
struct elf_segment {
    uint64_t offset, vaddr, paddr, filesz, memsz;
    uint32_t flags;
};

#define ELF_ERR_LEN 160

/* Validates the ELF in data[0..size) and fills img. On failure returns -1 and
 * writes one sentence naming what is wrong (with the numbers) into err. */
int elf_validate(struct elf_image *img, const void *data, uint64_t size,
                 char err[ELF_ERR_LEN]);
/* The same for an ELF of the given e_machine (ELF_EM_AARCH64 or ELF_EM_RISCV):
 * elf_validate is this with ELF_EM_AARCH64. */
int elf_validate_machine(struct elf_image *img, const void *data, uint64_t size, unsigned machine,
                         char err[ELF_ERR_LEN]);
/* "EM_AARCH64" / "EM_RISCV", and the architecture's folder name under
 * loader/arch/ ("aarch64" / "riscv64"); "?" / "unknown" for any other. */
const char *elf_machine_name(unsigned machine);
const char *elf_machine_arch(unsigned machine);

/* The n-th PT_LOAD segment with memsz > 0 of a validated image (n < nload). */
void elf_segment_get(const struct elf_image *img, unsigned n, struct elf_segment *seg);

/* Looks up a symbol by name in .symtab. Returns 0 and fills *value / *size
 * on success, -1 if the image has no (valid) symbol table or no such symbol. */
int elf_symbol_lookup(const struct elf_image *img, const char *name,
                      uint64_t *value, uint64_t *size);

/* The whole symbol table entry of a named symbol (type in ELF_ST_TYPE of
 * st_info); -1 as for elf_symbol_lookup. */
int elf_symbol_find(const struct elf_image *img, const char *name, struct elf64_sym *out);

#endif
