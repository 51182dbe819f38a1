"""Expected placement and hand-off values, computed in Python from the input
files by seL4's rules (facts file §3.1-§3.2). Independent of the loader's C
planner on purpose: a bug there cannot hide behind a shared implementation."""

import os
import re
from dataclasses import dataclass

from elftools.elf.elffile import ELFFile

from . import elfsyms, target
from .placement import PAGE, handoff_words, parse_loader_handoff, round_down, round_up  # noqa: F401
from .target import UPPER_HALF  # noqa: F401  (kept for callers; bootcheck.kernel.target decides hyp)


@dataclass
class ElfFacts:
    entry: int
    segments: list          # (vaddr, paddr, offset, filesz, memsz, flags)
    symbols: dict

    @property
    def vmin(self):
        return min(s[0] for s in self.segments)

    @property
    def vmax(self):
        return max(s[0] + s[4] for s in self.segments)

    @property
    def pmin(self):
        return min(s[1] for s in self.segments)

    @property
    def pmax(self):
        return max(s[1] + s[4] for s in self.segments)


_facts_cache = {}


def elf_facts(path):
    """Entry, PT_LOAD segments and symbols of the ELF at path. Parsed once
    while the file is unchanged (a scenario's preparation asks for the same
    kernel several times); each caller gets its own list and dict."""
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_ino, st.st_mtime_ns, st.st_size)
    if key not in _facts_cache:
        _facts_cache[key] = _parse_elf_facts(path)
    f = _facts_cache[key]
    return ElfFacts(f.entry, list(f.segments), dict(f.symbols))


def _parse_elf_facts(path):
    with open(path, "rb") as f:
        elfsyms.check_tables(f, path)
        elf = ELFFile(f)
        segs = [(p["p_vaddr"], p["p_paddr"], p["p_offset"], p["p_filesz"], p["p_memsz"],
                 p["p_flags"])
                for p in elf.iter_segments() if p["p_type"] == "PT_LOAD" and p["p_memsz"] > 0]
        symbols = elfsyms.symbols(elf)
        return ElfFacts(elf.header["e_entry"], segs, {} if symbols is None else symbols)


@dataclass
class Handoff:
    x: list                  # x0..x5
    kernel_phys: tuple
    dtb_phys: tuple
    user_phys: tuple
    user_virt: tuple
    hyp: bool


def expected_handoff(kernel_path, roottask_path, dtb_size):
    k = elf_facts(kernel_path)
    u = elf_facts(roottask_path)
    kernel_phys = (k.pmin, round_up(k.pmax, PAGE))
    uv = (round_down(u.vmin, PAGE), round_up(u.vmax, PAGE))
    x, dtb_phys, up = handoff_words(kernel_phys[1], uv, u.entry, dtb_size)
    return Handoff(x, kernel_phys, dtb_phys, up, uv, hyp=target.read(kernel_path).hyp)


# The opt-in hand-off record (loader/common/handoff_record.h): its fields in
# order, and magic and version as that header defines them.
RECORD_FIELDS = ("magic", "version", "p_reg_start", "p_reg_end", "v_reg_start", "v_reg_end",
                 "v_entry", "extra_bi", "extra_bi_size", "pv_offset")
RECORD_HEADER = os.path.join(os.path.dirname(__file__), "..", "..", "..", "loader", "common",
                             "handoff_record.h")


def record_constants():
    """(magic, version) as #defined in handoff_record.h."""
    with open(RECORD_HEADER) as f:
        text = f.read()
    magic = re.search(r"#define HANDOFF_RECORD_MAGIC\s+(0x[0-9a-fA-F]+)", text).group(1)
    version = re.search(r"#define HANDOFF_RECORD_VERSION\s+(\d+)", text).group(1)
    return int(magic, 16), int(version)


def expected_record(kernel_path, roottask_path, dtb_size):
    """Every field the loader must write into the record, by seL4's placement rules."""
    h = expected_handoff(kernel_path, roottask_path, dtb_size)
    magic, version = record_constants()
    return {"magic": magic, "version": version,
            "p_reg_start": h.user_phys[0], "p_reg_end": h.user_phys[1],
            "v_reg_start": h.user_virt[0], "v_reg_end": h.user_virt[1],
            "v_entry": elf_facts(roottask_path).entry,
            "extra_bi": h.dtb_phys[0], "extra_bi_size": dtb_size, "pv_offset": h.x[2]}


def record_paddr(kernel_path, symbol):
    """Physical address of the kernel variable `symbol`, by its PT_LOAD."""
    k = elf_facts(kernel_path)
    va, _ = k.symbols[symbol]
    for vaddr, paddr, _, _, memsz, _ in k.segments:
        if vaddr <= va < vaddr + memsz:
            return paddr + (va - vaddr)
    raise AssertionError(f"{symbol} at 0x{va:x} is in no PT_LOAD of {kernel_path}")


def fdt_totalsize(path):
    """FDT header totalsize of a DTB file (free space included)."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:4] != b"\xd0\x0d\xfe\xed":
        raise ValueError(f"{path} is not a flattened device tree")
    return int.from_bytes(head[4:8], "big")


def dtb_handover_size(path):
    """What our loader hands over as x5: the DTB packed (fdt_pack's layout:
    40-byte header, the reservation map with its terminator, the structure
    and strings blocks; free space dropped). Computed here from the header,
    independently of the C (loader/common/dtb_parse.c dtb_handover_size)."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:4] != b"\xd0\x0d\xfe\xed":
        raise ValueError(f"{path} is not a flattened device tree")
    word = lambda off: int.from_bytes(blob[off:off + 4], "big")   # noqa: E731
    rsv_off, size_strings, size_struct = word(16), word(32), word(36)
    entries = 0
    while int.from_bytes(blob[rsv_off + 16 * entries:rsv_off + 16 * entries + 16], "big") != 0:
        entries += 1
    return 40 + 16 * (entries + 1) + size_struct + size_strings


def handed_over_dtb_size(dtb_path, serial):
    """The DTB size a boot hands over: the payload DTB's totalsize, or, for
    QEMU's blob (generated at run time), the packed size the loader printed;
    None if the loader printed none."""
    if dtb_path:
        return dtb_handover_size(dtb_path)
    m = re.search(r"^loader: DTB from QEMU at 0x40000000, (\d+) bytes", serial, re.M)
    return int(m.group(1)) if m else None
