"""The Linux arm64 boot contract as a second protocol, honoured by a real
firmware: Debian's U-Boot `booti`s Debian's arm64 kernel Image (fetched by
`make linux-image` into build/deps/linux) with our initramfs
(fixtures/linux_init), at EL1 and at EL2. gdb stops at the Image's first
instruction and bootcheck.board.linux_contract judges what it saw; our init's line
on the serial console shows the kernel reached user space.

A boot to our init takes about 3 s under TCG; each EL boots once and its
result is shared. The judge itself is tested on broken observations below."""
import os
import subprocess

import pytest

from bootcheck.board import linux_contract, uboot_linux
from bootcheck.boot import qemu_machine
from conftest import BUILD, REPORTS

LINUX_IMAGE = os.path.join(BUILD, "deps", "linux", "Image")
INITRAMFS = os.path.join(BUILD, "fixtures", "linux_init", "initramfs.cpio")

_boots = {}
# The tests reading one cached boot run on one pytest-xdist worker
# (make verify: --dist loadgroup), so the boot is made once.
SHARED_BOOT = pytest.mark.xdist_group("linux-uboot-boots")


@pytest.fixture(params=[1, 2], ids=["el1", "el2"])
def linux_boot(request):
    why = uboot_linux.missing(LINUX_IMAGE)
    if why:
        pytest.skip(why)
    el = request.param
    if el not in _boots:
        os.makedirs(os.path.join(REPORTS, "logs"), exist_ok=True)
        log = os.path.join(REPORTS, "logs", f"linux-uboot-el{el}.log")
        _boots[el] = uboot_linux.boot(LINUX_IMAGE, INITRAMFS, qemu_machine.machine_at_el(el),
                                      timeout=90, log_path=log)
    return el, _boots[el]


@pytest.mark.slow
@SHARED_BOOT
@pytest.mark.qemu
def test_linux_reaches_our_init_after_uboot(linux_boot):
    el, run = linux_boot
    serial = run.result.serial
    assert run.error is None, run.describe()
    pos = 0
    for stage in ("## Flattened Device Tree blob at", "Starting kernel ...", "Linux version 6.1",
                  "Run /init as init process", uboot_linux.INIT_LINE, "reboot: Power down"):
        at = serial.find(stage, pos)
        assert at >= 0, f"{stage!r} missing (or out of order)\n{run.describe()}"
        pos = at
    assert run.result.stopped_on == "reboot: Power down", run.describe()


def _uboot_findings(run, el):
    state = run.state
    assert state and state.get("reached"), f"gdb never saw the jump to the Image\n{run.describe()}"
    regs = state["registers"]
    header = linux_contract.read_image_header(LINUX_IMAGE)
    dtb = bytes.fromhex(state["dtb_hex"]) if state.get("dtb_hex") else None
    return linux_contract.judge(header, state["el"], regs, regs["SCTLR" if el == 1 else "SCTLR_EL2"],
                                dtb, os.path.getsize(INITRAMFS))


@pytest.mark.slow
@SHARED_BOOT
@pytest.mark.qemu
def test_uboot_booti_honours_the_linux_contract(linux_boot):
    """Every rule holds at the kernel's first instruction but one: U-Boot
    2023.01 jumps with SError (PSTATE.A) unmasked, which booting.rst asks
    firmware to mask. Linux masks it itself in its first instructions. (U-Boot
    moves the initrd to the top of RAM; /chosen says where.)"""
    el, run = linux_boot
    findings = {f.rule: f for f in _uboot_findings(run, el)}
    assert set(findings) == {"registers", "dtb", "image_placement", "mmu", "interrupts",
                             "exception_level", "initrd"}
    for rule, f in findings.items():
        if rule != "interrupts":
            assert f.status == "pass", f"{rule}: {f.sentence}\n{run.describe()}"
    assert findings["interrupts"].status == "fail"
    assert findings["interrupts"].sentence == ("PSTATE.DAIF = 0xb: SError not masked; the contract wants "
                                               "all four masked")
    assert findings["exception_level"].sentence == ("entered at EL2 (preferred)" if el == 2 else
                                                    "entered at EL1")
    assert run.state["registers"]["pc"] == uboot_linux.IMAGE_ADDR


# --- the judge on broken observations (no boot) ---------------------------

RAM = (0x40000000, 0x80000000)
HEADER = linux_contract.ImageHeader(text_offset=0, image_size=0x2010000, flags=0xa)


def _dtb(tmp_path, initrd=(0x48000000, 0x48000800)):
    dts = tmp_path / "t.dts"
    dts.write_text("/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>;\n"
                   f"  memory@40000000 {{ device_type = \"memory\"; reg = <0 {RAM[0]:#x} 0 {RAM[1] - RAM[0]:#x}>; }};\n"
                   f"  chosen {{ linux,initrd-start = <0 {initrd[0]:#x}>; linux,initrd-end = <0 {initrd[1]:#x}>; }};\n"
                   "};\n")
    out = tmp_path / "t.dtb"
    subprocess.run(["dtc", "-I", "dts", "-O", "dtb", "-o", str(out), str(dts)], check=True,
                   capture_output=True)
    return out.read_bytes()


GOOD = {"pc": 0x40200000, "x0": 0x7dcae000, "x1": 0, "x2": 0, "x3": 0, "cpsr": 0x3c5}


def _judge(tmp_path, regs=None, sctlr=0, dtb=None, initrd_size=0x800, header=HEADER):
    r = dict(GOOD, **(regs or {}))
    blob = _dtb(tmp_path) if dtb is None else dtb
    return {f.rule: f for f in linux_contract.judge(header, 1, r, sctlr, blob, initrd_size)}


@pytest.mark.unit
def test_judge_passes_a_correct_handoff(tmp_path):
    findings = _judge(tmp_path)
    assert {r: f.status for r, f in findings.items()} == dict.fromkeys(findings, "pass")


@pytest.mark.unit
@pytest.mark.parametrize("change, rule, sentence", [
    ({"regs": {"x1": 0x1000}}, "registers",
     "x1 = 0x1000 at entry; the contract wants x1 = x2 = x3 = 0 (reserved for future use)"),
    ({"sctlr": 0x30d0181d}, "mmu",
     "MMU on at entry (SCTLR_EL1 0x30d0181d, M = 1); the contract wants it off"),
    ({"regs": {"x0": 0x7dcae004}}, "dtb", "DTB at x0 = 0x7dcae004 is not 8-byte aligned"),
    ({"regs": {"pc": 0x40210000}}, "image_placement",
     "the kernel was entered at 0x40210000: base 0x40210000 (entry - text_offset 0x0) is not 2 MiB aligned"),
    ({"regs": {"pc": 0x7fe00000}}, "image_placement",
     "image [0x7fe00000, 0x81e10000) (image_size from the header) is not inside RAM"),
    ({"initrd_size": 0x1000}, "initrd",
     "/chosen's initrd [0x48000000, 0x48000800) is 2048 bytes but the initrd is 4096"),
    ({"regs": {"cpsr": 0x2c5}}, "interrupts",
     "PSTATE.DAIF = 0xb: SError not masked; the contract wants all four masked"),
])
def test_judge_names_each_broken_rule(tmp_path, change, rule, sentence):
    findings = _judge(tmp_path, **change)
    assert (findings[rule].status, findings[rule].sentence) == ("fail", sentence)
    others = {r: f.status for r, f in findings.items() if r != rule}
    assert set(others.values()) == {"pass"}, others


@pytest.mark.unit
def test_judge_names_an_initrd_outside_ram(tmp_path):
    blob = _dtb(tmp_path, initrd=(0x90000000, 0x90000800))
    f = _judge(tmp_path, dtb=blob)["initrd"]
    assert (f.status, f.sentence) == ("fail", "initrd [0x90000000, 0x90000800) is not inside RAM")


@pytest.mark.unit
def test_judge_names_a_dtb_over_2mib(tmp_path):
    blob = bytearray(_dtb(tmp_path))
    blob[4:8] = (0x200008).to_bytes(4, "big")    # totalsize beyond the contract's 2 MiB
    blob += bytes(0x200008 - len(blob))
    f = _judge(tmp_path, dtb=bytes(blob))["dtb"]
    assert (f.status, f.sentence) == ("fail", "DTB at 0x7dcae000 is 2097160 bytes; the contract allows "
                                      "at most 2 MiB (2097152)")
