/* What the root task and its components do differently on riscv64 (Sv39):
 * a VSpace is the root page table (an seL4 RISCV_PageTable, a page_table
 * cap), two page-table levels can be missing below it, VM attributes have
 * only ExecuteNever, and seL4_UserContext has RISC-V's order (user addresses
 * end at 0x3ffffff000: component_abi.h places components' stacks below). Everything else is shared. */
#ifndef ROOTTASK_ARCH_H
#define ROOTTASK_ARCH_H

#include "sel4_abi.h"
#include "sel4_abi_table.h"

#define ARCH_NAME "riscv64"
/* ELF e_machine of its executables (components), and how messages name them. */
#define ARCH_ELF_MACHINE 243
#define ARCH_ELF_WHAT "a riscv64"

#define ARCH_OBJECT_VSPACE      SEL4_OBJECT_RISCV_PageTable
#define ARCH_OBJECT_PAGE_TABLE  SEL4_OBJECT_RISCV_PageTable
#define ARCH_OBJECT_PAGE        SEL4_OBJECT_RISCV_4K_Page
#define ARCH_CAPTAG_VSPACE      SEL4_CAPTAG_page_table

#define ARCH_METHOD_PAGE_TABLE_MAP   SEL4_METHOD_RISCVPageTableMap
#define ARCH_METHOD_PAGE_MAP         SEL4_METHOD_RISCVPageMap
#define ARCH_METHOD_ASID_POOL_ASSIGN SEL4_METHOD_RISCVASIDPoolAssign
#define ARCH_PAGE_TABLE_MAP_NAME     "RISCV_PageTable_Map"
#define ARCH_PAGE_MAP_NAME           "RISCV_Page_Map"

/* seL4_RISCV_VMAttributes: default 0, ExecuteNever bit 0. */
#define ARCH_VM_DEFAULT         0
#define ARCH_VM_EXECUTE_NEVER   1

/* Sv39: the root table maps 1 GiB entries; a 4 KiB page needs a level-1
 * and a level-2 table below it. */
#define ARCH_MAX_MISSING_PAGE_TABLES 2


/* seL4_UserContext of riscv64: pc, ra, sp, gp, s0..s11, a0..a7, t0..t6, tp.
 * A component's start registers x0..x7 go to a0..a7 and x8 to s0 (which is
 * RISC-V's x8): the count written is 24 (through a7). */
#define ARCH_USER_CONTEXT_MAX 24
static inline unsigned arch_user_context(seL4_Word pc, seL4_Word sp, const seL4_Word *x,
                                         unsigned n_x, seL4_Word *words, const char **names)
{
    static const char *const reg_names[ARCH_USER_CONTEXT_MAX] = {
        "pc", "ra", "sp", "gp", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
        "s10", "s11", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
    };
    for (unsigned i = 0; i < ARCH_USER_CONTEXT_MAX; i++) {
        words[i] = 0;
        names[i] = reg_names[i];
    }
    words[0] = pc;
    words[2] = sp;
    for (unsigned i = 0; i < n_x && i < 8; i++)
        words[16 + i] = x[i];
    if (n_x > 8)
        words[4] = x[8];
    return ARCH_USER_CONTEXT_MAX;
}

/* Stops the thread with an instruction the kernel reports as a fault
 * (n: a number AArch64 encodes into udf; riscv64 has one unimp). */
#define ARCH_UNDEFINED_INSTRUCTION(n) __asm__ volatile("unimp")
#endif
