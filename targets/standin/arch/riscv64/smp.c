/* Multi-hart start-up as seL4 does it on RISC-V (src/arch/riscv/kernel/
 * boot.c: the boot hart releases the others with node_boot_lock once the
 * kernel is initialised and waits until ksNumCPUs == MAX_NUM_NODES; the
 * others wait for the lock, run init_cpu, which prints `Init local IRQ`,
 * and end idle), plus one line and a power-off wherever seL4 would wait
 * forever or run on regardless. Only built with MAX_NUM_NODES > 1; see
 * smp.h. */
#include "smp.h"

#include <stdbool.h>
#include <stdint.h>

#include "power.h"
#include "sbi.h"
#include "uart.h"
#include "vspace.h"

/* How long a hart may take to arrive. seL4 waits forever; a loader that
 * starts the harts at all has them at the kernel entry within milliseconds. */
#define CORE_ARRIVAL_TIMEOUT_SECONDS 2
/* How long a waiting hart sleeps between two looks: 10 ms. Every wake is a
 * timer interrupt through OpenSBI and a host thread woken in QEMU; at 1 ms
 * the 2 s wait for harts that never come cost QEMU 0.3 CPU-s more. */
#define POLL_TICKS (TIMEBASE_HZ / 100)
#define SIE_STIE   (UINT64_C(1) << 5)

/* In .bss like everything else here: all zero at the hand-off. */
struct core_entry core_entries[MAX_NUM_NODES];
struct core_id_refusal core_id_out_of_range;

/* seL4's names. node_boot_lock: set once, by the boot hart, when the kernel
 * is initialised. ksNumCPUs: harts that have finished start-up. */
static uint64_t node_boot_lock;
uint64_t ksNumCPUs;
/* One hart at a time on the console once the others run: the secondary
 * harts' boot lines and a refusal line. A refusal keeps it (power-off
 * follows), so no later line splits it. */
static uint64_t console_lock;

static void console_claim(void)
{
    while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE) != 0)
        ;
}

static uint64_t load_acquire(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint64_t *p, uint64_t value)
{
    __atomic_store_n(p, value, __ATOMIC_RELEASE);
}

static uint64_t time_now(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

static uint64_t deadline_after(unsigned seconds)
{
    return time_now() + (uint64_t)seconds * TIMEBASE_HZ;
}

/* A waiting hart sleeps (wfi) until a timer POLL_TICKS ahead rather than
 * spin: a spinning vCPU can starve the one it waits for when QEMU runs all
 * vCPUs on one host thread (-icount, -accel tcg,thread=single). With
 * sstatus.SIE = 0 the pending timer ends wfi without a trap. */
static void doze(void)
{
    __asm__ volatile("csrs sie, %0" : : "r"(SIE_STIE));
    sbi_set_timer(time_now() + POLL_TICKS);
    __asm__ volatile("wfi" : : : "memory");
}

/* No timer left armed or enabled once the waiting is over. */
static void doze_done(void)
{
    sbi_set_timer(UINT64_MAX);
    __asm__ volatile("csrc sie, %0" : : "r"(SIE_STIE));
}

static unsigned count_cores(uint64_t min_state)
{
    unsigned n = 0;
    for (unsigned id = 0; id < MAX_NUM_NODES; id++)
        n += load_acquire(&core_entries[id].state) >= min_state;
    return n;
}

/* ", "-separated core ids whose state is exactly `state`. */
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

/* Harts head.S parked instead of letting them in. */
static void report_refused_cores(void)
{
    if (load_acquire(&core_id_out_of_range.seen)) {
        console_claim();
        kprintf("stand-in: a hart entered the kernel with a7 = 0x%lx, which is no logical core id "
                "below %u (MAX_NUM_NODES); the loader must put each hart's logical core id in a7 "
                "(boot hart 0); seL4 would take that hart's kernel stack from past the end of "
                "kernel_stack_alloc\n",
                (unsigned long)core_id_out_of_range.id, (unsigned)MAX_NUM_NODES);
        power_off();
    }
    for (unsigned id = 0; id < MAX_NUM_NODES; id++) {
        if (load_acquire(&core_entries[id].duplicate)) {
            console_claim();
            kprintf("stand-in: two harts entered the kernel with logical core id %u in a7; the "
                    "loader must give each hart its own id 0..%u (boot hart 0); seL4 would run "
                    "both on one kernel stack\n",
                    id, (unsigned)MAX_NUM_NODES - 1);
            power_off();
        }
    }
}

static __attribute__((noreturn)) void report_missing_cores(void)
{
    unsigned entered = count_cores(CORE_ENTERED);
    console_claim();
    if (entered < MAX_NUM_NODES) {
        kprintf("stand-in: only %u of %u harts arrived at the kernel entry (missing core ids ",
                entered, (unsigned)MAX_NUM_NODES);
        print_ids_in_state(CORE_ABSENT);
        kprintf(") within %u s; seL4 would wait here forever\n", CORE_ARRIVAL_TIMEOUT_SECONDS);
    } else {
        /* Every hart arrived, yet one did not get through init_secondary_core. */
        kprintf("stand-in: kernel bug: all %u harts arrived at the kernel entry, but core ids ",
                (unsigned)MAX_NUM_NODES);
        print_ids_in_state(CORE_ENTERED);
        kprintf(" did not finish their start-up within %u s\n", CORE_ARRIVAL_TIMEOUT_SECONDS);
    }
    power_off();
}

/* seL4 lets the other harts ignore a0..a5, but its elfloader hands every
 * hart the boot hart's values, and the contract says so. seL4 keeps a
 * hart-to-core map from a6 to address IPIs (SBI send_ipi takes hart ids), so
 * two cores with one hart id would send one hart's IPIs to the other. */
static void check_entry_registers(void)
{
    const struct core_entry *boot = &core_entries[0];
    for (unsigned id = 1; id < MAX_NUM_NODES; id++) {
        const struct core_entry *e = &core_entries[id];
        for (unsigned r = 0; r < 6; r++) {
            if (e->a[r] != boot->a[r]) {
                console_claim();
                kprintf("stand-in: core %u (hart %lu) entered the kernel with a%u = 0x%lx, but the "
                        "boot hart (core 0) entered with a%u = 0x%lx; every hart must enter with "
                        "the boot hart's a0..a5\n",
                        id, (unsigned long)e->hart, r, (unsigned long)e->a[r], r,
                        (unsigned long)boot->a[r]);
                power_off();
            }
        }
        for (unsigned other = 0; other < id; other++) {
            if (core_entries[other].hart == e->hart) {
                console_claim();
                kprintf("stand-in: cores %u and %u entered the kernel with the same hart id %lu in "
                        "a6; the loader must pass each hart its own hart id (seL4 maps each core "
                        "to its hart id to send it IPIs)\n",
                        other, id, (unsigned long)e->hart);
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
    uint64_t deadline = deadline_after(CORE_ARRIVAL_TIMEOUT_SECONDS);
    for (;;) {
        report_refused_cores();
        ksNumCPUs = count_cores(CORE_STARTED);
        if (ksNumCPUs == MAX_NUM_NODES)
            break;
        if (time_now() >= deadline)
            report_missing_cores();
        doze();
    }
    doze_done();
    check_entry_registers();
}

/* With no boot hart (none entered with core id 0), the lowest secondary
 * that did says so; the others keep quiet. */
static bool reports_missing_boot_core(unsigned id)
{
    for (unsigned lower = 0; lower < id; lower++)
        if (load_acquire(&core_entries[lower].state) != CORE_ABSENT)
            return false;
    return true;
}

static __attribute__((noreturn)) void report_missing_boot_core(unsigned id)
{
    console_claim();
    kprintf("stand-in: core %u waited %u s at the kernel entry, but no hart entered with logical "
            "core id 0 (a7 = 0) to boot the kernel (cores that did enter: ",
            id, CORE_ARRIVAL_TIMEOUT_SECONDS);
    print_ids_in_state(CORE_ENTERED);
    if (load_acquire(&core_id_out_of_range.seen))
        kprintf("; a hart with a7 = 0x%lx was parked", (unsigned long)core_id_out_of_range.id);
    kprintf("); seL4 would wait here forever\n");
    power_off();
}

/* seL4: while (!node_boot_lock); */
static void wait_for_boot_core(unsigned id)
{
    uint64_t deadline = deadline_after(CORE_ARRIVAL_TIMEOUT_SECONDS);
    while (load_acquire(&node_boot_lock) == 0) {
        if (time_now() >= deadline && reports_missing_boot_core(id))
            report_missing_boot_core(id);
        doze();
    }
    doze_done();
}

void init_secondary_core(uint64_t core_id)
{
    unsigned id = (unsigned)core_id;
    wait_for_boot_core(id);
    /* Off the loader's tables: their memory may be handed out once the root
     * task runs. */
    vspace_activate_kernel();
    /* seL4's init_cpu on this hart. */
    console_claim();
    kprintf("Init local IRQ\n");
    store_release(&console_lock, 0);
    store_release(&core_entries[id].state, CORE_STARTED);
    /* seL4's other harts end in their idle threads; with no interrupts
     * enabled here, they sleep. */
    __asm__ volatile("csrw sie, zero");
    for (;;)
        __asm__ volatile("wfi");
}
