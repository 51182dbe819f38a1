"""RISC-V Sv39 walk (privileged spec 1.12, 4.4) for `pt-walk` on riscv64,
the Python twin of loader/common/sv39walk.c: three levels of 512 entries,
leaves at any level. The SV39_* and SATP_* constants mirror
loader/common/sv39walk.h; tests/test_gdb_riscv.py parses the header and fails
if one drifts. No gdb here: the walk reads physical memory through a
callback, so host tests feed it tables."""

from dataclasses import dataclass, field

SV39_PTE_V = 1 << 0
SV39_PTE_R = 1 << 1
SV39_PTE_W = 1 << 2
SV39_PTE_X = 1 << 3
SV39_PTE_U = 1 << 4
SV39_PTE_G = 1 << 5
SV39_PTE_A = 1 << 6
SV39_PTE_D = 1 << 7
SV39_PTE_PPN_SHIFT = 10
SV39_PTE_PPN_MASK = (1 << 44) - 1
SV39_LEVELS = 3
SV39_VA_BITS = 39

SATP_MODE_SHIFT = 60
SATP_MODE_BARE = 0
SATP_MODE_SV39 = 8
SATP_PPN_MASK = (1 << 44) - 1
# satp.ASID is bits 59..44 (RV64); the C walker has no use for it.
ASID_SHIFT = 44
ASID_MASK = 0xffff

PAGE_BITS = 12
INDEX_BITS = 9
FLAG_LETTERS = "VRWXUGAD"
MODE_NAMES = {0: "Bare", 8: "Sv39", 9: "Sv48", 10: "Sv57"}
PAGE_KIND = {0: "4 KiB page", 1: "2 MiB megapage", 2: "1 GiB gigapage"}


def level_shift(level):
    return PAGE_BITS + INDEX_BITS * level


def flags(pte):
    """'VRWX-GAD': one letter per set bit, '-' when clear, in the order V R W X U G A D."""
    return "".join(c if pte >> i & 1 else "-" for i, c in enumerate(FLAG_LETTERS))


def flag_bits(pte):
    """'V=1 R=1 W=1 X=1 U=0 G=1 A=1 D=1'."""
    return " ".join(f"{c}={pte >> i & 1}" for i, c in enumerate(FLAG_LETTERS))


def satp_mode(satp):
    return (satp >> SATP_MODE_SHIFT) & 0xf


def satp_describe(satp):
    """'satp 0x80000000000804b6 (Sv39, ASID 0, root PPN 0x804b6 = table at PA 0x804b6000)'."""
    mode = satp_mode(satp)
    name = MODE_NAMES.get(mode, "reserved")
    if mode == SATP_MODE_BARE:
        return f"satp 0x{satp:x} (Bare: paging off, VA = PA)"
    ppn = satp & SATP_PPN_MASK
    return (f"satp 0x{satp:x} ({name}, ASID {(satp >> ASID_SHIFT) & ASID_MASK}, root PPN 0x{ppn:x} = table at "
            f"PA 0x{ppn << PAGE_BITS:x})")


def pte_pa(pte):
    return ((pte >> SV39_PTE_PPN_SHIFT) & SV39_PTE_PPN_MASK) << PAGE_BITS


def canonical(va):
    top = va >> (SV39_VA_BITS - 1)
    return top == 0 or top == (1 << (64 - SV39_VA_BITS + 1)) - 1


@dataclass
class Step:
    level: int          # 2 (root, 1 GiB per entry) .. 0 (4 KiB), the spec's numbering
    table: int          # physical address of the table
    index: int
    pte: int
    kind: str = ""      # "pointer", "leaf", "V=0", "reserved"

    @property
    def at(self):
        return self.table + 8 * self.index


@dataclass
class Walk:
    va: int
    root: int
    steps: list = field(default_factory=list)
    pa: int | None = None
    level: int = -1     # the leaf's level
    size: int = 0       # bytes mapped by the leaf
    leaf: int = 0
    fault: str | None = None

    @property
    def leaf_at(self):
        return self.steps[-1].at if self.pa is not None else None


class Unreadable(Exception):
    """read_u64 raises it (or any exception it names) for a PA that is not memory."""


def walk(read_u64, va, root):
    """Walks va from the root table at PA root (satp.PPN << 12). read_u64(pa)
    reads a physical word; it may raise to say the address is not memory
    (the fault then names the table). Mirrors sv39_translate's rules."""
    w = Walk(va=va, root=root)
    if not canonical(va):
        w.fault = f"VA 0x{va:x} is not canonical for Sv39 (bits 63..38 differ)"
        return w
    table = root
    for level in range(SV39_LEVELS - 1, -1, -1):
        index = (va >> level_shift(level)) & ((1 << INDEX_BITS) - 1)
        try:
            pte = read_u64(table + 8 * index)
        except Exception as e:   # noqa: BLE001 -- the reader's own error type
            w.fault = f"the level-{level} table at PA 0x{table:x} is not readable memory ({e})"
            return w
        step = Step(level, table, index, pte)
        w.steps.append(step)
        if not pte & SV39_PTE_V:
            step.kind = "V=0"
            w.fault = (f"not mapped: V=0 in the level-{level} entry {index} at PA 0x{step.at:x} "
                       f"(0x{pte:x})")
            return w
        if pte & SV39_PTE_W and not pte & SV39_PTE_R:
            step.kind = "reserved"
            w.fault = f"the level-{level} entry at PA 0x{step.at:x} has W without R (0x{pte:x}), a reserved encoding"
            return w
        if pte & (SV39_PTE_R | SV39_PTE_X):
            step.kind = "leaf"
            size = 1 << level_shift(level)
            base = pte_pa(pte)
            if base & (size - 1):
                w.fault = (f"the level-{level} leaf at PA 0x{step.at:x} maps PA 0x{base:x}, not aligned to its "
                           f"0x{size:x}-byte page (a misaligned superpage)")
                return w
            w.pa, w.level, w.size, w.leaf = base | (va & (size - 1)), level, size, pte
            return w
        step.kind = "pointer"
        if pte & (SV39_PTE_A | SV39_PTE_D | SV39_PTE_U):
            w.fault = (f"the level-{level} pointer entry at PA 0x{step.at:x} has A/D/U set (0x{pte:x}), "
                       "reserved for non-leaf entries")
            return w
        table = pte_pa(pte)
    w.fault = "the level-0 entry is a pointer, not a leaf"
    return w


def describe(w):
    """The lines pt-walk prints after its header: each level's entry with
    its V R W X U G A D letters, then the PA or where the walk stopped."""
    out = []
    for s in w.steps:
        line = f"  level {s.level} table 0x{s.table:x}[{s.index}] = 0x{s.pte:016x}  {flags(s.pte)}"
        if s.kind == "pointer":
            line += f"  -> next table 0x{pte_pa(s.pte):x}"
        elif s.kind == "leaf":
            line += "  leaf"
        out.append(line)
    if w.pa is None:
        out.append(f"  -> {w.fault}")
        return out
    out.append(f"  -> PA 0x{w.pa:x} ({PAGE_KIND[w.level]})")
    out.append(f"  {flag_bits(w.leaf)}")
    return out


def window(read_u64, root, ranges):
    """The leaves covering the VA ranges [(lo, hi)] (the kernel window): one
    walk per leaf, neighbouring VAs under the same leaf entry merged.
    Returns [(lo, hi, Walk)]: a Walk with pa None is the first unmapped VA."""
    out = []
    for lo, hi in sorted(ranges):
        va = lo & ~((1 << PAGE_BITS) - 1)
        while va < hi:
            w = walk(read_u64, va, root)
            if w.pa is None:
                out.append((va, va + (1 << PAGE_BITS), w))
                return out
            end = min((va | (w.size - 1)) + 1, hi)
            if out and out[-1][2].pa is not None and out[-1][2].leaf_at == w.leaf_at and out[-1][1] == va:
                out[-1] = (out[-1][0], end, out[-1][2])
            else:
                out.append((va, end, w))
            va = end
    return out
