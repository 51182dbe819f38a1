"""The riscv64 stand-in kernel against seL4's RISC-V hand-off contract.

Each case boots QEMU virt (riscv64, OpenSBI, -m 3072) through the test-only
entry shim (fixtures/standin_rv/README.md) with a hand-off a0..a5 that the
test lays out itself: kernel, DTB (QEMU's own, dumped with -machine dumpdtb)
right after the kernel image, the probe root task after the DTB. The
rejections feed a broken hand-off and expect seL4's exact lines, worked out
here from the hand-off values and seL4's format strings
(src/arch/riscv/kernel/boot.c, src/kernel/boot.c of each release); the
accepted cases expect the boot lines and what the probe reads from BootInfo.

Real seL4: SEL4_RV_KERNEL="path/kernel.elf[=release[-mcs]] ..." boots each
real riscv64 kernel through the same shim with the same cases (the release
after '=' chooses the words, '-mcs' the MCS probe and root-server layout;
default 13.0.0)."""

import os
import re
import select
import subprocess
import sys
import time

import pytest

from bootcheck.boot import qemu_machine
from bootcheck.kernel import arch as arch_facts
from conftest import BUILD, ROOT

# Real kernels of both architectures come here; each test picks its own.
KERNEL_ARCHES = ("aarch64", "riscv64")

sys.path.insert(0, os.path.join(ROOT, "targets", "abi"))
import sel4abi  # noqa: E402

RV = arch_facts.facts("riscv64")
PPTR_BASE = 0xFFFFFFC000000000
PPTR_TOP = 0xFFFFFFFF80000000
PADDR_TOP = PPTR_TOP - PPTR_BASE
USER_TOP = 0x3FFFFFF000
RAM = (0x80200000, 0x140000000)
PAGE = 0x1000
PARAMS = 0x88001000        # the shim's parameter page (fixtures/standin_rv/entry_shim.ld)
BOOT_TIMEOUT = 60

STANDIN_RV = os.path.join(BUILD, "targets", "standin", "riscv64")
FIXTURES = os.path.join(BUILD, "fixtures", "standin_rv")
SHIM = os.path.join(FIXTURES, "entry_shim.elf")


def probe(mcs):
    """(ELF, raw image) of the probe for a kernel with or without MCS."""
    name = "probe-mcs" if mcs else "probe"
    return os.path.join(FIXTURES, f"{name}.elf"), os.path.join(FIXTURES, f"{name}.bin")


def _kernels():
    """(id, path, release, mcs) of every kernel the cases run on."""
    kernels = [(f"standin-{r}{c}", os.path.join(STANDIN_RV, f"kernel-{r}{c}.elf"), r, c == "-mcs")
               for r in ("13.0.0", "16.0.0") for c in ("", "-mcs")]
    for spec in os.environ.get("SEL4_RV_KERNEL", "").split():
        path, _, config = spec.partition("=")
        release, _, mcs = (config or "13.0.0").partition("-")
        kernels.append((f"sel4-{os.path.basename(os.path.dirname(path)) or path}", path,
                        release, mcs == "mcs"))
    return kernels


KERNELS = _kernels()


def round_up(v, align=PAGE):
    return (v + align - 1) // align * align


def elf_load(path):
    """(paddr, vaddr, memsz, entry) of an ELF's single PT_LOAD, read with the
    ELF header layout (64-bit little-endian)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF" and data[4] == 2, f"{path} is no ELF64"
    entry = int.from_bytes(data[24:32], "little")
    phoff = int.from_bytes(data[32:40], "little")
    phentsize = int.from_bytes(data[54:56], "little")
    phnum = int.from_bytes(data[56:58], "little")
    loads = []
    for i in range(phnum):
        ph = data[phoff + i * phentsize: phoff + (i + 1) * phentsize]
        if int.from_bytes(ph[0:4], "little") == 1:
            loads.append((int.from_bytes(ph[24:32], "little"), int.from_bytes(ph[16:24], "little"),
                          int.from_bytes(ph[40:48], "little")))
    assert len(loads) == 1, f"{path}: expected one PT_LOAD, found {len(loads)}"
    return loads[0] + (entry,)


def extra_bi_size_bits(extra_len):
    """seL4's calculate_extra_bi_size_bits: page-rounded, then a power of 2."""
    if extra_len == 0:
        return 0
    bits = (round_up(extra_len).bit_length() - 1)
    return bits + 1 if extra_len > (1 << bits) else bits


class Words:
    """A release's boot-log words (13.0: '[a..b]', 14.0: '[a..b)', 16.0:
    capitalised headings)."""

    def __init__(self, release):
        major = int(release.split(".")[0])
        self.close = "]" if major < 14 else ")"
        self.cap = major >= 16
        self.major = major

    def heading(self, what, n):
        text = {"avail": "available phys memory regions", "resv": "reserved virt address space regions"}[what]
        return f"{text[0].upper() + text[1:] if self.cap else text}: {n}"

    def region(self, start, end):
        return f"  [{start:x}..{end:x}{self.close}"


@pytest.fixture(scope="module")
def dtb(tmp_path_factory):
    """QEMU's own DTB for this machine (what a loader would pack)."""
    path = str(tmp_path_factory.mktemp("rvdtb") / "virt-3g.dtb")
    qemu_machine.dump_arch_dtb(path, "riscv64")
    with open(path, "rb") as f:
        blob = f.read()
    # QEMU pads the dump to 1 MiB; the FDT is its header's totalsize.
    assert blob[:4] == b"\xd0\x0d\xfe\xed", "dumpdtb wrote no FDT"
    size = int.from_bytes(blob[4:8], "big")
    with open(path, "wb") as f:
        f.write(blob[:size])
    return path, size


class Layout:
    """The planned hand-off for one kernel: kernel, DTB right after it, probe
    image after the DTB (page aligned)."""

    def __init__(self, kernel, dtb_size, mcs=False):
        self.probe_elf, self.probe_bin = probe(mcs)
        for path in (kernel, SHIM, self.probe_elf, self.probe_bin):
            if not os.path.isfile(path):
                pytest.fail(f"{path} is missing: run `make all` first")
        kpaddr, kvaddr, kmemsz, self.entry = elf_load(kernel)
        self.kernel = (kpaddr, round_up(kpaddr + kmemsz))
        self.dtb_paddr = self.kernel[1]
        self.dtb_size = dtb_size
        _, pvaddr, pmemsz, pentry = elf_load(self.probe_elf)
        self.image_paddr = round_up(self.dtb_paddr + dtb_size)
        self.image_size = round_up(pmemsz)
        self.regs = [self.image_paddr, self.image_paddr + self.image_size,
                     self.image_paddr - pvaddr, pentry, self.dtb_paddr, dtb_size]


def boot(kernel, layout, dtb_path, regs):
    """Boots through the shim with a0..a5 = regs; returns the console text
    from 'Init local IRQ' on (seL4's first line). Stops at 'halting...' (real
    seL4 spins there; the stand-in powers off) or after BOOT_TIMEOUT s."""
    args = [*qemu_machine.machine_argv(RV.machine, RV.cpu, RV.mem, 1, "riscv64"), "-nographic", "-kernel", SHIM,
            "-device", f"loader,file={kernel}",
            "-device", f"loader,file={dtb_path},addr={layout.dtb_paddr:#x},force-raw=on",
            "-device", f"loader,file={layout.probe_bin},addr={layout.image_paddr:#x},force-raw=on"]
    words = list(regs) + [0, layout.entry]          # a0..a5, flags (no copy), entry
    for i, value in enumerate(words):
        args += ["-device", f"loader,addr={PARAMS + 8 * i:#x},data={value & (2**64 - 1):#x},data-len=8"]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = b""
    deadline = time.monotonic() + BOOT_TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
                if b"halting..." in out:
                    # The rest of the line: up to 0.3 s after it first came
                    # (min keeps that bound), or the end of the output when
                    # the machine powers off (the stand-in).
                    deadline = min(deadline, time.monotonic() + 0.3)
            elif proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    # CR LF line ends; a CR whose LF had not arrived when QEMU was stopped
    # (real seL4 goes on printing after "halting...") ends the text.
    text = re.sub(r"\r+(\n|$)", r"\1", out.decode("utf-8", "replace"))
    start = text.find("Init local IRQ")
    assert start >= 0, f"the kernel printed nothing (console:\n{text[-2000:]})"
    return text[start:]


def assert_lines_in_order(text, wanted):
    lines = text.split("\n")
    at = 0
    for want in wanted:
        match = want.fullmatch if isinstance(want, re.Pattern) else want.__eq__
        for i in range(at, len(lines)):
            if match(lines[i]):
                at = i + 1
                break
        else:
            raise AssertionError(f"missing line {want!r} (in order) in:\n{text}")


FAIL_LINE = re.compile(r'seL4 called fail at \S+:\d+ in function init_kernel, saying "ERROR: kernel init failed"')


def kernel_region(layout):
    return (PPTR_BASE + layout.kernel[0], PPTR_BASE + layout.kernel[1])


def reserved_lines(w, layout, regs):
    """Heading and lines of the reserved list seL4 prints for regs."""
    regions = [kernel_region(layout)]
    if regs[5] > 0 and regs[4] != 0:
        regions.append((PPTR_BASE + regs[4], PPTR_BASE + regs[4] + regs[5]))
    regions.append((PPTR_BASE + regs[0], PPTR_BASE + regs[1]))
    # seL4 prints a region, then checks it: the list ends at a bad one.
    lines = [w.heading("resv", len(regions))]
    for i, (start, end) in enumerate(regions):
        lines.append(w.region(start, end))
        if start > end or (i > 0 and start < regions[i - 1][1]):
            break
    return lines


def head_lines(w):
    return ["Init local IRQ", "Bootstrapping kernel", "Initializing PLIC...",
            w.heading("avail", 1), w.region(*RAM)]


def root_tcb(regs, release, mcs):
    """seL4's tcb_t pointer of the root task: the root-server objects carved
    from the top of RAM (src/kernel/boot.c create_rootserver_objects: CNode,
    extra BootInfo when at least a page, VSpace, ASID pool, IPC buffer,
    BootInfo, paging structures, TCB, MCS: the SchedContext), the pointer in
    the TCB's middle."""
    bits = sel4abi.abi(release, mcs=mcs, arch="riscv64").object_bits
    ipc = regs[1] - regs[2]
    extra = 16 + regs[5] if regs[5] else 0
    extra_bits = extra_bi_size_bits(extra)
    it_end = ipc + 2 * PAGE + ((1 << extra_bits) if extra_bits or release < "14" else 0)
    it_start = regs[0] - regs[2]
    n_paging = sum((round_up(it_end, 1 << s) - (it_start >> s << s)) >> s for s in (30, 21))
    cnode = 1 << (12 + bits["CapTable"])
    size = (cnode + (1 << extra_bits if extra_bits else 0) + 4 * PAGE
            + (n_paging << bits["RISCV_PageTable"]) + (1 << bits["TCB"])
            + ((1 << bits["SchedContext"]) if mcs else 0))
    align = max(12 + bits["CapTable"], extra_bits)
    start = (RAM[1] - size) >> align << align
    tcb = start + cnode + (1 << extra_bits if extra_bits else 0) + 4 * PAGE + n_paging * PAGE
    return PPTR_BASE + tcb + (1 << (bits["TCB"] - 1))


def probe_lines(regs, release, mcs):
    ipc = regs[1] - regs[2]
    extra = 16 + regs[5] if regs[5] else 0
    lines = [f"probe: BootInfo at {ipc + PAGE:#x}",
             f"probe: extraLen {extra} nodeID 0 numNodes 1 ipcBuffer {ipc:#x} cnodeSizeBits 12"]
    if extra:
        lines.append(f"probe: extra chunk id 6 len {extra}, FDT magic d00dfeed")
    return lines + ["probe: IPC buffer writable yes",
                    f'Debug halt syscall from user thread {root_tcb(regs, release, mcs):#x} "rootserver"',
                    "halting..."]


def rejection(name, layout):
    """(broken regs, the lines seL4 prints for them, in order)."""
    r = list(layout.regs)
    k0, k1 = layout.kernel
    if name == "dtb-after-user-image":
        r[4] = r[1] + PAGE
        return r, ["ERROR: reserved region 2 in wrong order"], True
    if name == "dtb-overlaps-kernel":
        r[4] = k1 - 0x4000
        return r, ["ERROR: reserved region 1 in wrong order"], True
    if name == "user-image-overlaps-kernel":
        r[0] = k0 + PAGE
        r[1] = r[0] + layout.image_size
        r[2] = r[0] - r[3]
        return r, ["ERROR: reserved region 2 in wrong order"], True
    if name == "user-image-overlaps-dtb":
        r[0] = layout.dtb_paddr
        r[1] = r[0] + layout.image_size
        r[2] = r[0] - r[3]
        return r, ["ERROR: reserved region 2 in wrong order"], True
    if name == "user-image-end-below-start":
        r[1] = r[0] - PAGE
        return r, ["ERROR: reserved region 2 has start > end"], True
    if name == "dtb-end-overflows":
        r[4], r[5] = 0xFFFFFFFFFFFFF000, 0x2000
        return r, ["ERROR: DTB location at fffffffffffff000 len 8192 invalid"], False
    if name == "dtb-past-paddr-top":
        r[4], r[5] = PADDR_TOP - PAGE, 0x2000
        return r, None, False     # filled in by the caller (release words)
    if name == "image-past-user-top":
        r[2] = r[0] - USER_TOP
        return r, None, False
    raise KeyError(name)


REJECTIONS = ("dtb-after-user-image", "dtb-overlaps-kernel", "user-image-overlaps-kernel",
              "user-image-overlaps-dtb", "user-image-end-below-start", "dtb-end-overflows",
              "dtb-past-paddr-top", "image-past-user-top")


@pytest.mark.parametrize("kid,kernel,release,mcs", KERNELS, ids=[k[0] for k in KERNELS])
@pytest.mark.parametrize("case", REJECTIONS)
def test_rejects_like_sel4(case, kid, kernel, release, mcs, dtb):
    dtb_path, dtb_size = dtb
    layout = Layout(kernel, dtb_size, mcs)
    w = Words(release)
    regs, errors, after_regions = rejection(case, layout)
    if case == "dtb-past-paddr-top":
        errors = [f"ERROR: DTB at [{regs[4]:x}..{regs[4] + regs[5]:x}{w.close} "
                  f"exceeds PADDR_TOP ({PADDR_TOP:x})"]
    if case == "image-past-user-top":
        extra = 16 + regs[5]
        bits = extra_bi_size_bits(extra)
        end = regs[1] - regs[2] + 2 * PAGE + (1 << bits)
        errors = [f"ERROR: userland image virt [{regs[0] - regs[2]:x}..{end:x}{w.close}"
                  f"exceeds USER_TOP ({USER_TOP:x})"]
    text = boot(kernel, layout, dtb_path, regs)
    wanted = ["Init local IRQ", "Bootstrapping kernel", "Initializing PLIC..."]
    if after_regions:
        wanted += head_lines(w)[3:] + reserved_lines(w, layout, regs)
        errors = errors + ["ERROR: free memory management initialization failed"]
    assert_lines_in_order(text, wanted + errors + [FAIL_LINE, "halting..."])
    assert "Booting all finished" not in text
    if not after_regions:
        assert w.heading("avail", 1) not in text, "the check comes before the region lists"


ACCEPTED = ("planned", "misaligned-a0", "no-dtb")


@pytest.mark.parametrize("kid,kernel,release,mcs", KERNELS, ids=[k[0] for k in KERNELS])
@pytest.mark.parametrize("case", ACCEPTED)
def test_accepts_like_sel4(case, kid, kernel, release, mcs, dtb):
    """The planned hand-off boots to the probe. A user image start a0 that is
    not page aligned is accepted by seL4 on RISC-V (no assertion: a frame's
    PTE keeps paddr >> 12), the frames covering the image from a0's page;
    the reserved region starts at a0 itself. Without a DTB (a4 = a5 = 0)
    two regions are reserved and extraLen is 0."""
    dtb_path, dtb_size = dtb
    layout = Layout(kernel, dtb_size, mcs)
    w = Words(release)
    regs = list(layout.regs)
    if case == "misaligned-a0":
        regs[0] += 0x800
    if case == "no-dtb":
        regs[4] = regs[5] = 0
    text = boot(kernel, layout, dtb_path, regs)
    assert_lines_in_order(text, head_lines(w) + reserved_lines(w, layout, regs) +
                          ["Booting all finished, dropped to user space"] + probe_lines(regs, release, mcs))
    assert "ERROR" not in text
