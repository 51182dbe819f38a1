#include "smp.h"

#include "../../common/dtb_parse.h"
#include "mutations.h"
#include "power.h"
#include "sysreg.h"
#include "uart.h"

#define SMP_MAX_CORES        8
#define SMP_REPORT_TIMEOUT_MS 1000u
/* MPIDR_EL1's affinity fields (Aff3 at [39:32], Aff2..Aff0 at [23:0]): what a
 * /cpus reg holds and what PSCI CPU_ON takes. */
#define MPIDR_AFFINITY_MASK  UINT64_C(0xff00ffffff)

/* Shared with the parked cores, which run with the MMU and caches off: the
 * boot core cleans these to the point of coherency after writing them and
 * invalidates before reading them. One cache line each, so cleaning one never
 * writes back a neighbour the other side is writing. */
struct smp_line {
    volatile uint64_t value;
    uint64_t pad[7];
};
struct smp_shared {
    struct handoff_regs regs;                 /* what every core enters the kernel with */
    uint64_t hyp_kernel;
    uint64_t boot_el;                         /* the EL the boot core started at */
    struct smp_line arrived[SMP_MAX_CORES];   /* set by each core when parked */
    struct smp_line release;                  /* set by the boot core: enter the kernel */
} __attribute__((aligned(64)));

struct smp_shared smp_shared;

/* secondary.S: the PSCI entry point of the other cores. */
extern uint8_t smp_secondary_entry[];

static void clean_to_poc(const volatile void *start, uint64_t size)
{
    for (uintptr_t a = (uintptr_t)start & ~(uintptr_t)63; a < (uintptr_t)start + size; a += 64)
        __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    __asm__ volatile("dsb sy" ::: "memory");
}

static uint64_t read_shared(volatile uint64_t *p)
{
    __asm__ volatile("dc civac, %0\n dsb sy" : : "r"(p) : "memory");
    return *p;
}

static uint64_t now_ms(void)
{
    uint64_t freq = sysreg_read(CNTFRQ_EL0);
    return freq ? sysreg_read(CNTPCT_EL0) / (freq / 1000 ? freq / 1000 : 1) : 0;
}

/* The boot core among /cpus, by its MPIDR affinity. */
static unsigned find_boot_core(const struct dtb_info *dtb)
{
    uint64_t self = sysreg_read(MPIDR_EL1) & MPIDR_AFFINITY_MASK;
    for (unsigned i = 0; i < dtb->ncpus; i++)
        if (dtb->cpu[i].has_reg && (dtb->cpu[i].mpidr & MPIDR_AFFINITY_MASK) == self)
            return i;
    loader_fail("the boot core (MPIDR affinity 0x%lx) is not among the %u CPU nodes of the DTB's"
                " /cpus", (unsigned long)self, dtb->ncpus);
}

void smp_start_cores(const struct dtb_info *dtb, unsigned nodes, const struct handoff_regs *regs,
                     int hyp_kernel)
{
    if (nodes > SMP_MAX_CORES)
        loader_fail("the kernel needs %u cores (its kernel_stack_alloc holds %u stacks); the"
                    " loader starts at most %u", nodes, nodes, SMP_MAX_CORES);
    if (dtb->ncpus < nodes)
        loader_fail("the kernel needs %u cores (its kernel_stack_alloc holds %u stacks), but the"
                    " DTB's /cpus lists %u; run it with -smp %u (seL4 would wait for the missing"
                    " cores forever)", nodes, nodes, dtb->ncpus, nodes);
    if (!dtb->has_psci)
        loader_fail("the kernel needs %u cores, but the DTB has no /psci node: the loader starts"
                    " cores with PSCI CPU_ON", nodes);
    unsigned boot = find_boot_core(dtb);

    smp_shared.regs = *regs;
    smp_shared.hyp_kernel = (uint64_t)hyp_kernel;
    smp_shared.boot_el = current_el();
    for (unsigned i = 0; i < SMP_MAX_CORES; i++)
        smp_shared.arrived[i].value = 0;
    smp_shared.release.value = 0;
    clean_to_poc(&smp_shared, sizeof smp_shared);

    unsigned id = 1;
    for (unsigned i = 0; i < dtb->ncpus && id < nodes; i++) {
        if (i == boot)
            continue;
        const struct dtb_cpu *c = &dtb->cpu[i];
        if (!c->has_reg)
            loader_fail("CPU node %s in /cpus has no usable reg: cannot name it to PSCI CPU_ON"
                        " (the kernel needs %u cores)", c->name, nodes);
        long status = psci_cpu_on(c->mpidr, (uintptr_t)smp_secondary_entry, id);
        if (status != 0)
            loader_fail("PSCI CPU_ON via %s for core %u (%s, MPIDR 0x%lx) returned %ld (%s)",
                        power_conduit_name(), id, c->name, (unsigned long)c->mpidr, status,
                        psci_error_name(status));
        uint64_t start = now_ms();
        while (read_shared(&smp_shared.arrived[id].value) == 0) {
            if (now_ms() - start > SMP_REPORT_TIMEOUT_MS)
                loader_fail("core %u (%s, MPIDR 0x%lx) did not report in within %u ms of PSCI"
                            " CPU_ON", id, c->name, (unsigned long)c->mpidr, SMP_REPORT_TIMEOUT_MS);
        }
        uart_printf("loader: core %u (%s, MPIDR 0x%lx) started, waiting to enter the kernel\n", id,
                    c->name, (unsigned long)c->mpidr);
        id++;
    }
}

void smp_release_cores(void)
{
    smp_shared.release.value = 1;
    clean_to_poc(&smp_shared.release, sizeof smp_shared.release);
    __asm__ volatile("sev" ::: "memory");
    sysreg_write(TPIDR_EL1, 0);
}

/* Called by secondary.S on a parked core's own stack, MMU off. */
void smp_secondary_main(uint64_t id) __attribute__((noreturn));
void smp_secondary_main(uint64_t id)
{
    smp_shared.arrived[id].value = 1;
    __asm__ volatile("dsb sy\n sev" ::: "memory");
    while (smp_shared.release.value == 0)
        __asm__ volatile("wfe" ::: "memory");
    sysreg_write(TPIDR_EL1, id);
    const struct handoff_regs *r = (const struct handoff_regs *)&smp_shared.regs;
#ifdef BC_MUTATE_SECONDARY_X3
    static struct handoff_regs mutated[SMP_MAX_CORES];
    mutated[id] = *r;
    mutated[id].x[3] += 4;
    r = &mutated[id];
#endif
    if (smp_shared.hyp_kernel)
        enter_hyp_kernel(r);
    if (current_el() == 2)
        enter_el1_kernel_from_el2(r);
    enter_el1_kernel_from_el1(r);
}
