"""`bootcheck check`: a verdict on any loader image against seL4's contract.

1. The payload finder (emu-check --extract) says which kernel, root task and
   DTB the image carries: a `make image` payload, seL4's stock elfloader
   archive, or the ELF files the user names (which must be inside it).
2. Emulation: emu-check runs the image to the branch to the kernel and
   reports observations (registers, memory, stores, page tables).
3. QEMU + GDB: the image boots for real; gdb stops at the kernel's entry,
   init_kernel, restore_user_context and the root task's entry at EL0, reading
   registers and seL4's rootserver; the serial log is kept.
4. bootcheck.check.contract judges both sides with the same rules; the diagnosis
   names the first broken link of the boot chain.

Exit status: 0 every rule holds (warnings allowed), 1 a rule is broken,
2 the check could not be made (bad input, missing files), 3 incomplete: no
rule is broken but some could not be observed (the verdict names them and
what to give, e.g. an unstripped KERNEL=)."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field

from ..boot import gdbrun, qemu_machine, rv_gdb
from ..boot import progress as progress_mod
from ..kernel import arch as arch_facts
from ..kernel import expect, roottask_failures
from ..reports import bootchain, memmap, rv_pictures
from . import contract, rv_contract

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ADDR2LINE = os.environ.get("ADDR2LINE", "aarch64-linux-gnu-addr2line")


PASS_LINE = "bootcheck: PASS: every link of seL4's boot contract holds"
# Where a run can end: seL4's halt, or the last line of a complete fault
# report (src/kernel/faulthandler.c prints it in every printing build).
END_ON = ["halting...", "With stack:"]
EXIT_STATUS = {"pass": 0, "fail": 1, "incomplete": 3}    # 2: the check could not be made


class CheckError(Exception):
    """The check cannot be made; the message is the one line to print."""


@dataclass
class Verdict:
    image: str
    kernel: str
    roottask: str
    payload: str
    machine: str
    findings: list
    first_broken: object
    serial: str = ""
    emu: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    target: object = None          # the kernel's bootcheck.kernel.target description
    memory_map: dict = None        # bootcheck.reports.memmap.build: the picture's data
    boot_chain: dict = None        # bootcheck.reports.bootchain.build

    def text_map(self):
        """The terminal map of the regions a failed placement, overlap or
        write rule involves ([] when none failed)."""
        return memmap.text_map(self.memory_map, [f.rule for f in self.findings if f.status == "fail"])

    @property
    def ok(self):
        return self.status == "pass"

    @property
    def status(self):
        """pass | fail | incomplete (no rule broken, some not observed)."""
        if self.first_broken is not None:
            return "fail"
        return "incomplete" if contract.incomplete_line(self.findings) else "pass"

    @property
    def exit_status(self):
        return EXIT_STATUS[self.status]

    def diagnosis_line(self):
        f = self.first_broken
        if f is None:
            return contract.incomplete_line(self.findings) or PASS_LINE
        link = contract.CHAIN_ORDER[f.rule] + 1
        return f"bootcheck: FAIL at link {link} ({f.rule}): {f.sentence}"

    def kernel_line(self):
        """What the kernel is, read from its ELF, with the evidence."""
        t = self.target
        if t is None:
            return None
        ev = "; ".join(f"{k}: {t.evidence[k]}" for k in ("release", "mcs", "cores") if k in t.evidence)
        line = f"bootcheck: kernel: {t.describe()} ({ev})"
        return line


def build_dir():
    return os.environ.get("BUILD", os.path.join(ROOT, "build"))


def emu_check_path():
    path = os.path.join(build_dir(), "harness", "emu-check")
    if not os.path.exists(path):
        raise CheckError(f"emu-check is not built ({path}); run `make all` first")
    return path


def _file_args(kernel, roottask, dtb):
    args = []
    for opt, path in (("--kernel", kernel), ("--roottask", roottask), ("--dtb", dtb)):
        if path:
            if not os.path.isfile(path):
                raise CheckError(f"{opt[2:].upper()}={path} does not exist")
            args += [opt, os.path.abspath(path)]
    return args


def _prebuilt_qemu_dtb(machine, cpu, mem, cpus):
    """The DTB `make all` had QEMU dump for this machine (harness/emu/emu.mk:
    build/harness/qemu-virt-el1.dtb, -el2, -el1-smp4, ...; -m 1024, -cpu $(CPU)),
    or None: another machine, CPU or RAM size, or a copy older than the QEMU
    binary that would write it now."""
    name = {qemu_machine.VIRT: "el1", qemu_machine.VIRT_EL2: "el2"}.get(machine)
    if name is None or mem != 1024:
        return None
    path = os.path.join(build_dir(), "harness", f"qemu-virt-{name}{f'-smp{cpus}' if cpus > 1 else ''}.dtb")
    qemu = shutil.which(qemu_machine.QEMU)
    try:
        if qemu is None or os.path.getmtime(path) < os.path.getmtime(qemu):
            return None
        with open(path, "rb") as f:
            blob = f.read()
    except OSError:
        return None
    return path if f"arm,{cpu}".encode() + b"\0" in blob else None     # its CPUs' compatible


def qemu_dtb(path, machine, cpu, mem, cpus):
    """QEMU's own DTB for the machine, at path: the copy `make all` made when
    there is one for it (the same bytes but for /chosen's random seeds), else
    dumped by QEMU now (a QEMU start: ~0.15 CPU-s)."""
    prebuilt = _prebuilt_qemu_dtb(machine, cpu, mem, cpus)
    if prebuilt is None:
        return qemu_machine.dump_dtb(path, machine, cpu, mem, cpus)
    shutil.copyfile(prebuilt, path)
    return path


def find_payload(image, kernel, roottask, dtb, work):
    """Kernel, root task and DTB paths (extracted into work) and the format."""
    r = subprocess.run([emu_check_path(), image, "--extract", work, *_file_args(kernel, roottask, dtb)],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        line = (r.stderr.strip().splitlines() or ["emu-check failed"])[-1]
        line = line.replace("emu-check: ", "", 1)
        raise CheckError(line)
    fmt = r.stdout.split("payload ", 1)[1].split(":", 1)[0] if "payload " in r.stdout else "?"
    d = os.path.join(work, "kernel.dtb")
    return (os.path.join(work, "kernel.elf"), os.path.join(work, "roottask.elf"),
            d if os.path.exists(d) else None, fmt)


def run_emu(image, el, mem, kernel, roottask, dtb, work, budget, machine=None, cpu="cortex-a53", cpus=1):
    """emu-check's report. With more than one CPU, the emulator models the
    machine by QEMU's own DTB for it (its /cpus lists them)."""
    out = os.path.join(work, "emu.json")
    args = [emu_check_path(), image, "--el", str(el), "--ram-mib", str(mem), "--json", out,
            "--budget", str(budget), *_file_args(kernel, roottask, dtb)]
    if cpus > 1:
        try:
            qdtb = qemu_dtb(os.path.join(work, "qemu.dtb"), machine, cpu, mem, cpus)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            raise CheckError(str(e))
        args += ["--qemu-dtb", qdtb]
    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if not os.path.exists(out):
        raise CheckError(f"emu-check wrote no report: {r.stderr.strip() or r.stdout.strip()}")
    with open(out) as f:
        return json.load(f)


def contract_plan(inp, image, cpus=1):
    """The gdb plan: the four stops, reading what contract.judge_qemu needs."""
    k, u = inp.kernel, inp.roottask
    el = inp.el
    regs = ({"sctlr": "SCTLR_EL2", "tcr": "TCR_EL2", "mair": "MAIR_EL2"} if el == 2 else
            {"sctlr": "SCTLR", "tcr": "TCR_EL1", "mair": "MAIR_EL1"})
    entry_lets = [[f"x{i}", f"x{i}"] for i in range(6)] + [[n, r] for n, r in regs.items()]
    if inp.nodes > 1:
        entry_lets.append(["tpidr_el1", "TPIDR_EL1"])
    if "rootserver" in k.symbols:
        entry_lets += [[f"rs{i}", f"mem64(kernel.sym.rootserver + {8 * i})"]
                       for i in range(len(contract.ROOTSERVER_FIELDS))]
    # An SMP kernel: every core must pass its entry (gdb sees each as a thread).
    stops = [{"name": "kernel entry", "address": k.entry, "let": entry_lets, "expect": [], "set": [],
              "returns": False, "each_cpu": min(inp.nodes, cpus)}]
    if "init_kernel" in k.symbols:
        stops.append({"name": "init_kernel", "address": k.symbols["init_kernel"][0], "let": [],
                      "expect": [], "set": [], "returns": False})
    if "restore_user_context" in k.symbols and "ksCurThread" in k.symbols:
        stops.append({"name": "restore_user_context", "address": k.symbols["restore_user_context"][0],
                      "let": [["tcb", "mem64(kernel.sym.ksCurThread)"], ["elr", "mem64(tcb + 8*32)"],
                              ["spsr", "mem64(tcb + 8*33)"], ["ux0", "mem64(tcb)"]],
                      "expect": [], "set": [], "returns": False})
    stops.append({"name": "root task entry", "address": u.entry, "let": [["ux0", "x0"]], "expect": [],
                  "set": [], "returns": False})
    window = 0x0000008000000000 if inp.hyp else 0xffffff8000000000
    known = {f"kernel.sym.{n}": v for n, (v, _) in k.symbols.items()}
    return {"name": "bootcheck-check", "stops": stops, "facts": known,
            "symbol_files": {"loader": image, "kernel": inp.kernel_path, "roottask": inp.roottask_path},
            "kernel_window": [window, 0x7fc0000000]}


def memory_map(image, inp, obs, dtb_path, work, machine, cpu, mem, cpus):
    """The memory map's data: RAM and devices from the DTB the image
    carries, else from QEMU's own DTB for the machine."""
    blob = None
    try:
        path = dtb_path or os.path.join(work, "qemu.dtb")
        if not os.path.exists(path):
            qemu_dtb(path, machine, cpu, mem, cpus)
        with open(path, "rb") as f:
            blob = f.read()
    except (RuntimeError, OSError, subprocess.TimeoutExpired):
        blob = None        # the map then shows RAM as the kernel's target knows it
    return memmap.build(inp, obs, expect.elf_facts(image), blob)


def symbolizer(roottask):
    def symbolize(pc):
        try:
            r = subprocess.run([ADDR2LINE, "-f", "-e", roottask, hex(pc)], capture_output=True, text=True,
                               timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return "no symbol"
        lines = r.stdout.split("\n")
        func = lines[0] if lines and lines[0] != "??" else None
        where = lines[1] if len(lines) > 1 and not lines[1].startswith("??") else None
        if func is None:
            return "outside the root task's symbols"
        return f"{func}, {os.path.relpath(where) if where and where.startswith('/') else where}" if where else func
    return symbolize


def default_budget(cores):
    """The QEMU boot's default wall-clock budget for a kernel of this many cores."""
    return 20.0 * max(1, int(cores or 1))


def _stalled_line(emu_report):
    """The last console line of a loader the emulation saw take an exception
    before the kernel's entry, or None (it reached the kernel, stopped the
    machine, ran out of budget, or printed nothing)."""
    if emu_report.get("outcome") != "exception":
        return None
    lines = [l.strip() for l in str(emu_report.get("uart") or "").replace("\r", "").split("\n") if l.strip()]
    return lines[-1] if lines else None


class Later:
    """An answer of the emulation that a boot running beside it reads while
    it waits: call it for the value, None until the emulation gave one."""

    def __init__(self):
        self.value = None

    def __call__(self):
        return self.value


class Beside:
    """run(cancel) in a thread of its own, started now: the QEMU + GDB boot
    needs nothing from the emulation, so both run at once (the boot's gdb
    and QEMU start-up is most of its time). result() waits for it; close()
    (always, in a finally) sets cancel, which ends a boot still running
    (the emulation failed, Ctrl-C), and waits for it to clean up."""

    def __init__(self, run):
        self._cancel = threading.Event()
        self._value = self._error = None
        self.elapsed = None

        def body():
            t = time.monotonic()
            try:
                self._value = run(self._cancel)
            except BaseException as e:     # re-raised in the caller's thread
                self._error = e
            self.elapsed = time.monotonic() - t
        self._thread = threading.Thread(target=body, daemon=True)
        self._thread.start()

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value

    def close(self):
        self._cancel.set()
        self._thread.join()


def _check_riscv(image, inp, fmt, kernel, roottask, dtb, mem, cpus, budget, work, timings, seconds):
    """A RISC-V image: the riscv64 emu-check's observations judged in seL4's
    RISC-V terms (bootcheck.check.rv_contract), then QEMU + GDB (bootcheck.boot.rv_gdb)
    stops at _start, init_kernel, restore_user_context and the root task's
    first instruction in U-mode."""
    facts = arch_facts.facts("riscv64")
    mem = facts.mem if mem == 1024 else mem        # 1024: the AArch64 default, not asked for
    cpus = cpus or inp.target.nodes
    t0 = time.monotonic()
    # What the emulation decides of harts the loader never starts, for the
    # boot to end once seL4 waits for them (rv_gdb.run's waits_forever).
    unstarted = Later()
    boot = Beside(lambda cancel: rv_gdb.run(image, rv_contract.gdb_stops(inp), mem, cpus, seconds=seconds,
                                            cancel=cancel, waits_forever=unstarted))
    try:
        out = os.path.join(work, "emu.json")
        args = [emu_check_path(), image, "--ram-mib", str(mem), "--json", out, "--budget", str(budget),
                *_file_args(kernel, roottask, dtb)]
        if cpus > 1:
            try:
                args += ["--qemu-dtb", qemu_machine.dump_dtb(os.path.join(work, "qemu.dtb"), facts.machine,
                                                             facts.cpu, mem, cpus, arch="riscv64")]
            except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                raise CheckError(str(e))
        r = subprocess.run(args, capture_output=True, text=True, timeout=300)
        if not os.path.exists(out):
            raise CheckError(f"emu-check wrote no report: {r.stderr.strip() or r.stdout.strip()}")
        with open(out) as f:
            report = json.load(f)
        timings["emu_s"] = time.monotonic() - t0
        unstarted.value = rv_contract.harts_left_unstarted(inp, report)
        findings = rv_contract.judge_emu(inp, report)
        run = boot.result()
        timings["qemu_gdb_s"] = boot.elapsed
    finally:
        boot.close()
    emu_a = report.get("observations", {}).get("a")
    emu_a = [int(v, 16) for v in emu_a] if emu_a else None
    findings += rv_contract.judge_qemu(inp, run, emu_a)
    summary = contract.complete(contract.summarize(findings), inp)
    mm, chain = rv_pictures.pictures(image, inp, report, run.serial, summary, work, mem, cpus, build_dir())
    machine = f"{facts.machine} -cpu {facts.cpu} -m {mem} -smp {cpus} -bios {facts.bios}"
    return Verdict(image=image, kernel=kernel or f"{fmt} payload kernel.elf",
                   roottask=roottask or f"{fmt} payload root task", payload=fmt, machine=machine,
                   findings=summary, first_broken=contract.diagnosis(summary), serial=run.serial,
                   emu={**{k: report.get(k) for k in ("outcome", "message", "instructions")},
                        "x": report.get("observations", {}).get("a")},
                   timings=timings, target=inp.target, memory_map=mm, boot_chain=chain)


def check(image, kernel=None, roottask=None, dtb=None, machine=None, cpu="cortex-a53", mem=1024,
          seconds=None, linger=1.0, emu_budget=100_000_000, serial_log=None, cpus=None, progress=None):
    """progress: a bootcheck.boot.progress.Progress of 4 stages (payload finder,
    emulation, QEMU + GDB boot, the contract's verdict), or None (silent).
    seconds: the QEMU boot's wall-clock budget; by default 20 s, and 20 s
    more per further core of an SMP kernel (every core is a host thread, so a
    loaded host slows an SMP boot most; a decided boot ends at once anyway)."""
    if not os.path.isfile(image):
        raise CheckError(f"IMAGE={image} does not exist")
    image = os.path.abspath(image)
    with open(image, "rb") as f:
        if f.read(4) != b"\x7fELF":
            raise CheckError(f"IMAGE={image} is not an ELF file (QEMU's -kernel loads an ELF loader image)")
    progress = progress or progress_mod.silent()
    work = tempfile.mkdtemp(prefix="bootcheck-check-")
    timings = {}
    try:
        t0 = time.monotonic()
        with progress.stage("payload finder") as st:
            k_path, u_path, d_path, fmt = find_payload(image, kernel, roottask, dtb, work)
            inp = contract.Inputs.load(k_path, u_path, mem)
            if inp.target.arch == "riscv64":
                st.set_result(f"{fmt} payload, riscv64")
                return _check_riscv(image, inp, fmt, kernel, roottask, dtb, mem, cpus, emu_budget, work,
                                    timings, seconds or default_budget(cpus or inp.nodes))
            machine = machine or qemu_machine.machine_for(k_path)
            start_el = qemu_machine.starts_at_el(machine)
            if inp.hyp and start_el != 2:
                raise CheckError(f"the kernel is a hyp (EL2) build (entry {contract.hx(inp.kernel.entry)}); "
                                 f"MACHINE={machine} starts the CPU at EL1: use MACHINE=virt,virtualization=on")
            cpus = cpus or inp.nodes
            st.set_result(f"{fmt} payload")
        seconds = seconds or default_budget(cpus)
        # bootcheck's own root task ends with a verdict and a halt: watch it to
        # the end (seL4's `halting...`, or the budget). Any other root task
        # need not end: watch it `linger` seconds after its entry.
        own = roottask_failures.prints_our_grammar(u_path)
        plan = contract_plan(inp, image, cpus)
        t1 = time.monotonic()
        # What the emulation says of a loader that never reached the kernel,
        # for the boot to end where the emulation's did (gdbrun.run's stalled).
        emu_stalled = Later()
        # ... and of cores it never starts, for the boot to end once seL4
        # waits for them (gdbrun.run's waits_forever).
        unstarted = Later()
        boot = Beside(lambda cancel: gdbrun.run(plan, image, machine, cpu, mem, seconds, end_on=END_ON,
                                                keep_serial=serial_log, linger=None if own else linger,
                                                smp=cpus, cancel=cancel, stalled=emu_stalled,
                                                waits_forever=unstarted))
        # QEMU's own DTB for the memory map, made meanwhile too (an SMP
        # kernel's emulation makes it first, in run_emu).
        dtb_dump = None
        if d_path is None and cpus == 1:
            dtb_dump = Beside(lambda cancel: qemu_dtb(os.path.join(work, "qemu.dtb"), machine, cpu, mem, cpus))
        try:
            with progress.stage("emulation (Unicorn)") as st:
                emu_report = run_emu(image, start_el, mem, kernel, roottask, dtb, work, emu_budget,
                                     machine, cpu, cpus)
                st.set_result(str(emu_report.get("outcome", "no outcome")).replace("_", " "))
            timings["emu_s"] = time.monotonic() - t0
            emu_stalled.value = _stalled_line(emu_report)
            unstarted.value = contract.cores_left_unstarted(inp, emu_report)
            findings = contract.judge_emu(inp, emu_report)
            with progress.stage(f"QEMU + GDB boot ({machine}, {cpus} core{'s' if cpus != 1 else ''})"):
                run = boot.result()
            timings["qemu_gdb_s"] = time.monotonic() - t1
            if dtb_dump is not None:
                try:
                    dtb_dump.result()
                except (RuntimeError, OSError, subprocess.TimeoutExpired):
                    pass        # memory_map tries again, and then shows RAM as the target knows it
        finally:
            boot.close()
            if dtb_dump is not None:
                dtb_dump.close()
        run.watched = None if own else linger     # how long the root task was watched after its entry
        run.budget = seconds
        with progress.stage("the contract's verdict") as st:
            findings += contract.judge_qemu(inp, run, symbolizer(u_path))
            summary = contract.complete(contract.summarize(findings), inp)
            obs = emu_report.get("observations", {})
            mm = memory_map(image, inp, obs, d_path, work, machine, cpu, mem, cpus)
            chain = bootchain.build(summary, run.serial, {"nodes": inp.nodes, "started": obs.get("cores", [])})
            st.set_result(f"{len(summary)} rules")
        return Verdict(image=image, kernel=kernel or f"{fmt} payload kernel.elf",
                       roottask=roottask or f"{fmt} payload root task", payload=fmt, machine=machine,
                       findings=summary, first_broken=contract.diagnosis(summary), serial=run.serial,
                       emu={**{k: emu_report.get(k) for k in ("outcome", "message", "instructions")},
                            "x": emu_report.get("observations", {}).get("x")},
                       timings=timings, target=inp.target, memory_map=mm, boot_chain=chain)
    finally:
        shutil.rmtree(work, ignore_errors=True)
