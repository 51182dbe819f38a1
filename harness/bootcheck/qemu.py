"""Boot an image in qemu-system-aarch64 with a bounded wait.

QEMU runs in its own process group with the serial console on a pipe. The
run ends when QEMU exits, when a stop pattern appears on the console (real
seL4 prints "halting..." and spins), or at the deadline; in every case the
whole process group is killed and reaped before returning, so no QEMU
outlives a test."""

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field

from .qemu_machine import VIRT, machine_argv


# Lines after which nothing more will happen on the console.
DEFAULT_STOP_PATTERNS = ("halting...",)


@dataclass
class BootResult:
    serial: str
    exit_code: int | None        # None: QEMU was stopped by us
    timed_out: bool
    stopped_on: str | None       # the stop pattern that ended the run
    elapsed: float
    command: list = field(default_factory=list)

    @property
    def lines(self):
        return [l.rstrip("\r") for l in self.serial.split("\n")]

    def describe(self):
        how = (f"timed out after {self.elapsed:.1f}s" if self.timed_out else
               f"stopped on {self.stopped_on!r}" if self.stopped_on else
               f"QEMU exited with {self.exit_code}")
        tail = "\n".join(self.lines[-25:])
        return f"{how}; command: {' '.join(self.command)}\n--- serial (last 25 lines) ---\n{tail}"


def console_argv(machine=VIRT, cpu="cortex-a53", mem=1024, smp=1):
    """QEMU's argv up to the image: the machine, and the serial console on
    stdio (no monitor on it, no reboot). LAVA's device dictionaries use the
    same (bootcheck.lava_jobs)."""
    return [*machine_argv(machine, cpu, mem, smp), "-monitor", "none", "-serial", "stdio", "-no-reboot"]


def qemu_command(image, machine=VIRT, cpu="cortex-a53", mem=1024, extra=(), smp=1):
    return [*console_argv(machine, cpu, mem, smp), "-kernel", str(image), *extra]


def kill_group(proc):
    """Kill QEMU's whole process group and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


def boot(image, machine=VIRT, cpu="cortex-a53", mem=1024, timeout=30.0,
         stop_patterns=DEFAULT_STOP_PATTERNS, extra=(), log_path=None, smp=1):
    cmd = qemu_command(image, machine, cpu, mem, extra, smp)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    out = bytearray()
    stopped_on = None
    timed_out = False
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while True:
            left = start + timeout - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            if not sel.select(timeout=min(left, 0.5)):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                # EOF comes a moment before QEMU has exited: wait for it (up
                # to the deadline) so that its exit status is known.
                try:
                    proc.wait(timeout=max(0.0, start + timeout - time.monotonic()))
                except subprocess.TimeoutExpired:
                    timed_out = True
                break
            out += chunk
            text = out.decode("utf-8", "replace")
            hit = next((p for p in stop_patterns if p in text), None)
            if hit:
                stopped_on = hit
                time.sleep(0.05)   # let the rest of the line arrive
                break
    finally:
        sel.close()
        exited = proc.poll()
        kill_group(proc)
        try:
            out += proc.stdout.read() or b""
        except (OSError, ValueError):
            pass
        proc.stdout.close()
    result = BootResult(serial=out.decode("utf-8", "replace").replace("\r\n", "\n"),
                        exit_code=exited if stopped_on is None and not timed_out else None,
                        timed_out=timed_out, stopped_on=stopped_on,
                        elapsed=time.monotonic() - start, command=cmd)
    if log_path is not None:
        with open(log_path, "w") as f:
            f.write(f"$ {' '.join(cmd)}\n{result.serial}\n")
    return result
