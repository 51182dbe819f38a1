#include "load.h"

#include "console.h"

void *memmove(void *dst, const void *src, unsigned long n);
void *memset(void *dst, int c, unsigned long n);

#define LOAD_MAX_SEGMENTS 16

static void zero(uint64_t from, uint64_t to)
{
    if (to > from)
        memset((void *)(uintptr_t)from, 0, to - from);
}

void load_elf(const struct elf_image *img, int by_vaddr, uint64_t delta, struct mem_range dest)
{
    struct elf_segment segs[LOAD_MAX_SEGMENTS];
    if (img->nload > LOAD_MAX_SEGMENTS)
        loader_fail("an ELF with %u loadable segments; the loader takes at most %u", img->nload,
                    LOAD_MAX_SEGMENTS);
    for (unsigned i = 0; i < img->nload; i++) {   /* insertion sort by destination */
        struct elf_segment seg;
        elf_segment_get(img, i, &seg);
        seg.paddr = (by_vaddr ? seg.vaddr : seg.paddr) + delta;
        unsigned j = i;
        for (; j > 0 && segs[j - 1].paddr > seg.paddr; j--)
            segs[j] = segs[j - 1];
        segs[j] = seg;
    }
    uint64_t cursor = dest.start;
    for (unsigned i = 0; i < img->nload; i++) {
        zero(cursor, segs[i].paddr);
        memmove((void *)(uintptr_t)segs[i].paddr, img->data + segs[i].offset, segs[i].filesz);
        cursor = segs[i].paddr + segs[i].filesz;
    }
    zero(cursor, dest.end);
}
