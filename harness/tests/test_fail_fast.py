"""A failing boot fails fast: the boot watchers (bootcheck.boot.qemu.boot, the
QEMU + GDB runner bootcheck.boot.gdbrun behind the scenarios and `make check`, and
the U-Boot runner bootcheck.board.uboot) end a boot a few seconds after the console
line that decides it failed, not at its deadline, and name that line.

Real seL4 never powers off: after the root task's fault report, or its
`boot FAILED` and a halt, it idles until the watcher gives up. The stand-in
powers QEMU off instead, so here QEMU runs with -no-shutdown (gdbrun always
does): the powered-off guest stays, silent, like seL4's idle loop, and only
the watcher can end the boot. Each boot's deadline is far beyond what the
test allows."""

import os
import re
import subprocess
import time
from types import SimpleNamespace

import pytest

from bootcheck.board import uboot
from bootcheck.boot import gdbrun, qemu, qemu_machine
from bootcheck.check import contract, rv_contract
from bootcheck.kernel import expect
from bootcheck.pack import images
from conftest import Artifacts
from scenario_runner import run_scenario

# Most of these tests wait out DECIDED_QUIET with the CPU idle. On one
# pytest-xdist worker (make verify: --dist loadgroup) they wait one after
# another while the other workers use the cores; spread over all workers they
# were once all waiting at the same time, and both cores idled for 2 s.
pytestmark = [pytest.mark.qemu, pytest.mark.xdist_group("fail-fast-waits")]

DEADLINE = 120.0          # the boot's own bound; a fast failure ends long before it
# A decisive line ends the boot once the console has been silent for
# DECIDED_QUIET s (at most DECIDED_MAX s after it); allow for a loaded machine.
WITHIN = qemu.DECIDED_MAX + 3.0
CC = os.environ.get("CROSS", "aarch64-linux-gnu-") + "gcc"
HUGE = os.path.join(Artifacts.fixtures, "components", "roottask-huge.elf")

# Tiny root tasks: each prints its line through seL4_DebugPutChar, then the
# faulting one stores to an unmapped address (seL4, and the stand-in, report
# the fault of "rootserver", which has no fault handler, with 16 words of its
# stack), the failing one waits forever as a root task that gives up without
# halting would: in `wfi` (SCTLR_EL1.nTWI is set, so EL0 may), where QEMU
# sleeps instead of spending a host CPU on a `b .` until the watcher ends
# the boot; the console is as silent either way.
TINY_ROOTTASK = r"""
    .text
    .global _start
_start:
    adr     x20, banner
1:  ldrb    w0, [x20], #1
    cbz     w0, 2f
    mov     x7, #-9
    svc     #0
    b       1b
2:  {after}
3:  wfi
    b       3b
banner: .asciz "{line}\n"
"""
FAULT = """mov     x1, #0x10000000
    .global trap_pc
trap_pc:
    str     x0, [x1]"""
GAVE_UP = "roottask: boot FAILED: the tiny root task gives up"


def tiny_roottask(tmp_path, name, line, after=""):
    src, elf = tmp_path / f"{name}.S", tmp_path / f"{name}.elf"
    src.write_text(TINY_ROOTTASK.format(line=line, after=after))
    subprocess.run([CC, "-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none",
                    "-Wl,-Ttext=0x400000", "-Wl,-e,_start", str(src), "-o", str(elf)],
                   check=True, capture_output=True, text=True)
    return str(elf)


def faulting_roottask(tmp_path):
    elf = tiny_roottask(tmp_path, "faulting", "faulting root task", FAULT)
    return elf, expect.elf_facts(elf).symbols["trap_pc"][0]


def rootserver_fault_line(trap_pc):
    return re.compile(rf'in thread 0x[0-9a-f]+ "rootserver" at address 0x{trap_pc:x}')


def assert_fast(r):
    assert not r.timed_out and r.exit_code is None, r.describe()
    assert r.decided_after is not None and r.decided_after <= WITHIN, r.describe()
    assert r.elapsed < DEADLINE / 4, r.describe()


def test_root_task_fault_ends_the_boot(booter, artifacts, tmp_path):
    roottask, trap_pc = faulting_roottask(tmp_path)
    image = booter.pack(artifacts.standin_kernel, roottask, dtb=artifacts.virt_dtb)
    r = booter.boot(image, timeout=DEADLINE, extra=("-no-shutdown",))
    assert rootserver_fault_line(trap_pc).fullmatch(r.decided_by or ""), r.describe()
    assert_fast(r)
    assert f"ended {r.decided_after:.1f}s after the decisive line {r.decided_by!r}" in r.describe()
    # The report after the decisive line arrived before the boot was ended.
    stack = r.lines[r.lines.index("With stack:") + 1:]
    assert len([l for l in stack if re.fullmatch(r"0x[0-9a-f]+: (0x[0-9a-f]+|INVALID)", l)]) == 16, \
        r.describe()


def test_root_task_boot_failed_ends_the_boot(booter, artifacts):
    """No stop pattern at all (not even seL4's `halting...`): the root task's
    own verdict ends the boot."""
    image = booter.pack(artifacts.standin_kernel, HUGE)
    r = booter.boot(image, timeout=DEADLINE, stop_patterns=(), extra=("-no-shutdown",))
    failed = [l for l in r.lines if l.startswith("roottask: boot FAILED: ")]
    assert failed and failed[0].startswith("roottask: boot FAILED: spawn huge_bss: does not fit"), \
        r.describe()
    assert r.decided_by == failed[0], r.describe()
    assert_fast(r)


def test_loader_error_ends_the_boot(booter, artifacts, tmp_path, monkeypatch):
    """A payload the loader refuses (a DTB where the kernel ELF belongs)."""
    monkeypatch.setenv("PACK_UNCHECKED", "1")
    image = images.pack_ok(artifacts.virt_dtb, artifacts.roottask, tmp_path / "refused.elf")
    r = booter.boot(image, kernel=artifacts.standin_kernel, timeout=DEADLINE,
                    extra=("-no-shutdown",))
    errors = [l for l in r.lines if l.startswith("loader: error: ")]
    assert errors and r.decided_by == errors[0], r.describe()
    assert_fast(r)


def test_a_passing_boot_is_not_cut_short(booter, artifacts):
    """The control: a boot that passes is decided by nothing and ends on its
    own line."""
    image = booter.pack(artifacts.standin_kernel, artifacts.roottask)
    r = booter.boot(image, timeout=DEADLINE, stop_patterns=("roottask: components OK",))
    assert r.stopped_on == "roottask: components OK" and r.decided_by is None, r.describe()


SCENARIO = """kernels = ["standin"]
roottask = "{roottask}"
[budget]
seconds = {seconds}
[[stops]]
name = "root task entry"
elf = "roottask"
at = "entry"
"""


def test_gdb_run_ends_on_a_failed_boot(request, tmp_path, tmp_path_factory):
    """The same under gdb (scenarios, make check): the run ends once the root
    task said it failed, not when the scenario's time budget is spent. (This
    root task waits on afterwards: a powered-off stand-in would end the run
    by itself, gdb sees the shutdown.)"""
    roottask = tiny_roottask(tmp_path, "gives-up", GAVE_UP)
    path = tmp_path / "gives-up.toml"
    path.write_text(SCENARIO.format(roottask=roottask, seconds=int(DEADLINE)))
    prepared, run = run_scenario(str(path), 0, request, tmp_path_factory)
    assert run.decided_by == GAVE_UP, run.ended_by
    assert run.ended_by.startswith(f"serial line {GAVE_UP!r}, which decides the boot failed"), \
        run.ended_by
    assert run.elapsed < DEADLINE / 4 and not run.killed, run.ended_by
    assert run.result.get("all_reached"), run.result


@pytest.mark.slow
def test_uboot_boot_ends_on_a_failed_boot(artifacts, tmp_path):
    """And through U-Boot's booti (bootcheck.board.uboot)."""
    why = uboot.missing()
    if why:
        pytest.skip(why)
    roottask = tiny_roottask(tmp_path, "gives-up", GAVE_UP)
    image = images.pack_ok(artifacts.standin_kernel, roottask, tmp_path / "gives-up.elf")
    run = uboot.boot(image, qemu_machine.machine_for(artifacts.standin_kernel), timeout=DEADLINE)
    r = run.result
    assert run.error is None and r.decided_by == GAVE_UP, run.describe()
    assert_fast(r)


@pytest.mark.unit
@pytest.mark.parametrize("lines,decisive", [
    # seL4 16.0 (MCS): the report of the root task's own fault.
    (["Found thread has no fault handler while trying to handle:",
      "cap fault in receive phase at address 0x72",
      'in thread 0xffffff807ffe9400 "rootserver" at address 0x4017b8', "With stack:"],
     'in thread 0xffffff807ffe9400 "rootserver" at address 0x4017b8'),
    (["seL4 failed assertion 'x' at src/a.c:1 in function f", "halting..."],
     "seL4 failed assertion 'x' at src/a.c:1 in function f"),
    (["ERROR: reserved region 2 in wrong order", "ERROR: kernel init failed"],
     "ERROR: reserved region 2 in wrong order"),
    (["roottask: boot OK", "roottask: components OK"], None),
    # Another thread's fault: not decisive by itself.
    (["Caught vm fault on data at address 0x20000000 with status 0x92000006",
      "while trying to handle:", "vm fault on data at address 0x10000000 with status 0x92000006",
      'in thread 0xffffff807ffea400 "probe-child" at address 0x400200'], None),
])
def test_which_lines_decide(lines, decisive):
    assert qemu.decisive_lines("\n".join(lines) + "\n")[0] == decisive


@pytest.mark.unit
def test_another_threads_fault_ends_the_boot_only_after_silence():
    d = qemu.Decider()
    d.update("Caught vm fault on data at address 0x0 with status 0x92000006\n", now=0.0)
    assert d.ended(now=qemu.FAULT_QUIET - 0.1) is None
    d.update("Caught vm fault on data at address 0x0 with status 0x92000006\nprobe: next\n", now=1.0)
    assert d.ended(now=qemu.FAULT_QUIET + 0.5) is None          # it printed on
    assert d.ended(now=1.0 + qemu.FAULT_QUIET).startswith("Caught vm fault")


@pytest.mark.unit
def test_a_decisive_line_read_half_written_is_named_whole():
    """Once seen (2026-12-07, a full run): the gdb run's serial log was read
    while QEMU was still writing the root task's verdict, and the run was
    said to end on 'roottask: boot FAILED: the tiny root task gives '. The
    wait counts from the first part; the line named is the whole line."""
    half = GAVE_UP[:len(GAVE_UP) - 3]
    d = qemu.Decider()
    d.update("roottask: boot OK\n" + half, now=0.0)
    assert d.kind == "decisive" and d.line == half
    d.update("roottask: boot OK\n" + GAVE_UP + "\r\n", now=0.5)
    assert d.ended(now=0.5 + qemu.DECIDED_QUIET) == GAVE_UP
    assert d.ended(now=qemu.DECIDED_MAX) == GAVE_UP       # counted from the first part


@pytest.mark.unit
def test_a_fault_line_read_half_written_is_named_whole():
    line = "Caught vm fault on data at address 0x0 with status 0x92000006"
    d = qemu.Decider()
    d.update(line[:20], now=0.0)
    d.update(line + "\nprobe: wait", now=0.1)
    d.update(line + "\nprobe: waiting\n", now=0.2)
    assert d.ended(now=0.2 + qemu.FAULT_QUIET) == line


class _ConsoleHoldingTheWholeBoot:
    """A U-Boot console whose one read after booti's echo brought everything
    the boot will ever print (what a slow reader on a loaded machine sees),
    the root task's verdict included; then the guest idles."""

    def __init__(self, echo, boot):
        self.text = echo + boot
        self.mark = len(echo)

    def wait_for(self, pattern, timeout, what, alive=None):
        m = pattern.search(self.text, self.mark)
        if m:
            return m
        time.sleep(timeout)
        raise uboot.ConsoleTimeout(f"waited {timeout:g} s for {what}")

    def last_lines(self):
        return self.text[-200:]


@pytest.mark.unit
def test_uboot_watch_decides_on_a_line_read_with_the_echo():
    """Once seen (2026-12-07, a full run): the U-Boot watch began from what
    had been read so far, not from booti's echo, so a decisive line read in
    the same chunk as the echo was never looked at, and the boot waited out
    its 120 s. Now it ends DECIDED_QUIET s after the watch begins."""
    console = _ConsoleHoldingTheWholeBoot(
        "=> booti 0x48000000\r\n",
        "Starting kernel ...\r\n\r\nBooting all finished, dropped to user space\r\n"
        f"{GAVE_UP}\r\n")
    decider = qemu.Decider()
    began = time.monotonic()
    stopped_on = uboot._until_end(console, ("halting...",), 30.0, lambda: True, decider)
    took = time.monotonic() - began
    assert stopped_on is None and decider.line == GAVE_UP, (stopped_on, decider.line)
    assert took < qemu.DECIDED_QUIET + 1.0, took


# --- a kernel that waits for cores nobody starts -----------------------------------
# seL4 13.0.0-rv64-smp4's console behind rvalt (which starts no other hart):
# its memory regions, then silence, forever.
REGIONS_13 = ("Bootstrapping kernel\nInitializing PLIC...\navailable phys memory regions: 1\n"
              "  [80200000..140000000]\nreserved virt address space regions: 3\n"
              "  [ffffffc084000000..ffffffc084032000]\n")
REASON = "the loader started 0 of the 3 other harts the kernel needs"


@pytest.mark.parametrize("console", [REGIONS_13, REGIONS_13.replace("available", "Available")
                                     .replace("reserved", "Reserved").replace("]\n", ")\n")],
                         ids=["13.0-words", "16.0-words"])
def test_a_kernel_waiting_for_cores_nobody_starts_ends_after_its_regions_and_silence(console):
    w = gdbrun.WaitingForever(lambda: REASON)
    assert w.ended("Bootstrapping kernel\n", quiet_since=0.0, now=60.0) is None     # not yet at its wait
    assert w.ended(console, quiet_since=10.0, now=10.0 + gdbrun.WAITING_QUIET - 0.1) is None
    assert w.ended(console, quiet_since=10.0, now=10.0 + gdbrun.WAITING_QUIET) == (
        f"serial silent for 2 s after seL4's memory regions, and {REASON}")


def test_a_wait_the_emulation_did_not_decide_runs_to_the_budget():
    decided = []
    w = gdbrun.WaitingForever(lambda: decided[0] if decided else None)
    assert w.ended(REGIONS_13, quiet_since=0.0, now=60.0) is None
    decided.append(REASON)          # the emulation's report came in meanwhile
    assert w.ended(REGIONS_13, quiet_since=0.0, now=60.0).endswith(REASON)


def _inputs(nodes, kind="seL4"):
    t = SimpleNamespace(cores=nodes, nodes=nodes, kind=kind)
    return SimpleNamespace(target=t, nodes=nodes)


@pytest.mark.parametrize("outcome, cores, nodes, left", [
    ("reached_kernel", 0, 4, "the loader started 0 of the 3 other cores the kernel needs with PSCI CPU_ON: "
                             "seL4's boot core waits for them forever"),
    ("reached_kernel", 2, 4, "the loader started 2 of the 3 other cores the kernel needs with PSCI CPU_ON: "
                             "seL4's boot core waits for them forever"),
    ("reached_kernel", 3, 4, None),           # all started: whether they arrive is QEMU's to show
    ("reached_kernel", 0, 1, None),           # a single-core kernel waits for nobody
    ("exception", 0, 4, None),                # the loader never got to the kernel in emulation
])
def test_which_unstarted_cores_decide_the_boot(outcome, cores, nodes, left):
    report = {"outcome": outcome, "observations": {"cores": [{"state": "entered"}] * cores}}
    assert contract.cores_left_unstarted(_inputs(nodes), report) == left
    # The stand-in names the missing cores itself, 2 s into its wait: a race
    # with the 2 s of silence seL4's wait is judged by.
    assert contract.cores_left_unstarted(_inputs(nodes, "stand-in"), report) is None


@pytest.mark.parametrize("states, left", [
    (["entered the kernel"] + ["never started"] * 3,
     "the loader started 0 of the 3 other harts the kernel needs with SBI hart_start: "
     "seL4's boot hart waits for them forever"),
    (["entered the kernel", "entered the kernel"] + ["never started"] * 2,
     "the loader started 1 of the 3 other harts the kernel needs with SBI hart_start: "
     "seL4's boot hart waits for them forever"),
    (["entered the kernel"] * 3 + ["running (did not reach the kernel)"], None),   # started
])
def test_which_unstarted_harts_decide_the_boot(states, left):
    report = {"outcome": "reached_kernel", "observations": {"harts": [{"state": s} for s in states]}}
    assert rv_contract.harts_left_unstarted(_inputs(4), report) == left
    assert rv_contract.harts_left_unstarted(_inputs(4), dict(report, outcome="budget")) is None
    assert rv_contract.harts_left_unstarted(_inputs(4, "stand-in"), report) is None
