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

SETTLE_QUIET = 0.5      # s: a serial log copied by a thread has settled (loader_values)
END_REGISTERS = ("ESR_EL1", "ELR_EL1", "FAR_EL1", "SPSR_EL1", "ESR_EL2", "ELR_EL2", "FAR_EL2")


class CoreRecorder(gdb.Breakpoint):
    """On an SMP run, records what every other CPU (gdb thread) has when it
    passes an address, without stopping it: the stops themselves follow the
    boot core (thread 1)."""

    def __init__(self, run, stop, values):
        super().__init__(f"*0x{stop['address']:x}", internal=True)
        self.run, self.lets, self.values, self.seen = run, stop.get("let", []), values, {}

    def stop(self):
        thread = gdb.selected_thread().num
        if thread != 1 and thread not in self.seen:
            ev = self.run.evaluator(dict(self.values))
            cpu = {"el": (target.register("cpsr") >> 2) & 3}
            for name, text in self.lets:
                try:
                    cpu[name] = ev.values[name] = ev.eval(text)
                except ExprError as e:
                    cpu[name] = f"error: {e}"
            self.seen[thread] = cpu
        return False


class Run:
    def __init__(self, plan):
        self.plan = plan
        window = plan.get("kernel_window")
        self.memory = target.Memory(tuple(window) if window else None)
        self.last_event = None
        self.exited = None
        gdb.events.stop.connect(self._on_stop)
        gdb.events.exited.connect(self._on_exit)

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

    def resume(self, address):
        """Continues until `address` is hit (True) or anything else stops the
        guest (False: shutdown, interrupt by the supervisor, exit)."""
        bp = gdb.Breakpoint(f"*0x{address:x}", internal=True) if address is not None else None
        if bp is not None:
            # With -smp N every core is a gdb thread and passes the kernel's
            # entry; the stops follow the boot core (CPU 0, thread 1).
            bp.condition = "$_thread == 1"
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

    def loader_values(self):
        """loader.x0..x5: the hand-off the loader printed on the serial line."""
        sys.path.insert(0, self.plan["harness_dir"])
        from bootcheck.handoff_line import parse_loader_handoff   # imports nothing (not pyelftools)

        def read():
            try:
                with open(self.plan["serial_log"], errors="replace") as f:
                    return f.read()
            except OSError:
                return ""
        text = read()
        printed = parse_loader_handoff(text)
        # Through firmware (bootcheck.uboot.BootiFirmware) the serial log is
        # written by a thread of the supervisor that copies the console: at
        # a stop the loader's last lines may still be on their way. Read
        # again until the log has not grown for SETTLE_QUIET s.
        deadline = time.monotonic() + self.plan.get("serial_settle", 0)
        while printed is None and time.monotonic() < deadline:
            time.sleep(SETTLE_QUIET)
            again = read()
            if again == text:
                break
            text, printed = again, parse_loader_handoff(again)
        return {f"loader.x{i}": v for i, v in enumerate(printed)} if printed else {}

    def run_stop(self, stop, values):
        record = {"name": stop["name"], "address": stop["address"], "reached": False}
        if not self.resume(stop["address"]):
            return record
        record["reached"] = True
        record["pc"] = target.register("pc")
        record["el"] = (target.register("cpsr") >> 2) & 3
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
            value = ev.eval(text)
            target.quiet(f"set ${reg} = 0x{value:x}")
            record["set"][reg] = target.register(reg)
        if stop.get("returns"):
            record["return_address"] = target.register("x30")
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

    def end_state(self):
        state = {"event": self.last_event, "exited": self.exited}
        try:
            state["pc"] = target.register("pc")
            state["cpsr"] = target.register("cpsr")
            state["el"] = (state["cpsr"] >> 2) & 3
            for name in END_REGISTERS:
                if target.has_register(name):
                    state[name] = target.register(name)
            for name in ("ESR_EL1", "ESR_EL2"):
                if name in state:
                    state[name + "_decoded"] = esr.describe(state[name])
        except (gdb.error, ExprError) as e:
            state["unreadable"] = str(e)
        return state

    def execute(self):
        started = time.monotonic()
        result = {"scenario": self.plan["name"], "stops": []}
        target.setup_session()
        files = self.plan["symbol_files"]
        target.load_symbols(files.get("loader"), files.get("kernel"), files.get("roottask"))
        self.connect()
        values = dict(self.plan["facts"])
        recorders = {i: CoreRecorder(self, stop, values)
                     for i, stop in enumerate(self.plan["stops"]) if stop.get("each_cpu", 1) > 1}
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
        for i, rec in recorders.items():
            # Every CPU: the boot core's record and the others' as recorded.
            record = next((r for r in result["stops"] if r["name"] == self.plan["stops"][i]["name"]), None)
            if record is not None:
                cpus = {str(t): v for t, v in sorted(rec.seen.items())}
                if record.get("reached"):
                    # the level its record has: el (AArch64) or priv (riscv64, scenario_riscv)
                    cpus["1"] = {k: record[k] for k in ("el", "priv") if k in record} | record["let"]
                record["cpus"] = dict(sorted(cpus.items(), key=lambda kv: int(kv[0])))
        if all_reached and self.plan.get("all_reached_flag"):
            # Tells the supervisor (bootcheck.gdbrun) that the last stop is
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
        return result


def main():
    plan_path = os.environ["BOOTCHECK_PLAN"]
    with open(plan_path) as f:
        plan = json.load(f)
    run = Run(plan)
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
