#include "elf.h"

#include "fmt.h"

/* Reads are done with copies: the loader may hand us images at any
 * alignment (a CPIO member is only 4-byte aligned). A member is 4-byte
 * aligned, and so is every ELF header in it, so they are copied a word at a
 * time when both sides allow (-mstrict-align would otherwise make the
 * compiler copy byte by byte). */
static void read_bytes(void *dst, const uint8_t *src, size_t n)
{
    uint8_t *d = dst;
    /* Eight bytes at a time where the archive aligns the member so (the
     * riscv64 pack does, for the loader's copies): half the loads. */
    if ((((uintptr_t)d | (uintptr_t)src | n) & 7) == 0) {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t w;
            __builtin_memcpy(&w, __builtin_assume_aligned(src + i, 8), 8);
            __builtin_memcpy(__builtin_assume_aligned(d + i, 8), &w, 8);
        }
        return;
    }
    if ((((uintptr_t)d | (uintptr_t)src | n) & 3) == 0) {
        for (size_t i = 0; i < n; i += 4) {
            uint32_t w;
            __builtin_memcpy(&w, __builtin_assume_aligned(src + i, 4), 4);
            __builtin_memcpy(__builtin_assume_aligned(d + i, 4), &w, 4);
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = src[i];
}

static int range_in_file(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

static int ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    return a0 < b1 && b0 < a1;
}

static void read_phdr(const struct elf_image *img, const struct elf64_ehdr *eh,
                      unsigned i, struct elf64_phdr *ph)
{
    read_bytes(ph, img->data + eh->e_phoff + (uint64_t)i * sizeof *ph, sizeof *ph);
}

const char *elf_machine_name(unsigned machine)
{
    return machine == ELF_EM_AARCH64 ? "EM_AARCH64" : machine == ELF_EM_RISCV ? "EM_RISCV" : "?";
}

const char *elf_machine_arch(unsigned machine)
{
    return machine == ELF_EM_AARCH64 ? "aarch64" : machine == ELF_EM_RISCV ? "riscv64" : "unknown";
}

int elf_validate(struct elf_image *img, const void *data, uint64_t size, char err[ELF_ERR_LEN])
{
    return elf_validate_machine(img, data, size, ELF_EM_AARCH64, err);
}

int elf_validate_machine(struct elf_image *img, const void *data, uint64_t size, unsigned machine,
                         char err[ELF_ERR_LEN])
{
    struct elf64_ehdr eh;
    img->data = data;
    img->size = size;

    if (size < 16) {
        bc_snprintf(err, ELF_ERR_LEN, "file is %lu bytes, too short for an ELF identification",
                    (unsigned long)size);
        return -1;
    }
    const uint8_t *id = data;
    if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F') {
        bc_snprintf(err, ELF_ERR_LEN, "bad ELF magic %02x %02x %02x %02x (want 7f 45 4c 46)",
                    id[0], id[1], id[2], id[3]);
        return -1;
    }
    if (id[4] != 2) {
        bc_snprintf(err, ELF_ERR_LEN, "ELF class %u is not ELFCLASS64 (2)%s", id[4],
                    id[4] == 1 ? ": this is a 32-bit ELF" : "");
        return -1;
    }
    if (id[5] != 1) {
        bc_snprintf(err, ELF_ERR_LEN, "ELF data encoding %u is not little-endian (1)", id[5]);
        return -1;
    }
    if (size < sizeof eh) {
        bc_snprintf(err, ELF_ERR_LEN, "file is %lu bytes, too short for an ELF64 header (64)",
                    (unsigned long)size);
        return -1;
    }
    read_bytes(&eh, data, sizeof eh);
    img->machine = eh.e_machine;
    if (eh.e_machine != machine) {
        bc_snprintf(err, ELF_ERR_LEN, "ELF machine %u is not %s (%u)", eh.e_machine,
                    elf_machine_name(machine), machine);
        return -1;
    }
    if (eh.e_type != ELF_ET_EXEC) {
        bc_snprintf(err, ELF_ERR_LEN, "ELF type %u is not ET_EXEC (2)", eh.e_type);
        return -1;
    }
    if (eh.e_phnum == 0) {
        bc_snprintf(err, ELF_ERR_LEN, "ELF has no program headers");
        return -1;
    }
    if (eh.e_phentsize != sizeof(struct elf64_phdr)) {
        bc_snprintf(err, ELF_ERR_LEN, "program header entry size %u is not 56", eh.e_phentsize);
        return -1;
    }
    if (!range_in_file(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(struct elf64_phdr), size)) {
        bc_snprintf(err, ELF_ERR_LEN,
                    "program header table [0x%lx..+%u*56) lies outside the %lu-byte file",
                    (unsigned long)eh.e_phoff, eh.e_phnum, (unsigned long)size);
        return -1;
    }

    img->entry = eh.e_entry;
    img->phnum = eh.e_phnum;
    img->nload = 0;
    img->vaddr_min = img->paddr_min = UINT64_MAX;
    img->vaddr_max = img->paddr_max = 0;
    int entry_ok = 0;

    for (unsigned i = 0; i < eh.e_phnum; i++) {
        struct elf64_phdr ph;
        read_phdr(img, &eh, i, &ph);
        if (ph.p_type != ELF_PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_filesz > ph.p_memsz) {
            bc_snprintf(err, ELF_ERR_LEN, "segment %u: filesz 0x%lx > memsz 0x%lx", i,
                        (unsigned long)ph.p_filesz, (unsigned long)ph.p_memsz);
            return -1;
        }
        if (!range_in_file(ph.p_offset, ph.p_filesz, size)) {
            bc_snprintf(err, ELF_ERR_LEN,
                        "segment %u: file range [0x%lx..+0x%lx) lies outside the %lu-byte file",
                        i, (unsigned long)ph.p_offset, (unsigned long)ph.p_filesz,
                        (unsigned long)size);
            return -1;
        }
        if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr || ph.p_paddr + ph.p_memsz < ph.p_paddr) {
            bc_snprintf(err, ELF_ERR_LEN,
                        "segment %u: address + memsz overflows (vaddr 0x%lx paddr 0x%lx memsz 0x%lx)",
                        i, (unsigned long)ph.p_vaddr, (unsigned long)ph.p_paddr,
                        (unsigned long)ph.p_memsz);
            return -1;
        }
        /* Each earlier segment must be disjoint from this one, both in
         * virtual and in physical space. */
        for (unsigned j = 0; j < i; j++) {
            struct elf64_phdr q;
            read_phdr(img, &eh, j, &q);
            if (q.p_type != ELF_PT_LOAD || q.p_memsz == 0)
                continue;
            if (ranges_overlap(ph.p_vaddr, ph.p_vaddr + ph.p_memsz, q.p_vaddr, q.p_vaddr + q.p_memsz) ||
                ranges_overlap(ph.p_paddr, ph.p_paddr + ph.p_memsz, q.p_paddr, q.p_paddr + q.p_memsz)) {
                bc_snprintf(err, ELF_ERR_LEN,
                            "segments %u and %u overlap (vaddr [0x%lx..0x%lx) and [0x%lx..0x%lx))",
                            j, i, (unsigned long)q.p_vaddr, (unsigned long)(q.p_vaddr + q.p_memsz),
                            (unsigned long)ph.p_vaddr, (unsigned long)(ph.p_vaddr + ph.p_memsz));
                return -1;
            }
        }
        if (ph.p_vaddr < img->vaddr_min) img->vaddr_min = ph.p_vaddr;
        if (ph.p_vaddr + ph.p_memsz > img->vaddr_max) img->vaddr_max = ph.p_vaddr + ph.p_memsz;
        if (ph.p_paddr < img->paddr_min) img->paddr_min = ph.p_paddr;
        if (ph.p_paddr + ph.p_memsz > img->paddr_max) img->paddr_max = ph.p_paddr + ph.p_memsz;
        if (eh.e_entry >= ph.p_vaddr && eh.e_entry < ph.p_vaddr + ph.p_memsz)
            entry_ok = 1;
        img->nload++;
    }
    if (img->nload == 0) {
        bc_snprintf(err, ELF_ERR_LEN, "ELF has no PT_LOAD segment with memsz > 0");
        return -1;
    }
    if (!entry_ok) {
        bc_snprintf(err, ELF_ERR_LEN, "entry point 0x%lx is not inside any PT_LOAD segment",
                    (unsigned long)eh.e_entry);
        return -1;
    }
    return 0;
}

void elf_segment_get(const struct elf_image *img, unsigned n, struct elf_segment *seg)
{
    struct elf64_ehdr eh;
    read_bytes(&eh, img->data, sizeof eh);
    unsigned seen = 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        struct elf64_phdr ph;
        read_phdr(img, &eh, i, &ph);
        if (ph.p_type != ELF_PT_LOAD || ph.p_memsz == 0)
            continue;
        if (seen++ == n) {
            seg->offset = ph.p_offset;
            seg->vaddr = ph.p_vaddr;
            seg->paddr = ph.p_paddr;
            seg->filesz = ph.p_filesz;
            seg->memsz = ph.p_memsz;
            seg->flags = ph.p_flags;
            return;
        }
    }
}

int elf_symbol_lookup(const struct elf_image *img, const char *name,
                      uint64_t *value, uint64_t *size)
{
    struct elf64_sym sym;
    if (elf_symbol_find(img, name, &sym) != 0)
        return -1;
    *value = sym.st_value;
    if (size != NULL)
        *size = sym.st_size;
    return 0;
}

int elf_symbol_find(const struct elf_image *img, const char *name, struct elf64_sym *out)
{
    struct elf64_ehdr eh;
    read_bytes(&eh, img->data, sizeof eh);
    if (eh.e_shentsize != sizeof(struct elf64_shdr) ||
        !range_in_file(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(struct elf64_shdr), img->size))
        return -1;
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        struct elf64_shdr sh, strsh;
        read_bytes(&sh, img->data + eh.e_shoff + (uint64_t)i * sizeof sh, sizeof sh);
        if (sh.sh_type != ELF_SHT_SYMTAB || sh.sh_link >= eh.e_shnum)
            continue;
        read_bytes(&strsh, img->data + eh.e_shoff + (uint64_t)sh.sh_link * sizeof strsh, sizeof strsh);
        if (!range_in_file(sh.sh_offset, sh.sh_size, img->size) ||
            !range_in_file(strsh.sh_offset, strsh.sh_size, img->size))
            return -1;
        const char *strtab = (const char *)img->data + strsh.sh_offset;
        for (uint64_t off = 0; off + sizeof(struct elf64_sym) <= sh.sh_size; off += sizeof(struct elf64_sym)) {
            struct elf64_sym sym;
            read_bytes(&sym, img->data + sh.sh_offset + off, sizeof sym);
            if (sym.st_name >= strsh.sh_size)
                continue;
            const char *s = strtab + sym.st_name;
            const char *t = name;
            uint64_t left = strsh.sh_size - sym.st_name;
            while (left > 0 && *t != '\0' && *s == *t) {
                s++;
                t++;
                left--;
            }
            if (left > 0 && *t == '\0' && *s == '\0') {
                *out = sym;
                return 0;
            }
        }
    }
    return -1;
}
