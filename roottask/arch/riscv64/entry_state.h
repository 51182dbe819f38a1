/* The user-visible CPU state the riscv64 root task found at its first
 * instruction, captured by crt0.S before anything was modified. x[i] is
 * register xi (x[0] is always 0, x[2] is sp, x[10] = a0 the BootInfo VA).
 * Offsets are fixed because crt0.S writes the fields by number. */
#ifndef ROOTTASK_ENTRY_STATE_H
#define ROOTTASK_ENTRY_STATE_H

#define ENTRY_STATE_T6_LOST_OFFSET 256
#define ENTRY_STATE_SIZE           264

#ifndef __ASSEMBLER__
#include <stdint.h>

struct entry_state {
    uint64_t x[32];
    /* crt0.S needs one register to address this struct and U-mode has no
     * scratch CSR: it uses t6 (x31), which seL4 leaves 0. If t6 was not 0,
     * its value is lost (x[31] then holds this struct's address) and this
     * is non-zero. */
    uint64_t t6_lost;
};

_Static_assert(__builtin_offsetof(struct entry_state, t6_lost) == ENTRY_STATE_T6_LOST_OFFSET,
               "crt0.S stores t6_lost at ENTRY_STATE_T6_LOST_OFFSET");
_Static_assert(sizeof(struct entry_state) == ENTRY_STATE_SIZE, "entry_state size");

/* The BootInfo pointer the kernel passes (a0). */
#define ENTRY_BOOTINFO(e) ((e)->x[10])

/* Defined and filled by crt0.S; lives in .bss. */
extern struct entry_state entry_state;
#endif

#endif
