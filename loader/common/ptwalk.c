#include "ptwalk.h"

#include "fmt.h"
#include "pagetable.h"

unsigned ptwalk_start_level(unsigned va_bits)
{
    /* Each level resolves PT_INDEX_BITS bits above the page offset. */
    unsigned levels = (va_bits - PT_PAGE_BITS + PT_INDEX_BITS - 1) / PT_INDEX_BITS;
    return 4 - levels;
}

struct walk {
    ptwalk_read_fn read;
    void *read_ctx;
    ptwalk_leaf_fn visit;
    void *visit_ctx;
    char *err;
};

static int walk_table(struct walk *w, uint64_t table_pa, uint64_t va_base, unsigned level,
                      unsigned entries)
{
    for (unsigned i = 0; i < entries; i++) {
        uint64_t desc;
        uint64_t va = va_base + (uint64_t)i * PT_LEVEL_SIZE(level);
        uint64_t at = table_pa + (uint64_t)i * sizeof desc;
        if (w->read(w->read_ctx, at, &desc) != 0) {
            bc_snprintf(w->err, PTWALK_ERR_LEN,
                        "level-%u table at PA 0x%lx (for VA 0x%lx) is not in readable memory",
                        level, (unsigned long)table_pa, (unsigned long)va);
            return -1;
        }
        if (!(desc & PTE_VALID))
            continue;
        uint64_t type = desc & PTE_TYPE_MASK;
        if (level < 3 && type == PTE_TYPE_TABLE) {
            int r = walk_table(w, desc & PTE_ADDR_MASK, va, level + 1, PT_ENTRIES);
            if (r != 0)
                return r;
            continue;
        }
        /* 4 KiB granule: no blocks at level 0; at level 3 only pages (0b11). */
        if ((level == 0) || (level == 3 && type != PTE_TYPE_TABLE)) {
            bc_snprintf(w->err, PTWALK_ERR_LEN,
                        "descriptor 0x%016lx at PA 0x%lx (level %u, VA 0x%lx) is invalid for its level",
                        (unsigned long)desc, (unsigned long)at, level, (unsigned long)va);
            return -1;
        }
        uint64_t size = PT_LEVEL_SIZE(level);
        struct ptwalk_leaf leaf = {
            .va = va, .pa = desc & PTE_ADDR_MASK & ~(size - 1), .size = size,
            .level = level, .desc = desc,
        };
        int r = w->visit(w->visit_ctx, &leaf);
        if (r != 0)
            return r;
    }
    return 0;
}

int ptwalk(uint64_t root_pa, uint64_t va_base, unsigned va_bits, ptwalk_read_fn read,
           void *read_ctx, ptwalk_leaf_fn visit, void *visit_ctx, char err[PTWALK_ERR_LEN])
{
    struct walk w = { read, read_ctx, visit, visit_ctx, err };
    unsigned level = ptwalk_start_level(va_bits);
    /* The top level may be a partial table: it resolves what is left of va_bits. */
    unsigned top_bits = va_bits - PT_LEVEL_SHIFT(level);
    return walk_table(&w, root_pa & PTE_ADDR_MASK, va_base, level, 1u << top_bits);
}

void ptwalk_decode(uint64_t desc, struct ptwalk_attrs *a)
{
    a->attrindx = (unsigned)((desc & PTE_ATTRINDX_MASK) >> PTE_ATTRINDX_SHIFT);
    a->ap = (unsigned)((desc & PTE_AP_MASK) >> PTE_AP_SHIFT);
    a->uxn = (desc & PTE_UXN) != 0;
    a->pxn = (desc & PTE_PXN) != 0;
    a->af = (desc & PTE_AF) != 0;
}

static int attrs_equal(const struct ptwalk_attrs *a, const struct ptwalk_attrs *b)
{
    return a->attrindx == b->attrindx && a->ap == b->ap && a->uxn == b->uxn &&
           a->pxn == b->pxn && a->af == b->af;
}

int ptwalk_coalesce(struct ptwalk_range *ranges, unsigned max, unsigned *n,
                    const struct ptwalk_leaf *leaf)
{
    struct ptwalk_attrs a;
    ptwalk_decode(leaf->desc, &a);
    if (*n > 0) {
        struct ptwalk_range *last = &ranges[*n - 1];
        if (last->va_end == leaf->va && last->block_size == leaf->size &&
            last->pa_start + (last->va_end - last->va_start) == leaf->pa &&
            attrs_equal(&last->attrs, &a)) {
            last->va_end += leaf->size;
            return 0;
        }
    }
    if (*n == max)
        return -1;
    ranges[*n] = (struct ptwalk_range){
        .va_start = leaf->va, .va_end = leaf->va + leaf->size, .pa_start = leaf->pa,
        .block_size = leaf->size, .attrs = a,
    };
    (*n)++;
    return 0;
}

const char *ptwalk_mair_type(uint64_t mair, unsigned attrindx, char buf[16])
{
    uint64_t attr = (mair >> (8 * attrindx)) & 0xff;
    switch (attr) {
    case MAIR_ATTR_DEVICE_nGnRnE: return "Device-nGnRnE";
    case MAIR_ATTR_DEVICE_nGnRE:  return "Device-nGnRE";
    case MAIR_ATTR_DEVICE_GRE:    return "Device-GRE";
    case MAIR_ATTR_NORMAL_NC:     return "Normal-NC";
    case MAIR_ATTR_NORMAL_WB:     return "Normal-WB";
    case MAIR_ATTR_NORMAL_WT:     return "Normal-WT";
    }
    bc_snprintf(buf, 16, "attr 0x%02lx", (unsigned long)attr);
    return buf;
}
