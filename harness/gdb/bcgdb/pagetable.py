"""VMSAv8-64 stage-1 table walk (4 KiB granule) for `pt-walk`, with the
constants of loader/common/pagetable.h mirrored here. The header is the
single source: tests/test_gdb_tools.py parses it and fails if any value
below drifts from it."""

from dataclasses import dataclass, field

PT_PAGE_BITS = 12
PT_INDEX_BITS = 9
PT_ENTRIES = 1 << PT_INDEX_BITS
PT_VA_BITS = 48

PTE_VALID = 1 << 0
PTE_TYPE_MASK = 3
PTE_TYPE_BLOCK = 1
PTE_TYPE_TABLE = 3
PTE_ATTRINDX_SHIFT = 2
PTE_ATTRINDX_MASK = 7 << PTE_ATTRINDX_SHIFT
PTE_NS = 1 << 5
PTE_AP_SHIFT = 6
PTE_AP_MASK = 3 << PTE_AP_SHIFT
PTE_SH_SHIFT = 8
PTE_SH_MASK = 3 << PTE_SH_SHIFT
PTE_AF = 1 << 10
PTE_NG = 1 << 11
PTE_PXN = 1 << 53
PTE_UXN = 1 << 54
PTE_ADDR_MASK = 0x0000fffffffff000

MAIR_ATTR_DEVICE_nGnRnE = 0x00
MAIR_ATTR_DEVICE_nGnRE = 0x04
MAIR_ATTR_DEVICE_GRE = 0x0c
MAIR_ATTR_NORMAL_NC = 0x44
MAIR_ATTR_NORMAL_WB = 0xff
MAIR_ATTR_NORMAL_WT = 0xaa

MAIR_VALUE = (MAIR_ATTR_DEVICE_nGnRnE << 0 | MAIR_ATTR_DEVICE_nGnRE << 8 | MAIR_ATTR_DEVICE_GRE << 16
              | MAIR_ATTR_NORMAL_NC << 24 | MAIR_ATTR_NORMAL_WB << 32 | MAIR_ATTR_NORMAL_WT << 40)

TCR_EPD1 = 1 << 23
TCR_EL1_AS = 1 << 36
TCR_EL2_RES1 = (1 << 31) | (1 << 23)
TCR_EL2_PS_SHIFT = 16
TCR_PS_40BIT = 2
TCR_SH0_INNER = 3 << 12
TCR_ORGN0_WBWA = 1 << 10
TCR_IRGN0_WBWA = 1 << 8
TCR_TG0_4K = 0
TCR_EL2_SEL4_HYP = (TCR_EL2_RES1 | (TCR_PS_40BIT << TCR_EL2_PS_SHIFT) | TCR_TG0_4K
                    | TCR_SH0_INNER | TCR_ORGN0_WBWA | TCR_IRGN0_WBWA | (64 - PT_VA_BITS))
SCTLR_M = 1 << 0

AP_NAMES = {0: "EL1 RW, EL0 none", 1: "EL1 RW, EL0 RW", 2: "EL1 RO, EL0 none", 3: "EL1 RO, EL0 RO"}
SH_NAMES = {0: "non-shareable", 1: "reserved", 2: "outer shareable", 3: "inner shareable"}
MAIR_NAMES = {
    MAIR_ATTR_DEVICE_nGnRnE: "Device-nGnRnE", MAIR_ATTR_DEVICE_nGnRE: "Device-nGnRE",
    MAIR_ATTR_DEVICE_GRE: "Device-GRE", MAIR_ATTR_NORMAL_NC: "Normal non-cacheable",
    MAIR_ATTR_NORMAL_WB: "Normal write-back", MAIR_ATTR_NORMAL_WT: "Normal write-through",
}


def level_shift(level):
    return PT_PAGE_BITS + PT_INDEX_BITS * (3 - level)


@dataclass
class Step:
    level: int
    table: int          # physical address of the table
    index: int
    descriptor: int


@dataclass
class Walk:
    va: int
    ttbr_name: str
    steps: list = field(default_factory=list)
    pa: int | None = None
    size: int = 0               # bytes mapped by the leaf
    leaf: int = 0
    fault: str | None = None

    def attributes(self, mair):
        d = self.leaf
        idx = (d & PTE_ATTRINDX_MASK) >> PTE_ATTRINDX_SHIFT
        attr = (mair >> (8 * idx)) & 0xff
        return {
            "AttrIndx": f"{idx} (MAIR 0x{attr:02x} {MAIR_NAMES.get(attr, 'other')})",
            "AP": AP_NAMES[(d & PTE_AP_MASK) >> PTE_AP_SHIFT],
            "SH": SH_NAMES[(d & PTE_SH_MASK) >> PTE_SH_SHIFT],
            "AF": int(bool(d & PTE_AF)), "nG": int(bool(d & PTE_NG)),
            "PXN": int(bool(d & PTE_PXN)), "UXN/XN": int(bool(d & PTE_UXN)),
        }


def walk(read_u64, va, ttbr, txsz, ttbr_name):
    """Walks `va` from table base `ttbr` (ASID bits ignored) for a region of
    64 - txsz VA bits. read_u64(pa) reads a physical word."""
    w = Walk(va=va, ttbr_name=ttbr_name)
    va_bits = 64 - txsz
    # The walk starts at the level whose entries split the top VA bits.
    level = 0 if va_bits > level_shift(0) else 1 if va_bits > level_shift(1) else 2
    table = ttbr & PTE_ADDR_MASK
    while True:
        index = (va >> level_shift(level)) & (PT_ENTRIES - 1)
        desc = read_u64(table + 8 * index)
        w.steps.append(Step(level, table, index, desc))
        if not desc & PTE_VALID:
            w.fault = f"translation fault at level {level} (descriptor 0x{desc:x})"
            return w
        kind = desc & PTE_TYPE_MASK
        if level < 3 and kind == PTE_TYPE_TABLE:
            table = desc & PTE_ADDR_MASK
            level += 1
            continue
        if level == 3 and kind != PTE_TYPE_TABLE:
            w.fault = f"reserved descriptor at level 3 (0x{desc:x})"
            return w
        if level == 0 and kind == PTE_TYPE_BLOCK:
            w.fault = f"block descriptor at level 0 is invalid for 4K (0x{desc:x})"
            return w
        w.size = 1 << level_shift(level)
        w.leaf = desc
        w.pa = (desc & PTE_ADDR_MASK & ~(w.size - 1)) | (va & (w.size - 1))
        return w


def select_regime(va, tcr, el):
    """(ttbr register name, TxSZ) that translates va at EL1&0 or EL2."""
    if el == 2:
        return "TTBR0_EL2", tcr & 0x3f
    if va >> 55 & 1:
        return "TTBR1_EL1", (tcr >> 16) & 0x3f
    return "TTBR0_EL1", tcr & 0x3f
