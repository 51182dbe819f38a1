#include "smp.h"

#include "console.h"
#include "sbi.h"

#define SMP_MAX_CORES 8            /* stacks in loader.ld */
/* QEMU virt's timebase (its DTB's /cpus timebase-frequency): 10 MHz. */
#define TIMEBASE_HZ 10000000u
#define ARRIVAL_TIMEOUT_TICKS TIMEBASE_HZ   /* 1 s */

extern char secondary_entry[];
void enter_kernel(const struct riscv_handoff *h, uint64_t hart, uint64_t core)
    __attribute__((noreturn));

static struct {
    struct riscv_handoff h;
    volatile uint64_t arrived[SMP_MAX_CORES];
    volatile uint64_t release;
} shared;

static uint64_t now_ticks(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

void smp_start_harts(const struct dtb_facts *dtb, unsigned nodes, uint64_t boot_hart,
                     const struct riscv_handoff *h)
{
    if (nodes > SMP_MAX_CORES)
        loader_fail("the kernel needs %u cores (its kernel_stack_alloc holds %u stacks); the loader"
                    " starts at most %u", nodes, nodes, SMP_MAX_CORES);
    if (dtb->ncpus < nodes)
        loader_fail("the kernel needs %u cores (its kernel_stack_alloc holds %u stacks), but the"
                    " DTB's /cpus lists %u harts; run it with -smp %u (seL4 would wait for the"
                    " missing cores forever)", nodes, nodes, dtb->ncpus, nodes);
    if (sbi_probe_extension(SBI_EXT_HSM) == 0)
        loader_fail("the kernel needs %u cores, but the SBI firmware has no HSM extension to start"
                    " harts with", nodes);
    shared.h = *h;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    unsigned core = 1;
    for (unsigned i = 0; i < dtb->ncpus && core < nodes; i++) {
        const struct dtb_cpu *c = &dtb->cpu[i];
        if (!c->has_reg)
            loader_fail("CPU node %s in /cpus has no usable reg: cannot name its hart to SBI"
                        " hart_start (the kernel needs %u cores)", c->name, nodes);
        if (c->mpidr == boot_hart)
            continue;
        struct sbi_ret r = sbi_hart_start(c->mpidr, (uintptr_t)secondary_entry, core);
        if (r.error != 0)
            loader_fail("SBI HSM hart_start for hart %lu (core %u, %s) returned %ld (%s)",
                        (unsigned long)c->mpidr, core, c->name, r.error, sbi_error_name(r.error));
        uint64_t start = now_ticks();
        while (shared.arrived[core] == 0)
            if (now_ticks() - start > ARRIVAL_TIMEOUT_TICKS)
                loader_fail("hart %lu (core %u, %s) did not report in within 1 s of SBI hart_start",
                            (unsigned long)c->mpidr, core, c->name);
        console_printf("loader: hart %lu started as core %u\n", (unsigned long)c->mpidr, core);
        core++;
    }
    if (core < nodes)
        loader_fail("the kernel needs %u cores, but only %u harts of the DTB's /cpus other than the"
                    " boot hart %lu could be started", nodes, core - 1, (unsigned long)boot_hart);
}

void smp_release_harts(void)
{
    __atomic_store_n(&shared.release, 1, __ATOMIC_RELEASE);
}

void smp_secondary_main(uint64_t hart, uint64_t core)
{
    __atomic_store_n(&shared.arrived[core], 1, __ATOMIC_RELEASE);
    while (__atomic_load_n(&shared.release, __ATOMIC_ACQUIRE) == 0)
        ;
    enter_kernel(&shared.h, hart, core);
}
