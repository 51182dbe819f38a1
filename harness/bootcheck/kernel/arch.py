"""The facts of the machine each architecture's images boot on (QEMU binary,
machine, CPU, RAM, firmware, gdb architecture, the loader's link address),
read from the one place they live: loader/arch/<arch>/machine.mk, which make
reads too. Which architecture a kernel is comes from its ELF's e_machine
(bootcheck.kernel.target)."""

import os
import re
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ARCH_DIR = os.path.join(ROOT, "loader", "arch")
ARCHES = ("aarch64", "riscv64")


@dataclass(frozen=True)
class ArchFacts:
    arch: str
    e_machine: int
    qemu: str
    machine: str
    cpu: str
    mem: int
    bios: str            # QEMU -bios value, "" for none (aarch64: the loader starts at EL1/EL2 itself)
    gdb_arch: str
    loader_link_addr: int
    cross: str

    def bios_argv(self):
        return ["-bios", self.bios] if self.bios else []


def _read(arch):
    path = os.path.join(ARCH_DIR, arch, "machine.mk")
    values = {}
    with open(path) as f:
        for line in f:
            m = re.match(rf"^{arch}_([A-Z_0-9]+)\s*:=\s*(.*?)\s*$", line)
            if m:
                values[m.group(1)] = m.group(2)
    return ArchFacts(arch=arch, e_machine=int(values["E_MACHINE"]), qemu=values["QEMU"],
                     machine=values["MACHINE"], cpu=values["CPU"], mem=int(values["MEM"]),
                     bios=values.get("BIOS", ""), gdb_arch=values["GDB_ARCH"],
                     loader_link_addr=int(values["LOADER_LINK_ADDR"], 0), cross=values["CROSS"])


_CACHE = {}


def facts(arch="aarch64"):
    if arch not in ARCHES:
        raise ValueError(f"no machine facts for architecture {arch!r} (known: {', '.join(ARCHES)})")
    if arch not in _CACHE:
        _CACHE[arch] = _read(arch)
    return _CACHE[arch]


def for_kernel(path):
    """The facts for the architecture of this kernel ELF (its e_machine)."""
    from . import target
    return facts(target.read(path).arch)
