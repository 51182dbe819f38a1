"""emu-check on riscv64 (harness/emu/arch/riscv64): the SBI model's answers
and refusals on tiny riscv64 loader images (exact lines), and, with real seL4
riscv64 kernels in SEL4_KERNEL, seL4's stock elfloader image beside the
kernel (stock-image.elf, built outside the repository) and our loader's image
of the same kernel and root task judged against the RISC-V contract."""

import json
import os
import subprocess

import pytest

from bootcheck.kernel import expect, target
from bootcheck.pack import images, runcache, tinyelf
from conftest import BUILD, SEL4_KERNELS, sel4_kernel_path

# Real kernels of both architectures come here; each test picks its own.
KERNEL_ARCHES = ("aarch64", "riscv64")

LOADER_VADDR = 0x80200000
EMU = os.path.join(BUILD, "harness", "emu-check")

# lui a7, 0x735; addi a7, a7, 0x49 (a7 = 0x735049, the IPI extension); li a6, 0; ecall; j .
UNMODELLED_SBI = [0x007358b7, 0x04988893, 0x00000813, 0x00000073, 0x0000006f]
ILLEGAL = [0x00000013, 0x00000000]          # nop; the all-zero word
# li a0, 'K'; li a7, 1; ecall (legacy putchar); li a7, 8; ecall (legacy shutdown); j .
PUTCHAR_SHUTDOWN = [0x04b00513, 0x00100893, 0x00000073, 0x00800893, 0x00000073, 0x0000006f]


def run(image, tmp_path, *args):
    out = tmp_path / "emu.json"
    proc = subprocess.run([EMU, str(image), "--json", str(out), *args], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    with open(out) as f:
        return proc, json.load(f)


def tiny_loader(tmp_path, code):
    path = tmp_path / "loader.elf"
    first = tinyelf.write(path, code, vaddr=LOADER_VADDR, machine=tinyelf.EM_RISCV)
    return path, first


def test_unmodelled_sbi_call_is_named(tmp_path):
    image, first = tiny_loader(tmp_path, UNMODELLED_SBI)
    proc, rep = run(image, tmp_path)
    assert proc.returncode == 1
    assert rep["outcome"] == "sbi_unmodelled"
    assert rep["message"].startswith(
        "loader made an SBI call the model does not implement: extension 0x735049 function 0"
        f" (a7 = 0x735049, a6 = 0) from PC 0x{first + 12:x}"), rep["message"]


def test_trap_is_reported_in_words(tmp_path):
    image, first = tiny_loader(tmp_path, ILLEGAL)
    proc, rep = run(image, tmp_path)
    assert rep["outcome"] == "exception"
    assert rep["message"].startswith(
        f"loader trapped on hart 0: illegal instruction (scause 2) at PC 0x{first + 4:x}"), rep["message"]


def test_legacy_console_and_shutdown(tmp_path):
    image, first = tiny_loader(tmp_path, PUTCHAR_SHUTDOWN)
    proc, rep = run(image, tmp_path)
    assert rep["outcome"] == "stopped_machine"
    assert rep["uart"] == "K"
    assert rep["message"].startswith(
        f"loader shut the machine down (SBI legacy shutdown) at PC 0x{first + 16:x}"), rep["message"]
    assert [c["call"] for c in rep["observations"]["sbi"]] == ["legacy console_putchar", "legacy shutdown"]


# li a0, -1; li a7, 0; ecall (legacy set_timer); li a7, 0x54494d45 (TIME); li a6, 0; ecall (set_timer);
# li a7, 8; ecall (legacy shutdown); j .
SET_TIMERS_SHUTDOWN = [0xfff00513, 0x00000893, 0x00000073, 0x544958b7, 0xd458889b, 0x00000813, 0x00000073,
                       0x00800893, 0x00000073, 0x0000006f]


def test_set_timer_is_modelled(tmp_path):
    """Our loader's boot hart sleeps (wfi) until an SBI timer while it waits
    for the other harts (loader/arch/riscv64/smp.c): both set_timer calls are
    answered, counted, and the run goes on."""
    image, first = tiny_loader(tmp_path, SET_TIMERS_SHUTDOWN)
    proc, rep = run(image, tmp_path)
    assert rep["outcome"] == "stopped_machine", rep["message"]
    assert [c["call"] for c in rep["observations"]["sbi"]] == ["legacy set_timer", "TIME set_timer",
                                                               "legacy shutdown"]


def test_our_loader_on_the_standin_smp_build(tmp_path):
    """Our loader starts every hart of the riscv64 stand-in's SMP build in the
    emulator as under QEMU (hart_start, and set_timer while it waits)."""
    kernel = os.path.join(BUILD, "targets", "standin", "riscv64", "kernel-smp4.elf")
    roottask = os.path.join(BUILD, "roottask", "riscv64", "roottask.elf")
    image = images.pack_ok(kernel, roottask, str(tmp_path / "ours.elf"))
    proc, rep = run(image, tmp_path, *smp_dtb(tmp_path, kernel))
    assert_contract(rep, kernel, roottask)
    calls = {c["call"]: c for c in rep["observations"]["sbi"]}
    assert "HSM hart_start" in calls and "TIME set_timer" in calls, rep["observations"]["sbi"]
    assert [h["state"] for h in rep["observations"]["harts"]].count("entered the kernel") == 4, rep["observations"]


RV_KERNELS = [(fid, p) for fid, p in SEL4_KERNELS if os.path.isfile(p) and target.read(p).arch == "riscv64"]


@pytest.fixture(params=[fid for fid, _ in RV_KERNELS] or ["sel4"])
def rv_kernel(request):
    if not RV_KERNELS:
        pytest.skip("no real seL4 riscv64 kernel given (make verify SEL4_KERNEL=/work/sel4/kernels/13.0.0-rv64/"
                    "kernel.elf)")
    return dict(RV_KERNELS)[request.param]


def smp_dtb(tmp_path, kernel):
    nodes = target.read(kernel).nodes
    if nodes == 1:
        return []
    from bootcheck.boot import qemu_machine
    return ["--qemu-dtb", qemu_machine.dump_arch_dtb(str(tmp_path / "q.dtb"), "riscv64", nodes)]


def assert_contract(rep, kernel, roottask):
    k, u = expect.elf_facts(kernel), expect.elf_facts(roottask)
    assert rep["outcome"] == "reached_kernel", rep["message"]
    assert rep["message"].startswith(f"reached kernel entry 0x{k.entry:x} after ")
    bad = [c for c in rep["checks"] if c["status"] != "pass"]
    assert not bad, bad
    a = [int(v, 16) for v in rep["observations"]["a"]]
    assert a[3] == u.entry and a[0] % 0x1000 == 0
    assert a[0] - a[2] <= u.vmin and a[1] - a[2] >= u.vmax


def test_sel4_stock_elfloader(rv_kernel, tmp_path):
    stock = os.path.join(os.path.dirname(rv_kernel), "stock-image.elf")
    if not os.path.isfile(stock):
        pytest.skip(f"no stock elfloader image beside {rv_kernel}")
    proc, rep = run(stock, tmp_path, "--kernel", rv_kernel, *smp_dtb(tmp_path, rv_kernel))
    assert rep["payload"] == "sel4-elfloader"
    extracted = tmp_path / "x"
    extracted.mkdir()
    subprocess.run([EMU, stock, "--extract", str(extracted)], check=True, capture_output=True, timeout=60)
    assert_contract(rep, rv_kernel, str(extracted / "roottask.elf"))
    assert proc.returncode == 0


def test_our_loader_same_kernel_and_roottask(rv_kernel, tmp_path):
    stock = os.path.join(os.path.dirname(rv_kernel), "stock-image.elf")
    if not os.path.isfile(stock):
        pytest.skip(f"no stock elfloader image beside {rv_kernel} (its root task is used)")
    extracted = tmp_path / "x"
    extracted.mkdir()
    subprocess.run([EMU, stock, "--extract", str(extracted)], check=True, capture_output=True, timeout=60)
    ours = tmp_path / "ours.elf"
    proc = runcache.make_image(["image", f"KERNEL={rv_kernel}", f"ROOTTASK={extracted / 'roottask.elf'}"], ours)
    assert proc.returncode == 0, proc.stdout
    proc, rep = run(ours, tmp_path, *smp_dtb(tmp_path, rv_kernel))
    assert rep["payload"] == "pack"
    assert_contract(rep, rv_kernel, str(extracted / "roottask.elf"))


# --- bootcheck check (make check IMAGE=) on riscv64 images --------------------

KERNEL_VADDR, KERNEL_PADDR = 0xffffffff84000000, 0x84000000


def words(data):
    data += b"\0" * (-len(data) % 4)
    return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]


def test_check_names_a_loader_that_never_reaches_the_kernel(tmp_path):
    """A real broken loader: it carries a riscv64 kernel and root task (found
    with KERNEL=/ROOTTASK=, their bytes are in it) but its first instruction
    is illegal. The verdict's first broken link is the kernel's entry, with
    the trap in words."""
    from bootcheck.check import checkrun
    kernel, roottask = tmp_path / "kernel.elf", tmp_path / "roottask.elf"
    tinyelf.write(kernel, [0x0000006f], vaddr=KERNEL_VADDR, paddr=KERNEL_PADDR, machine=tinyelf.EM_RISCV)
    tinyelf.write(roottask, [0x0000006f], vaddr=0x400000, machine=tinyelf.EM_RISCV)
    code = [0x00000000] + words(kernel.read_bytes()) + words(roottask.read_bytes())
    image, first = tiny_loader(tmp_path, code)
    v = checkrun.check(str(image), kernel=str(kernel), roottask=str(roottask), seconds=3)
    assert v.payload == "files"
    assert v.exit_status == 1
    assert v.diagnosis_line().startswith(
        "bootcheck: FAIL at link 1 (kernel_reached): loader trapped on hart 0: illegal instruction (scause 2)"
        f" at PC 0x{first:x}"), v.diagnosis_line()


def test_check_sel4_stock_and_ours(rv_kernel, tmp_path):
    """seL4's stock elfloader image and ours of the same kernel and root task:
    every link holds, in the emulator and in QEMU + GDB (the root task's
    first instruction in U-mode)."""
    from bootcheck.check import checkrun
    stock = os.path.join(os.path.dirname(rv_kernel), "stock-image.elf")
    if not os.path.isfile(stock):
        pytest.skip(f"no stock elfloader image beside {rv_kernel}")
    extracted = tmp_path / "x"
    extracted.mkdir()
    subprocess.run([EMU, stock, "--extract", str(extracted)], check=True, capture_output=True, timeout=60)
    ours = tmp_path / "ours.elf"
    proc = runcache.make_image(["image", f"KERNEL={rv_kernel}", f"ROOTTASK={extracted / 'roottask.elf'}"], ours)
    assert proc.returncode == 0, proc.stdout
    for image, payload in ((stock, "sel4-elfloader"), (str(ours), "pack")):
        v = checkrun.check(image, kernel=rv_kernel, seconds=30)
        assert v.payload == payload
        assert v.diagnosis_line() == checkrun.PASS_LINE, [f.sentence for f in v.findings if f.status != "pass"]
        entry = next(f for f in v.findings if f.rule == "roottask_entry")
        assert "in U-mode" in entry.sentence and entry.source.startswith("QEMU + GDB")


# --- one broken thing at a time: harness/tests/riscv/handoff_loader.S ---------

HANDOFF_LOADER = os.path.join(os.path.dirname(__file__), "riscv", "handoff_loader.S")
USER_PA, USER_SPAN = 0x84100000, 0x1000
LINK = "ENTRY(_start)\nSECTIONS { . = 0x80200000; .text : { *(.text.start) *(.text*) } .data : { *(.data*) } }\n"


def handoff_loader(tmp_path, *defines):
    """The test loader with -D switches; returns (image, kernel, roottask,
    the root table's physical address)."""
    kernel, roottask = tmp_path / "kernel.elf", tmp_path / "roottask.elf"
    # The kernel: li a7, 8; ecall (SBI legacy shutdown), so a QEMU run ends there.
    kentry = tinyelf.write(kernel, [0x00800893, 0x00000073], vaddr=KERNEL_VADDR, paddr=KERNEL_PADDR,
                           machine=tinyelf.EM_RISCV)
    uentry = tinyelf.write(roottask, [0x0000006f], vaddr=0x400000, machine=tinyelf.EM_RISCV)
    (tmp_path / "link.ld").write_text(LINK)
    image = tmp_path / "loader.elf"
    subprocess.run(["riscv64-linux-gnu-gcc", "-nostdlib", "-nostartfiles", "-static", "-no-pie", "-Wl,--build-id=none",
                    "-march=rv64imac_zicsr",
                    "-mabi=lp64", "-mcmodel=medany", f"-Wl,-T,{tmp_path / 'link.ld'}", f"-I{tmp_path}",
                    f"-DKERNEL_PA={KERNEL_PADDR:#x}", f"-DKERNEL_ENTRY={kentry:#x}", f"-DUSER_PA={USER_PA:#x}",
                    "-DUSER_VA=0x400000", f"-DUSER_SPAN={USER_SPAN:#x}", f"-DROOTTASK_ENTRY={uentry:#x}",
                    *[f"-D{d}" for d in defines], "-o", str(image), HANDOFF_LOADER],
                   check=True, cwd=tmp_path, capture_output=True, timeout=60)
    root = expect.elf_facts(str(image)).symbols["root_table"][0]
    return image, kernel, roottask, root


def emu_check_message(tmp_path, name, *defines):
    image, kernel, roottask, root = handoff_loader(tmp_path, *defines)
    proc, rep = run(image, tmp_path, "--kernel", str(kernel), "--roottask", str(roottask))
    c = next(c for c in rep["checks"] if c["name"] == name)
    return proc, c, root


def test_handoff_loader_passes(tmp_path):
    image, kernel, roottask, _ = handoff_loader(tmp_path)
    proc, rep = run(image, tmp_path, "--kernel", str(kernel), "--roottask", str(roottask))
    assert rep["outcome"] == "reached_kernel", rep["message"]
    assert {c["name"]: c["status"] for c in rep["checks"]} == {
        "entry": "pass", "kernel_image": "pass", "user_image": "pass", "dtb": "pass", "page_tables": "pass",
        "writes": "pass", "rootserver": "not_run", "harts": "pass"}


def test_kernel_window_without_x(tmp_path):
    """The jump itself faults: the run names the trap in words."""
    image, kernel, roottask, _ = handoff_loader(tmp_path, "KWIN_FLAGS=0xc7")
    proc, rep = run(image, tmp_path, "--kernel", str(kernel), "--roottask", str(roottask))
    assert proc.returncode == 1
    assert rep["message"].startswith("loader trapped on hart 0: instruction page fault (scause 12) at PC 0x"), \
        rep["message"]


@pytest.mark.parametrize("flags,shown", [(0x0f, "VRWX----"), (0x4f, "VRWX--A-")])
def test_kernel_window_without_ad(tmp_path, flags, shown):
    """Judged on the entry the loader wrote: the hart's walker sets A on the
    kernel's first fetch (QEMU does; a hart may fault instead)."""
    proc, c, root = emu_check_message(tmp_path, "page_tables", f"KWIN_FLAGS={flags:#x}")
    pte = ((0x80000000 >> 12) << 10) | flags
    assert proc.returncode == 1
    assert c["status"] == "fail"
    assert c["message"] == (
        f"kernel window: VA 0xffffffff84000000 is mapped {shown} by the level-2 entry {pte:#x} at PA "
        f"{root + 510 * 8:#x}; the kernel needs V R W X A D and not U (without A/D a hart that does not set "
        "them faults)")


def test_a3_not_the_entry(tmp_path):
    proc, c, _ = emu_check_message(tmp_path, "user_image", "A3_DELTA=4")
    assert c["message"] == "a3 0x40007c is not the root task's entry 0x400078"


def test_a1_a_page_short(tmp_path):
    proc, c, _ = emu_check_message(tmp_path, "user_image", "A1_DELTA=-0x1000")
    assert c["message"] == f"a1 (user image end) {USER_PA:#x} is not above a0 {USER_PA:#x}"


def test_roottask_not_copied(tmp_path):
    """Its destination starts poisoned (0xa5), as RAM a real board leaves."""
    proc, c, _ = emu_check_message(tmp_path, "user_image", "SKIP_ROOTTASK_COPY")
    assert c["message"] == (f"root task segment 0 (vaddr 0x400000, at paddr vaddr + a2 = {USER_PA:#x}) differs "
                            "first at vaddr 0x400000 (file bytes): 0xa5, the ELF has 0x7f")


def test_check_names_pv_offset_a_page_high(tmp_path):
    """The verdict's first broken link is x2's RISC-V twin, a2, in seL4's
    words (make check with KERNEL=/ROOTTASK=, QEMU + GDB included)."""
    from bootcheck.check import checkrun
    image, kernel, roottask, _ = handoff_loader(tmp_path, "A2_DELTA=0x1000")
    # The tiny kernel shuts the machine down at once: the root task is never
    # reached, a later link than the one named.
    v = checkrun.check(str(image), kernel=str(kernel), roottask=str(roottask), seconds=20)
    assert v.diagnosis_line() == (
        "bootcheck: FAIL at link 7 (pv_offset): a2 (pv offset) 0x83d01000 is 1 page high: a0 - a2 = 0x3ff000, "
        "the root task starts at 0x400000, so seL4 would map its pages from the wrong frames")


@pytest.mark.emu
@pytest.mark.parametrize("content", [None, b"no DTB"], ids=["missing", "not-a-dtb"])
def test_a_qemu_dtb_that_cannot_serve_is_named(tmp_path, content):
    """--qemu-dtb: a file that is not there says why it cannot be opened;
    one that is no DTB says so (emu-check stops with status 2)."""
    image, _ = tiny_loader(tmp_path, PUTCHAR_SHUTDOWN)
    dtb = tmp_path / "q.dtb"
    if content is not None:
        dtb.write_bytes(content)
    proc = subprocess.run([EMU, str(image), "--qemu-dtb", str(dtb)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    want = (f"emu-check: machine: cannot open QEMU's riscv64 virt DTB '{dtb}': No such file or directory "
            "(make emu dumps it)" if content is None else
            f"emu-check: machine: QEMU's riscv64 virt DTB '{dtb}' is not a valid DTB (make emu dumps it)")
    assert proc.stderr.splitlines()[-1] == want, proc.stderr
