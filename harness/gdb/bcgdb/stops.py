"""Runs a scenario plan inside gdb: starts QEMU over a pipe, runs to each
stop in order, evaluates its conditions, applies its register writes, and
records everything (including the state where the run ended) as JSON.

One breakpoint exists at a time, so a stop is only ever hit after the
previous one (restore_user_context, for instance, runs on every return to
user; the first hit after init_kernel is the one that matters)."""

import json
import os
import shlex
import sys
import time

import gdb

from . import esr, target
from .expr import Evaluator, ExprError

END_REGISTERS = ("ESR_EL1", "ELR_EL1", "FAR_EL1", "SPSR_EL1", "ESR_EL2", "ELR_EL2", "FAR_EL2")


class CoreRecorder(gdb.Breakpoint):
    """On an SMP run, records what the CPUs (gdb threads) have when they
    pass an address, without stopping them: the stops themselves follow the
    boot core. Which threads it records and the level it reads are the
    run's (Run.records_thread, Run.level)."""

    def __init__(self, run, stop, values):
        super().__init__(f"*0x{stop['address']:x}", internal=True)
        self.run, self.lets, self.values, self.seen = run, stop.get("let", []), values, {}

    def stop(self):
        thread = gdb.selected_thread().num
        if self.run.records_thread(thread) and thread not in self.seen:
            ev = self.run.evaluator(dict(self.values))
            cpu = self.run.level()
            for name, text in self.lets:
                try:
                    cpu[name] = ev.values[name] = ev.eval(text)
                except ExprError as e:
                    cpu[name] = f"error: {e}"
            self.seen[thread] = cpu
        return False


class Run:
    """The runner in AArch64's words. A runner for another architecture
    (scenario_riscv.RiscvRun) overrides the hooks below: the level read at a
    stop, the register a call returns to, the breakpoint that stops only the
    boot core, which CPUs a recorder records and the end-state registers."""

    RETURN_REGISTER = "x30"
    # Whether every CPU's record is taken once the run has ended (the CPUs
    # that passed the stop by then) instead of right after the last stop.
    CPUS_AT_END = False

    def __init__(self, plan):
        self.plan = plan
        window = plan.get("kernel_window")
        self.memory = target.Memory(tuple(window) if window else None)
        self.last_event = None
        self.exited = None
        self.recorders = {}
        gdb.events.stop.connect(self._on_stop)
        gdb.events.exited.connect(self._on_exit)

    def close(self):
        """Leaves gdb as it was before this run (a gdb that runs plan after
        plan, harness/gdb/run_scenario.py): no handler, no recorder."""
        gdb.events.stop.disconnect(self._on_stop)
        gdb.events.exited.disconnect(self._on_exit)
        for rec in self.recorders.values():
            if rec.is_valid():
                rec.delete()

    def _on_stop(self, event):
        if isinstance(event, gdb.BreakpointEvent):
            self.last_event = "breakpoint"
        elif isinstance(event, gdb.SignalEvent):
            self.last_event = event.stop_signal
        else:
            self.last_event = type(event).__name__

    def _on_exit(self, event):
        self.exited = getattr(event, "exit_code", None)

    def connect(self):
        qemu = shlex.join(self.plan["qemu"])
        pidfile = shlex.quote(self.plan["pidfile"])
        # gdb waits 2 s for each packet by default; a QEMU that starts slowly
        # on a loaded machine then answers qSupported after gdb has moved on
        # ("Remote replied unexpectedly to 'vMustReplyEmpty'").
        target.quiet("set remotetimeout 30")
        target.quiet(f"target remote | echo $$ > {pidfile}; exec {qemu}")

    def level(self):
        """The privilege level where the selected CPU is, as a record's fields."""
        return {"el": (target.register("cpsr") >> 2) & 3}

    def boot_breakpoint(self, address):
        """A breakpoint at address that stops only the boot core."""
        bp = gdb.Breakpoint(f"*0x{address:x}", internal=True)
        # With -smp N every core is a gdb thread and passes the kernel's
        # entry; the stops follow the boot core (CPU 0, thread 1).
        bp.condition = "$_thread == 1"
        return bp

    def records_thread(self, thread):
        """Whether a CoreRecorder records this gdb thread: not the boot
        core's, whose values are the stop's own record (cpus_of)."""
        return thread != 1

    def cpus_of(self, record, recorder):
        """Every CPU's values at an each_cpu stop: the boot core's record
        and the others' as recorded."""
        cpus = {str(t): v for t, v in sorted(recorder.seen.items())}
        if record.get("reached"):
            cpus["1"] = {k: record[k] for k in ("el", "priv") if k in record} | record["let"]
        record["cpus"] = dict(sorted(cpus.items(), key=lambda kv: int(kv[0])))

    def resume(self, address):
        """Continues until `address` is hit (True) or anything else stops the
        guest (False: shutdown, interrupt by the supervisor, exit)."""
        bp = self.boot_breakpoint(address) if address is not None else None
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

    def evaluator(self, values):
        return Evaluator(values, read_register=target.register, read_memory=self.memory.read)

    # How long a stop whose expressions name loader.x0..x5 waits for the
    # loader's hand-off line to reach the serial log. The loader printed it
    # before it jumped, but a log written by the host (U-Boot's console
    # thread reads QEMU's pipe) can be behind the CPU that gdb stopped.
    LOADER_LINE_WAIT = 3.0

    def loader_values(self, needed=False):
        """loader.x0..x5: the hand-off the loader printed on the serial line
        (waited for, up to LOADER_LINE_WAIT, when the stop needs them)."""
        if self.plan["harness_dir"] not in sys.path:
            sys.path.insert(0, self.plan["harness_dir"])
        from bootcheck.kernel.placement import parse_loader_handoff
        deadline = time.monotonic() + (self.LOADER_LINE_WAIT if needed else 0)
        while True:
            try:
                with open(self.plan["serial_log"], errors="replace") as f:
                    printed = parse_loader_handoff(f.read())
            except OSError:
                printed = None
            if printed or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        return {f"loader.x{i}": v for i, v in enumerate(printed)} if printed else {}

    @staticmethod
    def names_loader_values(stop):
        """Whether any of the stop's expressions reads loader.x0..x5."""
        texts = [t for _, t in stop.get("let", [])] + [t for _, t in stop.get("set", [])]
        for c in stop.get("expect", []):
            rhs = c["rhs"] if isinstance(c["rhs"], list) else [c["rhs"]]
            texts += [c["lhs"], *rhs]
        return any("loader." in str(t) for t in texts)

    def run_stop(self, stop, values):
        record = {"name": stop["name"], "address": stop["address"], "reached": False}
        if not self.resume(stop["address"]):
            return record
        record["reached"] = True
        record["pc"] = target.register("pc")
        record.update(self.level())
        values = dict(values)
        values.update(self.loader_values(needed=self.names_loader_values(stop)))
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
            value = ev.eval(text)
            target.quiet(f"set ${reg} = 0x{value:x}")
            record["set"][reg] = target.register(reg)
        if stop.get("returns"):
            record["return_address"] = target.register(self.RETURN_REGISTER)
        return record

    def check(self, ev, cond):
        out = {"lhs": cond["lhs"], "op": cond["op"], "rhs": cond["rhs"]}
        try:
            actual = ev.eval(cond["lhs"])
            out["actual"] = actual
            if cond["op"] == "in":
                lo, hi = (ev.eval(x) for x in cond["rhs"])
                out["expected"] = [lo, hi]
                out["ok"] = lo <= actual < hi
            else:
                expected = ev.eval(cond["rhs"])
                out["expected"] = expected
                out["ok"] = (actual == expected) if cond["op"] == "eq" else (actual != expected)
        except ExprError as e:
            out["ok"] = False
            out["error"] = str(e)
        return out

    def end_registers(self, state):
        """The level and the exception registers where the run ended."""
        state["cpsr"] = target.register("cpsr")
        state["el"] = (state["cpsr"] >> 2) & 3
        for name in END_REGISTERS:
            if target.has_register(name):
                state[name] = target.register(name)
        for name in ("ESR_EL1", "ESR_EL2"):
            if name in state:
                state[name + "_decoded"] = esr.describe(state[name])

    def end_state(self):
        state = {"event": self.last_event, "exited": self.exited}
        try:
            state["pc"] = target.register("pc")
            self.end_registers(state)
        except (gdb.error, ExprError) as e:
            state["unreadable"] = str(e)
        return state

    def record_cpus(self, result, recorders):
        for i, rec in recorders.items():
            record = next((r for r in result["stops"] if r["name"] == self.plan["stops"][i]["name"]), None)
            if record is not None:
                self.cpus_of(record, rec)

    def execute(self):
        started = time.monotonic()
        result = {"scenario": self.plan["name"], "stops": []}
        target.setup_session()
        files = self.plan["symbol_files"]
        target.load_symbols(files.get("loader"), files.get("kernel"), files.get("roottask"))
        self.connect()
        values = dict(self.plan["facts"])
        self.recorders = recorders = {i: CoreRecorder(self, stop, values)
                                      for i, stop in enumerate(self.plan["stops"])
                                      if stop.get("each_cpu", 1) > 1}
        all_reached = True
        for stop in self.plan["stops"]:
            record = self.run_stop(stop, values)
            result["stops"].append(record)
            if not record["reached"]:
                all_reached = False
                break
            if stop.get("returns"):
                ret = {"name": f"{stop['name']}: returns", "address": record["return_address"],
                       "returns_of": stop["name"],
                       "reached": self.resume(record["return_address"])}
                result["stops"].append(ret)
                if not ret["reached"]:
                    all_reached = False
                    break
        if not self.CPUS_AT_END:
            self.record_cpus(result, recorders)
        if all_reached and self.plan.get("all_reached_flag"):
            # Tells the supervisor (bootcheck.boot.gdbrun) that the last stop is
            # behind us, so it can end the run after a short watch.
            with open(self.plan["all_reached_flag"], "w") as f:
                f.write("reached\n")
        if all_reached:
            # Let the boot run to its end (shutdown, or the supervisor stops
            # it on an end-of-run serial line or at the time budget).
            self.resume(None)
        result["all_reached"] = all_reached
        result["end"] = self.end_state()
        result["elapsed"] = time.monotonic() - started
        if self.CPUS_AT_END:
            self.record_cpus(result, recorders)
        return result


def run_plan(plan, runner=Run):
    """Runs one plan with runner (a Run class), writes its result and ends
    its QEMU."""
    try:
        run = runner(plan)
    except Exception as e:  # the result file must say what went wrong
        run, result = None, {"scenario": plan.get("name"), "error": f"{type(e).__name__}: {e}"}
    else:
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
    if run is not None:
        run.close()
