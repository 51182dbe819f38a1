"""Drive build/harness/emu-check (the Unicorn suite) and pack images with a
mutant loader library (harness/emu/emu.mk, loader/arch/aarch64/mutations.h)."""

import json
import os
import subprocess
from dataclasses import dataclass

from ..pack import runcache

CHECKS = ("elf_loading", "handoff_registers", "cpu_state", "writes", "rootserver", "page_tables",
          "handoff_record")


def emu_check_path(build):
    return os.path.join(build, "harness", "emu-check")


@dataclass
class EmuResult:
    returncode: int
    stdout: str
    report: dict

    def check(self, name):
        return next(c for c in self.report["checks"] if c["name"] == name)

    @property
    def uart(self):
        return self.report["uart"].replace("\r\n", "\n")

    def describe(self):
        return f"emu-check exit {self.returncode}\n{self.stdout}\n--- UART ---\n{self.uart}"


def run(build, image, json_path, el=1, ram_mib=None, budget=None, start_state=None, qemu_dtb=None):
    """start_state: a captured CPU state file to start from instead of reset
    (harness/emu/start_state.h; its EL wins over el). qemu_dtb: the DTB QEMU
    writes at the start of RAM, when not emu-check's own one-CPU dump (e.g.
    QEMU's -smp 4 DTB for an SMP kernel)."""
    cmd = [emu_check_path(build), str(image), "--el", str(el), "--json", str(json_path)]
    if qemu_dtb:
        cmd += ["--qemu-dtb", str(qemu_dtb)]
    if start_state:
        cmd += ["--start-state", str(start_state)]
    if ram_mib:
        cmd += ["--ram-mib", str(ram_mib)]
    if budget:
        cmd += ["--budget", str(budget)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60)
    assert proc.returncode in (0, 1), f"emu-check could not run ({proc.returncode}):\n{proc.stdout}"
    with open(json_path) as f:
        report = json.load(f)
    return EmuResult(proc.returncode, proc.stdout, report)


def pack_mutant(mutant, kernel, roottask, out, dtb=None, handoff_record=None):
    """`make emu-mutant-image`: the normal pack step, with the mutant's loader.a."""
    proc = runcache.make_image(["emu-mutant-image", f"MUTANT={mutant}", f"KERNEL={kernel}",
                                f"ROOTTASK={roottask}", f"DTB={dtb or ''}",
                                f"HANDOFF_RECORD={handoff_record or ''}"], out)
    assert proc.returncode == 0, f"packing with mutant {mutant} failed:\n{proc.stdout}"
    return str(out)


def loader_transcript(serial):
    """The loader's part of a console log: up to and including its jump line
    (or everything, if it never jumped), with CRLF as LF."""
    text = serial.replace("\r\n", "\n")
    mark = text.find("loader: jumping to kernel")
    if mark < 0:
        return text
    end = text.find("\n", mark)
    return text if end < 0 else text[:end + 1]
