"""Our loader's Linux payload kind, checked by the Linux contract: pack
`make image KERNEL=Image INITRD=... BOOTARGS=...` (or a mutant loader's
`make emu-mutant-image`), boot it with QEMU's -kernel under gdb, stop on the
loader's last instruction (`linux_jump`, its branch to the Image), step once
and capture the CPU and the DTB at x0 at Linux's first instruction; then
bootcheck.board.linux_contract judges it."""
import os
import shutil
import subprocess
import tempfile
import time

from ..boot import gdbrun
from ..boot.qemu_machine import machine_argv
from ..pack import runcache
from . import linux_contract, uboot
from .uboot_console import Console, make_fifos

END_LINES = ("reboot: Power down", "Kernel panic")


def pack(image, initrd, out, bootargs="", mutant=None, timeout=180):
    """The Linux payload kind; mutant: a loader/arch/aarch64/mutations.h switch name."""
    target = ["emu-mutant-image", f"MUTANT={mutant}"] if mutant else ["image"]
    p = runcache.make_image([*target, f"KERNEL={image}", f"INITRD={initrd}", f"BOOTARGS={bootargs}",
                             "DTB=", "ROOTTASK="], out, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"packing the Linux payload failed ({' '.join(p.args)}):\n{p.stdout}")
    return str(out)


def symbol(image, name):
    nm = subprocess.run([uboot.OBJCOPY.replace("objcopy", "nm"), str(image)], capture_output=True,
                        text=True, check=True).stdout
    for line in nm.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise RuntimeError(f"{image} has no symbol {name}")


class LinuxRun:
    def __init__(self, serial, state, ended_by):
        self.serial, self.state, self.ended_by = serial, state, ended_by

    def describe(self):
        tail = "\n".join(l for l in self.serial.splitlines() if not l.startswith("["))[-3000:]
        return f"ended by {self.ended_by}\n--- serial (kernel log lines left out) ---\n{tail}"


def boot(image, machine, timeout=60.0, until_entry=False, log_path=None):
    """until_entry: end as soon as the state at Linux's entry is captured."""
    rundir = tempfile.mkdtemp(prefix="bcx", dir=gdbrun._socket_safe_tmpdir())
    fifo = make_fifos(os.path.join(rundir, "serial"))
    argv = [*machine_argv(machine), "-monitor", "none", "-no-reboot", "-serial", f"pipe:{fifo}",
            "-kernel", str(image)]
    console = Console(fifo, log_path)
    m = uboot._Machine(argv, rundir, capture_at=symbol(image, "linux_jump"), step=1)
    deadline = time.monotonic() + timeout
    ended_by = f"the time budget of {timeout:g} s"
    try:
        while time.monotonic() < deadline:
            console._read_some(0.1)
            if until_entry and os.path.exists(m.state_path):
                ended_by = "the capture at Linux's entry"
                break
            hit = next((e for e in END_LINES if e in console.text), None)
            if hit:
                ended_by = f"serial line {hit!r}"
                break
            if not m.alive():
                ended_by = "QEMU's exit"
                break
    finally:
        state = m.captured()
        m.close()
        console.close()
        shutil.rmtree(rundir, ignore_errors=True)
    return LinuxRun(console.text.replace("\r\n", "\n"), state, ended_by)


def judge(run, image_path, initrd_path):
    """The contract's findings at the captured entry ({rule: Finding})."""
    state = run.state
    if not state or not state.get("reached"):
        raise AssertionError(f"gdb never saw the loader's jump to Linux\n{run.describe()}")
    regs = state["registers"]
    el = state["el"] = (regs["cpsr"] >> 2) & 3
    dtb = bytes.fromhex(state["dtb_hex"]) if state.get("dtb_hex") else None
    findings = linux_contract.judge(linux_contract.read_image_header(image_path), el, regs,
                                    regs["SCTLR" if el == 1 else "SCTLR_EL2"], dtb,
                                    os.path.getsize(initrd_path))
    return {f.rule: f for f in findings}


def emu_findings(report, image_path, initrd_path):
    """The contract's findings from emu-check's --json report of a Linux
    payload (harness/emu/linux_mode.c), the same judge as at the gdb stop."""
    e = report.get("entry_state")
    if report["outcome"] != "reached_kernel" or e is None:
        raise AssertionError(f"emu-check: the loader never entered the Image: {report['message']}")
    regs = {"pc": e["pc"], "cpsr": e["pstate"], **{f"x{i}": v for i, v in enumerate(e["x"])}}
    dtb = bytes.fromhex(report["dtb_hex"]) if report.get("dtb_hex") else None
    findings = linux_contract.judge(linux_contract.read_image_header(image_path), e["el"], regs,
                                    e["sctlr"], dtb, os.path.getsize(initrd_path))
    return {f.rule: f for f in findings}
