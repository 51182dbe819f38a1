"""The loader on an SMP kernel (the stand-in built with MAX_NUM_NODES = 4):
it starts the other cores with PSCI CPU_ON and every one enters the kernel
with the boot core's hand-off, or it refuses, before jumping, with one line
and QEMU gone. And `make check` judges the cores: a loader that starts none
(the silent hang on real seL4), and one whose cores enter with other
registers, each get their diagnosis.

The refusal DTBs are QEMU's own 4-CPU virt DTB with one thing taken away
(fdtput from device-tree-compiler), handed to the loader as the payload DTB."""

import json
import os
import subprocess

import pytest

from bootcheck.boot import gdbrun, qemu_machine
from bootcheck.check import contract, emu
from bootcheck.kernel import expect
from bootcheck.pack import images

import check_runs
from check_runs import as_if_sel4, run_cli
from conftest import BUILD, Artifacts

pytestmark = pytest.mark.qemu

NODES = 4
SMP_KERNEL = os.path.join(BUILD, "targets", "standin", "kernel-smp4.elf")
NEED = f"the kernel needs {NODES} cores (its kernel_stack_alloc holds {NODES} stacks)"


def hx(v):
    return f"0x{v:x}"


@pytest.fixture(scope="module")
def smp_dtb(tmp_path_factory):
    out = tmp_path_factory.mktemp("smp-dtb") / "virt-smp4.dtb"
    return str(qemu_machine.dump_dtb(str(out), smp=NODES))


def dtb_without(smp_dtb, tmp_path, options, *where):
    """A copy of smp_dtb edited by `fdtput OPTIONS FILE WHERE...`."""
    out = tmp_path / "edited.dtb"
    out.write_bytes(open(smp_dtb, "rb").read())
    subprocess.run(["fdtput", *options, str(out), *where], check=True)
    return str(out)


def last_line(r):
    return [l for l in r.lines if l.strip()][-1]


def test_every_core_enters_with_the_boot_cores_handoff(booter, artifacts, smp_dtb):
    image = booter.pack(SMP_KERNEL, artifacts.roottask, dtb=smp_dtb)
    r = booter.boot(image, timeout=60)
    for core in range(1, NODES):
        assert f"loader: core {core} (cpu@{core}, MPIDR {hx(core)}) started, waiting to enter the kernel" \
            in r.lines, r.describe()
    assert "Booting all finished, dropped to user space" in r.lines, r.describe()
    assert not [l for l in r.lines if l.startswith("stand-in:")], r.describe()
    assert "roottask: numNodes = 4" in r.lines and "roottask: components OK" in r.lines, r.describe()


def test_too_few_cpus_is_refused(booter, artifacts):
    """QEMU's own DTB (no payload DTB) describes the 2-CPU machine."""
    image = booter.pack(SMP_KERNEL, artifacts.roottask)
    r = booter.boot(image, smp=2, timeout=10, deliberate="the loader must refuse too few CPUs")
    assert last_line(r) == (f"loader: error: {NEED}, but the DTB's /cpus lists 2; run it with -smp 4 "
                           "(seL4 would wait for the missing cores forever)"), r.describe()
    assert r.exit_code == 0 and not r.timed_out and r.elapsed < 5, r.describe()


def test_no_psci_is_refused(booter, artifacts, smp_dtb, tmp_path):
    dtb = dtb_without(smp_dtb, tmp_path, ["-r"], "/psci")
    image = booter.pack(SMP_KERNEL, artifacts.roottask, dtb=dtb)
    r = booter.boot(image, timeout=10)
    assert last_line(r) == (f"loader: error: the kernel needs {NODES} cores, but the DTB has no /psci node: "
                           "the loader starts cores with PSCI CPU_ON"), r.describe()
    assert r.exit_code == 0 and not r.timed_out and r.elapsed < 5, r.describe()


def test_cpu_node_without_reg_is_refused(booter, artifacts, smp_dtb, tmp_path):
    dtb = dtb_without(smp_dtb, tmp_path, ["-d"], "/cpus/cpu@2", "reg")
    image = booter.pack(SMP_KERNEL, artifacts.roottask, dtb=dtb)
    r = booter.boot(image, timeout=10)
    assert last_line(r) == ("loader: error: CPU node cpu@2 in /cpus has no usable reg: cannot name it to "
                           f"PSCI CPU_ON (the kernel needs {NODES} cores)"), r.describe()
    assert r.exit_code == 0 and not r.timed_out and r.elapsed < 5, r.describe()


def test_failed_cpu_on_is_decoded(booter, artifacts, smp_dtb, tmp_path):
    """A /cpus reg naming no CPU of the machine: QEMU's PSCI answers -2."""
    dtb = dtb_without(smp_dtb, tmp_path, ["-t", "x"], "/cpus/cpu@3", "reg", "7")
    image = booter.pack(SMP_KERNEL, artifacts.roottask, dtb=dtb)
    r = booter.boot(image, timeout=10)
    assert last_line(r) == ("loader: error: PSCI CPU_ON via hvc for core 3 (cpu@3, MPIDR 0x7) returned -2 "
                           "(INVALID_PARAMETERS)"), r.describe()
    assert r.exit_code == 0 and not r.timed_out and r.elapsed < 5, r.describe()


def test_single_core_kernel_starts_no_core(booter, artifacts):
    image = booter.pack(artifacts.standin_kernel, artifacts.roottask, dtb=artifacts.virt_dtb)
    r = booter.boot(image, smp=NODES, timeout=30)
    assert not [l for l in r.lines if "started, waiting to enter the kernel" in l], r.describe()
    assert "roottask: numNodes = 1" in r.lines, r.describe()


# --- make check on SMP images --------------------------------------------------

def run_check(tmp_path, image, *args):
    out = tmp_path / "report"
    r = run_cli(["check", str(image), "--out", str(out), "--seconds", "15", *args])
    print(r.stdout, r.stderr)
    v = json.loads((out / "verdict.json").read_text()) if (out / "verdict.json").exists() else None
    return r, v


@pytest.mark.slow
@pytest.mark.emu
def test_check_passes_our_loader_on_four_cores(tmp_path):
    # The same image and check as test_check_report_chromium.py's lanes: made once per run.
    image = check_runs.packed_once(tmp_path, SMP_KERNEL, Artifacts.roottask)
    r, v, _ = check_runs.run_check(tmp_path, image, seconds=15)
    assert r.returncode == 0, r.stdout + r.stderr
    cores = next(f for f in v["findings"] if f["rule"] == "cores")
    assert cores["sentence"] == ("4 cores: the boot core (TPIDR_EL1 0) and cores 1, 2, 3 entered at EL1 "
                                 "with the same x0..x5, MMU on")


@pytest.mark.slow
@pytest.mark.emu
def test_check_names_the_silent_hang(tmp_path):
    """The altloader starts no other core: real seL4 would wait forever."""
    image = tmp_path / "alt-smp.elf"
    subprocess.run(["make", "-s", "--no-print-directory", "-C", images.ROOT, "altloader-image",
                    f"KERNEL={SMP_KERNEL}", f"ROOTTASK={Artifacts.roottask}", f"OUT={image}"],
                   check=True, capture_output=True, timeout=300)
    r, v = run_check(tmp_path, image, "--kernel", SMP_KERNEL, "--roottask", Artifacts.roottask)
    assert r.returncode == 1
    assert r.stdout.strip().splitlines()[-1] == (
        f"bootcheck: FAIL at link 12 (cores): {NEED}, but the loader started none with PSCI CPU_ON: "
        "seL4's boot core waits for them in init_kernel forever, silently [QEMU + GDB at the kernel's "
        f"entry, every CPU: {NEED}, but no other CPU reached its entry: seL4's boot core waits for "
        "them in init_kernel forever, silently]")
    init = next(f for f in v["findings"] if f["rule"] == "kernel_init")
    assert "only 1 of 4 cores arrived" in init["sentence"]


@pytest.mark.slow
@pytest.mark.emu
def test_check_ends_the_boot_at_the_wait_for_cores_nobody_starts(tmp_path, monkeypatch):
    """seL4 waits for the cores the altloader never starts silently, forever;
    the check ends that boot once the kernel's memory regions are out and the
    console is quiet. The stand-in plays seL4's silence for its first 2 s."""
    monkeypatch.setattr(contract, "cores_left_unstarted", as_if_sel4(contract.cores_left_unstarted))
    monkeypatch.setattr(gdbrun, "WAITING_QUIET", 0.2)
    image = tmp_path / "alt-smp.elf"
    subprocess.run(["make", "-s", "--no-print-directory", "-C", images.ROOT, "altloader-image",
                    f"KERNEL={SMP_KERNEL}", f"ROOTTASK={Artifacts.roottask}", f"OUT={image}"],
                   check=True, capture_output=True, timeout=300)
    r, v = run_check(tmp_path, image, "--kernel", SMP_KERNEL, "--roottask", Artifacts.roottask)
    assert r.returncode == 1, r.stdout + r.stderr
    init = next(f for f in v["findings"] if f["rule"] == "kernel_init")
    assert init["sentence"].startswith(
        "seL4 did not finish booting (the boot ended: serial silent for 0.2 s after seL4's memory regions, "
        f"and the loader started 0 of the {NODES - 1} other cores the kernel needs with PSCI CPU_ON: seL4's "
        "boot core waits for them forever); "), init["sentence"]


@pytest.mark.slow
@pytest.mark.emu
def test_check_names_a_core_with_other_registers(tmp_path):
    image = emu.pack_mutant("secondary_x3", SMP_KERNEL, Artifacts.roottask, tmp_path / "mutant.elf")
    r, v = run_check(tmp_path, image)
    assert r.returncode == 1
    entry = expect.elf_facts(Artifacts.roottask).entry
    line = r.stdout.strip().splitlines()[-1]
    assert line.startswith("bootcheck: FAIL at link 12 (cores): core 1 (CPU_ON target 0x1) entered with "
                           f"x3 = {hx(entry + 4)}, the boot core with {hx(entry)}; core 2"), line
    # QEMU + GDB saw the same on every CPU (gdb threads 2..4 are CPUs 1..3).
    assert ("[QEMU + GDB at the kernel's entry, every CPU: CPU 1 (gdb thread 2) entered with "
            f"x3 = {hx(entry + 4)}, the boot core with {hx(entry)}; CPU 2 (gdb thread 3)") in line, line
