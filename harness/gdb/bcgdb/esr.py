"""Decoding of ESR_ELx (exception syndrome) for diagnoses: the exception
class and, for aborts, the fault status (Arm ARM D17.2.37)."""

EXCEPTION_CLASSES = {
    0x00: "unknown reason",
    0x01: "WFI/WFE trapped",
    0x07: "FP/SIMD access trapped",
    0x0e: "illegal execution state",
    0x15: "SVC from AArch64",
    0x16: "HVC from AArch64",
    0x17: "SMC from AArch64",
    0x18: "MSR/MRS/system instruction trapped",
    0x20: "instruction abort from a lower EL",
    0x21: "instruction abort from the same EL",
    0x22: "PC alignment fault",
    0x24: "data abort from a lower EL",
    0x25: "data abort from the same EL",
    0x26: "SP alignment fault",
    0x2c: "FP exception",
    0x2f: "SError",
    0x30: "breakpoint from a lower EL",
    0x31: "breakpoint from the same EL",
    0x32: "software step from a lower EL",
    0x33: "software step from the same EL",
    0x34: "watchpoint from a lower EL",
    0x35: "watchpoint from the same EL",
    0x3c: "BRK instruction",
}
ABORT_CLASSES = (0x20, 0x21, 0x24, 0x25)


def fault_status(fsc):
    level = fsc & 3
    kinds = {0b0000: "address size fault", 0b0001: "translation fault",
             0b0010: "access flag fault", 0b0011: "permission fault"}
    if fsc >> 4 == 0 and (fsc >> 2) in kinds:
        return f"{kinds[fsc >> 2]}, level {level}"
    return {0b010000: "synchronous external abort", 0b100001: "alignment fault",
            0b110000: "TLB conflict abort"}.get(fsc, f"fault status 0x{fsc:02x}")


def describe(esr):
    """'EC 0x25 data abort from the same EL: translation fault, level 0 (write)'."""
    ec = (esr >> 26) & 0x3f
    text = f"EC 0x{ec:02x} {EXCEPTION_CLASSES.get(ec, 'reserved/other')}"
    if ec in ABORT_CLASSES:
        text += f": {fault_status(esr & 0x3f)}"
        if ec in (0x24, 0x25):
            text += " (write)" if esr & (1 << 6) else " (read)"
    elif ec in (0x15, 0x16, 0x17, 0x3c):
        text += f" #0x{esr & 0xffff:x}"
    return text
