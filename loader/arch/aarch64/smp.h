/* Starting an SMP kernel's other cores (seL4 with MAX_NUM_NODES > 1).
 *
 * seL4's boot core waits in init_kernel until every one of its
 * MAX_NUM_NODES cores has entered the kernel, so the loader must start the
 * other ones: each with PSCI CPU_ON (target = its /cpus reg, in DTB order,
 * skipping the boot core), each entering the kernel with the same x0..x5
 * and boot tables as the boot core, at the kernel's EL, with TPIDR_EL1 =
 * its logical id (the boot core's is 0; seL4's head.S picks the core's
 * stack by it). */
#ifndef LOADER_SMP_H
#define LOADER_SMP_H

#include "dtb.h"
#include "enter.h"

/* The kernel's core count, linked in by the pack step (loader/host/pack_step.c) as an
 * absolute symbol; absent (weak, address 0) for a single-core kernel. */
extern const char payload_kernel_nodes[] __attribute__((weak));

static inline unsigned smp_kernel_nodes(void)
{
    unsigned n = (unsigned)(uintptr_t)payload_kernel_nodes;
    return n > 1 ? n : 1;
}

/* Starts cores 1..nodes-1 and waits until each has reported in (parked at
 * the loader's secondary entry); stops the machine with one clear line if
 * the DTB lists too few CPUs, has no /psci, a CPU node has no reg, CPU_ON
 * fails or a core does not report in. regs must be final: the cores enter
 * the kernel with exactly these values once released. */
void smp_start_cores(const struct dtb_info *dtb, unsigned nodes, const struct handoff_regs *regs,
                     int hyp_kernel);

/* Lets the parked cores enter the kernel, and sets the boot core's
 * TPIDR_EL1 to 0. Call just before the boot core jumps. */
void smp_release_cores(void);

#endif
