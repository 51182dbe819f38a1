"""Boot cost per stage, in guest instructions (bootcheck.cost.bootcost): every stage
is reached in order, the count is the same on every run, and two independent
counters agree on the loader stage (QEMU's exec trace; Unicorn's emu-check
when it is built). Each measurement is attached to the report, which compares
it with reports/baseline.json."""

import hashlib
import json
import os
import subprocess

import pytest

from bootcheck.boot import insn_trace, qemu_machine
from bootcheck.cost import bootcost, loader_phases
from bootcheck.pack import runcache
from conftest import KERNEL_PARAMS, sel4_kernel_path, virt_dtb_for

pytestmark = pytest.mark.qemu

def sha8(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:8]


STANDIN_LABEL = "bootcheck loader + stand-in kernel"


@pytest.fixture(params=KERNEL_PARAMS)
def kernel_and_label(request, artifacts):
    if request.param == "standin":
        return artifacts.standin_kernel, STANDIN_LABEL
    kernel = sel4_kernel_path(request.param)
    why_not = bootcost.unmeasurable(qemu_machine.kernel_nodes(kernel))
    if why_not:
        pytest.skip(f"{request.param}: {why_not}; an SMP kernel cannot boot on one CPU")
    # Counts are only comparable for the same kernel file.
    return kernel, f"bootcheck loader + seL4 {sha8(kernel)}"


@pytest.fixture
def standin_image(artifacts, booter):
    return booter.pack(artifacts.standin_kernel, artifacts.roottask, dtb=artifacts.virt_dtb)


def measure_ok(image, kernel, artifacts, label=None, fresh=False):
    """The image's boot cost, measured once per test run for the same image,
    kernel and root task bytes and label (bootcheck.pack.runcache: five tests
    here read the stand-in boot's); fresh: measured again, for a test that
    needs a run of its own. Each caller asserts on what it gets."""
    def measure():
        return bootcost.measure(image, kernel, artifacts.roottask, label=label, timeout=90)
    if fresh:
        cost = measure()
    else:
        key = runcache.key_of("bootcost.measure", runcache.file_digest(image), runcache.file_digest(kernel),
                              runcache.file_digest(artifacts.roottask), label, 90)
        cost = runcache.shared("bootcost", key, measure)
    counts = [s.instructions for s in cost.stages]
    assert cost.reached_all(), (f"stages not reached: {cost.as_dict()} {cost.notes}\n"
                                f"--- serial ---\n{cost.serial}")
    assert counts == sorted(counts) and len(set(counts)) == len(counts), (
        f"stages out of order: {cost.as_dict()}")
    return cost


def test_boot_cost_per_stage(kernel_and_label, artifacts, booter, record_property):
    kernel, label = kernel_and_label
    image = booter.pack(kernel, artifacts.roottask, dtb=virt_dtb_for(kernel))
    cost = measure_ok(image, kernel, artifacts, label)
    record_property("bootcost", cost.as_dict())
    record_property("serial", cost.serial)
    assert [s.name for s in cost.stages] == list(bootcost.STAGE_NAMES)
    # By the kernel's entry the loader has announced the jump, and the kernel
    # has printed nothing yet.
    assert "loader: jumping to kernel at" in cost.serial, cost.serial
    assert "Booting all finished" in cost.serial or "Bootstrapping kernel" in cost.serial


def test_boot_cost_is_deterministic(standin_image, artifacts):
    first = measure_ok(standin_image, artifacts.standin_kernel, artifacts, STANDIN_LABEL)
    second = measure_ok(standin_image, artifacts.standin_kernel, artifacts, STANDIN_LABEL, fresh=True)
    assert first.as_dict()["stages"] == second.as_dict()["stages"]


def test_loader_stage_matches_exec_trace(standin_image, artifacts, record_property):
    cost = measure_ok(standin_image, artifacts.standin_kernel, artifacts, STANDIN_LABEL)
    entry = cost.stages[0]
    traced = insn_trace.count_to_pc(standin_image, entry.pc, timeout=60)
    record_property("instructions", traced)
    assert traced == entry.instructions, (
        f"to kernel entry 0x{entry.pc:x}: record/replay counter {entry.instructions}, "
        f"exec trace {traced}")


def _instruction_count(doc):
    """emu-check's reset-to-kernel count: the 'instructions' field, at the top
    level or in the first nested object that has one."""
    if isinstance(doc, dict):
        if isinstance(doc.get("instructions"), int):
            return doc["instructions"]
        doc = list(doc.values())
    if isinstance(doc, list):
        for v in doc:
            n = _instruction_count(v)
            if n is not None:
                return n
    return None


def test_loader_stage_matches_unicorn(standin_image, artifacts, tmp_path, record_property):
    emu_check = os.path.join(os.path.dirname(artifacts.fixtures), "harness", "emu-check")
    if not os.access(emu_check, os.X_OK):
        pytest.skip(f"no Unicorn emu-check at {emu_check} (built by harness/emu/emu.mk)")
    out = tmp_path / "emu.json"
    proc = subprocess.run([emu_check, standin_image, "--json", str(out)], timeout=120,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert out.exists(), f"emu-check wrote no JSON (exit {proc.returncode}):\n{proc.stdout}"
    unicorn = _instruction_count(json.loads(out.read_text()))
    assert unicorn is not None, f"no instruction count in {out.read_text()[:2000]}"
    record_property("instructions", unicorn)
    cost = measure_ok(standin_image, artifacts.standin_kernel, artifacts, STANDIN_LABEL)
    assert unicorn == cost.stages[0].instructions, (
        f"instructions from reset to the kernel's first instruction: QEMU "
        f"{cost.stages[0].instructions}, Unicorn {unicorn}")


def test_loader_phases_split_the_loader_stage(standin_image, artifacts, record_property):
    """The per-phase split (make bench's table) covers exactly the loader
    stage bootcost counts, each phase the stand-in boot goes through is
    entered and counted, and nothing is counted twice (other >= 0)."""
    phases = loader_phases.measure(standin_image, artifacts.standin_kernel, timeout=90)
    record_property("loader_phases", phases.as_dict())
    assert not phases.notes, phases.notes
    cost = measure_ok(standin_image, artifacts.standin_kernel, artifacts, STANDIN_LABEL)
    assert phases.kernel_entry == cost.stages[0].instructions
    counts = dict(phases.phases)
    spec = [name for name, _ in loader_phases.OURS["phases"]]
    assert list(counts) == ["reset_to_c", *spec, "other"]
    assert all(n >= 0 for n in counts.values()), counts
    # Single core: no SMP start; every other phase runs at least once.
    assert counts["smp"] == 0 and phases.calls["smp"] == 0, phases.as_dict()
    for name in ("dtb", "validate_plan", "copy", "zero", "tables", "cache", "console"):
        assert counts[name] > 0 and phases.calls[name] >= 1, (name, phases.as_dict())
    assert phases.calls["dtb"] == 1 and phases.calls["tables"] == 2, phases.calls


def test_smp_boot_is_not_counted_because_qemu_cannot_record_it(tmp_path):
    """Why SMP kernels are skipped above: QEMU refuses to record a machine
    with more than one CPU. The day it records one, this fails and the skip
    should go."""
    assert bootcost.unmeasurable(1) is None
    assert bootcost.unmeasurable(4).startswith("not measured: the machine needs 4 CPUs")
    r = subprocess.run([*qemu_machine.machine_argv(smp=2), "-monitor", "none", "-serial", "none",
                        "-icount", f"shift=0,rr=record,rrfile={tmp_path / 'replay.bin'}", "-S"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "Record/replay feature is not supported for 'smp'" in r.stderr, r.stderr
