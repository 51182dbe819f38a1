/* Multi-core start-up as seL4 does it on every architecture (its boot.c:
 * the boot core releases the others with node_boot_lock once the kernel is
 * initialised and waits until ksNumCPUs == MAX_NUM_NODES; the others wait
 * for the lock, start up and end idle), plus one line and a power-off
 * wherever seL4 would wait forever. The bookkeeping here is the same on
 * every architecture; how a core waits, tells the time, what it entered
 * with and the words of the lines are arch/<arch>/smp_arch.c's (smp_arch.h).
 * Only built with MAX_NUM_NODES > 1. */
#include "smp_arch.h"

#include "power.h"
#include "uart.h"

/* How long a core may take to arrive. seL4 waits forever; a loader that
 * starts the cores at all has them at the kernel entry within milliseconds. */
#define CORE_ARRIVAL_TIMEOUT_SECONDS 2

/* In .bss like everything else here: all zero at the hand-off. */
struct core_entry core_entries[MAX_NUM_NODES];
struct core_id_refusal core_id_out_of_range;

/* seL4's names. node_boot_lock: set once, by the boot core, when the kernel
 * is initialised. ksNumCPUs: cores that have finished start-up. */
static uint64_t node_boot_lock;
uint64_t ksNumCPUs;

static uint64_t deadline_after(unsigned seconds)
{
    return smp_arch_now() + (uint64_t)seconds * smp_arch_ticks_per_second();
}

static unsigned count_cores(uint64_t min_state)
{
    unsigned n = 0;
    for (unsigned id = 0; id < MAX_NUM_NODES; id++)
        n += smp_load_acquire(&core_entries[id].state) >= min_state;
    return n;
}

/* ", "-separated ids whose state is exactly `state`. */
static void print_ids_in_state(uint64_t state)
{
    const char *separator = "";
    for (unsigned id = 0; id < MAX_NUM_NODES; id++) {
        if (smp_load_acquire(&core_entries[id].state) == state) {
            kprintf("%s%u", separator, id);
            separator = ", ";
        }
    }
}

static __attribute__((noreturn)) void report_missing_cores(void)
{
    unsigned entered = count_cores(CORE_ENTERED);
    smp_arch_console_claim(false);
    if (entered < MAX_NUM_NODES) {
        kprintf("stand-in: only %u of %u " SMP_CORES " arrived at the kernel entry (missing "
                SMP_IDS " ", entered, (unsigned)MAX_NUM_NODES);
        print_ids_in_state(CORE_ABSENT);
        kprintf(") within %u s; seL4 would wait here forever\n", CORE_ARRIVAL_TIMEOUT_SECONDS);
    } else {
        /* Every core arrived, yet one did not get through its start-up. */
        kprintf("stand-in: kernel bug: all %u " SMP_CORES " arrived at the kernel entry, but "
                SMP_IDS " ", (unsigned)MAX_NUM_NODES);
        print_ids_in_state(CORE_ENTERED);
        kprintf(" did not finish their start-up within %u s\n", CORE_ARRIVAL_TIMEOUT_SECONDS);
    }
    power_off();
}

/* Cores head.S parked instead of letting them in. */
static void report_refused_cores(void)
{
    if (smp_load_acquire(&core_id_out_of_range.seen)) {
        smp_arch_console_claim(false);
        kprintf(SMP_LINE_ID_OUT_OF_RANGE, (unsigned long)core_id_out_of_range.id,
                (unsigned)MAX_NUM_NODES);
        power_off();
    }
    for (unsigned id = 0; id < MAX_NUM_NODES; id++) {
        if (smp_load_acquire(&core_entries[id].duplicate)) {
            smp_arch_console_claim(false);
            kprintf(SMP_LINE_ID_TWICE, id, (unsigned)MAX_NUM_NODES - 1);
            power_off();
        }
    }
}

void smp_release_secondary_cores(void)
{
    smp_store_release(&core_entries[0].state, CORE_STARTED);
    ksNumCPUs = 1;
    smp_store_release(&node_boot_lock, 1);
    uint64_t deadline = deadline_after(CORE_ARRIVAL_TIMEOUT_SECONDS);
    smp_arch_doze_begin(true);
    for (;;) {
        report_refused_cores();
        ksNumCPUs = count_cores(CORE_STARTED);
        if (ksNumCPUs == MAX_NUM_NODES)
            break;
        if (smp_arch_now() >= deadline)
            report_missing_cores();
        smp_arch_doze(true);
    }
    smp_arch_doze_end(true);
    smp_arch_check_entry_registers();
}

/* With no boot core (none entered with id 0), the lowest secondary that
 * did says so; the others keep quiet. */
static bool reports_missing_boot_core(unsigned id)
{
    for (unsigned lower = 0; lower < id; lower++)
        if (smp_load_acquire(&core_entries[lower].state) != CORE_ABSENT)
            return false;
    return true;
}

static __attribute__((noreturn)) void report_missing_boot_core(unsigned id)
{
    smp_arch_console_claim(true);
    kprintf("stand-in: core %u waited %u s at the kernel entry, but " SMP_NO_BOOT_CORE " to boot "
            "the kernel (cores that did enter: ", id, CORE_ARRIVAL_TIMEOUT_SECONDS);
    print_ids_in_state(CORE_ENTERED);
    if (smp_load_acquire(&core_id_out_of_range.seen))
        kprintf("; " SMP_PARKED " = 0x%lx was parked", (unsigned long)core_id_out_of_range.id);
    kprintf("); seL4 would wait here forever\n");
    power_off();
}

void smp_wait_for_boot_core(unsigned id)
{
    uint64_t deadline = deadline_after(CORE_ARRIVAL_TIMEOUT_SECONDS);
    smp_arch_doze_begin(false);
    while (smp_load_acquire(&node_boot_lock) == 0) {
        if (smp_arch_now() >= deadline && reports_missing_boot_core(id))
            report_missing_boot_core(id);
        smp_arch_doze(false);
    }
    smp_arch_doze_end(false);
}
