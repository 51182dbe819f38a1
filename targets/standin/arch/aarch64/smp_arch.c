/* AArch64's part of the multi-core start-up (smp.c, smp_arch.h): the
 * logical id in TPIDR_EL1, the virtual counter, the boot core's sleep on
 * the GIC while it waits, the lines about parked cores and about x0..x5,
 * and what a secondary core does once released (seL4 13.0.0's
 * src/arch/arm/kernel/boot.c: switch to the kernel's tables, end idle).
 * Only built with MAX_NUM_NODES > 1. */
#include "smp_arch.h"

#include "power.h"
#include "uart.h"
#include "vspace.h"

/* QEMU virt's counter frequency, should CNTFRQ_EL0 be unset. */
#define FALLBACK_COUNTER_HZ 62500000u

/* head.S left stack top | logical id in TPIDR_EL1. */
static unsigned this_core_id(void)
{
    uint64_t tpidr;
    __asm__ volatile("mrs %0, tpidr_el1" : "=r"(tpidr));
    return (unsigned)(tpidr & (KERNEL_STACK_SIZE - 1));
}

/* The virtual counter: EL1 can always read it, while an EL2 the loader
 * left behind may trap the physical one (seL4's EL1 build uses it too). */
uint64_t smp_arch_now(void)
{
    uint64_t count;
    __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(count) : : "memory");
    return count;
}

uint64_t smp_arch_ticks_per_second(void)
{
    uint64_t hz;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
    return hz != 0 ? hz : FALLBACK_COUNTER_HZ;
}

static void relax(void)
{
    __asm__ volatile("yield" : : : "memory");
}

/* The boot core sleeps (wfi) until the virtual timer fires 1 ms ahead
 * rather than spin through its wait: a spinning vCPU costs the host a core
 * for the whole wait (2 s when a core never comes), and can starve the core
 * it waits for when QEMU runs every vCPU on one host thread. wfi ends when
 * the GIC signals the timer's interrupt, which stays masked (DAIF.I), so no
 * exception is taken; the GIC is set up for that alone and left as found.
 * Only with neither EL2 nor EL3 implemented: there an IRQ could only be
 * routed to EL1. Otherwise the core spins as before. */
#define VTIMER_INTID       27       /* QEMU virt: PPI 11, the EL1 virtual timer */
#define VTIMER_BIT         (1u << VTIMER_INTID)
#define DOZE_PRIORITY      0x80u    /* above DOZE_PRIORITY_MASK: signalled */
#define DOZE_PRIORITY_MASK 0xf0u
#define GICD_CTLR          0x000
#define GICD_ISENABLER0    0x100
#define GICD_ICENABLER0    0x180
#define GICD_ICPENDR0      0x280
#define GICD_IPRIORITYR    0x400
#define GICC_CTLR          0x000
#define GICC_PMR           0x004
#define CNTV_CTL_ENABLE    1u

static volatile uint32_t *gicd(unsigned offset)
{
    return (volatile uint32_t *)(GICD_VADDR + offset);
}

static volatile uint32_t *gicc(unsigned offset)
{
    return (volatile uint32_t *)(GICC_VADDR + offset);
}

/* What doze_begin changed, for doze_end to put back. */
static struct {
    bool on;
    uint32_t gicd_ctlr, gicc_ctlr, gicc_pmr, enabled;
    uint8_t priority;
} doze_saved;

static bool no_el2_or_el3(void)
{
    uint64_t pfr0;
    __asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
    return ((pfr0 >> 8) & 0xff) == 0;       /* EL2 [11:8] and EL3 [15:12] */
}

void smp_arch_doze_begin(bool boot_core)
{
    if (!boot_core || !no_el2_or_el3())
        return;
    volatile uint8_t *priority = (volatile uint8_t *)gicd(GICD_IPRIORITYR) + VTIMER_INTID;
    doze_saved.gicd_ctlr = *gicd(GICD_CTLR);
    doze_saved.gicc_ctlr = *gicc(GICC_CTLR);
    doze_saved.gicc_pmr = *gicc(GICC_PMR);
    doze_saved.enabled = *gicd(GICD_ISENABLER0) & VTIMER_BIT;
    doze_saved.priority = *priority;
    *priority = DOZE_PRIORITY;
    *gicd(GICD_ISENABLER0) = VTIMER_BIT;
    *gicc(GICC_PMR) = DOZE_PRIORITY_MASK;
    *gicc(GICC_CTLR) = doze_saved.gicc_ctlr | 1;
    *gicd(GICD_CTLR) = doze_saved.gicd_ctlr | 1;
    doze_saved.on = true;
}

/* The boot core sleeps about 1 ms; a secondary (or the boot core with
 * dozing off) spins once. */
void smp_arch_doze(bool boot_core)
{
    if (!boot_core || !doze_saved.on) {
        relax();
        return;
    }
    uint64_t wake = smp_arch_now() + smp_arch_ticks_per_second() / 1000;
    __asm__ volatile("msr cntv_cval_el0, %0\n msr cntv_ctl_el0, %1\n isb"
                     : : "r"(wake), "r"((uint64_t)CNTV_CTL_ENABLE) : "memory");
    /* The timer's line is low again now; drop what the last wake latched. */
    *gicd(GICD_ICPENDR0) = VTIMER_BIT;
    __asm__ volatile("dsb sy\n wfi" : : : "memory");
}

void smp_arch_doze_end(bool boot_core)
{
    if (!boot_core || !doze_saved.on)
        return;
    __asm__ volatile("msr cntv_ctl_el0, xzr\n isb" : : : "memory");
    *gicd(GICD_CTLR) = doze_saved.gicd_ctlr;
    *gicc(GICC_CTLR) = doze_saved.gicc_ctlr;
    *gicc(GICC_PMR) = doze_saved.gicc_pmr;
    if (!doze_saved.enabled)
        *gicd(GICD_ICENABLER0) = VTIMER_BIT;
    *gicd(GICD_ICPENDR0) = VTIMER_BIT;
    *((volatile uint8_t *)gicd(GICD_IPRIORITYR) + VTIMER_INTID) = doze_saved.priority;
    doze_saved.on = false;
}

/* The console is the kernel's device page: a secondary still on the
 * loader's tables (nobody built the kernel's) switches first. One core
 * prints at a time anyway: the others are waiting or parked. */
void smp_arch_console_claim(bool from_loader_tables)
{
    if (from_loader_tables)
        vspace_activate_kernel();
}

/* seL4 lets the other cores ignore x0..x5, but its elfloader hands every
 * core the boot core's values, and the contract says so. */
void smp_arch_check_entry_registers(void)
{
    const uint64_t *boot = core_entries[0].x;
    for (unsigned id = 1; id < MAX_NUM_NODES; id++) {
        const uint64_t *x = core_entries[id].x;
        for (unsigned r = 0; r < 6; r++) {
            if (x[r] != boot[r]) {
                kprintf("stand-in: core %u entered the kernel with x%u = 0x%lx, but the boot core "
                        "(logical id 0) entered with x%u = 0x%lx; every core must enter with the "
                        "boot core's x0..x5\n",
                        id, r, (unsigned long)x[r], r, (unsigned long)boot[r]);
                power_off();
            }
        }
    }
}

void init_secondary_core(void)
{
    unsigned id = this_core_id();
    smp_wait_for_boot_core(id);
    /* Off the loader's tables: their memory may be handed out once the root
     * task runs. */
    vspace_activate_kernel();
    smp_store_release(&core_entries[id].state, CORE_STARTED);
    /* seL4's other cores end in their idle threads; with no interrupts set
     * up here, they sleep. */
    for (;;)
        __asm__ volatile("wfi");
}
