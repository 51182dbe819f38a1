"""The Linux arm64 boot contract (targets/linux-arm64-boot.md), written once:
given the kernel Image's header and what was observed at the kernel's first
instruction (by gdb at a firmware's jump, or by emu-check), which rules hold
and which are broken, each in one sentence naming the values."""
from dataclasses import dataclass

from ..kernel import fdt

IMAGE_MAGIC = 0x644d5241          # "ARM\x64" at offset 0x38
SZ_2M = 2 << 20
DTB_MAX = 2 << 20
SCTLR_M, SCTLR_C = 1 << 0, 1 << 2
DAIF_ALL = 0x3c0                  # PSTATE D, A, I, F (bits 9..6)
DAIF_NAMES = ((0x200, "Debug"), (0x100, "SError"), (0x80, "IRQ"), (0x40, "FIQ"))


@dataclass
class ImageHeader:
    text_offset: int
    image_size: int
    flags: int

    @property
    def anywhere(self):
        """Flags bit 3: the 2 MiB-aligned base may be anywhere in RAM."""
        return bool(self.flags & (1 << 3))


def read_image_header(path):
    with open(path, "rb") as f:
        head = f.read(64)
    if len(head) < 64 or int.from_bytes(head[56:60], "little") != IMAGE_MAGIC:
        raise ValueError(f"{path} is not a Linux arm64 Image (no magic ARM\\x64 at offset 0x38)")
    le = lambda off: int.from_bytes(head[off:off + 8], "little")  # noqa: E731
    return ImageHeader(text_offset=le(8), image_size=le(16), flags=le(24))


@dataclass
class Finding:
    rule: str
    status: str        # "pass", "fail" or "warn"
    sentence: str


def hx(v):
    return f"0x{v:x}"


def _inside(ranges, start, end):
    return any(lo <= start and end <= hi for lo, hi in ranges)


def judge(header, el, regs, sctlr, dtb, initrd_size=None):
    """header: ImageHeader; el: the EL at entry; regs: {"pc", "x0".."x3",
    "cpsr"}; sctlr: SCTLR of that EL; dtb: the bytes at x0 (None if there was
    no DTB there); initrd_size: the initrd's size in bytes, or None (no initrd;
a firmware may move it, so only /chosen says where it is).
    Returns the findings in the contract's order."""
    out = []
    pc, x0 = regs["pc"], regs["x0"]

    # Registers: x0 = the DTB's physical address, x1..x3 zero.
    nonzero = [f"x{i} = {hx(regs[f'x{i}'])}" for i in (1, 2, 3) if regs[f"x{i}"] != 0]
    if nonzero:
        out.append(Finding("registers", "fail", f"{', '.join(nonzero)} at entry; the contract wants "
                           "x1 = x2 = x3 = 0 (reserved for future use)"))
    else:
        out.append(Finding("registers", "pass", f"x0 = {hx(x0)}, x1 = x2 = x3 = 0"))

    # The DTB: at x0, 8-byte aligned, at most 2 MiB, inside RAM.
    tree, ram = None, []
    if dtb is None:
        out.append(Finding("dtb", "fail", f"no DTB (magic 0xd00dfeed) at x0 = {hx(x0)}"))
    else:
        size = int.from_bytes(dtb[4:8], "big")
        if x0 % 8:
            out.append(Finding("dtb", "fail", f"DTB at x0 = {hx(x0)} is not 8-byte aligned"))
        elif size > DTB_MAX:
            out.append(Finding("dtb", "fail", f"DTB at {hx(x0)} is {size} bytes; the contract "
                               f"allows at most 2 MiB ({DTB_MAX})"))
        else:
            try:
                tree = fdt.nodes(dtb)
                ram = fdt.memory_ranges(tree)
            except fdt.FdtError as e:
                out.append(Finding("dtb", "fail", f"the DTB at x0 = {hx(x0)} is unreadable: {e}"))
            if tree is not None and not _inside(ram, x0, x0 + size):
                out.append(Finding("dtb", "fail", f"DTB [{hx(x0)}, {hx(x0 + size)}) is not inside RAM "
                                   f"({', '.join(f'[{hx(a)}, {hx(b)})' for a, b in ram)})"))
            elif tree is not None:
                out.append(Finding("dtb", "pass", f"DTB [{hx(x0)}, {hx(x0 + size)}), 8-byte aligned, "
                                   f"{size} bytes, in RAM"))

    # Placement: entry = a 2 MiB-aligned base + text_offset, image_size in RAM.
    base = pc - header.text_offset
    if base % SZ_2M:
        out.append(Finding("image_placement", "fail", f"the kernel was entered at {hx(pc)}: base "
                           f"{hx(base)} (entry - text_offset {hx(header.text_offset)}) is not 2 MiB "
                           "aligned"))
    elif ram and not _inside(ram, base, base + header.image_size):
        out.append(Finding("image_placement", "fail", f"image [{hx(base)}, {hx(base + header.image_size)})"
                           " (image_size from the header) is not inside RAM"))
    elif ram and not header.anywhere and base != min(lo for lo, _ in ram) // SZ_2M * SZ_2M:
        out.append(Finding("image_placement", "warn", f"base {hx(base)} is not the lowest 2 MiB of RAM, "
                           "which the header's flags (bit 3 clear) ask for"))
    else:
        out.append(Finding("image_placement", "pass", f"entry {hx(pc)} = 2 MiB-aligned base {hx(base)} + "
                           f"text_offset {hx(header.text_offset)}; image_size {hx(header.image_size)}"))

    # MMU off; D-cache off, or the image cleaned to the PoC (not observable).
    if sctlr & SCTLR_M:
        out.append(Finding("mmu", "fail", f"MMU on at entry (SCTLR_EL{el} {hx(sctlr)}, M = 1); the "
                           "contract wants it off"))
    elif sctlr & SCTLR_C:
        out.append(Finding("mmu", "warn", f"MMU off but D-cache on (SCTLR_EL{el} {hx(sctlr)}): the image "
                           "must have been cleaned to the PoC"))
    else:
        out.append(Finding("mmu", "pass", f"MMU and D-cache off (SCTLR_EL{el} {hx(sctlr)})"))

    # Interrupts: all of D, A, I, F masked.
    daif = regs["cpsr"] & DAIF_ALL
    unmasked = [name for bit, name in DAIF_NAMES if not daif & bit]
    if unmasked:
        out.append(Finding("interrupts", "fail", f"PSTATE.DAIF = {hx(daif >> 6)}: {', '.join(unmasked)} "
                           "not masked; the contract wants all four masked"))
    else:
        out.append(Finding("interrupts", "pass", "Debug, SError, IRQ and FIQ masked"))

    # Exception level: EL2 preferred, non-secure EL1 accepted.
    if el == 2:
        out.append(Finding("exception_level", "pass", "entered at EL2 (preferred)"))
    elif el == 1:
        out.append(Finding("exception_level", "pass", "entered at EL1"))
    else:
        out.append(Finding("exception_level", "fail", f"entered at EL{el}; only EL2 or EL1 are allowed"))

    # The initrd: described in /chosen, inside RAM, clear of the image.
    if initrd_size is not None and tree is not None:
        chosen = tree.get("/chosen", {})
        start = fdt.cells(chosen["linux,initrd-start"]) if "linux,initrd-start" in chosen else None
        end = fdt.cells(chosen["linux,initrd-end"]) if "linux,initrd-end" in chosen else None
        if start is None or end is None:
            out.append(Finding("initrd", "fail", "/chosen has no linux,initrd-start/linux,initrd-end"))
        elif end - start != initrd_size:
            out.append(Finding("initrd", "fail", f"/chosen's initrd [{hx(start)}, {hx(end)}) is {end - start} "
                               f"bytes but the initrd is {initrd_size}"))
        elif not _inside(ram, start, end):
            out.append(Finding("initrd", "fail", f"initrd [{hx(start)}, {hx(end)}) is not inside RAM"))
        elif start < base + header.image_size and base < end:
            out.append(Finding("initrd", "fail", f"initrd [{hx(start)}, {hx(end)}) overlaps the image "
                               f"[{hx(base)}, {hx(base + header.image_size)})"))
        else:
            out.append(Finding("initrd", "pass", f"initrd [{hx(start)}, {hx(end)}) in /chosen, in RAM, "
                               "clear of the image"))
    return out
