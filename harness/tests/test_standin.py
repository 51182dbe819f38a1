"""The stand-in kernel rejects every hand-off seL4 rejects, with seL4's own
words in the words of the release it imitates, and then powers QEMU off; it
accepts what seL4 accepts. Besides kernel.elf (13.0.0) the 14.0.0 build and
the 16.0.0 MCS build are checked (14.0 prints ranges [a..b), 16.0 also
capitalises the region headings).

Each case hands the kernel one contract violation through the loader's
test-only override member (handoff.override), starting from the hand-off the
loader plans for the real inputs. With SEL4_KERNEL=... the same violation is
handed to real seL4 too, and must produce the same ERROR line there: that is
what keeps the stand-in honest."""

import re

import pytest

from bootcheck.kernel import expect, facts, target
from bootcheck.pack import images
from conftest import KERNEL_PARAMS, kernel_choice, virt_dtb_for
from standin_support import require_build

pytestmark = pytest.mark.qemu

MASK64 = (1 << 64) - 1
PAGE = 0x1000
PADDR_TOP = 0x7fc0000000
USER_TOP = 0x7fffffffffff
BOOTINFO_HEADER_BYTES = 16

FAIL_LINE = re.compile(r'^seL4 called fail at \S+:\d+ in function init_kernel, '
                       r'saying "ERROR: kernel init failed"$')
SEL4_FRAME_ASSERTION = (
    "seL4 failed assertion '(page_base_address & ~0xfffffffff000ull) == "
    "((0 && (page_base_address & (1ull << 47))) ? 0x0 : 0)' at ")


def extra_bi_size_bits(extra_len):
    """seL4's rule: page-round the content, take log2, round up to a power of 2."""
    if extra_len == 0:
        return 0
    bits = (expect.round_up(extra_len, PAGE)).bit_length() - 1
    return bits + 1 if extra_len > (1 << bits) else bits


def range_end(release):
    """How seL4 closes a printed address range: ']' up to 13.0, ')' from 14.0."""
    return "]" if release == "13.0.0" else ")"


def reserved_heading(release, n):
    """16.0 capitalises the heading."""
    return f"{'R' if release == '16.0.0' else 'r'}eserved virt address space regions: {n}"


def user_top_case(h, release):
    """Slide the image so its BootInfo/extra-BootInfo tail crosses USER_TOP
    (the hyp build's is 40 bits, the EL1 build's 47)."""
    x0, x1 = h.x[0], h.x[1]
    user_top = facts.USER_TOP_HYP if h.hyp else USER_TOP
    v_start = user_top + 1 - PAGE
    ipcbuf = v_start + (x1 - x0)
    end = ipcbuf + 2 * PAGE + (1 << extra_bi_size_bits(BOOTINFO_HEADER_BYTES + h.x[5]))
    return ({"x2": (x0 - v_start) & MASK64},
            [f"ERROR: userland image virt [{v_start:x}..{end:x}{range_end(release)}exceeds USER_TOP "
             f"({user_top:x})"])


# id -> function(planned hand-off, release) -> (override registers, expected lines in order)
REJECTIONS = {
    "dtb-after-user-image": lambda h, rel: (
        {"x4": h.x[1] + PAGE},
        ["ERROR: reserved region 2 in wrong order",
         "ERROR: free memory management initialization failed"]),
    "dtb-overlaps-kernel": lambda h, rel: (
        {"x4": h.kernel_phys[1] - 4 * PAGE},
        ["ERROR: reserved region 1 in wrong order",
         "ERROR: free memory management initialization failed"]),
    "dtb-end-overflows": lambda h, rel: (
        {"x4": 0xfffffffffffff000, "x5": 0x2000},
        ["ERROR: DTB location at fffffffffffff000 len 8192 invalid"]),
    "dtb-past-paddr-top": lambda h, rel: (
        {"x4": 0x7fbffff000, "x5": 0x2000},
        [f"ERROR: DTB at [7fbffff000..7fc0001000{range_end(rel)} exceeds PADDR_TOP ({PADDR_TOP:x})"]),
    "user-image-past-user-top": user_top_case,
    # DTB and root task each moved up from the kernel: three free gaps in RAM
    # fill seL4's spare free-memory slot (MAX_NUM_FREEMEM_REG = 3).
    "placement-leaves-three-free-regions": lambda h, rel: (
        {"x4": h.x[4] + 16 * PAGE, "x0": h.x[0] + 0x100000, "x1": h.x[1] + 0x100000,
         "x2": h.x[2] + 0x100000},
        ["ERROR: insufficient MAX_NUM_FREEMEM_REG (3)",
         "ERROR: free memory management initialization failed"]),
    "user-image-end-below-start": lambda h, rel: (
        {"x1": h.x[0] - PAGE},
        ["ERROR: reserved region 2 has start > end",
         "ERROR: free memory management initialization failed"]),
}

# A misaligned user image: seL4's debug build trips an assertion in the
# frame-entry constructor for a misaligned x0, and only for x0 (checked on
# QEMU). A misaligned x1 or x0 - x2 it accepts (MISALIGNED_ACCEPTED).
MISALIGNED = {
    "x0-not-page-aligned": (lambda h: {"x0": h.x[0] + 0x800}, SEL4_FRAME_ASSERTION),
}

# Hand-offs seL4 accepts, and so must the stand-in: (registers, reserved regions).
ACCEPTED = {
    "no-dtb": (lambda h: {"x4": 0, "x5": 0}, 2),
    "dtb-size-high-bits-ignored": (lambda h: {"x5": (1 << 32) | h.x[5]}, 3),
}


def planned(kernel, artifacts):
    dtb = virt_dtb_for(kernel)      # an SMP kernel's lists its cores
    return dtb, expect.expected_handoff(kernel, artifacts.roottask, expect.dtb_handover_size(dtb))


def is_standin(kernel, artifacts):
    return target.read(kernel).kind == "stand-in"


def release_of(kernel):
    release = target.read(kernel).release
    if release is None:
        pytest.skip(f"{kernel}: {target.read(kernel).unknown_line()}")
    return release


def boot_with_override(kernel, regs, artifacts, booter, tmp_path, name):
    """The stand-in must end every run by powering QEMU off, so it is booted
    with no stop pattern and must exit by itself; real seL4 spins after
    "halting...", so its run stops there."""
    dtb, _ = planned(kernel, artifacts)
    override = images.write_override(tmp_path / f"{name}.override", **regs)
    image = booter.pack(kernel, artifacts.roottask, dtb=dtb, override=override)
    if not is_standin(kernel, artifacts):
        return booter.boot(image, timeout=30, stop_patterns=("halting...",))
    r = booter.boot(image, timeout=30, stop_patterns=())
    # With no stop pattern, a run that neither timed out nor was stopped
    # ended because QEMU closed the console, i.e. exited. (exit_code can
    # still read None when QEMU had closed the pipe but not yet exited.)
    assert not r.timed_out and r.stopped_on is None and r.exit_code in (0, None), (
        f"the stand-in must power QEMU off (PSCI SYSTEM_OFF) at the end\n{r.describe()}")
    return r


def assert_in_order(lines, wanted, r):
    pos = 0
    for want in wanted:
        matches = [i for i in range(pos, len(lines)) if lines[i] == want]
        assert matches, f"missing line {want!r} (after line {pos})\n{r.describe()}"
        pos = matches[0] + 1
    return pos


def assert_init_failed(r, after):
    """After the ERROR lines: seL4's fail line, then halting..., and no root task."""
    lines = r.lines
    fails = [i for i in range(after, len(lines)) if FAIL_LINE.match(lines[i])]
    assert fails, r.describe()
    assert any(l.startswith("halting...") for l in lines[fails[0] + 1:]), r.describe()
    assert "Booting all finished" not in r.serial, r.describe()


# kernel.elf (13.0.0) and two more builds: 14.0's and 16.0's words (MCS).
STANDIN_BUILDS = ["standin-14.0.0", "standin-16.0.0-mcs"]


@pytest.fixture(params=KERNEL_PARAMS + STANDIN_BUILDS)
def kernel(request, artifacts):
    if request.param in STANDIN_BUILDS:
        return require_build(request.param[len("standin-"):])
    return kernel_choice(request.param, artifacts)


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_rejects_like_sel4(case, kernel, artifacts, booter, tmp_path):
    _, h = planned(kernel, artifacts)
    regs, wanted = REJECTIONS[case](h, release_of(kernel))
    r = boot_with_override(kernel, regs, artifacts, booter, tmp_path, case)
    after = assert_in_order(r.lines, ["Bootstrapping kernel"] + wanted, r)
    assert_init_failed(r, after)


@pytest.mark.parametrize("case", sorted(MISALIGNED))
def test_rejects_misaligned_user_image(case, kernel, artifacts, booter, tmp_path):
    make_regs, prefix = MISALIGNED[case]
    _, h = planned(kernel, artifacts)
    r = boot_with_override(kernel, make_regs(h), artifacts, booter, tmp_path, case)
    hits = [l for l in r.lines if l.startswith(prefix)]
    assert hits, f"no assertion line starting {prefix!r}\n{r.describe()}"
    assert hits[0].endswith(" in function pte_pte_4k_page_new"), r.describe()
    assert "halting..." in r.serial, r.describe()
    assert "Booting all finished" not in r.serial, r.describe()


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_accepts_like_sel4(case, kernel, artifacts, booter, tmp_path):
    make_regs, reserved = ACCEPTED[case]
    _, h = planned(kernel, artifacts)
    r = boot_with_override(kernel, make_regs(h), artifacts, booter, tmp_path, case)
    assert_in_order(r.lines, ["Bootstrapping kernel", reserved_heading(release_of(kernel), reserved),
                              "Booting all finished, dropped to user space", "roottask: start"], r)


# A user image starting at or above USER_TOP whose region end wraps past 2^64:
# seL4's single end comparison lets it through and a later assertion stops
# the boot; the stand-in reports it with the USER_TOP line instead.
def test_standin_rejects_wrapping_user_region(artifacts, booter, tmp_path):
    kernel = artifacts.standin_kernel
    _, h = planned(kernel, artifacts)
    v_start = 0xfffffffffffff000
    r = boot_with_override(kernel, {"x2": (h.x[0] - v_start) & MASK64}, artifacts, booter,
                           tmp_path, "wrap")
    hits = [l for l in r.lines if l.startswith(f"ERROR: userland image virt [{v_start:x}..")]
    assert hits and hits[0].endswith(f"]exceeds USER_TOP ({USER_TOP:x})"), r.describe()
    assert_init_failed(r, r.lines.index(hits[0]) + 1)


# seL4 boots with a misaligned x1 or x0 - x2, and so must the stand-in; the
# root task then meets what seL4 made of it. x1 half a page long: the frames
# cover [x0, x1) page by page, the IPC buffer and BootInfo follow x1 - x2 in
# mid-page, and the root task refuses its mid-page BootInfo pointer. x0 - x2
# half a page off: every frame maps its page, the image appears shifted and
# the root task faults in its first steps.
def test_accepts_misaligned_x1_like_sel4(kernel, artifacts, booter, tmp_path):
    _, h = planned(kernel, artifacts)
    x1 = h.x[1] + 0x800
    r = boot_with_override(kernel, {"x1": x1}, artifacts, booter, tmp_path, "x1-half-page")
    bootinfo = (x1 - h.x[2]) + PAGE
    # Without a BootInfo the root task tells MCS by syscall -12, which an MCS
    # kernel takes as DebugPutChar of its x0 (1): that byte comes first.
    start = ("\x01" if target.read(kernel).mcs else "") + "roottask: start"
    assert_in_order(r.lines, [
        "Booting all finished, dropped to user space", start,
        f"roottask: boot FAILED: entry.x0: x0 (BootInfo VA) = 0x{bootinfo:x}, must be a non-zero "
        "page-aligned address"], r)


def test_accepts_misaligned_pv_offset_like_sel4(kernel, artifacts, booter, tmp_path):
    from bootcheck.check import contract
    _, h = planned(kernel, artifacts)
    r = boot_with_override(kernel, {"x2": (h.x[2] + 0x800) & MASK64}, artifacts, booter, tmp_path,
                           "pv-offset-half-page")
    assert "Booting all finished, dropped to user space" in r.lines, r.describe()
    fault = contract.fault_in_serial(r.serial)
    assert fault is not None and fault["thread"] == "rootserver", r.describe()
    u = expect.elf_facts(artifacts.roottask)
    assert u.vmin <= fault["pc"] < u.vmax, r.describe()
