/* The user-visible CPU state the root task found at its first instruction,
 * captured by crt0.S before anything was modified. The offsets are fixed
 * because crt0.S writes the fields by number. */
#ifndef ROOTTASK_ENTRY_STATE_H
#define ROOTTASK_ENTRY_STATE_H

#define ENTRY_STATE_SP_OFFSET    248
#define ENTRY_STATE_NZCV_OFFSET  256
#define ENTRY_STATE_SIZE         264

#ifndef __ASSEMBLER__
#include <stdint.h>

struct entry_state {
    uint64_t x[31];  /* x0..x30; x0 is the BootInfo VA */
    uint64_t sp;     /* SP_EL0 */
    uint64_t nzcv;   /* condition flags, the only PSTATE bits EL0 may read */
};

_Static_assert(__builtin_offsetof(struct entry_state, sp) == ENTRY_STATE_SP_OFFSET,
               "crt0.S stores SP at ENTRY_STATE_SP_OFFSET");
_Static_assert(__builtin_offsetof(struct entry_state, nzcv) == ENTRY_STATE_NZCV_OFFSET,
               "crt0.S stores NZCV at ENTRY_STATE_NZCV_OFFSET");
_Static_assert(sizeof(struct entry_state) == ENTRY_STATE_SIZE, "entry_state size");

/* The BootInfo pointer the kernel passes (x0). */
#define ENTRY_BOOTINFO(e) ((e)->x[0])

/* Defined and filled by crt0.S; lives in .bss. */
extern struct entry_state entry_state;
#endif

#endif
