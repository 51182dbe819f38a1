"""RISC-V scause / sstatus in words for `el` on riscv64, the Python twin of
loader/common/scause.c (its exception names; tests/test_gdb_riscv.py reads
them from the C file and fails if they drift). No gdb here."""

INTERRUPT = 1 << 63
EXCEPTIONS = {
    0: "instruction address misaligned", 1: "instruction access fault", 2: "illegal instruction",
    3: "breakpoint", 4: "load address misaligned", 5: "load access fault",
    6: "store/AMO address misaligned", 7: "store/AMO access fault", 8: "environment call from U-mode",
    9: "environment call from S-mode", 12: "instruction page fault", 13: "load page fault",
    15: "store/AMO page fault",
}
INTERRUPTS = {1: "supervisor software interrupt", 5: "supervisor timer interrupt",
              9: "supervisor external interrupt"}
STVAL_ADDRESS = (0, 1, 4, 5, 6, 7, 12, 13, 15)
PRIV_NAMES = {0: "U", 1: "S", 3: "M"}


def name(scause):
    code = scause & ~INTERRUPT
    if scause & INTERRUPT:
        return INTERRUPTS.get(code, "reserved interrupt")
    return EXCEPTIONS.get(code, "reserved cause")


def stval_meaning(scause):
    """What stval holds for this cause: 'address', 'instruction' or ''."""
    if scause & INTERRUPT:
        return ""
    return "address" if scause in STVAL_ADDRESS else "instruction" if scause == 2 else ""


def describe(scause, stval):
    """'scause 0xd load page fault, stval 0x0 (the address)'."""
    if scause == 0 and stval == 0:
        return "scause 0x0 (no trap taken yet, or an instruction address misaligned), stval 0x0"
    text = f"scause 0x{scause:x} {name(scause)}"
    meaning = stval_meaning(scause)
    return text + (f", stval 0x{stval:x} (the {meaning})" if meaning else f", stval 0x{stval:x}")


def priv(level):
    """'priv S (1)'."""
    return f"priv {PRIV_NAMES.get(level, '?')} ({level})"


def sstatus(value):
    """'sstatus 0x200000000: SIE=0 SPIE=0 SPP=U SUM=0 MXR=0' (privileged spec 4.1.1)."""
    bit = lambda n: value >> n & 1  # noqa: E731
    return (f"sstatus 0x{value:x}: SIE={bit(1)} SPIE={bit(5)} SPP={'S' if bit(8) else 'U'} SUM={bit(18)} "
            f"MXR={bit(19)}")
