/* Starting an SMP kernel's other harts (seL4 with MAX_NUM_NODES > 1).
 *
 * seL4's boot hart waits in init_kernel until all MAX_NUM_NODES cores have
 * entered the kernel. Each other hart is started with SBI HSM hart_start (in
 * the DTB's /cpus order, skipping the boot hart), parks in the loader until
 * released, then enters the kernel with the boot hart's a0..a5 and satp,
 * a6 = its hart id and a7 = its logical core id (seL4's head.S picks the
 * core's stack by a7; the boot hart is core 0). */
#ifndef LOADER_RISCV_SMP_H
#define LOADER_RISCV_SMP_H

#include <stdint.h>

#include "../../common/dtb_parse.h"
#include "mmu.h"

/* The kernel's core count, linked in by the pack step as an absolute symbol;
 * absent (weak, address 0) for a single-core kernel. */
extern const char payload_kernel_nodes[] __attribute__((weak));

static inline unsigned smp_kernel_nodes(void)
{
    unsigned n = (unsigned)(uintptr_t)payload_kernel_nodes;
    return n > 1 ? n : 1;
}

/* Starts harts for cores 1..nodes-1 and waits until each has reported in;
 * stops the machine with one line when that cannot be done. Called before
 * anything is copied: a hart that an OpenSBI before v1.3 sends to the boot
 * hart's entry instead (crt0.S) must still find the loader's code there. */
void smp_start_harts(const struct dtb_facts *dtb, unsigned nodes, uint64_t boot_hart);

/* Lets the parked harts enter the kernel with the hand-off h. */
void smp_release_harts(const struct riscv_handoff *h);

#endif
