"""The root task finds out which seL4 ABI it runs on (roottask/abi_detect.c,
targets/abi/README.md): MCS from the BootInfo, SMP from numNodes, the
release from two probes whose error code differs by release; it prints
`roottask: sel4.abi = <release> <mcs|nonmcs> smp=<0|1>` and the probes'
labels and answers. Checked on the stand-in (seL4 13.0.0 numbering,
non-MCS) and, with SEL4_KERNEL, on each real kernel, whose release and
flavour are read independently from its ELF symbols. Also: root tasks
forced to one ABI (make roottask-forced), a forced root task on the wrong
kernel failing with the exact symptom of issue 22, and a root task whose
probe gets an answer neither release gives, which must stop with one line
naming the evidence."""

import os
import subprocess

import pytest

from bootcheck.boot import qemu_machine
from bootcheck.kernel import expect

from conftest import KERNEL_PARAMS, ROOT, kernel_choice
from spawn_support import detected_abi, facts, sel4abi

pytestmark = pytest.mark.qemu

_boots = {}

# Functions and variables that appeared in (or are only in) some releases or
# configurations of seL4's kernel, so a kernel ELF says what it is without
# asking the root task: MCS kernels have decodeSchedControlInvocation; 14.0.0
# added prepareSetDomain, 15.0.0 ksDomScheduleStart (the domain schedule
# invocations), 16.0.0 c_handle_invalid_vector_entry.
RELEASE_MARKERS = [("16.0.0", "c_handle_invalid_vector_entry"), ("15.0.0", "ksDomScheduleStart"),
                   ("14.0.0", "prepareSetDomain")]
MCS_MARKER = "decodeSchedControlInvocation"


@pytest.fixture(params=KERNEL_PARAMS)
def kernel(request, artifacts):
    return request.param, kernel_choice(request.param, artifacts)


def boot_once(kind, kernel_path, roottask, booter):
    """Each image boots once per kernel for the whole run (booter.boot_shared,
    across xdist workers)."""
    key = (kind, roottask)
    if key not in _boots:
        _boots[key] = booter.boot_shared(booter.pack(kernel_path, roottask), timeout=90)
    return _boots[key]


def kernel_truth(kind, path):
    """(release, mcs, smp) of the kernel, not from the root task."""
    smp = qemu_machine.kernel_nodes(path) > 1
    if kind == "standin":
        return "13.0.0", False, smp   # the stand-in numbers as seL4 13.0.0, non-MCS
    symbols = expect.elf_facts(path).symbols
    if not symbols:
        pytest.skip(f"{path} has no symbols: its release cannot be told from the ELF")
    release = next((r for r, marker in RELEASE_MARKERS if marker in symbols), "13.0.0")
    return release, MCS_MARKER in symbols, smp


def release_token(release):
    """How the root task names a release (it cannot tell 15.0.0 from 16.0.0)."""
    return "15.0/16.0" if release in ("15.0.0", "16.0.0") else release[:-2]


def test_detected_abi_is_the_kernels(kernel, artifacts, booter):
    kind, path = kernel
    release, mcs, smp = kernel_truth(kind, path)
    r = boot_once(kind, path, artifacts.roottask, booter)
    want = f"roottask: sel4.abi = {release_token(release)} {'mcs' if mcs else 'nonmcs'} smp={int(smp)}"
    assert want in r.lines, r.describe()
    assert detected_abi(r.serial) == (sel4abi.detected_releases(release_token(release)), mcs, smp)
    # The line comes before any check, right after "start" and the probes.
    assert r.lines.index(want) < r.lines.index("roottask: boot OK"), r.describe()
    assert "roottask: components OK" in r.lines, r.describe()


def test_probes_answer_as_the_release_does(kernel, artifacts, booter):
    """The TCB probe carries the label TCBSetFlags has from 14.0.0 on (for
    this kernel's MCS and SMP flavour): IllegalOperation on 13.0.0,
    TruncatedMessage after; the Domain probe (14.0.0 on only) carries
    DomainScheduleConfigure's label: IllegalOperation on 14.0.0,
    TruncatedMessage from 15.0.0 on."""
    kind, path = kernel
    release, mcs, smp = kernel_truth(kind, path)
    r = boot_once(kind, path, artifacts.roottask, booter)
    f = facts(r.serial)
    errors = sel4abi.abi(release).errors
    tcb_label = sel4abi.abi("14.0.0", mcs, smp).labels["TCBSetFlags"]
    old, new = errors["IllegalOperation"], errors["TruncatedMessage"]
    assert f["sel4.abi.probe.tcb"] == [str(tcb_label), str(old if release == "13.0.0" else new)], \
        r.describe()
    if release == "13.0.0":
        assert "sel4.abi.probe.domain" not in f, r.describe()
    else:
        domain_label = sel4abi.abi("15.0.0", mcs, smp).labels["DomainScheduleConfigure"]
        assert f["sel4.abi.probe.domain"] == [str(domain_label),
                                              str(old if release == "14.0.0" else new)], r.describe()


def test_cannot_tell_gets_one_line_with_the_evidence(kernel, artifacts, booter):
    """A root task whose TCB probe goes to an empty slot: every kernel answers
    seL4_InvalidCapability, which is neither release's answer. It must say so
    in one line and spawn nothing (no label is guessed)."""
    kind, path = kernel
    _, mcs, smp = kernel_truth(kind, path)
    roottask = os.path.join(artifacts.fixtures, "components", "roottask-probe-empty-slot.elf")
    r = boot_once(kind, path, roottask, booter)
    label = sel4abi.abi("14.0.0", mcs, smp).labels["TCBSetFlags"]
    failed = [l for l in r.lines if l.startswith("roottask: boot FAILED")]
    assert failed == [f"roottask: boot FAILED: cannot tell the seL4 release: TCB label {label} -> "
                      "seL4_InvalidCapability, expected seL4_IllegalOperation (13.0) or "
                      "seL4_TruncatedMessage (14.0+)"], r.describe()
    assert "roottask: sel4.abi" not in " ".join(l for l in r.lines if "probe" not in l), r.describe()
    assert not [l for l in r.lines if l.startswith("roottask: check ")], r.describe()
    assert "system_init: started" not in r.lines, r.describe()


def forced(artifacts, name):
    return os.path.join(os.path.dirname(artifacts.roottask), f"roottask-abi-{name}.elf")


def test_forced_root_task_on_its_own_kernel(artifacts, booter):
    """Built for seL4 13.0.0 non-MCS, on the stand-in (which is that): no
    probe, the forced ABI said so, and the chain runs."""
    r = booter.boot(booter.pack(artifacts.standin_kernel, forced(artifacts, "13.0.0-nonmcs")),
                    timeout=90)
    assert [l for l in r.lines if l.startswith("roottask: sel4.abi")] == \
        ["roottask: sel4.abi.forced = 1", "roottask: sel4.abi = 13.0 nonmcs smp=0"], r.describe()
    assert "roottask: components OK" in r.lines, r.describe()


def test_forced_root_task_on_another_release(artifacts, booter):
    """Built for 16.0.0 non-MCS, on the stand-in (13.0.0 numbering): the
    symptom of issue 22 in reverse. ASIDPool_Assign is the first invocation
    whose label the releases number differently (16.0.0's 48 is no ASID
    pool method on 13.0.0)."""
    assert sel4abi.abi("16.0.0").labels["ARMASIDPoolAssign"] != \
        sel4abi.abi("13.0.0").labels["ARMASIDPoolAssign"]
    r = booter.boot(booter.pack(artifacts.standin_kernel, forced(artifacts, "16.0.0-nonmcs")),
                    timeout=90)
    assert "roottask: sel4.abi = 15.0/16.0 nonmcs smp=0" in r.lines, r.describe()
    assert "roottask: boot FAILED: spawn system_init: ASIDPool_Assign -> seL4_IllegalOperation" \
        in r.lines, r.describe()


def test_forced_mcs_root_task_on_non_mcs_kernel_is_silent(artifacts, booter):
    """Built for MCS, on a non-MCS kernel: its DebugPutChar (-12) is
    DebugCapIdentify there, so it cannot print a single line: the mutant of
    "a root task built for the other configuration"."""
    r = booter.boot(booter.pack(artifacts.standin_kernel, forced(artifacts, "13.0.0-mcs")),
                    timeout=60)
    assert "Booting all finished, dropped to user space" in r.lines, r.describe()
    assert not [l for l in r.lines if l.startswith("roottask:")], r.describe()


@pytest.mark.unit
def test_forced_make_target(tmp_path):
    """make roottask-forced ABI=... builds build/roottask/roottask-abi-<ABI>.elf;
    a bad ABI gets one line and no build."""
    build = os.environ.get("BUILD", os.path.join(ROOT, "build"))
    ok = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, f"BUILD={build}",
                         "roottask-forced", "ABI=14.0.0-mcs-smp"], capture_output=True, text=True,
                        timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    elf = os.path.join(build, "roottask", "roottask-abi-14.0.0-mcs-smp.elf")
    assert os.path.isfile(elf)
    bad = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, f"BUILD={build}",
                          "roottask-forced", "ABI=12.0.0-mcs"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode != 0
    assert "sel4abi: error: seL4 12.0.0 is not in the table (known: 13.0.0, 14.0.0, 15.0.0, " \
        "16.0.0)" in bad.stderr.splitlines(), bad.stderr
    none = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, f"BUILD={build}",
                           "roottask-forced"], capture_output=True, text=True, timeout=60)
    assert none.returncode != 0
    assert "roottask-forced: give ABI=<release>-<mcs|nonmcs>[-up|-smp], e.g. ABI=13.0.0-nonmcs" \
        in none.stderr.splitlines(), none.stderr
