"""Our loader's Linux payload kind (`make image KERNEL=Image INITRD=...
BOOTARGS=...`): Debian's arm64 kernel with our initramfs, booted by our
loader at EL1 and EL2, judged by the Linux contract at the Image's first
instruction (gdb) and by our init's serial line; and each deliberately
broken hand-off, a mutant of the loader (loader/arch/aarch64/mutations.h), named by
the contract's rule with its values.

Each full boot takes about 5 s; a mutant stops at Linux's entry (~1 s)."""
import os
import re

import pytest

from bootcheck.board import linux_loader, uboot_linux
from bootcheck.boot import qemu_machine
from bootcheck.check import emu
from check_runs import run_cli
from conftest import BUILD, REPORTS

pytestmark = pytest.mark.slow      # Debian's Linux, booted

LINUX_IMAGE = os.path.join(BUILD, "deps", "linux", "Image")
INITRAMFS = os.path.join(BUILD, "fixtures", "linux_init", "initramfs.cpio")
BOOTARGS = uboot_linux.BOOTARGS      # the console, power off on a panic, no work no test observes

_packed = {}
_boots = {}
# The tests reading one cached boot run on one pytest-xdist worker
# (make verify: --dist loadgroup), so the boot is made once.
SHARED_BOOT = pytest.mark.xdist_group("linux-loader-boots")


def _skip_without_kernel():
    why = uboot_linux.missing(LINUX_IMAGE)
    if why and not os.path.isfile(LINUX_IMAGE):
        pytest.skip(why)


def _image(tmp_path_factory, mutant=None):
    if mutant not in _packed:
        out = tmp_path_factory.mktemp("linux") / f"linux-{mutant or 'ok'}.elf"
        _packed[mutant] = linux_loader.pack(LINUX_IMAGE, INITRAMFS, out, BOOTARGS, mutant=mutant)
    return _packed[mutant]


@pytest.fixture(params=[1, 2], ids=["el1", "el2"])
def linux_run(request, tmp_path_factory):
    _skip_without_kernel()
    el = request.param
    if el not in _boots:
        image = _image(tmp_path_factory)
        os.makedirs(os.path.join(REPORTS, "logs"), exist_ok=True)
        log = os.path.join(REPORTS, "logs", f"linux-loader-el{el}.log")
        _boots[el] = linux_loader.boot(image, qemu_machine.machine_at_el(el), timeout=90, log_path=log)
    return el, _boots[el]


@SHARED_BOOT
@pytest.mark.qemu
def test_loader_boots_linux_to_our_init(linux_run):
    el, run = linux_run
    pos = 0
    for stage in (f"bootcheck loader: started at EL{el},", "loader: Linux Image text_offset 0x",
                  "loader: jumping to Linux at ", "Linux version 6.1", "Run /init as init process",
                  uboot_linux.INIT_LINE):
        at = run.serial.find(stage, pos)
        assert at >= 0, f"{stage!r} missing (or out of order)\n{run.describe()}"
        pos = at
    assert run.ended_by == "serial line 'reboot: Power down'", run.describe()
    assert f"Kernel command line: {BOOTARGS}" in run.serial, run.describe()


@SHARED_BOOT
@pytest.mark.qemu
def test_loader_honours_the_linux_contract(linux_run):
    el, run = linux_run
    findings = linux_loader.judge(run, LINUX_IMAGE, INITRAMFS)
    assert {r: f.status for r, f in findings.items()} == dict.fromkeys(findings, "pass"), \
        "\n".join(f"{r}: {f.status}: {f.sentence}" for r, f in findings.items()) + "\n" + run.describe()
    assert findings["exception_level"].sentence == ("entered at EL2 (preferred)" if el == 2 else
                                                    "entered at EL1")
    # The loader's own account of where it put things agrees with what gdb saw.
    regs = run.state["registers"]
    assert f"loader: jumping to Linux at 0x{regs['pc']:x} (EL{el}) x0=0x{regs['x0']:x}" in run.serial


# (mutant, rule, the sentence with the values the mutant must produce)
MUTANTS = [
    ("linux_x1", "registers",
     "x1 = 0x1000 at entry; the contract wants x1 = x2 = x3 = 0 (reserved for future use)"),
    ("linux_mmu_on", "mmu", "MMU on at entry (SCTLR_EL1 {sctlr}, M = 1); the contract wants it off"),
    ("linux_dtb_misaligned", "dtb", "DTB at x0 = {x0} is not 8-byte aligned"),
    ("linux_dtb_over_2m", "dtb", "DTB at {x0} is 2097160 bytes; the contract allows at most 2 MiB (2097152)"),
    ("linux_image_misplaced", "image_placement",
     "the kernel was entered at {pc}: base {pc} (entry - text_offset 0x0) is not 2 MiB aligned"),
    ("linux_initrd_outside_ram", "initrd", "initrd [0x80100000, 0x80100800) is not inside RAM"),
]


@pytest.mark.qemu
@pytest.mark.parametrize("mutant, rule, sentence", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_broken_linux_handoff_is_named(mutant, rule, sentence, tmp_path_factory):
    _skip_without_kernel()
    image = _image(tmp_path_factory, mutant)
    run = linux_loader.boot(image, qemu_machine.machine_at_el(1), timeout=30, until_entry=True)
    findings = linux_loader.judge(run, LINUX_IMAGE, INITRAMFS)
    regs = run.state["registers"]
    want = sentence.format(x0=f"0x{regs['x0']:x}", pc=f"0x{regs['pc']:x}", sctlr=f"0x{regs['SCTLR']:x}")
    report = "\n".join(f"{r}: {f.status}: {f.sentence}" for r, f in findings.items())
    assert (findings[rule].status, findings[rule].sentence) == ("fail", want), report
    # Only the broken rule (and what follows from it) fails: the others hold.
    assert findings["exception_level"].status == "pass", report
    if rule != "registers":
        assert findings["registers"].status == "pass", report


def _emu(image, tmp_path, el):
    r = emu.run(BUILD, image, tmp_path / "emu.json", el=el)
    return r, linux_loader.emu_findings(r.report, LINUX_IMAGE, INITRAMFS)


@pytest.mark.emu
@pytest.mark.parametrize("el", [1, 2])
def test_emu_check_linux_payload(el, tmp_path, tmp_path_factory):
    """emu-check runs the loader to the Image's entry: the Image and initrd
    byte-exact where the plan puts them, every store in the allowed-write
    map, and the contract's rules hold on the emulated entry state."""
    _skip_without_kernel()
    r, findings = _emu(_image(tmp_path_factory), tmp_path, el)
    assert r.returncode == 0, r.describe()
    assert [(c["name"], c["status"]) for c in r.report["checks"]] == [("linux_images", "pass"),
                                                                     ("writes", "pass")], r.describe()
    assert {k: f.status for k, f in findings.items()} == dict.fromkeys(findings, "pass"), \
        "\n".join(f"{k}: {f.sentence}" for k, f in findings.items())
    assert findings["exception_level"].sentence.startswith(f"entered at EL{el}")


@pytest.mark.emu
@pytest.mark.parametrize("mutant, rule, sentence", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_emu_check_names_broken_linux_handoff(mutant, rule, sentence, tmp_path, tmp_path_factory):
    """The same mutants, judged on emu-check's entry state: the same rule and
    sentence as at the gdb stop in QEMU."""
    _skip_without_kernel()
    r, findings = _emu(_image(tmp_path_factory, mutant), tmp_path, 1)
    e = r.report["entry_state"]
    want = sentence.format(x0=f"0x{e['x'][0]:x}", pc=f"0x{e['pc']:x}", sctlr=f"0x{e['sctlr']:x}")
    assert (findings[rule].status, findings[rule].sentence) == ("fail", want), \
        "\n".join(f"{k}: {f.status}: {f.sentence}" for k, f in findings.items())


@pytest.mark.emu
def test_emu_check_names_a_stray_store_after_the_image_copy(tmp_path, tmp_path_factory):
    """The stray_write mutant stores a word at __loader_end right after the
    Image's copy, whose four million stores emu-check logs as one record (they
    all lie in the Image's allowed region): the stray store is still named,
    with its size, address and the loader code that made it."""
    _skip_without_kernel()
    image = _image(tmp_path_factory, "stray_write")
    r, _ = _emu(image, tmp_path, 1)
    checks = {c["name"]: c for c in r.report["checks"]}
    assert checks["linux_images"]["status"] == "pass", r.describe()
    assert checks["writes"]["status"] == "fail", r.describe()
    end = linux_loader.symbol(image, "__loader_end")
    # The word is stored as the compiler splits it (-mstrict-align: bytes).
    message = checks["writes"]["message"]
    stores = re.findall(r"^(\d)-byte store at 0x([0-9a-f]+) from PC 0x[0-9a-f]+ \(linux_boot\+0x[0-9a-f]+\) is outside"
                        r" the allowed-write map$", message, re.M)
    assert stores and int(stores[0][1], 16) == end, message
    assert all(end <= int(a, 16) and int(a, 16) + int(n) <= end + 8 for n, a in stores), message
    assert r.returncode == 1, r.describe()


def _check(image, tmp_path):
    return run_cli(["check", str(image), "--out", str(tmp_path / "report")])


@pytest.mark.qemu
def test_make_check_judges_a_linux_handoff(tmp_path, tmp_path_factory):
    """`bootcheck check` on a Linux payload: both sides, every rule, PASS."""
    _skip_without_kernel()
    p = _check(_image(tmp_path_factory), tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    stages = [re.sub(r"[\d.]+ s$", "N s", l) for l in lines[:3]]
    assert stages == ["bootcheck: [1/3] payload finder ... linux payload, N s",
                      "bootcheck: [2/3] emulation (Unicorn) ... reached kernel, N s",
                      "bootcheck: [3/3] QEMU + GDB boot (virt,virtualization=on) ... N s"], p.stdout
    lines = lines[3:]
    assert lines[-1] == "bootcheck: PASS: every rule of the Linux boot contract holds"
    rules = [l.split()[1] for l in lines[1:-1]]
    assert rules == ["linux_images", "writes", "registers", "dtb", "image_placement", "mmu",
                     "interrupts", "exception_level", "initrd"], p.stdout
    assert all(l.endswith("[emulation, QEMU + gdb]") for l in lines[3:-1]), p.stdout


@pytest.mark.qemu
def test_make_check_names_a_broken_linux_handoff(tmp_path, tmp_path_factory):
    _skip_without_kernel()
    p = _check(_image(tmp_path_factory, "linux_x1"), tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert p.stdout.splitlines()[-1] == ("bootcheck: FAIL (registers): x1 = 0x1000 at entry; the contract "
                                         "wants x1 = x2 = x3 = 0 (reserved for future use)"), p.stdout


@pytest.mark.qemu
def test_uboot_then_our_loader_then_linux(tmp_path, tmp_path_factory):
    """The whole chain a board would run: U-Boot `booti`s our loader (its
    Image header), which takes U-Boot's DTB from x0 and boots Debian's kernel
    to our init at EL2; emu-check started from the state gdb captured at
    U-Boot's jump reaches the same hand-off, and every Linux rule holds."""
    _skip_without_kernel()
    from bootcheck.board import uboot
    if uboot.missing():
        pytest.skip(uboot.missing())
    image = _image(tmp_path_factory)
    run = uboot.boot(image, qemu_machine.VIRT_EL2, timeout=90, capture=True,
                     stop_patterns=linux_loader.END_LINES)
    serial = run.result.serial
    x0 = run.state["registers"]["x0"]
    for stage in ("Starting kernel ...", f"loader: DTB from x0 (previous stage) at 0x{x0:x},",
                  "loader: jumping to Linux at ", uboot_linux.INIT_LINE):
        assert stage in serial, run.describe()
    r = emu.run(BUILD, image, tmp_path / "emu.json", start_state=uboot.write_start_state(
        run.state, tmp_path / "start.state"))
    assert r.returncode == 0, r.describe()
    findings = linux_loader.emu_findings(r.report, LINUX_IMAGE, INITRAMFS)
    assert {k: f.status for k, f in findings.items()} == dict.fromkeys(findings, "pass"), \
        "\n".join(f"{k}: {f.sentence}" for k, f in findings.items())
    printed = f"loader: jumping to Linux at 0x{r.report['entry_state']['pc']:x} (EL2) " \
              f"x0=0x{r.report['entry_state']['x'][0]:x}"
    assert printed in serial, r.describe()
