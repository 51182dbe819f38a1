"""Real seL4 riscv64 kernels end to end through bootcheck's own riscv64
loader: what `make run KERNEL=<kernel.elf>` boots (the kernel, the riscv64
root task, the firmware's DTB) reaches `roottask: components OK`.

The kernels come from SEL4_KERNEL (any mix of AArch64 and riscv64 ones: an
AArch64 kernel is skipped with its reason); without SEL4_KERNEL one case
stays, skipped with the reason. What the root task must report is derived
from the kernel ELF itself (bootcheck.kernel.target: release, MCS, core count),
never written down here."""

import os
import re

import pytest

from bootcheck.kernel import target
from conftest import BUILD, SEL4_PARAMS, sel4_kernel_path

# Real kernels of both architectures come here; each test picks its own.
KERNEL_ARCHES = ("aarch64", "riscv64")
from spawn_support import detected_abi, facts

pytestmark = pytest.mark.qemu

COMPONENTS_OK = "roottask: components OK"
BOOT_FAILED = "roottask: boot FAILED"
# An SMP kernel under QEMU on a loaded, shared host needs far longer than a
# single-core one (4 vCPU threads on 2 host cores): bounded generously.
TIMEOUT_UP, TIMEOUT_SMP = 120, 600


def riscv_kernel(param):
    path = sel4_kernel_path(param)
    t = target.read(path)
    if t.arch != "riscv64":
        pytest.skip(f"{param} ({path}) is an {t.arch} kernel, not riscv64")
    return path, t


def riscv_roottask():
    path = os.path.join(BUILD, "roottask", "riscv64", "roottask.elf")
    if not os.path.isfile(path):
        pytest.fail(f"{path} is not built (make all)", pytrace=False)
    return path


_boots = {}


@pytest.fixture(params=SEL4_PARAMS)
def sel4_run(request, booter):
    """(target, boot result) of the kernel packed as `make run` packs it
    (no DTB: the loader reads the firmware's), booted once per run."""
    path, t = riscv_kernel(request.param)
    if path not in _boots:
        image = booter.pack(path, riscv_roottask())
        _boots[path] = booter.boot_shared(
            image, timeout=TIMEOUT_SMP if t.smp else TIMEOUT_UP,
            stop_patterns=(COMPONENTS_OK, BOOT_FAILED, "halting..."))
    return t, _boots[path]


def test_reaches_components_ok(sel4_run):
    t, r = sel4_run
    assert "Booting all finished, dropped to user space" in r.serial, r.describe()
    assert BOOT_FAILED not in r.serial, r.describe()
    assert r.stopped_on == COMPONENTS_OK, f"{t.describe()}\n{r.describe()}"
    assert re.search(r"^roottask: chain: roottask -> system_init ok\r?$", r.serial, re.M), r.describe()


def test_loader_handed_over(sel4_run):
    """Our loader, not another, started the kernel: its hand-off line, and on
    SMP one started hart per secondary core."""
    t, r = sel4_run
    assert re.search(r"^loader: jumping to kernel at 0x[0-9a-f]+ \(hart \d+, core 0\)\r?$",
                     r.serial, re.M), r.describe()
    for core in range(1, t.nodes):
        assert re.search(rf"^loader: hart \d+ started as core {core}\r?$", r.serial, re.M), r.describe()


def test_abi_names_the_kernel(sel4_run):
    """The root task's `sel4.abi` line names the release, MCS and SMP that the
    kernel ELF's own evidence gives (bootcheck.kernel.target)."""
    t, r = sel4_run
    found = detected_abi(r.serial)
    assert found is not None, "no roottask: sel4.abi line\n" + r.describe()
    releases, mcs, smp = found
    assert t.release is not None and t.mcs is not None, t.unknown_line()
    assert t.release in releases, (releases, t.describe())
    assert (mcs, smp) == (t.mcs, t.smp), ((mcs, smp), t.describe())


def test_num_nodes_is_the_kernels(sel4_run):
    t, r = sel4_run
    assert t.cores is not None, t.unknown_line()
    f = facts(r.serial)
    assert f.get("numNodes") == [str(t.nodes)], (f.get("numNodes"), t.describe(), r.describe())
    assert f.get("nodeID") == ["0"], r.describe()
