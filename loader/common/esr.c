#include "esr.h"

#include "fmt.h"

const char *esr_class_name(uint64_t esr)
{
    switch (ESR_EC(esr)) {
    case 0x00: return "unknown reason (undefined instruction)";
    case 0x01: return "trapped WFI/WFE";
    case 0x07: return "trapped FP/SIMD access";
    case 0x0e: return "illegal execution state";
    case 0x15: return "SVC from AArch64";
    case 0x16: return "HVC from AArch64";
    case 0x17: return "SMC from AArch64";
    case 0x18: return "trapped MSR/MRS/system instruction";
    case 0x20: return "instruction abort";
    case 0x21: return "instruction abort";
    case 0x22: return "PC alignment fault";
    case 0x24: return "data abort";
    case 0x25: return "data abort";
    case 0x26: return "SP alignment fault";
    case 0x2c: return "trapped floating-point exception";
    case 0x2f: return "SError interrupt";
    case 0x30: case 0x31: return "breakpoint";
    case 0x32: case 0x33: return "software step";
    case 0x34: case 0x35: return "watchpoint";
    case 0x3c: return "BRK instruction";
    default: return "unexpected exception class";
    }
}

static const char *fault_status_name(unsigned fsc)
{
    switch (fsc & 0x3c) {
    case 0x00: return "address size fault";
    case 0x04: return "translation fault";
    case 0x08: return "access flag fault";
    case 0x0c: return "permission fault";
    default: break;
    }
    switch (fsc) {
    case 0x10: return "synchronous external abort";
    case 0x21: return "alignment fault";
    case 0x30: return "TLB conflict abort";
    default: return "other fault";
    }
}

void esr_fault_detail(uint64_t esr, char *buf, unsigned len)
{
    unsigned ec = (unsigned)ESR_EC(esr);
    buf[0] = '\0';
    if (ec < 0x20 || ec > 0x25 || ec == 0x22 || ec == 0x23)
        return;
    unsigned fsc = (unsigned)(esr & 0x3f);
    int is_data = ec == 0x24 || ec == 0x25;
    const char *access = !is_data ? "" : (esr & (1u << 6)) ? ", write" : ", read";
    if (fsc < 0x10)
        bc_snprintf(buf, len, ", %s, level %u%s", fault_status_name(fsc), fsc & 3, access);
    else
        bc_snprintf(buf, len, ", %s%s", fault_status_name(fsc), access);
}
