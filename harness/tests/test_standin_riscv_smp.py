"""SMP on riscv64: the riscv64 stand-in's four-hart builds
(build/targets/standin/riscv64/kernel-<release>[-mcs]-smp4.elf) behind
bootcheck's riscv64 loader on QEMU virt -smp 4, and what happens when a
loader starts no other hart.

* Every hart arrives: the loader starts harts 1..3 with SBI HSM (one
  `loader: hart H started as core C` line each, C = 1..3, every hart but the
  boot one), the kernel's boot hart says `Init local IRQ` once, then each
  other hart once after the reserved-region list and before `Booting all
  finished` (seL4's secondary init_cpu, released by node_boot_lock), and the
  root task reads numNodes = the kernel's MAX_NUM_NODES (its
  kernel_stack_alloc / 4 KiB) and reaches `roottask: components OK`. With
  SEL4_KERNEL listing riscv64 SMP kernels, the same on real seL4 (measured:
  13.0.0-rv64-smp4 and 16.0.0-rv64-smp4 print Init local IRQ four times).
* The same under `-icount shift=0` (QEMU runs all vCPUs on one host thread):
  the loader used to spin while waiting for hart 1 and so starve it
  (`loader: error: hart 1 (core 1, cpu@1) did not report in within 1 s of
  SBI hart_start`).
* No other hart arrives: rvalt (fixtures/altloader/arch/riscv64, the good
  image) starts only the hart OpenSBI booted. Real seL4 16.0.0-rv64-smp4
  prints its reserved-region list and then nothing (its boot hart waits in
  release_secondary_cores for ksNumCPUs == MAX_NUM_NODES forever; measured
  2026-12-06: no line in 30 s); the stand-in prints the same list, then
  `stand-in: only 1 of 4 harts arrived at the kernel entry (missing core ids
  1, 2, 3) within 2 s; seL4 would wait here forever` and powers off.
  Neither drops to user space."""

import json
import os
import re
import shutil
import signal
import subprocess

import pytest

from bootcheck.boot import gdbrun, qemu_machine
from bootcheck.check import rv_contract
from bootcheck.kernel import arch as arch_facts
from bootcheck.kernel import expect, target

from check_runs import as_if_sel4, run_cli
from conftest import BUILD, ROOT, SEL4_KERNELS, Artifacts
from standin_support import rv_build_path

# Real kernels of both architectures come here; each test picks its own.
KERNEL_ARCHES = ("aarch64", "riscv64")

pytestmark = pytest.mark.qemu

ROOTTASK = os.path.join(BUILD, "roottask", "riscv64", "roottask.elf")
# First and last release, non-MCS and MCS.
STANDIN_SMP_BUILDS = ("13.0.0-smp4", "13.0.0-mcs-smp4", "16.0.0-smp4", "16.0.0-mcs-smp4")
BOOT_TIMEOUT = 120
ICOUNT = ["-icount", "shift=0"]
# Real seL4's boot hart never gives up: how long the rvalt test watches it.
SEL4_WAIT_SECONDS = 20
RV = arch_facts.facts("riscv64")


def _kernels():
    out = [(f"standin-rv-{b}", rv_build_path(b)) for b in STANDIN_SMP_BUILDS]
    real = [(fid, path) for fid, path in SEL4_KERNELS
            if os.path.isfile(path) and target.read(path).arch == "riscv64" and target.read(path).nodes > 1]
    return out + (real or [("sel4-rv64-smp4", None)])


KERNELS = _kernels()


@pytest.fixture(params=KERNELS, ids=[k[0] for k in KERNELS])
def smp_kernel(request):
    fid, path = request.param
    if path is None:
        pytest.skip("no real riscv64 SMP seL4 kernel given "
                    "(make verify SEL4_KERNEL=\".../16.0.0-rv64-smp4/kernel.elf\")")
    for p in (path, ROOTTASK):
        if not os.path.isfile(p):
            pytest.fail(f"{p} is missing: run `make all` first", pytrace=False)
    return fid, path


RV_SMP_BUILDS = [pytest.param(r, mcs, id=f"{r}{'-mcs' if mcs else ''}-smp4")
                 for r in ("13.0.0", "14.0.0", "15.0.0", "16.0.0") for mcs in (False, True)]


@pytest.mark.parametrize("release,mcs", RV_SMP_BUILDS)
def test_harness_reads_each_smp_build_as_its_release_and_four_harts(release, mcs):
    """bootcheck.kernel.target (what make run / check / verify read a kernel by)
    sees each riscv64 SMP build as the seL4 it imitates: the release, MCS or
    not, riscv64, and 4 cores (kernel_stack_alloc: one 4 KiB stack per hart)."""
    path = rv_build_path(f"{release}{'-mcs' if mcs else ''}-smp4")
    if not os.path.isfile(path):
        pytest.fail(f"{path} is missing: run `make all` first", pytrace=False)
    t = target.read(path)
    assert (t.arch, t.release, t.mcs, t.nodes, t.smp) == ("riscv64", release, mcs, 4, True), t.describe()
    stacks = expect.elf_facts(path).symbols["kernel_stack_alloc"]
    assert stacks[1] == 4 * 0x1000, stacks


def _nodes(kernel):
    nodes = target.read(kernel).nodes
    assert nodes and nodes > 1, f"{kernel}: not an SMP kernel ({nodes} nodes)"
    return nodes


def _check_every_hart_arrived(result, kernel):
    """The loader started every other hart, each entered the kernel (its
    Init local IRQ between the region list and Booting all finished), and
    the root task saw them all."""
    nodes = _nodes(kernel)
    lines = result.lines
    text = result.describe()
    boot = re.search(r"^bootcheck loader \(riscv64\): started on hart (\d+) ", result.serial, re.M)
    assert boot, text
    boot_hart = int(boot.group(1))
    started = [(int(h), int(c)) for h, c in re.findall(r"^loader: hart (\d+) started as core (\d+)$",
                                                       result.serial, re.M)]
    assert sorted(c for _, c in started) == list(range(1, nodes)), text
    harts = [h for h, _ in started]
    assert len(set(harts)) == nodes - 1 and boot_hart not in harts, text
    finished = lines.index("Booting all finished, dropped to user space")
    regions = max(i for i, l in enumerate(lines) if re.match(r"^  \[[0-9a-f]+\.\.[0-9a-f]+[\])]$", l))
    assert lines[:regions].count("Init local IRQ") == 1, text      # the boot hart's, before the others start
    # Then each other hart's. Real seL4's secondaries may print at once, so
    # their lines can come interleaved (seen once on 13.0.0-rv64-smp4 under
    # load): then the same characters, in any order across the harts.
    between = lines[regions + 1:finished]
    if between != ["Init local IRQ"] * (nodes - 1):
        assert sorted("".join(between)) == sorted("Init local IRQ" * (nodes - 1)), text
    assert f"roottask: numNodes = {nodes}" in lines, text
    assert "roottask: components OK" in lines, text
    assert not [l for l in lines if l.startswith(("stand-in:", "loader: error", "ERROR"))], text


def test_every_hart_reaches_the_kernel_and_the_root_task_sees_them(smp_kernel, booter):
    _, kernel = smp_kernel
    result = booter.boot(booter.pack(kernel, ROOTTASK), timeout=BOOT_TIMEOUT,
                         stop_patterns=("roottask: components OK", "halting..."))
    _check_every_hart_arrived(result, kernel)


def test_every_hart_starts_under_icount(booter):
    """-icount shift=0 -smp 4: one host thread runs the four vCPUs in turn.
    (The stand-in only: real seL4's own waits spin and its mappings wait
    for remote fences, so under icount it crawls; see docs/riscv64-loader.md.)"""
    kernel = Artifacts.standin_rv_smp_kernel
    for p in (kernel, ROOTTASK):
        if not os.path.isfile(p):
            pytest.fail(f"{p} is missing: run `make all` first", pytrace=False)
    result = booter.boot(booter.pack(kernel, ROOTTASK), timeout=BOOT_TIMEOUT, extra=ICOUNT,
                         stop_patterns=("roottask: components OK", "halting..."))
    assert "-icount" in result.command, result.command
    _check_every_hart_arrived(result, kernel)


def _rvalt_image(tmp_path, kernel):
    out = tmp_path / "rvalt-good.elf"
    r = subprocess.run(["make", "-s", "--no-print-directory", "rvalt-image", f"KERNEL={kernel}",
                        f"ROOTTASK={ROOTTASK}", "RVALT_MUTANT=good", f"OUT={out}"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return out


def _after_entry(result):
    """The kernel's lines: what follows rvalt's `entering the kernel` line."""
    lines = result.lines
    entered = [i for i, l in enumerate(lines) if l.startswith("rvalt: entering the kernel at ")]
    assert entered, result.describe()
    return [l for l in lines[entered[0] + 1:] if l]


def _region_lines(kernel_lines):
    """The reserved-region heading and its ranges, the last lines seL4
    prints before its boot hart waits for the others."""
    heading = [i for i, l in enumerate(kernel_lines) if l.lower().startswith("reserved virt address space regions: ")]
    assert heading, kernel_lines
    count = int(kernel_lines[heading[0]].split(": ")[1])
    return heading[0] + 1 + count


def test_loader_starting_no_other_hart_gets_the_missing_harts_line(booter, tmp_path):
    kernel = rv_build_path("16.0.0-smp4")
    for p in (kernel, ROOTTASK):
        if not os.path.isfile(p):
            pytest.fail(f"{p} is missing: run `make all` first", pytrace=False)
    nodes = _nodes(kernel)
    result = booter.boot(_rvalt_image(tmp_path, kernel), kernel=kernel, timeout=60)
    kernel_lines = _after_entry(result)
    end_of_regions = _region_lines(kernel_lines)
    missing = ", ".join(str(i) for i in range(1, nodes))
    assert kernel_lines[end_of_regions:] == [
        f"stand-in: only 1 of {nodes} harts arrived at the kernel entry (missing core ids {missing}) "
        f"within 2 s; seL4 would wait here forever"], result.describe()
    assert result.exit_code is not None and not result.timed_out, result.describe()


@pytest.mark.slow
def test_check_ends_the_boot_at_the_wait_for_harts_nobody_starts(tmp_path, monkeypatch):
    """seL4 waits for the harts rvalt never starts silently, forever; the
    check ends that boot once the kernel's memory regions are out and the
    console is quiet. The stand-in plays seL4's silence for its first 2 s."""
    monkeypatch.setattr(rv_contract, "harts_left_unstarted", as_if_sel4(rv_contract.harts_left_unstarted))
    monkeypatch.setattr(gdbrun, "WAITING_QUIET", 0.2)
    kernel = rv_build_path("16.0.0-smp4")
    nodes = _nodes(kernel)
    out = tmp_path / "report"
    r = run_cli(["check", str(_rvalt_image(tmp_path, kernel)), "--kernel", kernel, "--roottask", ROOTTASK,
                 "--out", str(out), "--seconds", "15"])
    assert r.returncode == 1, r.stdout + r.stderr
    v = json.loads((out / "verdict.json").read_text())
    user = next(f for f in v["findings"] if f["rule"] == "user_context")
    assert user["sentence"].startswith(
        "seL4 never reached restore_user_context (serial silent for 0.2 s after seL4's memory regions, and the "
        f"loader started 0 of the {nodes - 1} other harts the kernel needs with SBI hart_start: seL4's boot "
        "hart waits for them forever); "), user["sentence"]


def _sel4_smp_kernels():
    return [(fid, path) for fid, path in SEL4_KERNELS
            if os.path.isfile(path) and target.read(path).arch == "riscv64" and target.read(path).nodes > 1] \
        or [("sel4-rv64-smp4", None)]


@pytest.mark.parametrize("fid,kernel", _sel4_smp_kernels(), ids=[k[0] for k in _sel4_smp_kernels()])
def test_real_sel4_waits_forever_for_harts_that_never_arrive(fid, kernel, booter, tmp_path):
    """The same rvalt image on real seL4: the region list is its last line;
    it neither drops to user space nor says anything within the bound."""
    if kernel is None:
        pytest.skip("no real riscv64 SMP seL4 kernel given "
                    "(make verify SEL4_KERNEL=\".../16.0.0-rv64-smp4/kernel.elf\")")
    result = booter.boot(_rvalt_image(tmp_path, kernel), kernel=kernel, timeout=SEL4_WAIT_SECONDS)
    kernel_lines = _after_entry(result)
    assert result.timed_out, result.describe()
    assert len(kernel_lines) == _region_lines(kernel_lines), result.describe()


# --- one hart's entry registers changed under gdb ---------------------------------
# At the kernel's _start, when the hart with core id `core` in a7 arrives
# (any hart may be the boot hart, so the hart is chosen by its a7), gdb
# changes one register as a broken loader would have set it.

GDB_PROLOGUE = r"""
import gdb
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set architecture riscv:rv64")
gdb.execute("set remotetimeout 30")
gdb.execute("target remote | exec " + QEMU_CMD)
"""

CHANGE_ENTRY = r"""
class Change(gdb.Breakpoint):
    def stop(self):
        if int(gdb.parse_and_eval("$a7")) & (2**64 - 1) != CORE:
            return False
        gdb.execute("set $" + REGISTER + " = " + VALUE)
        self.enabled = False
        print("BC-CHANGED " + REGISTER)
        return False
Change("*" + hex(ENTRY))
gdb.execute("continue")
"""


def _boot_under_gdb(booter, tmp_path, kernel, script, seconds=90):
    """Serial text and lines of `kernel` behind our loader on -smp 4 (QEMU
    started by gdb, stopped at reset), and gdb's output. `script`: gdb
    Python run after the prologue (QEMU_CMD defined), or a function of the
    packed image's path that gives it."""
    if shutil.which("gdb-multiarch") is None:
        pytest.skip("gdb-multiarch is not installed")
    for p in (kernel, ROOTTASK):
        if not os.path.isfile(p):
            pytest.fail(f"{p} is missing: run `make all` first", pytrace=False)
    image = booter.pack(kernel, ROOTTASK)
    serial, pidfile = tmp_path / "serial.log", tmp_path / "qemu.pid"
    argv = [*qemu_machine.machine_argv(RV.machine, RV.cpu, RV.mem, _nodes(kernel), "riscv64"),
            "-monitor", "none", "-serial", f"file:{serial}", "-no-reboot", "-S", "-gdb", "stdio",
            "-kernel", str(image), "-pidfile", str(pidfile)]
    path = tmp_path / "boot_under_gdb.py"
    if callable(script):
        script = script(str(image))
    path.write_text(f"QEMU_CMD = {' '.join(argv)!r}\n" + GDB_PROLOGUE + script)
    proc = subprocess.Popen(["gdb-multiarch", "-nx", "-batch", "-x", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        gdbrun.kill_qemu(str(pidfile))
    text = serial.read_text(errors="replace").replace("\r\n", "\n") if serial.exists() else ""
    print(f"--- gdb ---\n{out}\n--- serial ---\n{text}")
    return text, [l.rstrip("\r") for l in text.split("\n")], out


def boot_with_changed_entry(booter, tmp_path, core, register, value, seconds=90):
    """Serial lines of the SMP stand-in (16.0.0) behind our loader on -smp 4,
    core `core`'s `register` set to the gdb expression `value` at _start."""
    kernel = rv_build_path("16.0.0-smp4")
    script = (f"ENTRY = {expect.elf_facts(kernel).entry}\nCORE = {core}\nREGISTER = {register!r}\n"
              f"VALUE = {value!r}\n" + CHANGE_ENTRY)
    serial, lines, out = _boot_under_gdb(booter, tmp_path, kernel, script, seconds)
    assert f"BC-CHANGED {register}" in out, out
    return serial, lines


# --- a started hart sent where the boot hart was entered ------------------------
# OpenSBI before v1.3 (Debian 12 ships 1.1 with QEMU 7.2, and 1.2) sets a
# started hart's HSM state to START_PENDING before it stores the hart's start
# address and argument; a hart spinning in its HSM wait (the cold-boot IPI
# still pending keeps its wfi from sleeping) can leave with the address and
# argument the boot hart was given. Measured 2026-12-07 on this machine under
# load: 1 boot in about 280; gdb then showed the hart in S-mode at 0x80204654,
# inside the kernel the loader had copied over its branch at 0x80200000, and
# the loader stopped with `hart 1 (core 1, cpu@1) did not report in within
# 1 s of SBI hart_start`. gdb makes that boot happen every time: the first
# hart the loader starts is moved from the loader's secondary_entry to
# OpenSBI's next address (the image's lowest address, where QEMU 7.2's
# fw_dynamic enters the boot hart) with a1 = the boot hart's a1 (its DTB).

SEND_TO_BOOT_ENTRY = r"""
state = {}
class Boot(gdb.Breakpoint):
    def stop(self):
        state["a1"] = int(gdb.parse_and_eval("$a1")) & (2**64 - 1)
        self.enabled = False
        return False
class Divert(gdb.Breakpoint):
    def stop(self):
        print("BC-DIVERTED hart %d" % (int(gdb.parse_and_eval("$a0")) & (2**64 - 1)))
        gdb.execute("set $a1 = %d" % state["a1"])
        gdb.execute("set $pc = %d" % NEXT)
        self.enabled = False
        return False
Boot("*" + hex(START))
Divert("*" + hex(SECONDARY))
gdb.execute("continue")
"""


@pytest.mark.parametrize("build", ["13.0.0-smp4", "16.0.0-smp4"])
def test_a_started_hart_sent_to_the_boot_entry_still_starts(build, booter, tmp_path):
    """13.0.0's kernel lies above the loader (the loader is at OpenSBI's next
    address); 16.0.0's is at 0x80200000 itself, so the loader sits higher and
    8 bytes at 0x80200000 branch to it, which the kernel is copied over: the
    loader starts every hart before it copies anything."""
    def script(image):
        facts = expect.elf_facts(image)
        return (f"START = {facts.symbols['_start'][0]}\nSECONDARY = {facts.symbols['secondary_entry'][0]}\n"
                f"NEXT = {facts.pmin}\n" + SEND_TO_BOOT_ENTRY)
    serial, lines, out = _boot_under_gdb(booter, tmp_path, rv_build_path(build), script)
    diverted = re.search(r"^BC-DIVERTED hart (\d+)$", out, re.M)
    assert diverted, out
    hart = diverted.group(1)
    assert f"loader: hart {hart} started as core 1" in lines, serial
    assert (f"loader: hart {hart} came in at the loader's boot entry, not where SBI hart_start sent it (an "
            "OpenSBI before v1.3 can start a hart before it stores the hart's start address); taken in as "
            "core 1") in lines, serial
    assert serial.count("bootcheck loader (riscv64): started on hart") == 1, serial
    assert "roottask: numNodes = 4" in lines and "roottask: components OK" in lines, serial
    assert not [l for l in lines if l.startswith(("stand-in:", "loader: error"))], serial


def test_hart_with_other_entry_registers(booter, tmp_path):
    serial, lines = boot_with_changed_entry(booter, tmp_path, 2, "a3", "$a3 + 0x1000")
    a3 = [int(v, 16) for v in re.findall(r"^loader: handoff a0=\S+ a1=\S+ a2=\S+ a3=(0x[0-9a-f]+)",
                                          serial, re.M)]
    hart = [int(h) for h in re.findall(r"^loader: hart (\d+) started as core 2$", serial, re.M)]
    assert len(a3) == 1 and len(hart) == 1, serial
    assert (f"stand-in: core 2 (hart {hart[0]}) entered the kernel with a3 = {a3[0] + 0x1000:#x}, but the "
            f"boot hart (core 0) entered with a3 = {a3[0]:#x}; every hart must enter with the boot "
            "hart's a0..a5") in lines, serial
    assert "Booting all finished, dropped to user space" not in lines


def test_core_id_taken_twice(booter, tmp_path):
    serial, lines = boot_with_changed_entry(booter, tmp_path, 1, "a7", "2")
    assert ("stand-in: two harts entered the kernel with logical core id 2 in a7; the loader must "
            "give each hart its own id 0..3 (boot hart 0); seL4 would run both on one kernel stack") in lines, serial
    assert "Booting all finished, dropped to user space" not in lines


def test_core_id_out_of_range(booter, tmp_path):
    serial, lines = boot_with_changed_entry(booter, tmp_path, 3, "a7", "7")
    assert ("stand-in: a hart entered the kernel with a7 = 0x7, which is no logical core id below 4 "
            "(MAX_NUM_NODES); the loader must put each hart's logical core id in a7 (boot hart 0); "
            "seL4 would take that hart's kernel stack from past the end of kernel_stack_alloc") in lines, serial
    assert "Booting all finished, dropped to user space" not in lines


def test_no_hart_with_core_id_0(booter, tmp_path):
    serial, lines = boot_with_changed_entry(booter, tmp_path, 0, "a7", "5")
    assert ("stand-in: core 1 waited 2 s at the kernel entry, but no hart entered with logical core "
            "id 0 (a7 = 0) to boot the kernel (cores that did enter: 1, 2, 3; a hart with a7 = 0x5 "
            "was parked); seL4 would wait here forever") in lines, serial
    assert "Bootstrapping kernel" not in lines


def test_two_harts_with_one_hart_id(booter, tmp_path):
    """Core 2 enters with a6 one below its own hart id: in /cpus order the
    loader started the hart before it as core 1, or that is the boot hart."""
    serial, lines = boot_with_changed_entry(booter, tmp_path, 2, "a6", "$a6 - 1")
    boot = int(re.search(r"started on hart (\d+) in S-mode", serial).group(1))
    core_of_hart = {int(h): int(c) for h, c in re.findall(r"^loader: hart (\d+) started as core (\d+)$",
                                                          serial, re.M)}
    core_of_hart[boot] = 0
    hart2 = next(h for h, c in core_of_hart.items() if c == 2)
    other = core_of_hart[hart2 - 1]
    assert (f"stand-in: cores {min(other, 2)} and {max(other, 2)} entered the kernel with the same hart id "
            f"{hart2 - 1} in a6; the loader must pass each hart its own hart id (seL4 maps each core to "
            "its hart id to send it IPIs)") in lines, serial
    assert "Booting all finished, dropped to user space" not in lines


WRONG_HART = r"""
class Wrong(gdb.Breakpoint):
    def stop(self):
        print("BC-STARTED hart %d" % (int(gdb.parse_and_eval("$a0")) & (2**64 - 1)))
        gdb.execute("set $a0 = 7")
        self.enabled = False
        return False
Wrong("*" + hex(SECONDARY))
gdb.execute("continue")
"""


def test_a_hart_the_loader_did_not_start_is_refused(booter, tmp_path):
    """The first hart to reach secondary_entry says it is hart 7 (a0), which
    the loader was not starting: the secondary path checks a0 against the
    hart it started (a hart an SBI firmware starts unasked must not take that
    hart's core id) and stops the machine with one line."""
    def script(image):
        return f"SECONDARY = {expect.elf_facts(image).symbols['secondary_entry'][0]}\n" + WRONG_HART
    serial, lines, out = _boot_under_gdb(booter, tmp_path, rv_build_path("16.0.0-smp4"), script)
    started = re.search(r"^BC-STARTED hart (\d+)$", out, re.M)
    assert started, out
    assert (f"loader: error: hart 7 entered the loader while hart {started.group(1)} was being started as "
            "core 1; the SBI firmware started a hart it was not asked to") in lines, serial
    assert "Bootstrapping kernel" not in lines, serial
