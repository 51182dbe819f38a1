/* RISC-V's part of the multi-hart start-up (smp.c, smp_arch.h): the time
 * CSR, a waiting hart's sleep on the SBI timer, the console lock, the lines
 * about parked harts, a0..a5 and hart ids, and what a secondary hart does
 * once released (seL4's src/arch/riscv/kernel/boot.c: init_cpu, which
 * prints `Init local IRQ`, then idle). Only built with MAX_NUM_NODES > 1. */
#include "smp_arch.h"

#include "power.h"
#include "sbi.h"
#include "uart.h"
#include "vspace.h"

/* How long a waiting hart sleeps between two looks: 10 ms. Every wake is a
 * timer interrupt through OpenSBI and a host thread woken in QEMU; at 1 ms
 * the 2 s wait for harts that never come cost QEMU 0.3 CPU-s more. */
#define POLL_TICKS (TIMEBASE_HZ / 100)
#define SIE_STIE   (UINT64_C(1) << 5)

/* One hart at a time on the console once the others run: the secondary
 * harts' boot lines and a refusal line. A refusal keeps it (power-off
 * follows), so no later line splits it. */
static uint64_t console_lock;

static void console_claim(void)
{
    while (__atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE) != 0)
        ;
}

uint64_t smp_arch_now(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

uint64_t smp_arch_ticks_per_second(void)
{
    return TIMEBASE_HZ;
}

/* A waiting hart sleeps (wfi) until a timer POLL_TICKS ahead rather than spin: a
 * spinning vCPU can starve the one it waits for when QEMU runs all vCPUs on
 * one host thread (-icount, -accel tcg,thread=single). With sstatus.SIE = 0
 * the pending timer ends wfi without a trap. */
void smp_arch_doze_begin(bool boot_core)
{
    (void)boot_core;
}

void smp_arch_doze(bool boot_core)
{
    (void)boot_core;
    __asm__ volatile("csrs sie, %0" : : "r"(SIE_STIE));
    sbi_set_timer(smp_arch_now() + POLL_TICKS);
    __asm__ volatile("wfi" : : : "memory");
}

/* No timer left armed or enabled once the waiting is over. */
void smp_arch_doze_end(bool boot_core)
{
    (void)boot_core;
    sbi_set_timer(UINT64_MAX);
    __asm__ volatile("csrc sie, %0" : : "r"(SIE_STIE));
}

void smp_arch_console_claim(bool from_loader_tables)
{
    (void)from_loader_tables;       /* the console is the SBI's, on any tables */
    console_claim();
}

/* seL4 lets the other harts ignore a0..a5, but its elfloader hands every
 * hart the boot hart's values, and the contract says so. seL4 keeps a
 * hart-to-core map from a6 to address IPIs (SBI send_ipi takes hart ids), so
 * two cores with one hart id would send one hart's IPIs to the other. */
void smp_arch_check_entry_registers(void)
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

void init_secondary_core(uint64_t core_id)
{
    unsigned id = (unsigned)core_id;
    smp_wait_for_boot_core(id);
    /* Off the loader's tables: their memory may be handed out once the root
     * task runs. */
    vspace_activate_kernel();
    /* seL4's init_cpu on this hart. */
    console_claim();
    kprintf("Init local IRQ\n");
    smp_store_release(&console_lock, 0);
    smp_store_release(&core_entries[id].state, CORE_STARTED);
    /* seL4's other harts end in their idle threads; with no interrupts
     * enabled here, they sleep. */
    __asm__ volatile("csrw sie, zero");
    for (;;)
        __asm__ volatile("wfi");
}
