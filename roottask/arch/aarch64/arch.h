/* What the root task and its components do differently on AArch64: the
 * object types, invocations and VM attributes of mapping, the VSpace's cap
 * tag, the page-table depth below a VSpace and the order of seL4_UserContext. Everything else is shared. */
#ifndef ROOTTASK_ARCH_H
#define ROOTTASK_ARCH_H

#include "sel4_abi.h"
#include "sel4_abi_table.h"

#define ARCH_NAME "aarch64"
/* ELF e_machine of its executables (components), and how messages name them. */
#define ARCH_ELF_MACHINE 183
#define ARCH_ELF_WHAT "an AArch64"

/* A VSpace is its own object type (EL1: level 0 table; hyp: level 1). */
#define ARCH_OBJECT_VSPACE      SEL4_OBJECT_ARM_VSpace
#define ARCH_OBJECT_PAGE_TABLE  SEL4_OBJECT_ARM_PageTable
#define ARCH_OBJECT_PAGE        SEL4_OBJECT_ARM_SmallPage
#define ARCH_CAPTAG_VSPACE      SEL4_CAPTAG_vspace

#define ARCH_METHOD_PAGE_TABLE_MAP   SEL4_METHOD_ARMPageTableMap
#define ARCH_METHOD_PAGE_MAP         SEL4_METHOD_ARMPageMap
#define ARCH_METHOD_ASID_POOL_ASSIGN SEL4_METHOD_ARMASIDPoolAssign
#define ARCH_PAGE_TABLE_MAP_NAME     "ARM_PageTable_Map"
#define ARCH_PAGE_MAP_NAME           "ARM_Page_Map"

#define ARCH_VM_DEFAULT         SEL4_ARM_DEFAULT_VM_ATTRIBUTES
#define ARCH_VM_EXECUTE_NEVER   SEL4_ARM_EXECUTE_NEVER

/* Page tables that can be missing below a VSpace (EL1: PUD, PD, PT). */
#define ARCH_MAX_MISSING_PAGE_TABLES 3


/* seL4_UserContext of AArch64 starts pc, sp, spsr, x0, x1, ...: the words
 * TCB_WriteRegisters takes for pc, sp and x0..x(n_x - 1) (spsr 0: the
 * kernel makes it EL0t whatever is written). Returns the count. */
#define ARCH_USER_CONTEXT_MAX 12
static inline unsigned arch_user_context(seL4_Word pc, seL4_Word sp, const seL4_Word *x,
                                         unsigned n_x, seL4_Word *words, const char **names)
{
    static const char *const reg_names[ARCH_USER_CONTEXT_MAX] = {
        "pc", "sp", "spsr", "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8",
    };
    unsigned count = 3 + n_x;
    for (unsigned i = 0; i < count; i++) {
        words[i] = i == 0 ? pc : i == 1 ? sp : i == 2 ? 0 : x[i - 3];
        names[i] = reg_names[i];
    }
    return count;
}

/* Stops the thread with an instruction the kernel reports as a fault
 * (n: a number AArch64 encodes into udf; riscv64 has one unimp). */
#define ARCH_UNDEFINED_INSTRUCTION(n) __asm__ volatile("udf #" #n)
#endif
