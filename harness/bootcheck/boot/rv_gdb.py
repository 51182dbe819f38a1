"""QEMU + GDB on a RISC-V image for `bootcheck check`: the image boots under
OpenSBI (QEMU's -bios default) and gdb-multiarch (`set architecture
riscv:rv64`) stops at the kernel's `_start`, `init_kernel`,
`restore_user_context` and the root task's first instruction, reading the
registers there and the virtual `priv` register QEMU's stub offers (0 U-mode,
1 S-mode, 3 M-mode). QEMU is started by gdb itself (`target remote | exec`),
so it dies with gdb; the serial log is kept to watch the root task run."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from ..kernel import arch as arch_facts
from .gdbrun import ConsoleWatch, gdb_environment, kill_qemu, read_text
from .qemu_machine import machine_argv

GDB = os.environ.get("GDB", "gdb-multiarch")

SCRIPT = r'''
import gdb, json
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set architecture riscv:rv64")
gdb.execute("set remotetimeout 30")
gdb.execute("target remote | exec " + QEMU_CMD)
REGS = ("pc", "sp", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "satp", "priv")
for name, addr in STOPS:
    gdb.Breakpoint("*" + hex(addr))
seen = {}
for _ in range(len(STOPS)):
    try:
        gdb.execute("continue")
    except gdb.error as e:
        print("BC-END " + str(e))
        break
    pc = int(gdb.parse_and_eval("$pc")) & (2**64 - 1)
    hit = [n for n, a in STOPS if a == pc and n not in seen]
    if not hit:
        print("BC-END stopped at 0x%x, no stop" % pc)
        break
    regs = {}
    for r in REGS:
        try:
            regs[r] = int(gdb.parse_and_eval("$" + r)) & (2**64 - 1)
        except gdb.error:
            regs[r] = None
    seen[hit[0]] = regs
    gdb.execute("delete")
    for name, addr in STOPS:
        if name not in seen:
            gdb.Breakpoint("*" + hex(addr))
    print("BC-STOP " + json.dumps([hit[0], regs]), flush=True)
print("BC-DONE", flush=True)
# The guest runs on (the root task prints) until the harness ends gdb and
# QEMU with it, `linger` seconds later.
gdb.execute("delete")
try:
    gdb.execute("continue")
except gdb.error:
    pass
gdb.execute("kill")
'''


@dataclass
class RvRun:
    stops: dict = field(default_factory=dict)     # stop name -> registers
    serial: str = ""
    ended: str = ""
    elapsed: float = 0.0


def run(image, stops, mem, smp, seconds=20.0, linger=1.5, cancel=None, fail_fast=True, waits_forever=None):
    """stops: [(name, address)] in boot order. After the last stop, the
    guest runs `linger` seconds more so the root task's first lines reach the
    serial log. cancel: a threading.Event; once set, the run ends at once.
    fail_fast: also end shortly after a serial line that decides the boot
    failed (qemu.Decider), as gdbrun.run does. waits_forever: as gdbrun.run's
    (harts the loader left unstarted: the run ends as WaitingForever says)."""
    facts = arch_facts.facts("riscv64")
    work = tempfile.mkdtemp(prefix="bcrv")
    serial = os.path.join(work, "serial.log")
    argv = [*machine_argv(facts.machine, facts.cpu, mem, smp, "riscv64"), "-monitor", "none",
            "-serial", f"file:{serial}", "-no-reboot", "-S", "-gdb", "stdio", "-kernel", str(image),
            # gdb starts `target remote |` commands in their own process group, so
            # killing gdb's group misses QEMU: its pid file lets us end it.
            "-pidfile", os.path.join(work, "qemu.pid")]
    script = os.path.join(work, "stops.py")
    with open(script, "w") as f:
        f.write(f"QEMU_CMD = {' '.join(argv)!r}\nSTOPS = {stops!r}\n" + SCRIPT)
    out_path = os.path.join(work, "gdb.out")
    result = RvRun()
    start = time.monotonic()
    with open(out_path, "w") as out:
        proc = subprocess.Popen([GDB, "-nx", "-batch", "-x", script], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env=gdb_environment())
    console = ConsoleWatch(start, fail_fast, waits_forever)
    try:
        done_at = None
        while proc.poll() is None:
            now = time.monotonic()
            console.update(read_text(serial), now)
            ended = console.decided_end(now) or console.waiting_end(now)
            if ended:
                result.ended = ended
                break
            text = read_text(out_path)
            if done_at is None and ("BC-DONE" in text or "BC-END" in text):
                done_at = time.monotonic()
            if done_at is not None and time.monotonic() - done_at > linger:
                result.ended = (f"every stop reached, then {linger} s watched" if "BC-DONE" in text
                                else "gdb ended early")
                break
            if time.monotonic() - start > seconds:
                result.ended = f"time budget of {seconds} s spent"
                break
            if cancel is not None and cancel.is_set():
                result.ended = "cancelled"
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        kill_qemu(os.path.join(work, "qemu.pid"))
    import json
    for line in read_text(out_path).splitlines():
        if line.startswith("BC-STOP "):
            name, regs = json.loads(line[len("BC-STOP "):])
            result.stops[name] = regs
        elif line.startswith("BC-END ") and not result.ended:
            result.ended = line[len("BC-END "):]
    if not result.ended:     # gdb ended by itself before any stop: say what it said
        tail = [l for l in read_text(out_path).splitlines() if l.strip() and not l.startswith("BC-")][-2:]
        result.ended = "gdb exited: " + " / ".join(tail) if tail else "gdb exited"
    result.serial = read_text(serial)
    result.elapsed = time.monotonic() - start
    shutil.rmtree(work, ignore_errors=True)
    return result


PRIV = {0: "U-mode", 1: "S-mode", 3: "M-mode"}


def priv_name(v):
    return PRIV.get(v, f"priv {v}") if v is not None else "priv unknown"


FAULT_LINES = re.compile(r"^(Caught cap fault|Found thread has no fault handler|.*vm fault on|Kernel panic|"
                         r"seL4 called fail|.*Assertion failed)", re.M)
