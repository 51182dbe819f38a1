"""`bootcheck check` (make check): a verdict on a loader image by seL4's
contract, not by our placement.

The foreign loader is fixtures/altloader: its own payload format (which the
payload finder does not know, so it is checked with --kernel/--roottask),
its own placement (root task at the top of RAM, the DTB 1 MiB above the
kernel) and its own entry path. Each of its mutants makes one classic loader
mistake; each test asserts the exact diagnosis line, with the numbers
computed from the input files and the altloader's documented placement
(fixtures/altloader/README.md), and the exit status."""

import json
import os
import re
import subprocess

import pytest

from bootcheck import expect, facts, images, qemu_machine

from conftest import BUILD, ROOT, Artifacts

pytestmark = [pytest.mark.qemu, pytest.mark.emu, pytest.mark.slow]

BOOTCHECK = os.path.join(BUILD, "bin", "bootcheck")
ALT = os.path.join(BUILD, "fixtures", "altloader")
PAGE = expect.PAGE
MIB = 1 << 20
RAM_END = facts.RAM_BASE + 1024 * MIB
PASS_LINE = "bootcheck: PASS: every link of seL4's boot contract holds"


def hx(v):
    return f"0x{v:x}"


def run_check(tmp_path, image, *args, seconds=20):
    out = tmp_path / "report"
    r = subprocess.run([BOOTCHECK, "check", str(image), "--out", str(out), "--seconds", str(seconds),
                        *args], capture_output=True, text=True, timeout=seconds + 60)
    verdict = None
    if (out / "verdict.json").exists():
        verdict = json.loads((out / "verdict.json").read_text())
    print(r.stdout, r.stderr)
    return r, verdict, out


def last_line(r):
    return r.stdout.strip().splitlines()[-1]


class Alt:
    """The altloader's hand-off for the stand-in kernel and our root task,
    from its placement rule: root task ending at the top of RAM, the DTB at
    the kernel's page-rounded end + 1 MiB."""

    def __init__(self, kernel=Artifacts.standin_kernel, roottask=Artifacts.roottask,
                 dtb=Artifacts.virt_dtb):
        self.k = expect.elf_facts(kernel)
        self.u = expect.elf_facts(roottask)
        self.vmin = expect.round_down(self.u.vmin, PAGE)
        self.span = expect.round_up(self.u.vmax, PAGE) - self.vmin
        self.kend = expect.round_up(self.k.pmax, PAGE)
        self.x0 = RAM_END - self.span
        self.x1 = RAM_END
        self.x2 = self.x0 - self.vmin
        self.x3 = self.u.entry
        self.x4 = self.kend + MIB
        self.x5 = expect.fdt_totalsize(dtb)
        self.rootserver = self.k.symbols["rootserver"][0]


def alt_image(name):
    path = os.path.join(ALT, f"{name}.elf")
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run `make all` first")
    return path


def files_args():
    return ["--kernel", Artifacts.standin_kernel, "--roottask", Artifacts.roottask]


# --- passing images -------------------------------------------------------------

def test_our_loader_image_passes(tmp_path):
    image = images.pack_ok(Artifacts.standin_kernel, Artifacts.roottask, tmp_path / "ours.elf")
    r, v, out = run_check(tmp_path, image)
    assert r.returncode == 0, r.stdout + r.stderr
    assert last_line(r) == PASS_LINE
    assert v["payload"] == "pack" and v["ok"]
    assert [f["status"] for f in v["findings"]] == ["pass"] * len(v["findings"])
    assert [f["rule"] for f in v["findings"]] == [
        "kernel_reached", "entry_state", "kernel_window", "kernel_loaded", "rootserver", "user_region",
        "pv_offset", "user_entry", "user_loaded", "dtb", "free_memory", "cores", "kernel_init", "user_context",
        "roottask_entry", "roottask_runs"]
    junit = (out / "junit.xml").read_text()
    assert junit.count("<testcase ") == len(v["findings"]) and 'failures="0"' in junit
    assert (out / "report.html").read_text().count("<tr>") == len(v["findings"]) + 1
    assert PASS_LINE in (out / "verdict.md").read_text()


def test_foreign_loader_with_another_placement_passes(tmp_path):
    """The altloader places the root task and the DTB where our loader never
    would; by the contract that is right, so the check passes."""
    a = Alt()
    planned = expect.expected_handoff(Artifacts.standin_kernel, Artifacts.roottask, a.x5)
    r, v, _ = run_check(tmp_path, alt_image("good"), *files_args())
    assert r.returncode == 0, r.stdout + r.stderr
    assert last_line(r) == PASS_LINE
    assert v["payload"] == "files"
    assert v["emulation"]["x"] == [a.x0, a.x1, a.x2, a.x3, a.x4, a.x5]
    assert v["emulation"]["x"][0] != planned.x[0] and v["emulation"]["x"][4] != planned.x[4]


# --- one diagnosis per classic mistake -----------------------------------------

def _mutant_lines(a):
    short = PAGE
    return {
        "write-rootserver": re.escape(
            f"bootcheck: FAIL at link 5 (rootserver): the loader wrote into seL4's rootserver at "
            f"{hx(a.rootserver)}: boot_info (+0x20) = {hx(a.x4)}, extra_bi (+0x28) = {hx(a.x5)}; written by "
            "the loader at PC 0x") + r"[0-9a-f]+ \(mutant_after_kernel_load\+0x[0-9a-f]+\)" + re.escape(
            ". seL4 fills rootserver itself in init_kernel; a loader must leave it zero; with extra_bi "
            "non-zero, seL4's create_rootserver_objects asserts 'rootserver_mem.start == rootserver_mem.end'"),
        "pv-offset-page-high": re.escape(
            f"bootcheck: FAIL at link 7 (pv_offset): x2 (pv_offset) = {hx(a.x2 + PAGE)}, but x0 - (root task's "
            f"lowest vaddr {hx(a.vmin)}) = {hx(a.x2)}: 1 page high; seL4 maps phys p at virt p - x2, so the "
            "root task appears 1 page lower than linked and faults at its entry"),
        "x1-page-short": re.escape(
            f"bootcheck: FAIL at link 6 (user_region): x1 = {hx(a.x1 - short)} is short of the root task's end: "
            f"its {hx(a.span)}-byte image at x0 = {hx(a.x0)} ends at {hx(a.x0 + a.span)}, 1 page more; seL4 "
            "maps only [x0, x1) as the root task's frames, so its last page is left out and the IPC buffer "
            "and BootInfo land on top of it"),
        "x3-not-entry": re.escape(
            f"bootcheck: FAIL at link 8 (user_entry): x3 = {hx(a.x3 + 4)} is not the root task's entry "
            f"{hx(a.x3)} (off by 0x4): seL4 starts the root task at x3"),
        "roottask-bss-not-zeroed": re.escape("bootcheck: FAIL at link 9 (user_loaded): root task .bss is not "
                                             "zero: ") + r"\d+" + re.escape(" bytes of [") + r"0x[0-9a-f]+" +
        re.escape(", ") + r"0x[0-9a-f]+" + re.escape(") are not, first at paddr ") + r"0x[0-9a-f]+ \(.+\)" +
        re.escape(" = 0xa5"),
        "kernel-window-device": re.escape(
            "bootcheck: FAIL at link 3 (kernel_window): the kernel window is mapped as Device-nGnRnE "
            "(AttrIndx 0, MAIR attr 0x0), not Normal write-back: seL4's code, stack and data would run "
            "uncached (and unaligned accesses fault on Device memory)"),
        "dtb-overlaps-user": re.escape(
            f"bootcheck: FAIL at link 10 (dtb): the DTB [{hx(a.x0)}, {hx(a.x0 + a.x5)}) overlaps the root "
            f"task's range [{hx(a.x0)}, {hx(a.x1)}): seL4 stops with \"reserved region 2 in wrong order\""),
    }


MUTANTS = ["write-rootserver", "pv-offset-page-high", "x1-page-short", "x3-not-entry",
           "roottask-bss-not-zeroed", "kernel-window-device", "dtb-overlaps-user"]


@pytest.mark.parametrize("mutant", MUTANTS)
def test_mutant_gets_its_diagnosis(tmp_path, mutant):
    r, v, _ = run_check(tmp_path, alt_image(mutant), *files_args())
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.fullmatch(_mutant_lines(Alt())[mutant], last_line(r)), last_line(r)


def test_roottask_bss_not_zeroed_names_the_root_task_bss(tmp_path):
    """The .bss range in the sentence is the root task's own, at x0."""
    a = Alt()
    r, _, _ = run_check(tmp_path, alt_image("roottask-bss-not-zeroed"), *files_args())
    seg = max(a.u.segments, key=lambda s: s[0])
    vaddr, _, _, filesz, memsz, _ = seg
    start, end = a.x0 + vaddr - a.vmin + filesz, a.x0 + vaddr - a.vmin + memsz
    assert f"bytes of [{hx(start)}, {hx(end)}) are not, first at paddr {hx(start)}" in last_line(r)


def test_root_task_fault_is_decoded_into_its_source(tmp_path):
    """pv_offset one page high: the root task is mapped one page low and
    faults; the fault report is decoded into the root task's function."""
    r, v, _ = run_check(tmp_path, alt_image("pv-offset-page-high"), *files_args())
    runs = next(f for f in v["findings"] if f["rule"] == "roottask_runs")
    assert runs["status"] == "fail"
    assert runs["sentence"].startswith("the root task faulted: ")
    pc = runs["fault"]["pc"]
    func = subprocess.run(["aarch64-linux-gnu-addr2line", "-f", "-e", Artifacts.roottask, hex(pc)],
                          capture_output=True, text=True).stdout.split("\n")[0]
    assert f" at PC {hx(pc)} ({func}" in runs["sentence"]


def test_kernel_never_reached_is_bounded_and_explained(tmp_path):
    r, v, _ = run_check(tmp_path, alt_image("never-reaches-kernel"), *files_args(), seconds=4)
    assert r.returncode == 1
    k = expect.elf_facts(Artifacts.standin_kernel)
    line = last_line(r)
    assert line.startswith(f"bootcheck: FAIL at link 1 (kernel_reached): the kernel's entry {hx(k.entry)} "
                           "was never reached: loader took an exception (prefetch abort")
    assert "last UART line 'altloader: jumping to kernel'" in line
    assert "[QEMU + GDB: the kernel's entry" in line and "ESR_EL1 0x" in line
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _cmdline_has(p, "never-reaches-kernel")]


def _cmdline_has(pid, text):
    """Whether process pid is a QEMU whose command line mentions text."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read()
    except OSError:
        return False
    return b"qemu-system" in cmd and text.encode() in cmd


# --- bad input: one line, exit 2 -------------------------------------------------

def test_not_an_elf(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a loader\n")
    r, _, _ = run_check(tmp_path, bad)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (f"bootcheck: error: IMAGE={bad} is not an ELF file (QEMU's -kernel loads an ELF "
                        "loader image)\n")


def test_an_elf_for_another_machine(tmp_path):
    host = os.path.join(BUILD, "harness", "emu-check")
    r, _, _ = run_check(tmp_path, host)
    assert r.returncode == 2
    assert r.stderr == (f"bootcheck: error: image: '{host}' is not a loadable image: ELF machine 62 is not "
                        "EM_AARCH64 (183)\n")


def test_foreign_image_without_kernel_says_what_to_give(tmp_path):
    r, _, _ = run_check(tmp_path, alt_image("good"))
    assert r.returncode == 2
    assert r.stderr == ("bootcheck: error: payload: no payload found: neither pack.sh's "
                        "_payload_start/_payload_end nor seL4 elfloader's _archive_start/_archive_start_end "
                        "symbols; name the ELF files it carries with KERNEL= and ROOTTASK= "
                        "(emu-check --kernel/--roottask)\n")


def test_kernel_that_is_not_inside_a_foreign_image(tmp_path):
    r, _, _ = run_check(tmp_path, alt_image("good"), "--kernel", Artifacts.probe_el1,
                        "--roottask", Artifacts.roottask)
    assert r.returncode == 2
    assert r.stderr == (f"bootcheck: error: payload: kernel '{Artifacts.probe_el1}' is not inside the image: "
                        "the first 256 bytes of its first loadable segment occur nowhere in it\n")


def test_kernel_that_differs_from_the_payload(tmp_path):
    image = images.pack_ok(Artifacts.standin_kernel, Artifacts.roottask, tmp_path / "ours.elf")
    given, inside = open(Artifacts.probe_el1, "rb").read(), open(Artifacts.standin_kernel, "rb").read()
    first = next(i for i, (a, b) in enumerate(zip(given, inside)) if a != b)
    r, _, _ = run_check(tmp_path, image, "--kernel", Artifacts.probe_el1)
    assert r.returncode == 2
    assert r.stderr == (f"bootcheck: error: payload: kernel '{Artifacts.probe_el1}' ({len(given)} bytes) is "
                        f"not the kernel inside the image (pack payload, {len(inside)} bytes; first difference "
                        f"at file offset {hx(first)})\n")


def test_missing_file(tmp_path):
    r, _, _ = run_check(tmp_path, alt_image("good"), "--kernel", str(tmp_path / "nope.elf"))
    assert r.returncode == 2
    assert r.stderr == f"bootcheck: error: KERNEL={tmp_path / 'nope.elf'} does not exist\n"


def test_hyp_kernel_on_a_machine_that_starts_at_el1(tmp_path):
    image = images.pack_ok(Artifacts.probe_hyp, Artifacts.roottask, tmp_path / "hyp.elf")
    entry = expect.elf_facts(Artifacts.probe_hyp).entry
    r, _, _ = run_check(tmp_path, image, "--machine", qemu_machine.machine_at_el(1))
    assert r.returncode == 2
    assert r.stderr == (f"bootcheck: error: the kernel is a hyp (EL2) build (entry {hx(entry)}); MACHINE=virt "
                        "starts the CPU at EL1: use MACHINE=virt,virtualization=on\n")


def test_make_check_needs_an_image():
    r = subprocess.run(["make", "-s", "--no-print-directory", "check"], cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 2
    assert "make check: IMAGE=path/to/loader-image.elf is required" in r.stderr


def test_make_check_runs_the_tool(tmp_path):
    image = images.pack_ok(Artifacts.standin_kernel, Artifacts.roottask, tmp_path / "viamake.elf")
    r = subprocess.run(["make", "-s", "--no-print-directory", "check", f"IMAGE={image}"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == PASS_LINE
    assert os.path.exists(os.path.join(ROOT, "reports", "check", "viamake", "verdict.json"))


# --- real seL4 --------------------------------------------------------------------

@pytest.mark.sel4
def test_sel4_with_our_loader_passes(tmp_path, sel4_kernel):
    image = images.pack_ok(sel4_kernel, Artifacts.roottask, tmp_path / "ours-sel4.elf")
    r, v, _ = run_check(tmp_path, image)
    assert r.returncode == 0, r.stdout + r.stderr
    assert last_line(r) == PASS_LINE


@pytest.mark.sel4
def test_sel4_with_the_foreign_loader_passes(tmp_path, sel4_kernel):
    if expect.elf_facts(sel4_kernel).entry < expect.UPPER_HALF:
        pytest.skip("the altloader enters EL1 kernels only; SEL4_KERNEL is a hyp build")
    image = tmp_path / "alt-sel4.elf"
    r = subprocess.run(["make", "-s", "--no-print-directory", "altloader-image", f"KERNEL={sel4_kernel}",
                        f"ROOTTASK={Artifacts.roottask}", f"OUT={image}"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    r, v, _ = run_check(tmp_path, image, "--kernel", sel4_kernel, "--roottask", Artifacts.roottask)
    assert r.returncode == 0, r.stdout + r.stderr
    assert last_line(r) == PASS_LINE
    a = Alt(kernel=sel4_kernel)
    assert v["emulation"]["x"][:4] == [a.x0, a.x1, a.x2, a.x3]


def test_prefilled_rootserver_is_refused_like_sel4(tmp_path):
    """seL4 13.0.0 asserts when rootserver.extra_bi was pre-filled; the
    stand-in must refuse it the same way (../shared facts, third-party-loader
    section), and the verdict quotes the kernel's own words."""
    r, v, _ = run_check(tmp_path, alt_image("write-rootserver"), *files_args())
    init = next(f for f in v["findings"] if f["rule"] == "kernel_init")
    assert init["status"] == "fail"
    assert re.fullmatch(r"seL4 refused the hand-off: \"seL4 failed assertion 'rootserver_mem.start == "
                        r"rootserver_mem.end' at \S+:\d+ in function create_rootserver_objects\"",
                        init["sentence"]), init["sentence"]
