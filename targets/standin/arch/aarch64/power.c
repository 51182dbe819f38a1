#include "power.h"

#include <stdint.h>

#include "config.h"
#include "uart.h"

/* QEMU's virt board answers PSCI calls itself, over HVC when the CPU has no
 * EL2 and over SMC when it has one (virtualization=on): an HVC with EL2
 * present would land in whatever EL2 vectors the loader left behind.
 * ID_AA64PFR0_EL1.EL2 (bits [11:8]) is 0 when EL2 is not implemented. */
static int el2_implemented(void)
{
    uint64_t pfr0;
    __asm__ volatile("mrs %0, id_aa64pfr0_el1" : "=r"(pfr0));
    return ((pfr0 >> 8) & 0xf) != 0;
}

void power_off(void)
{
    register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
    if (el2_implemented())
        __asm__ volatile("smc #0" : "+r"(x0) : : "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
    /* SYSTEM_OFF does not return when PSCI is there; say so when it is not,
     * then stop without burning the host CPU. */
    kprintf("\nstand-in: PSCI SYSTEM_OFF returned %ld, waiting forever\n", (long)x0);
    for (;;)
        __asm__ volatile("wfi");
}

void halt(void)
{
    /* seL4 prints this without a line end; so do we, byte for byte. */
    kprintf("halting...");
    power_off();
}
