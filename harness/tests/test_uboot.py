"""Real firmware in front of our loader: QEMU runs Debian's U-Boot 2023.01
(`-bios`), the harness stops its autoboot and types `booti` on its console,
and U-Boot starts our loader image (it carries a Linux Image header) the way
it starts Linux: x0 = its own DTB, MMU and D-cache off, at EL1 (`virt`) or
EL2 (`virtualization=on`). gdb captures the CPU at U-Boot's jump; emu-check
then runs the same image from that captured state instead of from reset.

Each case boots once (about 1 s) and its result is shared by the tests."""
import os
import re

import pytest

from bootcheck.board import uboot
from bootcheck.board.uboot_console import Console, ConsoleTimeout, make_fifos
from bootcheck.boot import qemu_machine
from bootcheck.check import emu
from bootcheck.kernel import bootlog, expect, target
from conftest import BUILD, REPORTS, SEL4_PARAMS, _safe_name, kernel_choice
from test_boot_e2e import STAGES

pytestmark = pytest.mark.slow      # boots through U-Boot

SCTLR_M, SCTLR_C = 1 << 0, 1 << 2

# (kernel param, starting EL): the stand-in at both ELs (at EL2 the loader
# drops to EL1 itself); a real seL4 at the EL its flavour needs.
CASES = [("standin", 1), ("standin", 2)] + [(p, None) for p in SEL4_PARAMS]


def _skip_without_uboot():
    why = uboot.missing()
    if why:
        pytest.skip(why)


_boots = {}
# The tests reading one cached boot run on one pytest-xdist worker
# (make verify: --dist loadgroup), so the boot is made once.
SHARED_BOOT = pytest.mark.xdist_group("uboot-boots")


@pytest.fixture(params=CASES, ids=lambda c: f"{c[0]}-el{c[1]}" if c[1] else c[0])
def uboot_boot(request, artifacts, tmp_path_factory):
    """(kernel, machine, image, UBootRun) of one U-Boot boot, once per case."""
    _skip_without_uboot()
    param, el = request.param
    kernel = kernel_choice(param, artifacts)
    machine = qemu_machine.machine_at_el(el) if el else qemu_machine.machine_for(kernel)
    key = (kernel, machine)
    if key not in _boots:
        from bootcheck.pack import images
        out = tmp_path_factory.mktemp("uboot") / "image.elf"
        image = images.pack_ok(kernel, artifacts.roottask, out)
        os.makedirs(os.path.join(REPORTS, "logs"), exist_ok=True)
        log = os.path.join(REPORTS, "logs", _safe_name(f"uboot-{param}-{machine}") + ".log")
        run = uboot.boot(image, machine, timeout=60, capture=True, log_path=log,
                         smp=qemu_machine.kernel_nodes(kernel))
        _boots[key] = (kernel, machine, str(image), run)
    return _boots[key]


@SHARED_BOOT
@pytest.mark.qemu
def test_uboot_boots_loader_to_roottask(uboot_boot, artifacts):
    kernel, machine, image, run = uboot_boot
    serial = run.result.serial
    assert run.error is None, run.describe()
    at = serial.find("## Flattened Device Tree blob at")   # U-Boot's booti, then ours
    assert at >= 0, run.describe()
    pos = at
    release = target.read(kernel).release     # the stages in the words of the kernel's release
    for stage in (bootlog.render(st, release) for st in STAGES):
        found = serial.find(stage, pos)
        assert found >= 0, f"stage {stage!r} missing (or out of order) after U-Boot\n{run.describe()}"
        pos = found
    el = qemu_machine.starts_at_el(machine)
    assert f"bootcheck loader: started at EL{el}," in serial, run.describe()
    # The loader took U-Boot's DTB from x0 (not QEMU's at the start of RAM) and
    # handed over what the files and that DTB's packed size imply.
    x0 = run.state["registers"]["x0"]
    assert f"loader: DTB from x0 (previous stage) at 0x{x0:x}," in serial, run.describe()
    dtb = uboot.write_start_state(run.state, os.path.join(os.path.dirname(image), "state")) + ".dtb"
    want = expect.expected_handoff(kernel, artifacts.roottask, expect.dtb_handover_size(dtb))
    assert expect.parse_loader_handoff(serial) == want.x, run.describe()
    assert "roottask: boot FAILED" not in serial and "loader: error" not in serial, run.describe()


@SHARED_BOOT
@pytest.mark.qemu
def test_uboot_jump_state_is_linux_contract(uboot_boot):
    """What U-Boot's booti leaves, read by gdb at its jump: the state our
    loader now copes with (and the one Linux's booting.rst asks for)."""
    kernel, machine, image, run = uboot_boot
    state = run.state
    assert state and state.get("reached"), f"gdb never saw U-Boot jump to the image\n{run.describe()}"
    regs = state["registers"]
    el = qemu_machine.starts_at_el(machine)
    assert state["el"] == el
    assert regs["pc"] == uboot.elf_entry(image) == uboot.elf_lowest_paddr(image)
    assert (regs["x1"], regs["x2"], regs["x3"]) == (0, 0, 0)
    sctlr = regs["SCTLR" if el == 1 else "SCTLR_EL2"]
    assert sctlr & (SCTLR_M | SCTLR_C) == 0, f"MMU/D-cache on at the jump: SCTLR 0x{sctlr:x}"
    dtb = bytes.fromhex(state["dtb_hex"])
    assert regs["x0"] % 8 == 0 and dtb[:4] == b"\xd0\x0d\xfe\xed"
    assert regs["x0"] not in (0, 0x40000000), "x0 should be U-Boot's own copy, not QEMU's blob"


@SHARED_BOOT
@pytest.mark.emu
def test_emu_check_from_uboot_jump_state(uboot_boot, tmp_path):
    """emu-check started from the captured state (registers and the DTB at
    x0) instead of reset: every check passes and its hand-off is the one the
    loader printed under U-Boot in QEMU."""
    kernel, machine, image, run = uboot_boot
    start = uboot.write_start_state(run.state, tmp_path / "start.state")
    r = emu.run(BUILD, image, tmp_path / "emu.json", start_state=start)
    assert r.returncode == 0, r.describe()
    assert f"at EL{run.state['el']}," in r.stdout, r.describe()
    assert f"emu-check: started from the captured state in {start}, not from reset" in r.stdout
    for name in emu.CHECKS:
        assert r.check(name)["status"] == "pass", r.describe()
    assert "(DTB from x0 (previous stage))" in r.check("handoff_registers")["message"], r.describe()
    printed = expect.parse_loader_handoff(run.result.serial)
    got = [int(v, 16) for v in re.search(r"x0\.\.x5 = ((?:0x[0-9a-f]+ ?){6})",
                                         r.check("handoff_registers")["message"]).group(1).split()]
    assert got == printed, r.describe()


def _state_file(tmp_path, text):
    path = tmp_path / "bad.state"
    path.write_text(text)
    return str(path)


@pytest.mark.emu
@pytest.mark.parametrize("text, message", [
    ("el 1\nsctlr 0xc5183d\n", "emu-check: start state: the start state has the MMU on (SCTLR_EL1 "
     "0xc5183d): the previous stage's page tables are not in the emulated RAM"),
    ("el 1\nsctlr_el3 0x0\n", "emu-check: start state: {path}:2: unknown register 'sctlr_el3'"),
    ("el 3\n", "emu-check: start state: {path}:1: el 3: only EL1 and EL2 starts are modelled"),
    ("x0 0x0\n", "emu-check: start state: start state '{path}' names no el"),
    ("el 1\nx0 banana\n", "emu-check: start state: {path}:2: 'banana' is not a number"),
])
def test_emu_check_refuses_bad_start_state(text, message, tmp_path, artifacts):
    import subprocess
    path = _state_file(tmp_path, text)
    image = tmp_path / "image.elf"
    from bootcheck.pack import images
    images.pack_ok(artifacts.standin_kernel, artifacts.roottask, image)
    p = subprocess.run([emu.emu_check_path(BUILD), str(image), "--start-state", path],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert p.stderr.strip() == message.format(path=path)


@pytest.mark.emu
def test_loader_refuses_x0_dtb_over_2mib(tmp_path, artifacts):
    """A firmware passing a DTB whose header claims more than the 2 MiB the
    Linux contract allows: the loader stops with one line naming x0 and the
    size (run in emu-check from a start state holding that DTB)."""
    import subprocess
    from bootcheck.pack import images
    blob = tmp_path / "pad.bin"
    blob.write_bytes(bytes(0x200100))
    dts = tmp_path / "big.dts"
    dts.write_text('/dts-v1/;\n/ { #address-cells = <2>; #size-cells = <2>;\n'
                   '  memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x40000000>; };\n'
                   f'  pad {{ data = /incbin/("{blob}"); }};\n}};\n')
    dtb = tmp_path / "big.dtb"
    subprocess.run(["dtc", "-I", "dts", "-O", "dtb", "-o", str(dtb), str(dts)], check=True,
                   capture_output=True)
    size = int.from_bytes(dtb.read_bytes()[4:8], "big")
    x0 = 0x60000000
    start = _state_file(tmp_path, f"el 1\nx0 0x{x0:x}\ndtb {dtb}\n")
    image = images.pack_ok(artifacts.standin_kernel, artifacts.roottask, tmp_path / "image.elf")
    r = emu.run(BUILD, image, tmp_path / "emu.json", start_state=start)
    want = (f"loader: error: the DTB at x0 = 0x{x0:x} claims {size} bytes; more than the "
            f"{2 << 20} a DTB passed in x0 may have")
    assert want in r.uart.splitlines(), r.describe()
    assert r.report["outcome"] == "stopped_machine", r.describe()


@pytest.mark.unit
def test_console_wait_is_bounded_and_names_what_it_waited_for(tmp_path):
    """A prompt that never comes: the wait ends at its deadline and says what
    it waited for and the last lines seen (no QEMU needed: the test writes
    the other end of the FIFOs)."""
    base = make_fifos(str(tmp_path / "serial"))
    console = Console(base)
    try:
        with open(base + ".out", "w") as other_end:
            other_end.write("U-Boot 2023.01\r\nHit any key to stop autoboot:  2 \r\n## Starting application\r\n")
        with pytest.raises(ConsoleTimeout) as e:
            console.wait_for("=> ", 0.5, "U-Boot's prompt")
    finally:
        console.close()
    assert str(e.value) == ("waited 0.5 s for U-Boot's prompt ('=> '); last lines seen:\n"
                            "U-Boot 2023.01\nHit any key to stop autoboot:  2 \n## Starting application\n")


@pytest.mark.qemu
def test_uboot_bootelf_never_reaches_the_loader(artifacts, tmp_path):
    """Why the suite uses booti: Debian's U-Boot 2023.01 `bootelf` prints
    "## Starting application" and then spins in its console flush() (its
    PL011 driver reports output pending while the FIFO is not full, and
    QEMU's never is). The bounded wait ends the run and says what it waited
    for; gdb never sees the jump. If a U-Boot update fixes this, this test
    fails and bootelf can be used too."""
    _skip_without_uboot()
    import tempfile
    from bootcheck.boot import gdbrun
    from bootcheck.pack import images
    image = images.pack_ok(artifacts.standin_kernel, artifacts.roottask, tmp_path / "image.elf")
    staging = 0x50000000
    rundir = tempfile.mkdtemp(prefix="bcu", dir=gdbrun._socket_safe_tmpdir())
    run = uboot.boot_loads(rundir, [(str(image), staging)], ["setenv autostart yes"],
                           f"bootelf -p 0x{staging:x}", qemu_machine.VIRT, timeout=4,
                           capture_at=uboot.elf_entry(image))
    assert run.error is not None and run.error.startswith("waited "), run.describe()
    assert "for the end of the boot (halting...)" in run.error
    entry = uboot.elf_entry(image)
    assert run.error.rstrip().endswith(f"## Starting application at 0x{entry:08x} ..."), run.error
    assert not (run.state or {}).get("reached"), "U-Boot's bootelf did reach the loader"
    assert "bootcheck loader" not in run.result.serial
