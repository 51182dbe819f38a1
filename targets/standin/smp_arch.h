/* What the architecture-neutral multi-core start-up (smp.c) asks of each
 * architecture (arch/<arch>/smp_arch.c), and the little it offers back.
 * Only built with MAX_NUM_NODES > 1. The arch's smp.h gives struct
 * core_entry (state and duplicate at least), struct core_id_refusal (seen,
 * id) and the words of the shared lines:
 *   SMP_CORES         "cores" / "harts": what arrives at the kernel entry
 *   SMP_IDS           "logical ids" / "core ids": how the lines name ids
 *   SMP_NO_BOOT_CORE  who did not enter with logical id 0, and in what register
 *   SMP_PARKED        the parked core with the register its id came in
 *   SMP_LINE_ID_OUT_OF_RANGE, SMP_LINE_ID_TWICE
 *                     the lines for a core head.S parked: its id was no
 *                     logical id / was taken */
#ifndef STANDIN_SMP_ARCH_H
#define STANDIN_SMP_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "smp.h"

static inline uint64_t smp_load_acquire(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void smp_store_release(uint64_t *p, uint64_t value)
{
    __atomic_store_n(p, value, __ATOMIC_RELEASE);
}

/* --- from smp.c, for the architecture --------------------------------- */

/* seL4: while (!node_boot_lock); with the bounded wait and its line. */
void smp_wait_for_boot_core(unsigned id);

/* --- from the architecture, for smp.c --------------------------------- */

/* The clock the waits are bounded by, and its ticks per second. */
uint64_t smp_arch_now(void);
uint64_t smp_arch_ticks_per_second(void);

/* A waiting core's pause between two looks at the others: doze_begin once
 * before the first, doze_end once after the last. boot_core: the boot core
 * waiting for the others (on the kernel's tables), or a secondary waiting
 * for the boot core (on the loader's). */
void smp_arch_doze_begin(bool boot_core);
void smp_arch_doze(bool boot_core);
void smp_arch_doze_end(bool boot_core);

/* Before a line goes out: one core at a time on the console where several
 * may print; from_loader_tables: a secondary still on the loader's tables,
 * which may not map the console. A refusal keeps the console (power-off
 * follows). */
void smp_arch_console_claim(bool from_loader_tables);

/* The boot core's check of what the others entered with; prints its one
 * line and powers off on a finding. */
void smp_arch_check_entry_registers(void);

#endif
