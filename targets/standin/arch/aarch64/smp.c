/* Multi-core start-up as seL4 13.0.0 does it (src/arch/arm/kernel/boot.c:
 * the boot core releases the others with node_boot_lock once the kernel is
 * initialised and waits until ksNumCPUs == MAX_NUM_NODES; the others wait
 * for the lock, switch to the kernel's tables and end idle), plus one line
 * and a power-off wherever seL4 would wait forever or run on regardless.
 * Only built with MAX_NUM_NODES > 1; see smp.h. */
#include "smp.h"

#include <stdbool.h>
#include <stdint.h>

#include "power.h"
#include "uart.h"
#include "vspace.h"

/* How long a core may take to arrive. seL4 waits forever; a loader that
 * starts the cores at all has them at the kernel entry within milliseconds. */
#define CORE_ARRIVAL_TIMEOUT_SECONDS 2
/* QEMU virt's counter frequency, should CNTFRQ_EL0 be unset. */
#define FALLBACK_COUNTER_HZ 62500000u

/* In .bss like everything else here: all zero at the hand-off. */
struct core_entry core_entries[MAX_NUM_NODES];
struct core_id_refusal core_id_out_of_range;

/* seL4's names. node_boot_lock: set once, by the boot core, when the kernel
 * is initialised. ksNumCPUs: cores that have finished start-up. */
static uint64_t node_boot_lock;
uint64_t ksNumCPUs;

static uint64_t load_acquire(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint64_t *p, uint64_t value)
{
    __atomic_store_n(p, value, __ATOMIC_RELEASE);
}

/* head.S left stack top | logical id in TPIDR_EL1. */
static unsigned this_core_id(void)
{
    uint64_t tpidr;
    __asm__ volatile("mrs %0, tpidr_el1" : "=r"(tpidr));
    return (unsigned)(tpidr & (KERNEL_STACK_SIZE - 1));
}

/* The virtual counter: EL1 can always read it, while an EL2 the loader
 * left behind may trap the physical one (seL4's EL1 build uses it too). */
static uint64_t counter_now(void)
{
    uint64_t count;
    __asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(count) : : "memory");
    return count;
}

static uint64_t counter_deadline(unsigned seconds)
{
    uint64_t hz;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
    return counter_now() + seconds * (hz != 0 ? hz : FALLBACK_COUNTER_HZ);
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

static void doze_begin(void)
{
    if (!no_el2_or_el3())
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

/* Sleeps about 1 ms (or spins once when dozing is off). */
static void doze(void)
{
    if (!doze_saved.on) {
        relax();
        return;
    }
    uint64_t hz;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
    uint64_t wake = counter_now() + (hz != 0 ? hz : FALLBACK_COUNTER_HZ) / 1000;
    __asm__ volatile("msr cntv_cval_el0, %0\n msr cntv_ctl_el0, %1\n isb"
                     : : "r"(wake), "r"((uint64_t)CNTV_CTL_ENABLE) : "memory");
    /* The timer's line is low again now; drop what the last wake latched. */
    *gicd(GICD_ICPENDR0) = VTIMER_BIT;
    __asm__ volatile("dsb sy\n wfi" : : : "memory");
}

static void doze_end(void)
{
    if (!doze_saved.on)
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

static unsigned count_cores(uint64_t min_state)
{
    unsigned n = 0;
    for (unsigned id = 0; id < MAX_NUM_NODES; id++)
        n += load_acquire(&core_entries[id].state) >= min_state;
    return n;
}

/* ", "-separated logical ids whose state is exactly `state`. */
static void print_ids_in_state(uint64_t state)
{
    const char *separator = "";
    for (unsigned id = 0; id < MAX_NUM_NODES; id++) {
        if (load_acquire(&core_entries[id].state) == state) {
            kprintf("%s%u", separator, id);
            separator = ", ";
        }
    }
}

/* Cores head.S parked instead of letting them in. */
static void report_refused_cores(void)
{
    if (load_acquire(&core_id_out_of_range.seen)) {
        kprintf("stand-in: a core entered the kernel with TPIDR_EL1 = 0x%lx, which is no logical "
                "core id below %u (MAX_NUM_NODES); the loader must put each core's logical id "
                "in TPIDR_EL1 (boot core 0); seL4 would take that core's kernel stack from past "
                "the end of kernel_stack_alloc\n",
                (unsigned long)core_id_out_of_range.tpidr, (unsigned)MAX_NUM_NODES);
        power_off();
    }
    for (unsigned id = 0; id < MAX_NUM_NODES; id++) {
        if (load_acquire(&core_entries[id].duplicate)) {
            kprintf("stand-in: two cores entered the kernel with logical core id %u in "
                    "TPIDR_EL1; the loader must give each core its own id 0..%u (boot core 0); "
                    "seL4 would run both on one kernel stack\n",
                    id, (unsigned)MAX_NUM_NODES - 1);
            power_off();
        }
    }
}

static __attribute__((noreturn)) void report_missing_cores(void)
{
    unsigned entered = count_cores(CORE_ENTERED);
    if (entered < MAX_NUM_NODES) {
        kprintf("stand-in: only %u of %u cores arrived at the kernel entry (missing logical ids ",
                entered, (unsigned)MAX_NUM_NODES);
        print_ids_in_state(CORE_ABSENT);
        kprintf(") within %u s; seL4 would wait here forever\n", CORE_ARRIVAL_TIMEOUT_SECONDS);
    } else {
        /* Every core arrived, yet one did not get through init_secondary_core. */
        kprintf("stand-in: kernel bug: all %u cores arrived at the kernel entry, but logical ids ",
                (unsigned)MAX_NUM_NODES);
        print_ids_in_state(CORE_ENTERED);
        kprintf(" did not finish their start-up within %u s\n", CORE_ARRIVAL_TIMEOUT_SECONDS);
    }
    power_off();
}

/* seL4 lets the other cores ignore x0..x5, but its elfloader hands every
 * core the boot core's values, and the contract says so. */
static void check_entry_registers(void)
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

void smp_release_secondary_cores(void)
{
    store_release(&core_entries[0].state, CORE_STARTED);
    ksNumCPUs = 1;
    store_release(&node_boot_lock, 1);
    uint64_t deadline = counter_deadline(CORE_ARRIVAL_TIMEOUT_SECONDS);
    doze_begin();
    for (;;) {
        report_refused_cores();
        ksNumCPUs = count_cores(CORE_STARTED);
        if (ksNumCPUs == MAX_NUM_NODES)
            break;
        if (counter_now() >= deadline)
            report_missing_cores();
        doze();
    }
    doze_end();
    check_entry_registers();
}

/* With no boot core (no core entered with id 0), the lowest secondary that
 * did says so; the others keep quiet. */
static bool reports_missing_boot_core(unsigned id)
{
    for (unsigned lower = 0; lower < id; lower++)
        if (load_acquire(&core_entries[lower].state) != CORE_ABSENT)
            return false;
    return true;
}

static __attribute__((noreturn)) void report_missing_boot_core(unsigned id)
{
    /* Nobody built the kernel's tables, and the console needs them. */
    vspace_activate_kernel();
    kprintf("stand-in: core %u waited %u s at the kernel entry, but no core entered with logical "
            "id 0 (TPIDR_EL1 = 0) to boot the kernel (cores that did enter: ",
            id, CORE_ARRIVAL_TIMEOUT_SECONDS);
    print_ids_in_state(CORE_ENTERED);
    if (load_acquire(&core_id_out_of_range.seen))
        kprintf("; a core with TPIDR_EL1 = 0x%lx was parked",
                (unsigned long)core_id_out_of_range.tpidr);
    kprintf("); seL4 would wait here forever\n");
    power_off();
}

/* seL4: while (!node_boot_lock); */
static void wait_for_boot_core(unsigned id)
{
    uint64_t deadline = counter_deadline(CORE_ARRIVAL_TIMEOUT_SECONDS);
    while (load_acquire(&node_boot_lock) == 0) {
        if (counter_now() >= deadline && reports_missing_boot_core(id))
            report_missing_boot_core(id);
        relax();
    }
}

void init_secondary_core(void)
{
    unsigned id = this_core_id();
    wait_for_boot_core(id);
    /* Off the loader's tables: their memory may be handed out once the root
     * task runs. */
    vspace_activate_kernel();
    store_release(&core_entries[id].state, CORE_STARTED);
    /* seL4's other cores end in their idle threads; with no interrupts set
     * up here, they sleep. */
    for (;;)
        __asm__ volatile("wfi");
}
