#include "elf_image.h"

#include "arch.h"
#include "fmt.h"

#define PAGE_MASK 0xfffull
#define PT_LOAD 1
#define ET_EXEC 2

static uint64_t read_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int fail(char *why, size_t why_size, const char *what, uint64_t a, uint64_t b)
{
    bc_snprintf(why, why_size, "%s (0x%lx, 0x%lx)", what, (unsigned long)a, (unsigned long)b);
    return -1;
}

static int pages_overlap(const struct elf_segment *a, const struct elf_segment *b)
{
    uint64_t a0 = a->vaddr & ~PAGE_MASK, a1 = (a->vaddr + a->memsz + PAGE_MASK) & ~PAGE_MASK;
    uint64_t b0 = b->vaddr & ~PAGE_MASK, b1 = (b->vaddr + b->memsz + PAGE_MASK) & ~PAGE_MASK;
    return a0 < b1 && b0 < a1;
}

int elf_image_read(const uint8_t *image, size_t size, struct elf_image *out, char *why,
                   size_t why_size)
{
    if (size < 64 || image[0] != 0x7f || image[1] != 'E' || image[2] != 'L' || image[3] != 'F')
        return fail(why, why_size, "not an ELF file (size, first byte)", size, size ? image[0] : 0);
    if (image[4] != 2 || image[5] != 1)
        return fail(why, why_size, "not ELF64 little-endian (class, data)", image[4], image[5]);
    if (read_le(image + 16, 2) != ET_EXEC || read_le(image + 18, 2) != ARCH_ELF_MACHINE)
        return fail(why, why_size, "not " ARCH_ELF_WHAT " executable (e_type, e_machine)",
                    read_le(image + 16, 2), read_le(image + 18, 2));
    uint64_t phoff = read_le(image + 32, 8), phentsize = read_le(image + 54, 2);
    uint64_t phnum = read_le(image + 56, 2);
    if (phentsize != 56 || phoff > size || phnum > (size - phoff) / 56)
        return fail(why, why_size, "program headers outside the file (e_phoff, e_phnum)", phoff,
                    phnum);
    out->entry = read_le(image + 24, 8);
    out->n_segments = 0;
    int entry_ok = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = image + phoff + i * 56;
        if (read_le(ph, 4) != PT_LOAD)
            continue;
        struct elf_segment s = {
            .flags = (unsigned)read_le(ph + 4, 4), .vaddr = read_le(ph + 16, 8),
            .filesz = read_le(ph + 32, 8), .memsz = read_le(ph + 40, 8),
        };
        uint64_t offset = read_le(ph + 8, 8);
        if (s.memsz == 0 && s.filesz == 0)
            continue;   /* an empty segment (e.g. no data at all) loads nothing */
        if (offset > size || s.filesz > size - offset)
            return fail(why, why_size, "segment data outside the file (p_offset, p_filesz)", offset,
                        s.filesz);
        if (s.filesz > s.memsz || s.vaddr + s.memsz < s.vaddr)
            return fail(why, why_size, "bad segment size (p_filesz, p_memsz)", s.filesz, s.memsz);
        if ((s.flags & ELF_PF_W) && (s.flags & ELF_PF_X))
            return fail(why, why_size, "segment both writable and executable (p_vaddr, p_flags)",
                        s.vaddr, s.flags);
        if (out->n_segments == ELF_MAX_SEGMENTS)
            return fail(why, why_size, "too many PT_LOAD segments (limit, index)",
                        ELF_MAX_SEGMENTS, i);
        s.data = image + offset;
        for (unsigned j = 0; j < out->n_segments; j++)
            if (pages_overlap(&s, &out->segments[j]))
                return fail(why, why_size, "two segments share a page (p_vaddr, p_vaddr)",
                            out->segments[j].vaddr, s.vaddr);
        if ((s.flags & ELF_PF_X) && out->entry >= s.vaddr && out->entry < s.vaddr + s.memsz)
            entry_ok = 1;
        out->segments[out->n_segments++] = s;
    }
    if (!entry_ok)
        return fail(why, why_size, "entry point not in an executable segment (e_entry, segments)",
                    out->entry, out->n_segments);
    return 0;
}
