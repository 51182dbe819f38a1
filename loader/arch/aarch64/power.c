#include "power.h"

#include <stdarg.h>
#include <stdint.h>

#include "../../common/fmt.h"
#include "sysreg.h"
#include "uart.h"

#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_CPU_ON_64  0xC4000003u

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

long psci_cpu_on(uint64_t target, uint64_t entry, uint64_t context)
{
    register uint64_t x0 __asm__("x0") = PSCI_CPU_ON_64;
    register uint64_t x1 __asm__("x1") = target;
    register uint64_t x2 __asm__("x2") = entry;
    register uint64_t x3 __asm__("x3") = context;
    if (effective_conduit() == PSCI_CONDUIT_SMC)
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (long)x0;
}

/* PSCI 1.1's return codes (DEN0022). */
const char *psci_error_name(long status)
{
    switch (status) {
    case 0: return "SUCCESS";
    case -1: return "NOT_SUPPORTED";
    case -2: return "INVALID_PARAMETERS";
    case -3: return "DENIED";
    case -4: return "ALREADY_ON";
    case -5: return "ON_PENDING";
    case -6: return "INTERNAL_FAILURE";
    case -7: return "NOT_PRESENT";
    case -8: return "DISABLED";
    case -9: return "INVALID_ADDRESS";
    }
    return "unknown PSCI status";
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
