"""Boot an image in qemu-system-aarch64 with a bounded wait.

QEMU runs in its own process group with the serial console on a pipe. The
run ends when QEMU exits, when a stop pattern appears on the console (real
seL4 prints "halting..." and spins), shortly after a line that decides the
boot has failed (see DECISIVE), or at the deadline; in every case the whole
process group is killed and reaped before returning, so no QEMU outlives a
test."""

import os
import re
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field

from .qemu_machine import VIRT, machine_argv


# Lines after which nothing more will happen on the console.
DEFAULT_STOP_PATTERNS = ("halting...",)

# Lines that decide a boot has failed, whatever the test waits for: after
# them the root task never reaches a later line. Real seL4 does not power
# off after a fault or a failed boot, so a boot watcher that waited only for
# the test's own line would wait for its deadline (a run of the suite on a
# kernel where every boot fails took an hour).
DECISIVE = (
    r"roottask: boot FAILED.*",           # the root task's own verdict
    # seL4's (and the stand-in's) report of a fault nobody handles, in the
    # root task's own thread: the report's line naming the thread.
    r'in thread 0x[0-9a-f]+ "rootserver" at address .*',
    r"seL4 failed assertion .*",          # a kernel assertion, then a halt
    r"seL4 called fail at .*",            # kernel init failed, then a halt
    r"ERROR: .*",                         # the kernel's boot errors, before fail
    r"loader: error: .*",                 # the loader refused; it powers off or spins
)
# A fault report for another thread (a component, a probe's second thread)
# decides nothing by itself: the root task may go on (and tests make such
# faults on purpose). It ends the boot only when the console then stays
# silent for FAULT_QUIET seconds: whoever waited for that thread waits forever.
FAULT_REPORT = (r"(Caught .*|Found thread has no fault handler.*|.*while trying to handle:.*|"
                r"vm fault on .*|cap fault in .*|unknown syscall .*|user exception .*|"
                r"debug exception .*|Kernel entry via Unknown syscall.*)")
# After a decisive line the boot goes on until QEMU exits, the console is
# silent for DECIDED_QUIET seconds (the kernel's fault report, stack dump
# included, and a halt come within milliseconds), or DECIDED_MAX seconds.
DECIDED_QUIET = 2.0
DECIDED_MAX = 5.0
FAULT_QUIET = 3.0

_DECISIVE_RX = re.compile("|".join(f"(?:{rx})" for rx in DECISIVE))
_FAULT_RX = re.compile(FAULT_REPORT)


def decisive_lines(text):
    """(the first DECISIVE line, the first FAULT_REPORT line) of a console
    text; None for either when there is none."""
    decisive, fault = _first_judged(text, 0)
    return (None if decisive is None else _line_at(text, decisive)[0],
            None if fault is None else _line_at(text, fault)[0])


def _first_judged(text, start):
    """(offset of the first DECISIVE line, offset of the first FAULT_REPORT
    line) of text from offset start, the last line too while it has no
    newline yet; None for either when there is none."""
    decisive = fault = None
    for offset, line in _lines_from(text, start):
        if decisive is None and _DECISIVE_RX.fullmatch(line):
            decisive = offset
        elif fault is None and _FAULT_RX.fullmatch(line):
            fault = offset
    return decisive, fault


def _lines_from(text, start):
    """(offset, line without its CR) of each line of text from offset start,
    the last one too when it has no newline yet."""
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield start, text[start:end].replace("\r", "")
        start = end + 1


def _line_at(text, offset):
    """(the line of text at offset without its CR, None when it is complete
    or else offset: it is still being written)."""
    end = text.find("\n", offset)
    if end < 0:
        return text[offset:].replace("\r", ""), offset
    return text[offset:end].replace("\r", ""), None


class Decider:
    """Watches a growing console text and says when a boot whose outcome is
    decided should end: after a DECISIVE line, once the console is silent for
    DECIDED_QUIET s or DECIDED_MAX s have passed; after a FAULT_REPORT line,
    once the console is silent for FAULT_QUIET s.

    A line is judged as soon as it starts arriving (its time counts from
    then), but the line it names is the whole line: one still being written
    when it matched is read again as it grows, until its newline. (Once seen:
    a gdb run named 'roottask: boot FAILED: the tiny root task gives ', the
    part QEMU had written to the serial log when it was read.)"""

    def __init__(self):
        self.kind = None             # "decisive" | "fault": the line that may end the boot
        self.line = None
        self.seen_at = None          # time.monotonic() when it arrived
        self.last_output = time.monotonic()
        self._length = 0
        self._scanned = 0            # text[:_scanned] holds only complete lines already read
        self._open = None            # offset of self.line while it has no newline yet

    def update(self, text, now=None):
        now = time.monotonic() if now is None else now
        if len(text) == self._length:
            return
        self._length = len(text)
        self.last_output = now
        if self._open is not None:
            self.line, self._open = _line_at(text, self._open)
        if self.kind == "decisive":
            return
        decisive, fault = _first_judged(text, self._scanned)
        self._scanned = text.rfind("\n") + 1
        if decisive is not None:
            self.kind, self.seen_at = "decisive", now
            self.line, self._open = _line_at(text, decisive)
        elif fault is not None and self.kind is None:
            self.kind, self.seen_at = "fault", now
            self.line, self._open = _line_at(text, fault)

    def ended(self, now=None):
        """The line that ends the boot now, or None."""
        now = time.monotonic() if now is None else now
        quiet = now - self.last_output
        if self.kind == "decisive" and (quiet >= DECIDED_QUIET or now - self.seen_at >= DECIDED_MAX):
            return self.line
        if self.kind == "fault" and quiet >= FAULT_QUIET:
            return self.line
        return None


@dataclass
class BootResult:
    serial: str
    exit_code: int | None        # None: QEMU was stopped by us
    timed_out: bool
    stopped_on: str | None       # the stop pattern that ended the run
    elapsed: float
    command: list = field(default_factory=list)
    decided_by: str | None = None    # the console line that decided the boot failed
    decided_after: float | None = None   # seconds from its arrival to the end

    @property
    def lines(self):
        return [l.rstrip("\r") for l in self.serial.split("\n")]

    def describe(self):
        how = (f"timed out after {self.elapsed:.1f}s" if self.timed_out else
               f"stopped on {self.stopped_on!r}" if self.stopped_on else
               f"ended {self.decided_after:.1f}s after the decisive line {self.decided_by!r}"
               if self.decided_by and self.exit_code is None else
               f"QEMU exited with {self.exit_code}")
        tail = "\n".join(self.lines[-25:])
        return f"{how}; command: {' '.join(self.command)}\n--- serial (last 25 lines) ---\n{tail}"


def console_argv(machine=VIRT, cpu="cortex-a53", mem=1024, smp=1, arch="aarch64"):
    """QEMU's argv up to the image: the machine, and the serial console on
    stdio (no monitor on it, no reboot). LAVA's device dictionaries use the
    same (bootcheck.lava.lava_jobs)."""
    return [*machine_argv(machine, cpu, mem, smp, arch), "-monitor", "none", "-serial", "stdio",
            "-no-reboot"]


def qemu_command(image, machine=VIRT, cpu="cortex-a53", mem=1024, extra=(), smp=1, arch="aarch64"):
    return [*console_argv(machine, cpu, mem, smp, arch), "-kernel", str(image), *extra]


def kill_group(proc):
    """Kill QEMU's whole process group and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


def boot(image, machine=VIRT, cpu="cortex-a53", mem=1024, timeout=30.0,
         stop_patterns=DEFAULT_STOP_PATTERNS, extra=(), log_path=None, smp=1, fail_fast=True,
         arch="aarch64"):
    """fail_fast: also end shortly after a line that decides the boot failed
    (DECISIVE; BootResult.decided_by names it). arch: the image's architecture
    (bootcheck.kernel.arch: its QEMU and firmware)."""
    cmd = qemu_command(image, machine, cpu, mem, extra, smp, arch)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    out = bytearray()
    stopped_on = None
    timed_out = False
    decider = Decider() if fail_fast else None
    decided = None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while True:
            now = time.monotonic()
            if decider is not None:
                decided = decider.ended(now)
                if decided is not None:
                    break
            left = start + timeout - now
            if left <= 0:
                timed_out = True
                break
            if not sel.select(timeout=min(left, 0.25)):
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
            if decider is not None:
                decider.update(text)
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
    end = time.monotonic()
    serial = out.decode("utf-8", "replace").replace("\r\n", "\n")
    result = BootResult(serial=serial,
                        exit_code=exited if stopped_on is None and not timed_out and decided is None
                        else None,
                        timed_out=timed_out, stopped_on=stopped_on,
                        elapsed=end - start, command=cmd)
    if decider is not None and (decider.kind == "decisive" or decided is not None):
        # The whole line, which may have been incomplete when it was seen.
        result.decided_by = complete_line(serial, decider.line)
        result.decided_after = end - decider.seen_at
    if log_path is not None:
        with open(log_path, "w") as f:
            f.write(f"$ {' '.join(cmd)}\n{result.serial}\n")
    return result


def complete_line(serial, start_of_line):
    """The whole line of serial that starts with start_of_line."""
    for line in serial.split("\n"):
        if line.startswith(start_of_line):
            return line.rstrip("\r")
    return start_of_line
