"""Boot cost per stage, in guest instructions from reset: deterministic on any
machine, unlike seconds.

QEMU 7.2 runs the image under record/replay (`-icount shift=0,rr=record`),
which makes its instruction counter exact and readable (`info replay`), with
the gdbstub on a pipe to gdb (`target remote | qemu ... -gdb stdio`: no TCP
port to pick, and QEMU dies with gdb). gdb stops at each stage's first
instruction in turn and reads the counter. Measured alternatives: the
`-singlestep -d exec,nochain` trace (bootcheck.boot.insn_trace) gives the same
counts up to the kernel but is ~30x slower and, without icount, lets
wall-clock timer interrupts add instructions after the drop to user space;
Debian ships QEMU with -plugin support but no plugins and no qemu-plugin.h.

Stages (seL4 13.0.0 on AArch64): the loader's jump into the kernel is the
kernel ELF's entry; then `init_kernel`; then `restore_user_context` (the
first return to user space); then the root task's ELF entry; with
chain=True, then the root task's `components_report` (the boot chain's
summary: every component it and system_init spawned has ended)."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field

# expect and qemu_machine (which read ELF files with pyelftools, 0.08 CPU-s
# to import on the test host) are imported where a boot is measured: the
# baseline, the reports and regress.py need only the stage names below.

GDB = os.environ.get("GDB", "gdb-multiarch")

STAGE_NAMES = ("kernel_entry", "init_kernel", "restore_user_context", "roottask_entry")
CHAIN_STAGE = "components_done"
CHAIN_SYMBOL = "components_report"
STAGE_TITLES = {
    "kernel_entry": "loader: reset to kernel jump",
    "init_kernel": "kernel: entry to init_kernel",
    "restore_user_context": "kernel: init_kernel to restore_user_context",
    "roottask_entry": "kernel: restore_user_context to root task",
    CHAIN_STAGE: "boot chain: root task entry to every component done",
}

_COUNT = re.compile(r"^@@stage (\S+)\n.*instruction count = (\d+)", re.M)


@dataclass
class Stage:
    name: str
    pc: int
    instructions: int | None = None     # cumulative from reset; None: not reached


@dataclass
class BootCost:
    label: str
    image: str
    machine: str
    stages: list
    notes: list = field(default_factory=list)
    serial: str = ""

    def cumulative(self, name):
        return next((s.instructions for s in self.stages if s.name == name), None)

    def reached_all(self):
        return all(s.instructions is not None for s in self.stages)

    def as_dict(self):
        """The JSON form used by the report, the baseline and bench.json."""
        return {"label": self.label, "image": os.path.basename(self.image),
                "machine": self.machine, "notes": list(self.notes),
                "stages": [{"name": s.name, "pc": f"0x{s.pc:x}",
                            "instructions": s.instructions} for s in self.stages]}


def stages_for(kernel_elf, roottask_elf, chain=False):
    """The stage addresses, from the ELF files; stages whose symbol is missing
    (a stripped kernel) are left out and named in the notes."""
    from ..kernel import expect
    k = expect.elf_facts(kernel_elf)
    u = expect.elf_facts(roottask_elf)
    stages, notes = [Stage("kernel_entry", k.entry)], []
    for sym in ("init_kernel", "restore_user_context"):
        if sym in k.symbols:
            stages.append(Stage(sym, k.symbols[sym][0]))
        else:
            notes.append(f"kernel has no symbol {sym}: stage not measured")
    stages.append(Stage("roottask_entry", u.entry))
    if chain:
        if CHAIN_SYMBOL in u.symbols:
            stages.append(Stage(CHAIN_STAGE, u.symbols[CHAIN_SYMBOL][0]))
        else:
            notes.append(f"root task has no symbol {CHAIN_SYMBOL}: boot chain not measured")
    return stages, notes


def _gdb_script(qemu_cmd, stages):
    lines = ["set pagination off", "set confirm off", "set remotetimeout 30",
             "target remote | exec " + " ".join(qemu_cmd)]
    for s in stages:
        # One breakpoint at a time: each stage is the first hit after the last.
        lines += [f"hbreak *0x{s.pc:x}", "continue", f"echo @@stage {s.name}\\n",
                  "monitor info replay", "delete"]
    lines.append("kill")
    return "\n".join(lines) + "\n"


def _stop_qemu(pidfile):
    """Kill the QEMU that wrote pidfile, if it still runs (and is still ours)."""
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if pidfile.encode() not in f.read():
                return          # exited, and the pid was reused
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass                    # never started, or already gone


def _run_gdb(script, out_path, pidfile, timeout, notes):
    from ..boot.gdbrun import gdb_environment
    with open(out_path, "w") as out:
        proc = subprocess.Popen([GDB, "-nx", "-q", "-batch", "-x", script],
                                stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env=gdb_environment())
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            notes.append(f"timed out after {timeout:.0f}s")
        finally:
            _stop_qemu(pidfile)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)


def unmeasurable(smp):
    """Why a boot on `smp` CPUs cannot be counted, or None. QEMU's exact
    counter is its record/replay one, and QEMU (7.2) refuses to record a
    machine with more than one CPU ("Record/replay feature is not supported
    for 'smp'"); an SMP kernel cannot boot on fewer CPUs than its cores
    (the loader refuses it, seL4 would wait for them forever)."""
    if int(smp) > 1:
        return (f"not measured: the machine needs {int(smp)} CPUs and QEMU's record/replay counter "
                "(-icount rr=record) supports one CPU only")
    return None


def measure(image, kernel_elf, roottask_elf, label=None, machine=None, cpu="cortex-a53",
            mem=1024, timeout=120.0, chain=False, smp=None):
    """Count instructions from reset to each stage of one boot of `image`.
    smp: QEMU's CPUs, by default the kernel's cores. On an SMP machine the
    counter is the replay's, over every CPU (QEMU runs them in turn under
    -icount), and each stage is its first instruction on any CPU."""
    from ..boot.qemu_machine import kernel_nodes, machine_argv, machine_for
    stages, notes = stages_for(kernel_elf, roottask_elf, chain)
    machine = machine or machine_for(kernel_elf)
    smp = smp or kernel_nodes(kernel_elf)
    why_not = unmeasurable(smp)
    if why_not:
        return BootCost(label or os.path.basename(image), str(image), machine, stages, notes + [why_not])
    work = tempfile.mkdtemp(prefix="bootcost-")
    serial_path = os.path.join(work, "serial.txt")
    pidfile = os.path.join(work, "qemu.pid")
    # gdb starts QEMU in a process group of its own, out of our reach if this
    # process is killed: QEMU carries its own deadline as well.
    qemu_cmd = ["timeout", "--foreground", "-s", "KILL", str(int(timeout) + 5),
                *machine_argv(machine, cpu, mem, smp), "-monitor", "none", "-no-reboot", "-pidfile", pidfile,
                "-serial", f"file:{serial_path}",
                "-icount", f"shift=0,rr=record,rrfile={os.path.join(work, 'replay.bin')}",
                "-gdb", "stdio", "-S", "-kernel", os.path.abspath(image)]
    script = os.path.join(work, "stages.gdb")
    with open(script, "w") as f:
        f.write(_gdb_script(qemu_cmd, stages))
    # gdb's output goes to a file, not a pipe, so that what it printed before
    # a timeout kill is not lost in a buffer.
    out_path = os.path.join(work, "gdb.out")
    try:
        _run_gdb(script, out_path, pidfile, timeout, notes)
        with open(out_path, errors="replace") as f:
            output = f.read()
        counts = {m.group(1): int(m.group(2)) for m in _COUNT.finditer(output)}
        for s in stages:
            s.instructions = counts.get(s.name)
        if not any(counts.values()) and "instruction count" not in output:
            notes.append("no count read; gdb said: " + output.strip()[-500:])
        serial = ""
        if os.path.exists(serial_path):
            with open(serial_path, errors="replace") as f:
                serial = f.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return BootCost(label or os.path.basename(image), str(image), machine, stages, notes,
                    serial)


def stage_deltas(cost_dict):
    """[(stage name, instructions spent in that stage or None)] from as_dict()."""
    out, prev = [], 0
    for s in cost_dict["stages"]:
        n = s["instructions"]
        out.append((s["name"], None if n is None or prev is None else n - prev))
        prev = n
    return out
