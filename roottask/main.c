/* The bootcheck root task: reports what the kernel handed over (entry
 * registers, BootInfo, extra bootinfo, initial caps), checks it, prints one
 * summary line, then spawns the registry's components, waits for their
 * messages and halts the system. See README.md for the output format. */
#include "roottask.h"

#include "arch.h"
#include "abi_detect.h"
#include "check.h"
#include "fmt.h"
#include "print.h"
#include "components.h"
#include "run_components.h"
#include "spawn.h"
#include "syscalls.h"

void roottask_main(void) __attribute__((noreturn));

/* The boot chain's summary line. Its own (never inlined) function: its
 * address is where `make bench` stops the count from the root task's entry
 * to every component's end (harness/bootcheck/cost/bootcost.py). */
__attribute__((noinline)) void components_report(bool ok);

/* The chain as it ran, one line per spawning level, each component with
 * its outcome (run_components.h): only one that reported done is "ok".
 *     roottask: chain: roottask -> system_init ok
 *     roottask: chain: system_init -> ipc_producer ok, ipc_consumer ok */
static void print_chain(unsigned parent, const char *parent_name)
{
    char line[200];
    int n = 0;
    for (unsigned i = 0; i < registry.n_components && n < (int)sizeof line - 48; i++)
        if (registry.components[i].parent == parent)
            n += bc_snprintf(line + n, sizeof line - (size_t)n, "%s%s %s", n ? ", " : "",
                             registry.components[i].name, outcome_name(components_outcome(i)));
    if (n == 0)
        return;
    rt_line("chain: %s -> %s", parent_name, line);
    for (unsigned i = 0; i < registry.n_components; i++)
        if (registry.components[i].parent == parent)
            print_chain(i, registry.components[i].name);
}

void components_report(bool ok)
{
    print_chain(REGISTRY_OWNER_ROOT, "roottask");
    if (ok)
        rt_line("components OK");
    else
        rt_line("boot FAILED: %s", components_failure()[0] ? components_failure() : spawn_failure());
}

/* Stops the system; if the kernel's DebugHalt returns (a kernel without
 * the debug syscalls), says so and keeps yielding rather than spinning
 * silently. */
static void halt(void) __attribute__((noreturn));
static void halt(void)
{
    sys_debug_halt();
    rt_line("DebugHalt returned; yielding forever");
    for (;;)
        sys_yield();
}

void roottask_main(void)
{
    /* Which kernel ABI, before the first syscall (printing is one). A
     * BootInfo is read only at a plausible x0; check_entry_state reports
     * on x0 below. */
    seL4_Word bi_va = ENTRY_BOOTINFO(&entry_state);
    bool bi_plausible = bi_va != 0 && (bi_va & ((UINT64_C(1) << SEL4_PAGE_BITS) - 1)) == 0;
    const seL4_BootInfo *bi = bi_plausible ? (const seL4_BootInfo *)(uintptr_t)bi_va : 0;
    bool abi_known = abi_detect(bi);
    if (!abi_detect_can_print()) {
        /* Not even the console's syscall number is known: stop with an
         * undefined instruction (seL4 reports the root task's fault). */
        ARCH_UNDEFINED_INSTRUCTION(2);
        __builtin_unreachable();
    }

    rt_line("start");
    abi_detect_report();
    if (!abi_known) {
        rt_line("boot FAILED: %s", abi_detect_failure());
        halt();
    }

    bool bi_usable = check_entry_state(&entry_state);
    if (!bi_usable)
        bi = 0;
    if (bi != 0)
        check_bootinfo(bi, bi_va);

    check_caps(bi);

    /* A Yield must come back to us: we are the only runnable thread. */
    sys_yield();
    rt_check(true, "yield", "SysYield did not return");

    rt_fact("checks", "%u %u", rt_checks_run(), rt_checks_failed());
    if (rt_checks_failed() == 0) {
        rt_line("boot OK");
        /* Only a hand-off that passed every check is trusted for spawning. */
        components_report(spawn_init_root(bi, &registry) && run_components());
    } else {
        rt_line("boot FAILED: %s", rt_first_failure());
    }
    halt();
}
