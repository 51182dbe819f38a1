#include "power.h"

#include <stdarg.h>
#include <stdint.h>

#include "../common/fmt.h"
#include "sysreg.h"
#include "uart.h"

#define PSCI_SYSTEM_OFF 0x84000008u

static enum psci_conduit conduit;

void power_set_conduit(enum psci_conduit c)
{
    conduit = c;
}

/* Before the DTB is read, guess like QEMU's virt board: its built-in PSCI
 * answers SMC when the guest owns EL2 and HVC otherwise. */
static enum psci_conduit effective_conduit(void)
{
    if (conduit != PSCI_CONDUIT_UNKNOWN)
        return conduit;
    return current_el() >= 2 ? PSCI_CONDUIT_SMC : PSCI_CONDUIT_HVC;
}

const char *power_conduit_name(void)
{
    return effective_conduit() == PSCI_CONDUIT_SMC ? "smc" : "hvc";
}

void loader_halt(void)
{
    register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
    if (effective_conduit() == PSCI_CONDUIT_SMC)
        __asm__ volatile("smc #0" : "+r"(x0) : : "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
    uart_printf("loader: PSCI SYSTEM_OFF via %s returned %ld; the machine cannot be stopped,"
                " waiting for interrupts forever\n", power_conduit_name(), (long)x0);
    for (;;)
        __asm__ volatile("wfi");
}

void loader_fail(const char *fmt, ...)
{
    va_list ap;
    char line[256];
    va_start(ap, fmt);
    bc_vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    uart_printf("loader: error: %s\n", line);
    loader_halt();
}
