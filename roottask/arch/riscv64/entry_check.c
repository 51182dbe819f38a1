#include "roottask.h"

#include "check.h"
#include "print.h"

#define PAGE_MASK ((UINT64_C(1) << SEL4_PAGE_BITS) - 1)

/* RISC-V's register names, xi = reg_name[i]. */
static const char *const reg_name[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
};

/* The same facts and check names as on AArch64 (parsers read both): entry.x0
 * is the BootInfo register (a0 here), entry.x1_x30 judges every register
 * other than a0 and sp, entry.<name> lists each non-zero one by its
 * RISC-V name. */
bool check_entry_state(const struct entry_state *entry)
{
    seL4_Word bi_va = ENTRY_BOOTINFO(entry);

    rt_fact("entry.x0", "0x%lx", bi_va);
    rt_fact("entry.sp", "0x%lx", entry->x[2]);

    /* seL4 starts the root thread from a zeroed TCB, so everything but the
     * BootInfo pointer in a0 must be 0. List each register that is not. */
    unsigned nonzero = 0;
    int first_nonzero = 0;
    for (int reg = 1; reg < 32; reg++) {
        if (reg == 2 || reg == 10 || entry->x[reg] == 0)
            continue;
        if (reg == 31 && entry->t6_lost != 0)
            rt_line("entry.t6 = (non-zero, not recorded)");
        else
            rt_line("entry.%s = 0x%lx", reg_name[reg], entry->x[reg]);
        if (nonzero++ == 0)
            first_nonzero = reg;
    }
    rt_fact("entry.nonzero_regs", "%u", nonzero);
    rt_check(nonzero == 0, "entry.x1_x30",
             "%s = 0x%lx at entry (%u of the registers other than a0 and sp non-zero, all must be 0)",
             reg_name[first_nonzero], entry->x[first_nonzero], nonzero);
    rt_check(entry->x[2] == 0, "entry.sp", "sp = 0x%lx at entry, must be 0", entry->x[2]);

    return rt_check(bi_va != 0 && (bi_va & PAGE_MASK) == 0, "entry.x0",
                    "a0 (BootInfo VA) = 0x%lx, must be a non-zero page-aligned address", bi_va);
}
