"""A riscv64 scenario plan inside gdb (`set architecture riscv:rv64`): the
runner of bcgdb.stops with RISC-V's words where it reads AArch64's. The
privilege level is QEMU's virtual `priv` register (0 U-mode, 1 S-mode, 3
M-mode) where AArch64 reads CPSR's EL, a call returns to `ra` (x30 on
AArch64), the state where the run ended is scause/stval/sepc/sstatus, and
what our riscv64 loader printed is `loader: handoff a0=... satp=...`.

Our riscv64 loader hands on the firmware's DTB (OpenSBI's, whose size only
the run shows), so the hand-off seL4's rules give, handoff.a0..a5, is worked
out here at each stop from the ELF files and the DTB size the loader printed
(bootcheck.kernel.placement.handoff_words: the same placement rule as on AArch64)."""

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


def loader_printout(serial, facts):
    """loader.a0..a5, loader.satp, loader.hart as printed, and handoff.a0..a5
    by seL4's placement rule for the DTB size printed (the kernel's and the
    root task's placement from the plan's facts, which the host read from
    their ELF files)."""
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
        from bootcheck.kernel.placement import handoff_words
        x, _, _ = handoff_words(facts["kernel.phys_end"], (facts["roottask.virt_start"], facts["roottask.virt_end"]),
                                facts["roottask.entry"], int(m.group(1)))
        values.update({f"handoff.a{i}": v for i, v in enumerate(x)})
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
    """bcgdb.stops.Run with RISC-V's hooks: priv for the level, ra for the
    return address, the boot hart (not always gdb thread 1) for the stops,
    every hart recorded by the each_cpu recorders and the S-mode trap
    registers where the run ended."""

    RETURN_REGISTER = "ra"
    # The harts race (below): every hart that passed the stop by the end counts.
    CPUS_AT_END = True

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

    def level(self):
        return {"priv": priv()}

    def boot_breakpoint(self, address):
        return BootHartBreakpoint(address, self)

    def records_thread(self, thread):
        """Every hart, the boot one included: which gdb thread boots is the
        firmware's choice."""
        return True

    def cpus_of(self, record, recorder):
        """Every hart's values as its recorder saw them, by gdb thread, and
        which thread booted (diagnosis.cpu_problems compares with it)."""
        record["cpus"] = {str(t): v for t, v in sorted(recorder.seen.items())}
        record["boot_thread"] = self.boot_thread()

    def connect(self):
        target.quiet(f"set architecture {self.plan['gdb_arch']}")
        super().connect()

    def evaluator(self, values):
        return RiscvEvaluator(values, read_register=target.register, read_memory=self.memory.read)

    def loader_values(self, needed=False):
        # QEMU writes this serial log itself (no host thread between, as
        # under U-Boot), so the line is there when gdb stops: nothing to wait for.
        import sys
        if self.plan["harness_dir"] not in sys.path:
            sys.path.insert(0, self.plan["harness_dir"])
        return loader_printout(self.serial(), self.plan["facts"])

    def end_registers(self, state):
        state["priv"] = priv()
        for name in END_REGISTERS:
            state[name] = target.register(name)
