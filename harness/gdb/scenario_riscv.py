"""A riscv64 scenario plan inside gdb (`set architecture riscv:rv64`): the
runner of bcgdb.stops with RISC-V's words where it reads AArch64's. The
privilege level is QEMU's virtual `priv` register (0 U-mode, 1 S-mode, 3
M-mode) where AArch64 reads CPSR's EL, a call returns to `ra` (x30 on
AArch64), the state where the run ended is scause/stval/sepc/sstatus, and
what our riscv64 loader printed is `loader: handoff a0=... satp=...`.

Our riscv64 loader hands on the firmware's DTB (OpenSBI's, whose size only
the run shows), so the hand-off seL4's rules give, handoff.a0..a5, is worked
out here at each stop from the ELF files and the DTB size the loader printed
(bootcheck.expect.expected_handoff: the same placement rule as on AArch64)."""

import json
import os
import re

import gdb

from bcgdb import stops, target
from bcgdb.expr import Evaluator, ExprError

END_REGISTERS = ("sepc", "scause", "stval", "sstatus", "satp")
HANDOFF_LINE = re.compile(r"^loader: handoff (a0=.*)$", re.M)
DTB_LINE = re.compile(r"^loader: DTB from \S+ at 0x[0-9a-f]+, (\d+) bytes", re.M)
BOOT_HART = re.compile(r"^bootcheck loader \(riscv64\): started on hart (\d+) in S-mode", re.M)


def priv():
    return target.register("priv")


class RiscvEvaluator(Evaluator):
    def _name(self, name, text):
        if name == "el" and name not in self.values:
            raise ExprError(f"el is AArch64's exception level; riscv64 reads priv in {text!r}")
        return super()._name(name, text)


class RiscvCoreRecorder(stops.CoreRecorder):
    """bcgdb.stops.CoreRecorder reading priv, for every hart the boot one
    included: which gdb thread boots is the firmware's choice (below)."""

    def __init__(self, run, stop, values):
        super().__init__(run, stop, values)
        self.stop_name = stop["name"]
        run.recorders.append(self)

    def stop(self):
        thread = gdb.selected_thread().num
        if thread not in self.seen:
            ev = self.run.evaluator(dict(self.values))
            cpu = {"priv": priv()}
            for name, text in self.lets:
                try:
                    cpu[name] = ev.values[name] = ev.eval(text)
                except ExprError as e:
                    cpu[name] = f"error: {e}"
            self.seen[thread] = cpu
        return False


def loader_printout(serial, kernel, roottask):
    """loader.a0..a5, loader.satp, loader.hart as printed, and handoff.a0..a5
    by seL4's placement rule for the DTB size printed."""
    values = {}
    m = HANDOFF_LINE.search(serial)
    if m:
        regs = dict(kv.split("=") for kv in m.group(1).split())
        values.update({f"loader.{k}": int(v, 16) for k, v in regs.items()})
    m = BOOT_HART.search(serial)
    if m:
        values["loader.hart"] = int(m.group(1))
    m = DTB_LINE.search(serial)
    if m:
        from bootcheck import expect
        h = expect.expected_handoff(kernel, roottask, int(m.group(1)))
        values.update({f"handoff.a{i}": v for i, v in enumerate(h.x)})
    return values


class BootHartBreakpoint(gdb.Breakpoint):
    """Stops only the boot hart. OpenSBI lets the harts race for booting
    (under gdb hart 1 or 2 sometimes wins), so unlike AArch64's CPU 0 the
    boot hart is not always gdb thread 1; it is the hart our loader says it
    started on, known by the time any stop after the loader is hit."""

    def __init__(self, address, run):
        super().__init__(f"*0x{address:x}", internal=True)
        self.run = run

    def stop(self):
        return gdb.selected_thread().num == self.run.boot_thread()


class RiscvRun(stops.Run):
    def __init__(self, plan):
        super().__init__(plan)
        self.recorders = []

    def serial(self):
        try:
            with open(self.plan["serial_log"], errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def boot_thread(self):
        """The boot hart's gdb thread: QEMU numbers them by CPU index + 1, and
        on virt a hart's id is its CPU index."""
        m = BOOT_HART.search(self.serial())
        return int(m.group(1)) + 1 if m else 1

    def resume(self, address):
        bp = BootHartBreakpoint(address, self) if address is not None else None
        self.last_event = None
        try:
            target.quiet("continue")
        except gdb.error as e:
            self.last_event = f"gdb error: {e}"
        finally:
            if bp is not None and bp.is_valid():
                bp.delete()
        if address is None or self.last_event != "breakpoint":
            return False
        return target.register("pc") == address

    def execute(self):
        result = super().execute()
        # Every hart's values as its recorder saw them, by gdb thread, and
        # which thread booted (diagnosis.cpu_problems compares with it).
        for rec in self.recorders:
            record = next((r for r in result["stops"] if r["name"] == rec.stop_name), None)
            if record is not None and "cpus" in record:
                record["cpus"] = {str(t): v for t, v in sorted(rec.seen.items())}
                record["boot_thread"] = self.boot_thread()
        return result

    def connect(self):
        target.quiet(f"set architecture {self.plan['gdb_arch']}")
        super().connect()

    def evaluator(self, values):
        return RiscvEvaluator(values, read_register=target.register, read_memory=self.memory.read)

    def loader_values(self):
        import sys
        sys.path.insert(0, self.plan["harness_dir"])
        files = self.plan["symbol_files"]
        return loader_printout(self.serial(), files["kernel"], files["roottask"])

    def run_stop(self, stop, values):
        record = {"name": stop["name"], "address": stop["address"], "reached": False}
        if not self.resume(stop["address"]):
            return record
        record["reached"] = True
        record["pc"] = target.register("pc")
        record["priv"] = priv()
        values = dict(values)
        values.update(self.loader_values())
        ev = self.evaluator(values)
        record["let"] = {}
        for name, text in stop.get("let", []):
            try:
                ev.values[name] = ev.eval(text)
                record["let"][name] = ev.values[name]
            except ExprError as e:
                record["let"][name] = f"error: {e}"
        record["checks"] = [self.check(ev, c) for c in stop.get("expect", [])]
        record["set"] = {}
        for reg, text in stop.get("set", []):
            target.quiet(f"set ${reg} = 0x{ev.eval(text):x}")
            record["set"][reg] = target.register(reg)
        if stop.get("returns"):
            record["return_address"] = target.register("ra")
        return record

    def end_state(self):
        state = {"event": self.last_event, "exited": self.exited}
        try:
            state["pc"] = target.register("pc")
            state["priv"] = priv()
            for name in END_REGISTERS:
                state[name] = target.register(name)
        except (gdb.error, ExprError) as e:
            state["unreadable"] = str(e)
        return state


def main():
    with open(os.environ["BOOTCHECK_PLAN"]) as f:
        plan = json.load(f)
    # bcgdb.stops.Run.execute makes its recorders for each_cpu stops by this
    # module-level name; in this gdb process (one per run) they read priv.
    stops.CoreRecorder = RiscvCoreRecorder
    run = RiscvRun(plan)
    try:
        result = run.execute()
    except Exception as e:  # the result file must say what went wrong
        result = {"scenario": plan.get("name"), "error": f"{type(e).__name__}: {e}"}
    tmp = plan["result"] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f, indent=1)
    os.replace(tmp, plan["result"])
    try:
        target.quiet("kill")
    except gdb.error:
        pass
