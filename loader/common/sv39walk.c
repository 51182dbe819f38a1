#include "sv39walk.h"

#include "fmt.h"

#define PAGE_BITS 12
#define INDEX_BITS 9

static uint64_t level_shift(unsigned level) { return PAGE_BITS + INDEX_BITS * level; }

static int canonical(uint64_t va)
{
    uint64_t top = va >> (SV39_VA_BITS - 1);   /* bits 63..38 all equal */
    return top == 0 || top == (UINT64_C(1) << (64 - SV39_VA_BITS + 1)) - 1;
}

int sv39_translate(uint64_t root_pa, uint64_t va, sv39_read_fn read, void *ctx,
                   struct sv39_leaf *leaf, char err[SV39_ERR_LEN])
{
    if (!canonical(va)) {
        bc_snprintf(err, SV39_ERR_LEN, "VA 0x%lx is not canonical for Sv39 (bits 63..38 differ)",
                    (unsigned long)va);
        return 1;
    }
    uint64_t table = root_pa;
    for (int level = SV39_LEVELS - 1; level >= 0; level--) {
        uint64_t index = (va >> level_shift((unsigned)level)) & ((1u << INDEX_BITS) - 1);
        uint64_t at = table + index * 8, pte;
        if (read(ctx, at, &pte) != 0) {
            bc_snprintf(err, SV39_ERR_LEN, "level-%d table at PA 0x%lx (for VA 0x%lx) is not in RAM",
                        level, (unsigned long)table, (unsigned long)va);
            return -1;
        }
        if (!(pte & SV39_PTE_V)) {
            bc_snprintf(err, SV39_ERR_LEN, "VA 0x%lx: level-%d entry %lu at PA 0x%lx is not valid (0x%lx)",
                        (unsigned long)va, level, (unsigned long)index, (unsigned long)at,
                        (unsigned long)pte);
            return 1;
        }
        if ((pte & SV39_PTE_W) && !(pte & SV39_PTE_R)) {
            bc_snprintf(err, SV39_ERR_LEN, "VA 0x%lx: level-%d entry at PA 0x%lx has W without R (0x%lx),"
                        " a reserved encoding", (unsigned long)va, level, (unsigned long)at,
                        (unsigned long)pte);
            return -1;
        }
        uint64_t ppn = (pte >> SV39_PTE_PPN_SHIFT) & SV39_PTE_PPN_MASK;
        if (pte & (SV39_PTE_R | SV39_PTE_X)) {
            uint64_t size = UINT64_C(1) << level_shift((unsigned)level);
            uint64_t base = ppn << PAGE_BITS;
            if (base & (size - 1)) {
                bc_snprintf(err, SV39_ERR_LEN, "VA 0x%lx: level-%d leaf at PA 0x%lx maps PA 0x%lx, not"
                            " aligned to its 0x%lx-byte page (a misaligned superpage)", (unsigned long)va,
                            level, (unsigned long)at, (unsigned long)base, (unsigned long)size);
                return -1;
            }
            *leaf = (struct sv39_leaf){ .va = va, .pa = base | (va & (size - 1)), .page_size = size,
                                        .level = (unsigned)level, .pte = pte, .pte_pa = at };
            return 0;
        }
        if (pte & (SV39_PTE_A | SV39_PTE_D | SV39_PTE_U)) {
            bc_snprintf(err, SV39_ERR_LEN, "VA 0x%lx: level-%d pointer entry at PA 0x%lx has A/D/U set"
                        " (0x%lx), reserved for non-leaf entries", (unsigned long)va, level,
                        (unsigned long)at, (unsigned long)pte);
            return -1;
        }
        table = ppn << PAGE_BITS;
    }
    bc_snprintf(err, SV39_ERR_LEN, "VA 0x%lx: level-0 entry is a pointer, not a leaf", (unsigned long)va);
    return 1;
}

const char *sv39_flags(uint64_t pte, char buf[9])
{
    static const char names[] = "VRWXUGAD";
    for (unsigned i = 0; i < 8; i++)
        buf[i] = (pte >> i) & 1 ? names[i] : '-';
    buf[8] = '\0';
    return buf;
}

const char *satp_mode_name(uint64_t satp)
{
    switch ((unsigned)(satp >> SATP_MODE_SHIFT)) {
    case SATP_MODE_BARE: return "Bare";
    case SATP_MODE_SV39: return "Sv39";
    case 9: return "Sv48";
    case 10: return "Sv57";
    }
    return "reserved";
}
