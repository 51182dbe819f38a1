"""Boots a loader image the way a board does: QEMU runs Debian's U-Boot as
its firmware (`-bios`), QEMU's `-device loader` places the image's bytes in
RAM (as a board's `load` from storage would), and U-Boot is told on its
console to start it.

The command is `booti`, U-Boot's Linux arm64 boot: our loader's image starts
with a Linux Image header (loader/arch/aarch64/crt0.S), so U-Boot starts it as it
starts Linux: MMU and D-cache off, x0 = U-Boot's own DTB (with its /chosen),
at the EL U-Boot runs at. `bootelf` and `go` would be the obvious commands
for an ELF, but Debian's U-Boot 2023.01 never returns from the console
flush() both call before jumping: its PL011 driver reports output pending
while the transmit FIFO is not full, and QEMU's never is (FR = 0x90).

Optionally gdb starts QEMU (over a pipe: no port, QEMU dies with gdb) and
captures the CPU state at U-Boot's jump: a hardware breakpoint at the image's
entry, then every general and system register a loader might depend on, and
the DTB x0 points at."""
import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from ..boot import gdbrun, qemu
from ..boot.qemu_machine import VIRT, machine_argv
from .uboot_console import Console, ConsoleTimeout, make_fifos

UBOOT_BIN = os.environ.get("UBOOT_BIN", "/usr/lib/u-boot/qemu_arm64/u-boot.bin")
OBJCOPY = os.environ.get("OBJCOPY", "aarch64-linux-gnu-objcopy")
CAPTURE_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "uboot_gdb_capture.py")
GDB_GRACE_SECONDS = 10.0


def missing():
    """Why U-Boot boots cannot run here, or None."""
    if not os.path.isfile(UBOOT_BIN):
        return f"{UBOOT_BIN} is missing (Debian package u-boot-qemu; run make deps)"
    return None


def qemu_argv(loads, fifo, machine, cpu="cortex-a53", mem=1024, smp=1, monitor="none"):
    """loads: (file, address) pairs QEMU copies into RAM before U-Boot runs;
    monitor None: the caller adds its own -monitor."""
    argv = [*machine_argv(machine, cpu, mem, smp), *(("-monitor", monitor) if monitor else ()),
            "-no-reboot", "-bios", UBOOT_BIN, "-serial", f"pipe:{fifo}"]
    for path, addr in loads:
        argv += ["-device", f"loader,file={path},addr=0x{addr:x},force-raw=on"]
    return argv


def booti_command(load_addr, initrd=None):
    """U-Boot's own DTB (which it copies and fixes up: /chosen with bootargs
    and the initrd); initrd: (address, size) or None ('-')."""
    rd = f"0x{initrd[0]:x}:0x{initrd[1]:x}" if initrd else "-"
    return f"booti 0x{load_addr:x} {rd} ${{fdtcontroladdr}}"


def raw_image(image, out):
    """The ELF image's bytes as they lie in memory from its lowest load
    address (2 MiB aligned, as booti wants it), and that address."""
    load = elf_lowest_paddr(image)
    if load % (2 << 20):
        raise ValueError(f"{image}: lowest load address 0x{load:x} is not 2 MiB aligned; "
                         "booti places an Image at a 2 MiB-aligned base")
    subprocess.run([OBJCOPY, "-O", "binary", str(image), out], check=True, capture_output=True)
    return load


def elf_lowest_paddr(image):
    from elftools.elf.elffile import ELFFile
    with open(image, "rb") as f:
        return min(seg["p_paddr"] for seg in ELFFile(f).iter_segments()
                   if seg["p_type"] == "PT_LOAD" and seg["p_filesz"] > 0)


def elf_entry(image):
    from elftools.elf.elffile import ELFFile
    with open(image, "rb") as f:
        return ELFFile(f).header["e_entry"]


class _Machine:
    """QEMU (alone or under gdb) in its own process group, killed on close."""

    def __init__(self, argv, rundir, capture_at=None, step=0):
        self.rundir = rundir
        self.state_path = os.path.join(rundir, "state.json")
        self.pidfile = os.path.join(rundir, "qemu.pid")
        self.out_path = os.path.join(rundir, "qemu.out")
        out = open(self.out_path, "wb")
        if capture_at is None:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        else:
            plan = {"qemu": shlex.join([*argv, "-S", "-gdb", "stdio"]), "pidfile": self.pidfile,
                    "entry": capture_at, "out": self.state_path, "step": step}
            env = gdbrun.gdb_environment(dict(os.environ, BOOTCHECK_UBOOT_CAPTURE=json.dumps(plan)))
            self.proc = subprocess.Popen([gdbrun.GDB, "-nx", "-batch", "-x", CAPTURE_SCRIPT],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True, env=env)
        out.close()

    def alive(self):
        return self.proc.poll() is None

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=10)
        gdbrun.kill_qemu(self.pidfile)

    def captured(self):
        try:
            with open(self.state_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None


class UBootRun:
    """What one boot through U-Boot produced."""

    def __init__(self, result, uboot_output, state, error):
        self.result = result              # qemu.BootResult of the whole console
        self.uboot_output = uboot_output  # what U-Boot printed for our commands
        self.state = state                # registers at U-Boot's jump (capture only)
        self.error = error                # ConsoleTimeout text, or None

    def describe(self):
        return (f"{self.error}\n" if self.error else "") + self.result.describe()


def boot(image, machine, cpu="cortex-a53", mem=1024, smp=1, timeout=60.0,
         stop_patterns=qemu.DEFAULT_STOP_PATTERNS, log_path=None, capture=False):
    """Boots `image` (our loader's ELF) through U-Boot's booti and reads the
    console until a stop pattern, QEMU's exit or the deadline. capture: gdb
    records the state at the image's entry (UBootRun.state)."""
    rundir = tempfile.mkdtemp(prefix="bcu", dir=gdbrun._socket_safe_tmpdir())
    raw = os.path.join(rundir, "image.bin")
    load_addr = raw_image(image, raw)
    return boot_loads(rundir, [(raw, load_addr)], [], booti_command(load_addr), machine, cpu, mem,
                      smp, timeout, stop_patterns, log_path, elf_entry(image) if capture else None)


def boot_loads(rundir, loads, setup, go, machine, cpu="cortex-a53", mem=1024, smp=1, timeout=60.0,
               stop_patterns=qemu.DEFAULT_STOP_PATTERNS, log_path=None, capture_at=None):
    """The common part: QEMU with U-Boot and `loads` in RAM; stop autoboot,
    run the `setup` commands, then `go` (which does not return to U-Boot);
    read the console until a stop pattern, QEMU's exit or the deadline.
    capture_at: gdb records the state when the CPU reaches that address.
    rundir (made by the caller, removed here) holds the FIFOs and gdb's files."""
    fifo = make_fifos(os.path.join(rundir, "serial"))
    argv = qemu_argv(loads, fifo, machine, cpu, mem, smp)
    start = time.monotonic()
    console = Console(fifo, log_path)
    m = _Machine(argv, rundir, capture_at=capture_at)
    uboot_out, error, stopped_on, timed_out = [], None, None, False
    decider = qemu.Decider()        # ends a boot whose failure is decided (qemu.DECISIVE)
    try:
        console.stop_autoboot(alive=m.alive)
        for line in setup:
            uboot_out.append(console.command(line, alive=m.alive))
        console.command(go, prompt=False, alive=m.alive)
        left = max(1.0, start + timeout - time.monotonic())
        try:
            stopped_on = _until_end(console, stop_patterns, left, m.alive, decider)
        except ConsoleTimeout as e:
            if m.alive():
                timed_out = True
                error = str(e)
    except ConsoleTimeout as e:
        error = str(e)
        timed_out = m.alive()
    finally:
        exit_code = m.proc.poll()
        state = m.captured()
        m.close()
        console.close()
        shutil.rmtree(rundir, ignore_errors=True)
    serial = console.text.replace("\r\n", "\n")
    if log_path:
        with open(log_path, "a") as f:
            f.write(f"\n$ {shlex.join(argv)}\n")
    end = time.monotonic()
    result = qemu.BootResult(serial=serial, exit_code=exit_code if stopped_on is None else None,
                             timed_out=timed_out, stopped_on=stopped_on,
                             elapsed=end - start, command=argv)
    if decider.kind == "decisive" or decider.ended(end):
        result.decided_by = qemu.complete_line(serial, decider.line)
        result.decided_after = end - decider.seen_at
    return UBootRun(result, uboot_out, state, error)


def _until_end(console, patterns, timeout, alive, decider):
    """_first_of, read in short slices so that a boot whose failure is
    decided (the decider, a qemu.Decider, says so) ends early: then None."""
    deadline = time.monotonic() + timeout
    # What the booted image printed starts after the echo of the command
    # that started it (console.mark), not at what has been read so far: one
    # read after that echo can already hold the whole boot, decisive line
    # and all, and a boot that then idles prints nothing more to decide on.
    since = console.mark
    while True:
        left = deadline - time.monotonic()
        try:
            return _first_of(console, patterns, max(0.0, min(left, 0.25)), alive)
        except ConsoleTimeout:
            if left <= 0.25:
                raise ConsoleTimeout(f"waited {timeout:g} s for the end of the boot ("
                                     f"{' or '.join(patterns)}); last lines seen:\n"
                                     f"{console.last_lines()}") from None
        decider.update(console.text[since:])
        if decider.ended() is not None:
            return None


def _first_of(console, patterns, timeout, alive):
    """The first of `patterns` to appear; returns None when QEMU exits first."""
    import re
    rx = re.compile("|".join(re.escape(p) for p in patterns))
    try:
        return console.wait_for(rx, timeout, "the end of the boot (" + " or ".join(patterns) + ")",
                                alive).group(0)
    except ConsoleTimeout:
        if not alive():
            return None
        raise


# The captured registers emu-check's --start-state takes (harness/emu/start_state.h),
# by gdb's names at EL1 and EL2.
_START_REGS = {
    1: {"sctlr": "SCTLR", "tcr": "TCR_EL1", "mair": "MAIR_EL1", "ttbr0": "TTBR0_EL1",
        "vbar": "VBAR", "cpacr_el1": "CPACR_EL1"},
    2: {"sctlr": "SCTLR_EL2", "tcr": "TCR_EL2", "mair": "MAIR_EL2", "ttbr0": "TTBR0_EL2",
        "vbar": "VBAR_EL2", "cpacr_el1": "CPACR_EL1", "hcr_el2": "HCR_EL2", "cptr_el2": "CPTR_EL2"},
}
PSTATE_DAIF = 0x3c0


def write_start_state(state, path):
    """emu-check's --start-state file (and the DTB beside it) from a capture."""
    regs, el = state["registers"], state["el"]
    lines = [f"el {el}"] + [f"x{i} 0x{regs[f'x{i}']:x}" for i in range(4)]
    lines += [f"{name} 0x{regs[gdb_name]:x}" for name, gdb_name in _START_REGS[el].items()
              if gdb_name in regs]
    lines.append(f"daif 0x{regs['cpsr'] & PSTATE_DAIF:x}")
    if state.get("dtb_hex"):
        dtb = str(path) + ".dtb"
        with open(dtb, "wb") as f:
            f.write(bytes.fromhex(state["dtb_hex"]))
        lines.append(f"dtb {dtb}")
    with open(path, "w") as f:
        f.write("# CPU state at U-Boot's jump, captured by gdb (bootcheck.board.uboot)\n" + "\n".join(lines) + "\n")
    return str(path)


class BootiFirmware:
    """For bootcheck.boot.gdbrun.run (the scenarios): the image boots through
    U-Boot's booti instead of QEMU's -kernel, and a thread drives U-Boot's
    console meanwhile, writing everything it reads to the run's serial log
    (so end-of-run lines and the loader's printout are seen as usual). A
    console wait that times out is written there too, as the last line."""

    def __init__(self):
        self.thread = None
        self.done = threading.Event()

    def qemu_argv(self, image, rundir, machine, cpu, mem, smp):
        self.fifo = make_fifos(os.path.join(rundir, "uboot-serial"))
        raw = os.path.join(rundir, "image.bin")
        self.load_addr = raw_image(image, raw)
        return qemu_argv([(raw, self.load_addr)], self.fifo, machine, cpu, mem, smp, monitor=None)

    def start(self, serial_log, alive):
        self.console = Console(self.fifo, serial_log)
        self.thread = threading.Thread(target=self._drive, args=(alive,), daemon=True)
        self.thread.start()

    def _drive(self, alive):
        try:
            self.console.stop_autoboot(alive=alive)
            self.console.command(booti_command(self.load_addr), prompt=False, alive=alive)
            while not self.done.is_set() and alive():
                self.console._read_some(0.1)
        except ConsoleTimeout as e:
            if self.console.log:
                self.console.log.write(f"\nbootcheck.board.uboot: {e}\n")
                self.console.log.flush()

    def stop(self):
        self.done.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
        self.console.close()


def main(argv=None):
    """make uboot-run: boot one image through U-Boot, print the console."""
    import argparse
    import sys
    p = argparse.ArgumentParser(prog="bootcheck.board.uboot", description=main.__doc__)
    p.add_argument("image")
    p.add_argument("--machine", default=VIRT)
    p.add_argument("--cpu", default="cortex-a53")
    p.add_argument("--mem", type=int, default=1024)
    p.add_argument("--timeout", type=float, default=60.0)
    a = p.parse_args(argv)
    why = missing()
    if why:
        print(f"uboot-run: {why}", file=sys.stderr)
        return 2
    run = boot(a.image, a.machine, a.cpu, a.mem, timeout=a.timeout)
    print(run.result.serial)
    if run.error:
        print(f"uboot-run: {run.error.splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
