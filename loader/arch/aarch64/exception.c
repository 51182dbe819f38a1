/* Reports an exception taken by the loader (or by a kernel that faulted
 * before installing its own vectors) with the exception class in words. */
#include <stdint.h>

#include "../../common/esr.h"
#include "power.h"
#include "uart.h"

extern int loader_handed_off;

static const char *const vector_names[4] = {
    "current EL with SP_EL0", "current EL with SP_ELx", "lower EL (AArch64)", "lower EL (AArch32)",
};
static const char *const kind_names[4] = { "synchronous", "IRQ", "FIQ", "SError" };

void loader_exception(uint64_t vector, uint64_t esr, uint64_t elr, uint64_t far,
                      uint64_t spsr, uint64_t el)
{
    char detail[96];
    esr_fault_detail(esr, detail, sizeof detail);
    uart_printf("loader: error: %s exception taken to EL%lu from %s: %s%s (EC 0x%02x)\n",
                kind_names[vector & 3], (unsigned long)el, vector_names[(vector >> 2) & 3],
                esr_class_name(esr), detail, (unsigned)ESR_EC(esr));
    uart_printf("loader:   ESR 0x%08lx ELR 0x%016lx FAR 0x%016lx SPSR 0x%08lx\n",
                (unsigned long)esr, (unsigned long)elr, (unsigned long)far, (unsigned long)spsr);
    if (loader_handed_off)
        uart_puts("loader:   (taken after the jump to the kernel, before it installed its own vectors)\n");
    loader_halt();
}
