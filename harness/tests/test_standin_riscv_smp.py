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

import os
import re
import subprocess

import pytest

from bootcheck import target

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
    assert lines.count("Init local IRQ") == nodes, text
    finished = lines.index("Booting all finished, dropped to user space")
    regions = max(i for i, l in enumerate(lines) if re.match(r"^  \[[0-9a-f]+\.\.[0-9a-f]+[\])]$", l))
    assert lines[regions + 1:finished] == ["Init local IRQ"] * (nodes - 1), text
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
