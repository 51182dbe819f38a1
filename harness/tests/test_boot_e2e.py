"""Loader -> kernel -> root task, booted in QEMU, on the stand-in kernel and
(with SEL4_KERNEL=...) on real seL4. The serial transcript must show every
stage in order, and every value the loader, the kernel and the root task
print must equal what the ELF files and the DTB imply by seL4's rules."""

import re

import pytest

from bootcheck.kernel import bootlog, expect, roottask_failures, target
from conftest import KERNEL_PARAMS, kernel_choice

pytestmark = pytest.mark.qemu

# Kernel window bases (PPTR_BASE): physical address 0 appears here.
PPTR_BASE_EL1 = 0xffffff8000000000
PPTR_BASE_HYP = 0x0000008000000000

STAGES = [
    "bootcheck loader: started at EL",
    "loader: handoff x0=",
    "loader: jumping to kernel at ",
    "Bootstrapping kernel",
    "reserved virt address space regions: 3",
    "Booting all finished, dropped to user space",
    "roottask: start",
    "roottask: boot OK",
]


def roottask_facts(serial):
    """The root task's numeric fact lines (roottask/README.md), name -> values."""
    facts = {}
    for m in re.finditer(r"^roottask: ([A-Za-z0-9_.]+) = (.+?)\r?$", serial, re.M):
        try:
            facts[m.group(1)] = [int(v, 0) for v in m.group(2).split()]
        except ValueError:       # a word fact, e.g. sel4.abi = 15.0/16.0 nonmcs smp=0
            continue
    return facts


@pytest.fixture(params=KERNEL_PARAMS)
def kernel(request, artifacts):
    return kernel_choice(request.param, artifacts)


def test_boot_to_roottask(kernel, artifacts, booter):
    # An SMP kernel needs a DTB that lists its cores: QEMU's own for -smp N
    # (the fixture DTB lists one CPU, and the loader refuses it).
    dtb = artifacts.virt_dtb if not target.read(kernel).smp else None
    image = booter.pack(kernel, artifacts.roottask, dtb=dtb)
    r = booter.boot(image, timeout=60)
    dtb_size = expect.handed_over_dtb_size(dtb, r.serial)
    assert dtb_size is not None, r.describe()
    want = expect.expected_handoff(kernel, artifacts.roottask, dtb_size)

    # 1. Every stage, in order, in the words of the kernel's release (read from its ELF).
    release = target.read(kernel).release
    pos = 0
    for stage in (bootlog.render(st, release) for st in STAGES):
        at = r.serial.find(stage, pos)
        assert at >= 0, f"stage {stage!r} missing (or out of order)\n{r.describe()}"
        pos = at
    assert "roottask: boot FAILED" not in r.serial, r.describe()
    assert "ERROR" not in r.serial, r.describe()

    # The ABI the root task detected (if it says) is the one read from the kernel ELF.
    abi = roottask_failures.abi_line(r.serial)
    if abi is not None:
        t = target.read(kernel)
        assert t.release.rsplit(".", 1)[0] in abi["release"].split("/"), (abi, t.describe())
        assert (abi["mcs"], abi["smp"]) == (t.mcs, t.smp), (abi, t.describe())

    # 2. The loader handed over what the files imply.
    assert expect.parse_loader_handoff(r.serial) == want.x, r.describe()

    # 3. The kernel reserved exactly kernel, DTB copy, user image, in that order.
    pptr = PPTR_BASE_HYP if want.hyp else PPTR_BASE_EL1
    log = bootlog.parse(r.serial)
    assert log.agrees_with(release) is not False, f"boot log in seL4 {log.form()}'s words from a {release} kernel"
    assert log.headers.get("reserved") == 3, r.describe()
    assert log.reserved == [
        (want.kernel_phys[0] + pptr, want.kernel_phys[1] + pptr),
        (want.dtb_phys[0] + pptr, want.dtb_phys[1] + pptr),
        (want.user_phys[0] + pptr, want.user_phys[1] + pptr),
    ], r.describe()

    # 4. The root task's view (§4.1, §4.2): layout after its own image.
    facts = roottask_facts(r.serial)
    rt = expect.elf_facts(artifacts.roottask)
    image_pages = (want.user_virt[1] - want.user_virt[0]) // expect.PAGE
    ipc_buffer = want.user_virt[1]
    bootinfo = ipc_buffer + expect.PAGE
    assert facts["entry.x0"] == [bootinfo]
    assert facts["entry.sp"] == [0]
    assert facts["entry.nonzero_regs"] == [0]
    assert facts["ipcBuffer"] == [ipc_buffer]
    assert facts["image"] == [want.user_virt[0], rt.symbols["_end"][0]]
    assert facts["image.pages"] == [image_pages]
    assert facts["userImageFrames.count"] == [image_pages]
    assert facts["userImagePaging.count"] == [2 if want.hyp else 3]
    assert facts["extraLen"] == [16 + dtb_size]
    assert facts["extra.0"] == [6, 16 + dtb_size]
    assert facts["dtb.size"] == [dtb_size]
    assert facts["dtb.magic"] == [0xd00dfeed]
    assert facts["dtb.totalsize"] == [dtb_size]
    extra_bytes = 1 << max(12, (16 + dtb_size - 1).bit_length())
    assert facts["extraBIPages.count"] == [extra_bytes // expect.PAGE]
    assert facts["empty"][1] == 1 << facts["initThreadCNodeSizeBits"][0]
    # All free RAM is handed out as untyped: RAM minus what is reserved,
    # minus the root server objects (at most a few hundred KiB).
    ram = 1024 << 20
    if want.hyp:
        ram -= 0x20000000       # the hyp kernel's RAM starts at 0x60000000
    reserved = ((want.kernel_phys[1] - want.kernel_phys[0]) +
                (want.user_phys[1] - want.user_phys[0]) + dtb_size)
    ram_bytes = facts["untyped.ram_bytes"][0]
    assert ram - reserved - (1 << 20) < ram_bytes <= ram - reserved + 0x10000, (
        f"untyped RAM 0x{ram_bytes:x} vs RAM 0x{ram:x} minus reserved 0x{reserved:x}")
    assert facts["checks"][1] == 0, "the root task reported failed checks"
