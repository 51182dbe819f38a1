"""One DTB size for the whole placement: the loader hands a payload DTB over
packed (fdt_pack), and the pack step's printed plan, the boot and the
emulator's expectations all use that packed size, also for a DTB with free
space inside. And a payload DTB may be as large as the placement allows (the
loader's scratch copy is sized by the pack step): here over 2 MiB, on the
stand-in and, with SEL4_KERNEL, on real seL4, which hands the root task
extraLen = 16 + the DTB's size in as many frames as that covers."""

import os
import re
import subprocess

import pytest

from bootcheck.check import emu
from bootcheck.kernel import expect
from bootcheck.pack import images

from conftest import BUILD, KERNEL_PARAMS, Artifacts, kernel_choice, virt_dtb_for

PAGE = 0x1000
SLACK_DTB = os.path.join(BUILD, "fixtures", "virt-1g-slack.dtb")
BIG_DTB = os.path.join(BUILD, "fixtures", "virt-1g-2m.dtb")


def _plan_line(text, what):
    m = re.search(rf"{what} paddr \[(0x[0-9a-f]+)\.\.(0x[0-9a-f]+)\)", text)
    assert m, text
    return int(m.group(1), 16), int(m.group(2), 16)


@pytest.mark.qemu
def test_dtb_with_free_space_is_planned_as_handed_over(booter, artifacts, tmp_path):
    handed = expect.dtb_handover_size(SLACK_DTB)
    assert handed < expect.fdt_totalsize(SLACK_DTB) == 65536     # the fixture has free space
    r = images.pack(artifacts.standin_kernel, artifacts.roottask, tmp_path / "plan.elf", dtb=SLACK_DTB)
    # pack-check's plan line: "... roottask N KiB entry 0x..., paddr [start..end)"
    packed_plan = re.search(r"roottask \d+ KiB entry 0x[0-9a-f]+, paddr \[(0x[0-9a-f]+)", r.output)
    assert packed_plan, r.output
    image = booter.pack(artifacts.standin_kernel, artifacts.roottask, dtb=SLACK_DTB)
    boot = booter.boot(image, timeout=30)
    want = expect.expected_handoff(artifacts.standin_kernel, artifacts.roottask, handed)
    printed = expect.parse_loader_handoff(boot.serial)
    assert printed == want.x, boot.describe()
    assert printed[5] == handed
    assert _plan_line(boot.serial, "loader: roottask")[0] == int(packed_plan.group(1), 16), r.output
    assert "roottask: boot OK" in boot.lines, boot.describe()


@pytest.mark.emu
def test_emulator_plans_the_packed_size(tmp_path):
    image = images.pack_ok(Artifacts.standin_kernel, Artifacts.roottask, tmp_path / "slack.elf",
                           dtb=SLACK_DTB)
    r = emu.run(BUILD, image, tmp_path / "r.json")
    regs = next(c for c in r.report["checks"] if c["name"] == "handoff_registers")
    assert regs["status"] == "pass", r.describe()
    assert int(r.report["expected"]["handoff"][5], 16) == expect.dtb_handover_size(SLACK_DTB)


@pytest.mark.qemu
@pytest.mark.parametrize("kernel_param", KERNEL_PARAMS)
def test_dtb_over_2_mib(kernel_param, booter, artifacts):
    kernel = kernel_choice(kernel_param, artifacts)
    big_dtb = virt_dtb_for(kernel, "virt-1g-2m")      # BIG_DTB, with an SMP kernel's CPUs
    size = expect.dtb_handover_size(big_dtb)
    assert size > 2 * 1024 * 1024
    image = booter.pack(kernel, artifacts.roottask, dtb=big_dtb)
    r = booter.boot(image, timeout=60, stop_patterns=("roottask: boot OK", "halting..."))
    assert f"x5=0x{size:x}" in r.serial, r.describe()
    assert "Booting all finished, dropped to user space" in r.lines, r.describe()
    extra_len = 16 + size
    assert f"roottask: extraLen = 0x{extra_len:x}" in r.lines, r.describe()
    assert f"roottask: extraBIPages.count = {(extra_len + PAGE - 1) // PAGE}" in r.lines, r.describe()
    assert "roottask: boot OK" in r.lines, r.describe()


@pytest.mark.unit
def test_pack_never_writes_over_a_non_file(tmp_path):
    """OUT is moved into place: over a device (as root, OUT=/dev/null) that
    would replace the node. A directory stands in for the device here."""
    r = images.pack(Artifacts.standin_kernel, Artifacts.roottask, tmp_path)
    assert r.returncode != 0
    assert f"pack: error: OUT={tmp_path} exists and is not a regular file" in r.output.splitlines()


@pytest.mark.unit
@pytest.mark.parametrize("make_kernel", [lambda tmp: str(tmp), lambda tmp: os.devnull],
                         ids=["directory", "device"])
def test_pack_check_refuses_a_kernel_that_is_not_a_regular_file(tmp_path, make_kernel):
    """pack-check maps its inputs: a directory or a device (the pack step's own
    `-f` test stops both before it; a direct caller does not) is named as
    unreadable, not mapped or read as 0 bytes."""
    kernel = make_kernel(tmp_path)
    r = subprocess.run([os.path.join(BUILD, "loader", "pack-check"), kernel, Artifacts.roottask, "-", "1024",
                        "0x48000000", "0"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.splitlines() == [f"pack: error: cannot read kernel.elf '{kernel}'"], r.stderr
