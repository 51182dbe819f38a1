#include "roottask.h"

#include "check.h"
#include "print.h"

#define PAGE_MASK ((UINT64_C(1) << SEL4_PAGE_BITS) - 1)

bool check_entry_state(const struct entry_state *entry)
{
    seL4_Word bi_va = ENTRY_BOOTINFO(entry);

    rt_fact("entry.x0", "0x%lx", bi_va);
    rt_fact("entry.sp", "0x%lx", entry->sp);
    rt_fact("entry.nzcv", "0x%lx", entry->nzcv);

    /* seL4 starts the root thread from a zeroed TCB, so everything but the
     * BootInfo pointer in x0 must be 0. List each register that is not. */
    unsigned nonzero = 0;
    int first_nonzero = 0;
    for (int reg = 1; reg <= 30; reg++) {
        if (entry->x[reg] == 0)
            continue;
        rt_line("entry.x%d = 0x%lx", reg, entry->x[reg]);
        if (nonzero++ == 0)
            first_nonzero = reg;
    }
    rt_fact("entry.nonzero_regs", "%u", nonzero);
    rt_check(nonzero == 0, "entry.x1_x30",
             "x%d = 0x%lx at entry (%u of x1..x30 non-zero, all must be 0)",
             first_nonzero, entry->x[first_nonzero], nonzero);
    rt_check(entry->sp == 0, "entry.sp", "SP_EL0 = 0x%lx at entry, must be 0", entry->sp);

    return rt_check(bi_va != 0 && (bi_va & PAGE_MASK) == 0, "entry.x0",
                    "x0 (BootInfo VA) = 0x%lx, must be a non-zero page-aligned address", bi_va);
}
