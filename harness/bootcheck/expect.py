"""Expected placement and hand-off values, computed in Python from the input
files by seL4's rules (facts file §3.1-§3.2). Independent of the loader's C
planner on purpose: a bug there cannot hide behind a shared implementation."""

from dataclasses import dataclass

from elftools.elf.elffile import ELFFile

PAGE = 0x1000
UPPER_HALF = 0xffff000000000000


def round_up(v, a):
    return (v + a - 1) & ~(a - 1)


def round_down(v, a):
    return v & ~(a - 1)


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


def elf_facts(path):
    with open(path, "rb") as f:
        elf = ELFFile(f)
        segs = [(p["p_vaddr"], p["p_paddr"], p["p_offset"], p["p_filesz"], p["p_memsz"],
                 p["p_flags"])
                for p in elf.iter_segments() if p["p_type"] == "PT_LOAD" and p["p_memsz"] > 0]
        symbols = {}
        symtab = elf.get_section_by_name(".symtab")
        if symtab is not None:
            for s in symtab.iter_symbols():
                if s.name:
                    symbols[s.name] = (s["st_value"], s["st_size"])
        return ElfFacts(elf.header["e_entry"], segs, symbols)


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
    nxt = kernel_phys[1]
    dtb_phys = (0, 0)
    if dtb_size:
        dtb_phys = (nxt, nxt + dtb_size)
        nxt = round_up(dtb_phys[1], PAGE)
    uv = (round_down(u.vmin, PAGE), round_up(u.vmax, PAGE))
    up = (nxt, nxt + uv[1] - uv[0])
    pv = (up[0] - uv[0]) & 0xffffffffffffffff
    return Handoff([up[0], up[1], pv, u.entry, dtb_phys[0], dtb_size], kernel_phys, dtb_phys,
                   up, uv, hyp=k.entry < UPPER_HALF)


def parse_loader_handoff(serial):
    """The six values the loader printed, or None."""
    for line in serial.splitlines():
        if line.startswith("loader: handoff "):
            regs = dict(kv.split("=") for kv in line.split()[2:])
            return [int(regs[f"x{i}"], 16) for i in range(6)]
    return None
