/* Multi-core start-up (MAX_NUM_NODES > 1), with seL4 13.0.0's contract:
 * every core enters _start with the boot core's x0..x5, at EL1, on the
 * loader's boot tables, with its logical core id in TPIDR_EL1 (boot core 0).
 * head.S gives each core kernel_stack_alloc[id] and leaves stack top | id in
 * TPIDR_EL1, as seL4's head.S does. The boot core initialises the kernel
 * alone while the others wait (seL4: node_boot_lock), then waits until all
 * of them have started (seL4: ksNumCPUs == MAX_NUM_NODES) before it drops to
 * the root task; the others end idle.
 *
 * Where seL4 would hang or misbehave without a word, the stand-in stops the
 * run with one line: a core that never arrives (seL4 waits forever), a
 * TPIDR_EL1 that is no free logical id (seL4 would share or overrun a
 * kernel stack), a core whose x0..x5 differ from the boot core's.
 *
 * Shared by C and head.S, so the layout is also given as #defines. */
#ifndef STANDIN_SMP_H
#define STANDIN_SMP_H

#include "config.h"

/* core_entries[id].state, one step at a time. */
#define CORE_ABSENT   0   /* no core has entered with this id */
#define CORE_ENTERED  1   /* head.S claimed the id and saved x0..x5 */
#define CORE_STARTED  2   /* on the kernel's tables, done with start-up */

/* struct core_entry, for head.S: state first (exclusive access needs a zero
 * offset), 64 bytes each. */
#define CORE_ENTRY_STATE      0
#define CORE_ENTRY_X0         8
#define CORE_ENTRY_DUPLICATE  56
#define CORE_ENTRY_SIZE_BITS  6

/* struct core_id_refusal, for head.S. */
#define CORE_REFUSAL_SEEN     0
#define CORE_REFUSAL_TPIDR    8

#ifndef __ASSEMBLER__
#include <stdint.h>

#if MAX_NUM_NODES > 1

/* What head.S records for each logical id, before the core touches its stack. */
struct core_entry {
    uint64_t state;       /* CORE_* */
    uint64_t x[6];        /* x0..x5 the core entered _start with */
    uint64_t duplicate;   /* 1: another core entered with this id too (it was parked) */
};
_Static_assert(__builtin_offsetof(struct core_entry, x) == CORE_ENTRY_X0, "CORE_ENTRY_X0");
_Static_assert(__builtin_offsetof(struct core_entry, duplicate) == CORE_ENTRY_DUPLICATE,
               "CORE_ENTRY_DUPLICATE");
_Static_assert(sizeof(struct core_entry) == 1u << CORE_ENTRY_SIZE_BITS, "CORE_ENTRY_SIZE_BITS");

/* A core parked because its TPIDR_EL1 was MAX_NUM_NODES or more. */
struct core_id_refusal {
    uint64_t seen;        /* 1 once a core was parked (written after id) */
    uint64_t id;          /* its TPIDR_EL1 (any one of them, if several) */
};
_Static_assert(__builtin_offsetof(struct core_id_refusal, id) == CORE_REFUSAL_TPIDR,
               "CORE_REFUSAL_TPIDR");

/* The words of smp.c's lines (smp_arch.h). */
#define SMP_CORES        "cores"
#define SMP_IDS          "logical ids"
#define SMP_NO_BOOT_CORE "no core entered with logical id 0 (TPIDR_EL1 = 0)"
#define SMP_PARKED       "a core with TPIDR_EL1"
/* (the id it came in with, MAX_NUM_NODES) */
#define SMP_LINE_ID_OUT_OF_RANGE                                                            \
    "stand-in: a core entered the kernel with TPIDR_EL1 = 0x%lx, which is no logical core "  \
    "id below %u (MAX_NUM_NODES); the loader must put each core's logical id in TPIDR_EL1 "  \
    "(boot core 0); seL4 would take that core's kernel stack from past the end of "          \
    "kernel_stack_alloc\n"
/* (the id, MAX_NUM_NODES - 1) */
#define SMP_LINE_ID_TWICE                                                                    \
    "stand-in: two cores entered the kernel with logical core id %u in TPIDR_EL1; the "      \
    "loader must give each core its own id 0..%u (boot core 0); seL4 would run both on one " \
    "kernel stack\n"

/* In .bss: all zero when the loader hands over. */
extern struct core_entry core_entries[MAX_NUM_NODES];
extern struct core_id_refusal core_id_out_of_range;

/* Boot core, at the end of init_kernel (seL4's release_secondary_cpus):
 * lets the other cores start, waits until all have, and checks what they
 * entered with. Returns only if every core arrived and agrees; otherwise
 * prints one line and powers off. */
void smp_release_secondary_cores(void);

/* Every core but the boot core, from head.S on its own stack: waits for the
 * boot core, switches to the kernel's tables, reports in and idles. */
__attribute__((noreturn)) void init_secondary_core(void);

#else

/* Single-core kernel: nobody to wait for. (A macro, not an empty inline
 * function, so that kernel.elf has not even a debug record of it.) */
#define smp_release_secondary_cores() ((void)0)

#endif
#endif

#endif
