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
    volatile uint64_t starting_hart;
    volatile uint64_t at_boot_entry[SMP_MAX_CORES];
} shared;

/* The core id of the hart being started; crt0.S's secondary_entry reads it
 * (an OpenSBI before v1.3 can hand the hart a stale a1). */
volatile uint64_t smp_starting_core;

static uint64_t now_ticks(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

/* How long the boot hart sleeps between two looks at a starting hart. */
#define POLL_TICKS (TIMEBASE_HZ / 1000)   /* 1 ms */
#define SIE_STIE   (UINT64_C(1) << 5)

/* Waits until `*flag` is set or `timeout` ticks have passed; returns whether
 * it was set. The boot hart does not spin: it sleeps (wfi) until a timer it
 * arms 1 ms ahead. A spinning hart can starve the hart it waits for: QEMU
 * with -icount (one host thread for all vCPUs) then runs only the spinning
 * vCPU, and the started hart never leaves OpenSBI. With interrupts off
 * (sstatus.SIE = 0) a pending enabled timer ends wfi without a trap. */
static int wait_for_flag(volatile uint64_t *flag, uint64_t timeout)
{
    uint64_t start = now_ticks();
    int set;
    __asm__ volatile("csrs sie, %0" : : "r"(SIE_STIE));
    for (;;) {
        set = __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
        uint64_t now = now_ticks();
        if (set || now - start > timeout)
            break;
        sbi_set_timer(now + POLL_TICKS);
        __asm__ volatile("wfi" : : : "memory");
    }
    /* No timer left armed or enabled for the kernel. */
    sbi_set_timer(UINT64_MAX);
    __asm__ volatile("csrc sie, %0" : : "r"(SIE_STIE));
    return set;
}

void smp_start_harts(const struct dtb_facts *dtb, unsigned nodes, uint64_t boot_hart)
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
    unsigned core = 1;
    for (unsigned i = 0; i < dtb->ncpus && core < nodes; i++) {
        const struct dtb_cpu *c = &dtb->cpu[i];
        if (!c->has_reg)
            loader_fail("CPU node %s in /cpus has no usable reg: cannot name its hart to SBI"
                        " hart_start (the kernel needs %u cores)", c->name, nodes);
        if (c->mpidr == boot_hart)
            continue;
        shared.starting_hart = c->mpidr;
        smp_starting_core = core;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        struct sbi_ret r = sbi_hart_start(c->mpidr, (uintptr_t)secondary_entry, core);
        if (r.error != 0)
            loader_fail("SBI HSM hart_start for hart %lu (core %u, %s) returned %ld (%s)",
                        (unsigned long)c->mpidr, core, c->name, r.error, sbi_error_name(r.error));
        if (!wait_for_flag(&shared.arrived[core], ARRIVAL_TIMEOUT_TICKS))
            loader_fail("hart %lu (core %u, %s) did not report in within 1 s of SBI hart_start",
                            (unsigned long)c->mpidr, core, c->name);
        console_printf("loader: hart %lu started as core %u\n", (unsigned long)c->mpidr, core);
        if (shared.at_boot_entry[core])
            console_printf("loader: hart %lu came in at the loader's boot entry, not where SBI hart_start"
                           " sent it (an OpenSBI before v1.3 can start a hart before it stores the hart's"
                           " start address); taken in as core %u\n", (unsigned long)c->mpidr, core);
        core++;
    }
    if (core < nodes)
        loader_fail("the kernel needs %u cores, but only %u harts of the DTB's /cpus other than the"
                    " boot hart %lu could be started", nodes, core - 1, (unsigned long)boot_hart);
}

void smp_release_harts(const struct riscv_handoff *h)
{
    shared.h = *h;
    __atomic_store_n(&shared.release, 1, __ATOMIC_RELEASE);
}

void smp_secondary_main(uint64_t hart, uint64_t core, uint64_t at_boot_entry)
{
    if (hart != shared.starting_hart)
        loader_fail("hart %lu entered the loader while hart %lu was being started as core %lu;"
                    " the SBI firmware started a hart it was not asked to",
                    (unsigned long)hart, (unsigned long)shared.starting_hart, (unsigned long)core);
    shared.at_boot_entry[core] = at_boot_entry;
    __atomic_store_n(&shared.arrived[core], 1, __ATOMIC_RELEASE);
    /* Asleep until released, as the boot hart waits: under -icount a
     * spinning started hart took the one host thread's turns from the boot
     * hart while it started the next (each hart took twice as long as the
     * one before). No bound: the boot hart releases every hart it started,
     * or stops the machine. */
    wait_for_flag(&shared.release, UINT64_MAX);
    enter_kernel(&shared.h, hart, core);
}
