"""The riscv64 loader (loader/arch/riscv64), started by OpenSBI in S-mode:
its refusals of real broken inputs, each one exact line on the SBI console;
a tiny riscv64 kernel reached with the hand-off the ELFs imply (checked in
gdb at the kernel's first instruction: a0..a5, and satp's Sv39 tables
translating the kernel window); and real seL4 riscv64 kernels given in
SEL4_KERNEL booted to user space.

The architecture comes from the kernel's e_machine alone: every image here
is packed by the same `make image` as on AArch64."""

import os
import re
import shutil
import signal
import struct
import subprocess

import pytest

from bootcheck.boot import gdbrun, qemu_machine
from bootcheck.kernel import arch as arch_facts
from bootcheck.kernel import expect, target
from bootcheck.pack import images, runcache, tinyelf
from conftest import BUILD, ROOT, SEL4_KERNELS, sel4_kernel_path

# Real kernels of both architectures come here; each test picks its own.
KERNEL_ARCHES = ("aarch64", "riscv64")

pytestmark = pytest.mark.qemu

RV = arch_facts.facts("riscv64")
KERNEL_VADDR, KERNEL_PADDR = 0xffffffff84000000, 0x84000000
# li a0, 'K'; li a7, 1; ecall (SBI legacy putchar); li a7, 8; ecall (legacy shutdown); j .
MARKER_KERNEL = [0x04b00513, 0x00100893, 0x00000073, 0x00800893, 0x00000073, 0x0000006f]
ILLEGAL_KERNEL = [0x00000000]          # the all-zero word is an illegal instruction
ROOTTASK_CODE = [0x0000006f]           # j .
HEADERS = tinyelf.EHDR_SIZE + tinyelf.PHDR_SIZE


def tiny_kernel(path, code=MARKER_KERNEL, **kw):
    tinyelf.write(path, code, vaddr=KERNEL_VADDR, paddr=kw.pop("paddr", KERNEL_PADDR),
                  machine=tinyelf.EM_RISCV, **kw)
    return str(path)


@pytest.fixture
def roottask(tmp_path):
    path = tmp_path / "roottask.elf"
    tinyelf.write(path, ROOTTASK_CODE, vaddr=0x400000, machine=tinyelf.EM_RISCV)
    return str(path)


def pack(kernel, roottask, out, dtb=None, unchecked=False, make_vars=()):
    env = dict(os.environ)
    if unchecked:
        env["PACK_UNCHECKED"] = "1"
    return runcache.make_image(["image", f"KERNEL={kernel}", f"ROOTTASK={roottask}",
                                f"DTB={dtb or ''}", *make_vars], out, env=env)


def packed(*args, **kw):
    p = pack(*args, **kw)
    assert p.returncode == 0, p.stdout
    return args[2]


def loader_lines(result):
    return [l for l in result.lines if l.startswith("loader:")]


def boot(booter, image, kernel, **kw):
    r = booter.boot(image, kernel=kernel, timeout=kw.pop("timeout", 20), **kw)
    assert not r.timed_out, r.describe()
    return r


def test_machine_facts_are_the_makefile_ones():
    """make and the harness read the same file: `make -p` sees these values."""
    out = subprocess.run(["make", "-s", "-C", ROOT, "-pn", "run", f"BUILD={BUILD}"],
                         capture_output=True, text=True, timeout=60).stdout
    for name, value in (("QEMU", RV.qemu), ("CPU", RV.cpu), ("MEM", str(RV.mem)),
                        ("BIOS", RV.bios), ("GDB_ARCH", RV.gdb_arch)):
        assert re.search(rf"^riscv64_{name} := {re.escape(value)}$", out, re.M), name
    argv = qemu_machine.machine_argv(RV.machine, RV.cpu, RV.mem, 2, "riscv64")
    assert argv[0] == "qemu-system-riscv64" and argv[argv.index("-bios") + 1] == "default"


def test_tiny_kernel_is_reached(booter, tmp_path, roottask):
    kernel = tiny_kernel(tmp_path / "kernel.elf")
    image = packed(kernel, roottask, tmp_path / "image.elf")
    r = boot(booter, image, kernel)
    lines = loader_lines(r)
    assert lines[0].startswith("loader: DTB from firmware at "), r.describe()
    entry = KERNEL_VADDR + HEADERS
    assert lines[-1] == f"loader: jumping to kernel at 0x{entry:x} (hart 0, core 0)", r.describe()
    # The kernel's own output: one character, then SBI shutdown.
    assert r.serial.rstrip().endswith(lines[-1] + "\nK"), r.describe()
    assert r.exit_code == 0, r.describe()


def test_loader_not_on_a_2mib_boundary(booter, tmp_path, roottask):
    kernel = tiny_kernel(tmp_path / "kernel.elf")
    image = packed(kernel, roottask, tmp_path / "image.elf", unchecked=True,
                   make_vars=["riscv64_LOADER_LINK_ADDR=0x80201000"])
    r = boot(booter, image, kernel)
    assert loader_lines(r)[-1] == ("loader: error: the loader is linked at 0x80201000, not on a"
                                   " 2 MiB boundary (OpenSBI starts the next stage at 0x80200000)"), \
        r.describe()


def test_kernel_entry_misaligned(booter, tmp_path, roottask):
    kernel = tiny_kernel(tmp_path / "kernel.elf", entry_offset=1)
    image = packed(kernel, roottask, tmp_path / "image.elf")
    r = boot(booter, image, kernel)
    assert loader_lines(r)[-1] == (
        f"loader: error: kernel entry 0x{KERNEL_VADDR + HEADERS + 1:x} is not 2-byte aligned (the"
        " jump would take an instruction address misaligned trap)"), r.describe()


def test_kernel_link_offset_not_2mib(booter, tmp_path, roottask):
    """Linked 4 KiB off a 2 MiB multiple: the kernel window cannot be mapped
    with 2 MiB pages. The pack step refuses it, and so does the loader."""
    kernel = tiny_kernel(tmp_path / "kernel.elf", paddr=KERNEL_PADDR + 0x1000)
    offset = (KERNEL_VADDR - KERNEL_PADDR - 0x1000) & (2**64 - 1)
    sentence = f"kernel virtual-physical offset 0x{offset:x} is not a multiple of 2 MiB"
    p = pack(kernel, roottask, tmp_path / "refused.elf")
    assert p.returncode != 0 and f"pack: error: {sentence}" in p.stdout.splitlines(), p.stdout
    image = packed(kernel, roottask, tmp_path / "image.elf", unchecked=True)
    r = boot(booter, image, kernel)
    assert loader_lines(r)[-1] == f"loader: error: {sentence}", r.describe()


@pytest.fixture(scope="module")
def riscv_dtb(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("dtb") / "virt-rv64.dtb")
    return qemu_machine.dump_dtb(out, RV.machine, RV.cpu, RV.mem, arch="riscv64")


def corrupted(src, dst, offset, value):
    data = bytearray(open(src, "rb").read())
    data[offset:offset + 4] = struct.pack(">I", value)
    open(dst, "wb").write(data)
    return str(dst)


@pytest.mark.parametrize("field,offset,value,why", [
    ("magic", 0, 0xd00dfeee, "magic 0xd00dfeee (want 0xd00dfeed)"),
    ("size_dt_struct", 36, 0x00100000, None),
    ("version", 20, 15, "version 15 (last compatible 16) is not 16 or 17"),
])
def test_corrupt_payload_dtb(booter, tmp_path, roottask, riscv_dtb, field, offset, value, why):
    kernel = tiny_kernel(tmp_path / "kernel.elf")
    dtb = corrupted(riscv_dtb, tmp_path / f"{field}.dtb", offset, value)
    raw = open(riscv_dtb, "rb").read()
    total, off_struct = struct.unpack(">I", raw[4:8])[0], struct.unpack(">I", raw[8:12])[0]
    if why is None:
        why = (f"structure block [0x{off_struct:x}..+0x{value:x}) is misaligned or outside"
               f" totalsize {total}")
    p = pack(kernel, roottask, tmp_path / "refused.elf", dtb=dtb)
    assert p.returncode != 0 and "pack: error: kernel.dtb" in p.stdout, p.stdout
    image = packed(kernel, roottask, tmp_path / "image.elf", dtb=dtb, unchecked=True)
    r = boot(booter, image, kernel)
    assert loader_lines(r)[-1] == f"loader: error: kernel.dtb (payload) is not a valid DTB: {why}", \
        r.describe()


def test_image_does_not_fit_ram(booter, tmp_path, roottask):
    """64 MiB of RAM end at 0x84000000, where the kernel is linked."""
    kernel = tiny_kernel(tmp_path / "kernel.elf")
    image = packed(kernel, roottask, tmp_path / "image.elf")
    r = boot(booter, image, kernel, mem=64)
    end = KERNEL_PADDR + 0x1000
    assert loader_lines(r)[-1] == (f"loader: error: kernel paddr [0x{KERNEL_PADDR:x}..0x{end:x}) is"
                                   " outside RAM [0x80000000..0x84000000)"), r.describe()


def test_kernel_trap_before_its_stvec_is_reported(booter, tmp_path, roottask):
    """A kernel whose first instruction is illegal traps to the loader's
    stvec, after satp was set: named in words, with sepc and stval."""
    kernel = tiny_kernel(tmp_path / "kernel.elf", code=ILLEGAL_KERNEL)
    image = packed(kernel, roottask, tmp_path / "image.elf")
    r = boot(booter, image, kernel)
    entry = KERNEL_VADDR + HEADERS
    trap = next((l for l in loader_lines(r) if l.startswith("loader: error: trap")), None)
    assert trap == (f"loader: error: trap illegal instruction (scause 0x2) at sepc 0x{entry:x},"
                    " instruction 0x0, after satp was set, after the jump to the kernel (before it"
                    " set its own stvec)"), r.describe()
    assert r.exit_code == 0, r.describe()


def test_architecture_mismatch_is_one_line(tmp_path, roottask, artifacts):
    kernel = tiny_kernel(tmp_path / "kernel.elf")
    arm_roottask = artifacts.roottask
    p = pack(kernel, arm_roottask, tmp_path / "image.elf")
    assert p.returncode != 0
    errors = [l for l in p.stdout.splitlines() if "error" in l and not l.startswith("make")]
    assert errors == [f"pack: error: roottask.elf ({arm_roottask}) is built for aarch64 (EM_AARCH64"
                      f" 183) but kernel.elf ({kernel}) for riscv64 (EM_RISCV 243): build both for"
                      " one architecture"], p.stdout


# --- gdb at the kernel's first instruction -----------------------------------

GDB_SCRIPT = r'''
import gdb
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set architecture riscv:rv64")
# A loaded machine answers slowly: a resent packet would desynchronise the stub.
gdb.execute("set remotetimeout 30")
gdb.execute("target remote | exec " + QEMU_CMD)
gdb.Breakpoint("*" + hex(ENTRY))
gdb.execute("continue")
regs = {n: int(gdb.parse_and_eval("$" + n)) & (2**64 - 1) for n in
        ("pc", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "satp")}
inf = gdb.selected_inferior()
def word(pa):
    return int.from_bytes(inf.read_memory(pa, 8).tobytes(), "little")
# Sv39: three levels of 512 PTEs; a leaf has R, W or X set.
table, va, level, walk = (regs["satp"] & ((1 << 44) - 1)) << 12, ENTRY, 2, []
while True:
    pte = word(table + ((va >> (12 + 9 * level)) & 511) * 8)
    walk.append(pte)
    if pte & 1 == 0 or pte & 0xe or level == 0:
        break
    table, level = (pte >> 10) << 12, level - 1
regs["walk"] = walk
regs["level"] = level
print("BC-REGS " + repr(regs))
gdb.execute("kill")
'''


def gdb_at_entry(tmp_path, image, entry, smp=1):
    argv = [*qemu_machine.machine_argv(RV.machine, RV.cpu, RV.mem, smp, "riscv64"), "-monitor", "none",
            "-serial", f"file:{tmp_path / 'serial.log'}", "-S", "-gdb", "stdio", "-kernel", str(image),
            "-pidfile", str(tmp_path / "qemu.pid")]      # gdb's pipe child has its own group
    script = tmp_path / "at_entry.py"
    script.write_text(f"QEMU_CMD = {' '.join(argv)!r}\nENTRY = {entry}\n" + GDB_SCRIPT)
    proc = subprocess.Popen(["gdb-multiarch", "-nx", "-batch", "-x", str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        gdbrun.kill_qemu(str(tmp_path / "qemu.pid"))
    m = re.search(r"^BC-REGS (.*)$", out, re.M)
    assert m, out
    return eval(m.group(1), {}), (tmp_path / "serial.log").read_text(errors="replace")


def dtb_size_printed(serial):
    return int(re.search(r"^loader: DTB from \S+ at 0x[0-9a-f]+, (\d+) bytes", serial, re.M).group(1))


def check_entry_state(regs, serial, kernel, roottask):
    """a0..a5 as the ELFs and the DTB imply (bootcheck.kernel.expect, computed apart
    from the loader's planner) and satp: Sv39 with the kernel's entry
    translated by a 2 MiB leaf onto its physical address."""
    want = expect.expected_handoff(kernel, roottask, dtb_size_printed(serial))
    got = [regs[f"a{i}"] for i in range(6)]
    assert got == want.x, (got, want.x)
    # a6 = hart id, a7 = core id: the boot hart is core 0, every other hart
    # the core the loader said it started it as (on SMP, any hart may reach
    # the breakpoint first).
    boot_hart = int(re.search(r"started on hart (\d+) in S-mode", serial).group(1))
    started = {(int(h), int(c)) for h, c in re.findall(r"^loader: hart (\d+) started as core (\d+)$",
                                                        serial, re.M)}
    assert (regs["a6"], regs["a7"]) in started | {(boot_hart, 0)}, (regs["a6"], regs["a7"], started)
    satp = regs["satp"]
    assert satp >> 60 == 8, hex(satp)               # Sv39
    assert regs["level"] == 1, regs["walk"]         # a 2 MiB leaf
    leaf = regs["walk"][-1]
    assert leaf & 0xcf == 0xcf, hex(leaf)           # V R W X A D
    k = expect.elf_facts(kernel)
    pa = ((leaf >> 10) << 12) + (regs["pc"] & ((1 << 21) - 1))
    assert pa == regs["pc"] - k.vmin + k.pmin, (hex(pa), hex(regs["pc"]))


def test_handoff_registers_and_satp_at_kernel_entry(tmp_path, roottask):
    kernel = tiny_kernel(tmp_path / "kernel.elf")
    image = packed(kernel, roottask, tmp_path / "image.elf")
    regs, serial = gdb_at_entry(tmp_path, image, KERNEL_VADDR + HEADERS)
    assert regs["pc"] == KERNEL_VADDR + HEADERS
    check_entry_state(regs, serial, kernel, roottask)


# --- real seL4 ----------------------------------------------------------------

def riscv_roottask():
    """The project's riscv64 root task, or RISCV_ROOTTASK=elf (e.g. one taken
    from a stock elfloader image) until it is built."""
    path = os.environ.get("RISCV_ROOTTASK") or os.path.join(BUILD, "roottask", "riscv64", "roottask.elf")
    if not os.path.isfile(path):
        pytest.skip(f"no riscv64 root task: {path} is not built (make all on the rvroottask work, or"
                    " RISCV_ROOTTASK=elf)")
    return path


def riscv_sel4(param):
    path = sel4_kernel_path(param)
    if target.read(path).arch != "riscv64":
        pytest.skip(f"{param} is not a riscv64 kernel")
    return path


@pytest.fixture(params=[fid for fid, _ in SEL4_KERNELS] or ["sel4"])
def sel4_riscv(request):
    return riscv_sel4(request.param)


def test_sel4_boots_to_user_space(booter, tmp_path, sel4_riscv):
    roottask = riscv_roottask()
    image = packed(sel4_riscv, roottask, tmp_path / "image.elf")
    r = booter.boot(image, kernel=sel4_riscv, timeout=60,
                    stop_patterns=("Booting all finished, dropped to user space",))
    assert r.stopped_on == "Booting all finished, dropped to user space", r.describe()
    assert "Bootstrapping kernel" in r.serial, r.describe()
    nodes = target.read(sel4_riscv).nodes
    for core in range(1, nodes):
        assert re.search(rf"^loader: hart \d+ started as core {core}$", r.serial, re.M), r.describe()


def test_sel4_entry_state_in_gdb(tmp_path, sel4_riscv):
    roottask = riscv_roottask()
    image = packed(sel4_riscv, roottask, tmp_path / "image.elf")
    k = expect.elf_facts(sel4_riscv)
    start = k.symbols.get("_start", (k.entry,))[0]
    regs, serial = gdb_at_entry(tmp_path, image, start, smp=target.read(sel4_riscv).nodes)
    assert regs["pc"] == start
    check_entry_state(regs, serial, sel4_riscv, roottask)


# --- Debian's OpenSBI builds --------------------------------------------------

OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic"


@pytest.mark.parametrize("firmware", ["fw_jump.bin", "fw_dynamic.bin"])
@pytest.mark.parametrize("kernel_paddr", [KERNEL_PADDR, 0x80200000])
def test_debian_opensbi_starts_the_loader(tmp_path, roottask, firmware, kernel_paddr):
    """fw_jump enters at its fixed 0x80200000, fw_dynamic at the ELF's entry.
    A kernel linked at 0x80200000 (as seL4 16.0.0 is) moves the loader up;
    an 8-byte branch left at 0x80200000 brings fw_jump's entry there."""
    bios = os.path.join(OPENSBI, firmware)
    if not os.path.isfile(bios):
        pytest.skip(f"{bios} is not installed (package opensbi)")
    kernel = str(tmp_path / "kernel.elf")
    tinyelf.write(kernel, MARKER_KERNEL, vaddr=0xffffffff00000000 + kernel_paddr, paddr=kernel_paddr,
                  machine=tinyelf.EM_RISCV)
    image = packed(kernel, roottask, tmp_path / "image.elf")
    argv = [*qemu_machine.machine_argv(RV.machine, RV.cpu, RV.mem, 1, "riscv64"), "-monitor", "none",
            "-serial", "stdio", "-no-reboot", "-kernel", str(image)]
    argv[argv.index("-bios") + 1] = bios
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20).stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        pytest.fail(f"no SBI shutdown within 20 s: {' '.join(argv)}\n{out[-2000:]}")
    entry = 0xffffffff00000000 + kernel_paddr + HEADERS
    assert f"loader: jumping to kernel at 0x{entry:x} (hart 0, core 0)\nK" in out.replace("\r", ""), out
