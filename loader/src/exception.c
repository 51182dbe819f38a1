/* Reports an exception taken by the loader (or by a kernel that faulted
 * before installing its own vectors) with the exception class in words. */
#include <stdint.h>

#include "power.h"
#include "uart.h"

extern int loader_handed_off;

static const char *const vector_names[4] = {
    "current EL with SP_EL0", "current EL with SP_ELx", "lower EL (AArch64)", "lower EL (AArch32)",
};
static const char *const kind_names[4] = { "synchronous", "IRQ", "FIQ", "SError" };

static const char *exception_class_name(unsigned ec)
{
    switch (ec) {
    case 0x00: return "unknown reason";
    case 0x01: return "trapped WFI/WFE";
    case 0x07: return "FP/SIMD access trapped (CPACR/CPTR)";
    case 0x0e: return "illegal execution state";
    case 0x11: return "SVC from AArch32";
    case 0x15: return "SVC from AArch64";
    case 0x16: return "HVC from AArch64";
    case 0x17: return "SMC from AArch64";
    case 0x18: return "trapped MSR/MRS/system instruction";
    case 0x20: return "instruction abort from a lower EL";
    case 0x21: return "instruction abort (same EL)";
    case 0x22: return "PC alignment fault";
    case 0x24: return "data abort from a lower EL";
    case 0x25: return "data abort (same EL)";
    case 0x26: return "SP alignment fault";
    case 0x2f: return "SError";
    case 0x30: case 0x31: return "breakpoint";
    case 0x32: case 0x33: return "software step";
    case 0x34: case 0x35: return "watchpoint";
    case 0x3c: return "BRK instruction";
    default: return "unallocated exception class";
    }
}

static const char *fault_status_name(unsigned fsc)
{
    switch (fsc & 0x3c) {
    case 0x00: return "address size fault";
    case 0x04: return "translation fault";
    case 0x08: return "access flag fault";
    case 0x0c: return "permission fault";
    }
    if (fsc == 0x21) return "alignment fault";
    if (fsc == 0x10) return "synchronous external abort";
    return "other fault";
}

void loader_exception(uint64_t vector, uint64_t esr, uint64_t elr, uint64_t far,
                      uint64_t spsr, uint64_t el)
{
    unsigned ec = (unsigned)(esr >> 26) & 0x3f;
    uart_printf("loader: error: %s exception taken to EL%lu from %s: %s (EC 0x%02x)\n",
                kind_names[vector & 3], (unsigned long)el, vector_names[(vector >> 2) & 3],
                exception_class_name(ec), ec);
    if (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25)
        uart_printf("loader:   %s, level %u, %s access\n", fault_status_name((unsigned)esr & 0x3f),
                    (unsigned)esr & 3, (ec >= 0x24 && (esr & (1u << 6))) ? "write" : "read/fetch");
    uart_printf("loader:   ESR 0x%08lx ELR 0x%016lx FAR 0x%016lx SPSR 0x%08lx\n",
                (unsigned long)esr, (unsigned long)elr, (unsigned long)far, (unsigned long)spsr);
    if (loader_handed_off)
        uart_puts("loader:   (taken after the jump to the kernel, before it installed its own vectors)\n");
    loader_halt();
}
