/* Multi-hart start-up (MAX_NUM_NODES > 1), with seL4's RISC-V contract
 * (src/arch/riscv/head.S and kernel/boot.c, 13.0 .. 16.0): every hart enters
 * _start with the boot hart's a0..a5, in S-mode on the loader's Sv39 tables,
 * a6 = its hart id and a7 = its logical core id (boot hart 0). head.S gives
 * each hart kernel_stack_alloc[a7], as seL4's does. The boot hart (a7 = 0)
 * initialises the kernel alone while the others wait (seL4:
 * node_boot_lock), then waits until all have started (seL4: ksNumCPUs ==
 * MAX_NUM_NODES) before it drops to the root task; the others say
 * `Init local IRQ` (seL4's init_cpu on each hart) and end idle.
 *
 * Where seL4 would hang or misbehave without a word, the stand-in stops the
 * run with one line: a hart that never arrives (seL4 waits forever), an a7
 * that is no free logical core id (seL4 would share or overrun a kernel
 * stack), two harts with one hart id in a6 (seL4's hart-to-core map, used to
 * address IPIs, would name one of them twice), a hart whose a0..a5 differ
 * from the boot hart's.
 *
 * Shared by C and head.S, so the layout is also given as #defines. */
#ifndef STANDIN_SMP_H
#define STANDIN_SMP_H

#include "config.h"

/* core_entries[id].state, one step at a time. */
#define CORE_ABSENT   0   /* no hart has entered with this core id */
#define CORE_ENTERED  1   /* head.S claimed the id and saved a0..a6 */
#define CORE_STARTED  2   /* on the kernel's tables, done with start-up */

/* struct core_entry, for head.S: state first (the AMO needs its address),
 * 128 bytes each. */
#define CORE_ENTRY_STATE      0
#define CORE_ENTRY_A0         8
#define CORE_ENTRY_HART       56
#define CORE_ENTRY_DUPLICATE  64
#define CORE_ENTRY_SIZE_BITS  7

/* struct core_id_refusal, for head.S. */
#define CORE_REFUSAL_SEEN     0
#define CORE_REFUSAL_ID       8

#ifndef __ASSEMBLER__
#include <stdint.h>

#if MAX_NUM_NODES > 1

/* What head.S records for each logical core id, before the hart touches its
 * stack. */
struct core_entry {
    uint64_t state;       /* CORE_* */
    uint64_t a[6];        /* a0..a5 the hart entered _start with */
    uint64_t hart;        /* a6: its hart id */
    uint64_t duplicate;   /* 1: another hart entered with this core id too (it was parked) */
    uint64_t pad[7];
};
_Static_assert(__builtin_offsetof(struct core_entry, a) == CORE_ENTRY_A0, "CORE_ENTRY_A0");
_Static_assert(__builtin_offsetof(struct core_entry, hart) == CORE_ENTRY_HART, "CORE_ENTRY_HART");
_Static_assert(__builtin_offsetof(struct core_entry, duplicate) == CORE_ENTRY_DUPLICATE,
               "CORE_ENTRY_DUPLICATE");
_Static_assert(sizeof(struct core_entry) == 1u << CORE_ENTRY_SIZE_BITS, "CORE_ENTRY_SIZE_BITS");

/* A hart parked because its a7 was MAX_NUM_NODES or more. */
struct core_id_refusal {
    uint64_t seen;        /* 1 once a hart was parked (written after id) */
    uint64_t id;          /* its a7 (any one of them, if several) */
};

/* The words of smp.c's lines (smp_arch.h). */
#define SMP_CORES        "harts"
#define SMP_IDS          "core ids"
#define SMP_NO_BOOT_CORE "no hart entered with logical core id 0 (a7 = 0)"
#define SMP_PARKED       "a hart with a7"
/* (the id it came in with, MAX_NUM_NODES) */
#define SMP_LINE_ID_OUT_OF_RANGE                                                            \
    "stand-in: a hart entered the kernel with a7 = 0x%lx, which is no logical core id "      \
    "below %u (MAX_NUM_NODES); the loader must put each hart's logical core id in a7 (boot " \
    "hart 0); seL4 would take that hart's kernel stack from past the end of "                \
    "kernel_stack_alloc\n"
/* (the id, MAX_NUM_NODES - 1) */
#define SMP_LINE_ID_TWICE                                                                    \
    "stand-in: two harts entered the kernel with logical core id %u in a7; the loader must " \
    "give each hart its own id 0..%u (boot hart 0); seL4 would run both on one kernel "     \
    "stack\n"

/* In .bss: all zero when the loader hands over. */
extern struct core_entry core_entries[MAX_NUM_NODES];
extern struct core_id_refusal core_id_out_of_range;

/* Boot hart, at the end of init_kernel (seL4's release_secondary_cores):
 * lets the other harts start, waits until all have, and checks what they
 * entered with. Returns only if every hart arrived and agrees; otherwise
 * prints one line and powers off. */
void smp_release_secondary_cores(void);

/* Every hart but the boot hart, from head.S on its own stack (core_id = its
 * a7, 1..MAX_NUM_NODES-1): waits for the boot hart, switches to the
 * kernel's tables, reports in and idles. */
__attribute__((noreturn)) void init_secondary_core(uint64_t core_id);

#else

/* Single-hart kernel: nobody to wait for. */
#define smp_release_secondary_cores() ((void)0)

#endif
#endif

#endif
