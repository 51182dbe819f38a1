"""`bootcheck check` (make check): a verdict on a loader image by seL4's
contract, not by our placement.

The foreign loader is fixtures/altloader: its own payload format (which the
payload finder does not know, so it is checked with --kernel/--roottask),
its own placement (root task at the top of RAM, the DTB 1 MiB above the
kernel) and its own entry path. Each of its mutants makes one classic loader
mistake; each test asserts the exact diagnosis line, with the numbers
computed from the input files and the altloader's documented placement
(fixtures/altloader/README.md), and the exit status."""

import os
import re
import subprocess

import pytest

from bootcheck.boot import qemu_machine
from bootcheck.check import contract
from bootcheck.kernel import expect, facts, target
from bootcheck.pack import images

from check_runs import run_check
from conftest import BUILD, ROOT, Artifacts, virt_dtb_for

# The bad-input tests end before any emulation or boot (well under a second):
# they stay in make verify-quick; every test that makes a check is `slow`.
pytestmark = [pytest.mark.qemu, pytest.mark.emu]

ALT = os.path.join(BUILD, "fixtures", "altloader")
PAGE = expect.PAGE
MIB = 1 << 20
RAM_END = facts.RAM_BASE + 1024 * MIB
PASS_LINE = "bootcheck: PASS: every link of seL4's boot contract holds"


def hx(v):
    return f"0x{v:x}"


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

@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS)
def test_mutant_gets_its_diagnosis(tmp_path, mutant):
    r, v, _ = run_check(tmp_path, alt_image(mutant), *files_args())
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.fullmatch(_mutant_lines(Alt())[mutant], last_line(r)), last_line(r)


@pytest.mark.slow
def test_roottask_bss_not_zeroed_names_the_root_task_bss(tmp_path):
    """The .bss range in the sentence is the root task's own, at x0."""
    a = Alt()
    r, _, _ = run_check(tmp_path, alt_image("roottask-bss-not-zeroed"), *files_args())
    seg = max(a.u.segments, key=lambda s: s[0])
    vaddr, _, _, filesz, memsz, _ = seg
    start, end = a.x0 + vaddr - a.vmin + filesz, a.x0 + vaddr - a.vmin + memsz
    assert f"bytes of [{hx(start)}, {hx(end)}) are not, first at paddr {hx(start)}" in last_line(r)


@pytest.mark.slow
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


@pytest.mark.slow
def test_kernel_never_reached_is_bounded_and_explained(tmp_path):
    r, v, _ = run_check(tmp_path, alt_image("never-reaches-kernel"), *files_args(), seconds=4, shared=False)
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
    assert r.stderr == ("bootcheck: error: payload: no payload found: neither bootcheck's pack step's "
                        "_payload_start/_payload_end nor seL4 elfloader's _archive_start/_archive_start_end "
                        "symbols; name the ELF files it carries with KERNEL= and ROOTTASK= "
                        "(emu-check --kernel/--roottask)\n")


def test_kernel_that_is_not_inside_a_foreign_image(tmp_path):
    r, _, _ = run_check(tmp_path, alt_image("good"), "--kernel", Artifacts.probe_el1,
                        "--roottask", Artifacts.roottask)
    assert r.returncode == 2
    assert r.stderr == (f"bootcheck: error: payload: kernel '{Artifacts.probe_el1}' is not inside the image: "
                        "the first 256 bytes of its first loadable segment occur nowhere in it\n")


def _loads_other_bytes(given, inside):
    """How two ELF files differ in what they load (entry, segments' addresses
    and sizes, their bytes), in the payload finder's words."""
    g, i = expect.elf_facts(given), expect.elf_facts(inside)
    if g.entry != i.entry:
        return f"entry {hx(g.entry)}, the image's {hx(i.entry)}"
    if len(g.segments) != len(i.segments):
        return f"{len(g.segments)} loadable segments, the image's {len(i.segments)}"
    for n, (a, b) in enumerate(zip(g.segments, i.segments)):
        va, pa, _, fa, ma, _ = a
        vb, pb, _, fb, mb, _ = b
        if (va, pa, fa, ma) != (vb, pb, fb, mb):
            return (f"loadable segment {n} is vaddr {hx(va)} paddr {hx(pa)} filesz {hx(fa)} memsz {hx(ma)}, "
                    f"the image's vaddr {hx(vb)} paddr {hx(pb)} filesz {hx(fb)} memsz {hx(mb)}")
        da, db = open(given, "rb").read()[a[2]:a[2] + fa], open(inside, "rb").read()[b[2]:b[2] + fb]
        if da != db:
            at = next(k for k in range(fa) if da[k] != db[k])
            return f"loadable segment {n} differs first at vaddr {hx(va + at)}"
    return None


def test_kernel_that_differs_from_the_payload(tmp_path):
    image = images.pack_ok(Artifacts.standin_kernel, Artifacts.roottask, tmp_path / "ours.elf")
    given, inside = os.path.getsize(Artifacts.probe_el1), os.path.getsize(Artifacts.standin_kernel)
    why = _loads_other_bytes(Artifacts.probe_el1, Artifacts.standin_kernel)
    assert why is not None
    r, _, _ = run_check(tmp_path, image, "--kernel", Artifacts.probe_el1)
    assert r.returncode == 2
    assert r.stderr == (f"bootcheck: error: payload: kernel '{Artifacts.probe_el1}' ({given} bytes) is not the "
                        f"kernel inside the image (pack payload, {inside} bytes): it loads other bytes: {why}\n")


# --- stripped payloads (seL4's stock elfloader packs stripped ELFs) -----------------

def _strip(path, tmp_path):
    out = tmp_path / ("stripped-" + os.path.basename(path))
    subprocess.run(["aarch64-linux-gnu-strip", "-o", str(out), path], check=True)
    return str(out)


def _stripped_image(tmp_path, kernel):
    k, u = _strip(kernel, tmp_path), _strip(Artifacts.roottask, tmp_path)
    return images.pack_ok(k, u, tmp_path / "stripped.elf"), k


@pytest.mark.slow
def test_stripped_payload_is_incomplete_and_says_what_to_give(tmp_path):
    """Every rule appears; the ones that need the kernel's symbols are not
    observed, and the verdict says so instead of PASS (exit 3)."""
    image, k = _stripped_image(tmp_path, Artifacts.standin_kernel)
    r, v, _ = run_check(tmp_path, image)
    assert r.returncode == 3, r.stdout + r.stderr
    unobserved = ["5 (rootserver)"] + (["12 (cores)"] if target.read(k).cores is None else [])
    assert last_line(r) == (f"bootcheck: INCOMPLETE: link{'s' if len(unobserved) > 1 else ''} "
                            f"{', '.join(unobserved)} not observed: the image's kernel is stripped; give "
                            "KERNEL=<unstripped kernel.elf>")
    assert [f["rule"] for f in v["findings"]] == [name for name, _ in contract.CHAIN]
    assert v["status"] == "incomplete" and v["exit_status"] == 3 and not v["ok"]
    assert {f["rule"] for f in v["findings"] if f["status"] != "pass"} == \
        {u.split(" ")[1][1:-1] for u in unobserved}
    ctx = next(f for f in v["findings"] if f["rule"] == "user_context")
    assert ctx["source"] == "QEMU + GDB at the root task's first instruction"   # no restore_user_context symbol
    assert "PASS" not in r.stdout.splitlines()[-1]


@pytest.mark.slow
def test_unstripped_files_serve_a_stripped_payload(tmp_path):
    image, _ = _stripped_image(tmp_path, Artifacts.standin_kernel)
    r, v, _ = run_check(tmp_path, image, "--kernel", Artifacts.standin_kernel, "--roottask", Artifacts.roottask)
    assert r.returncode == 0, r.stdout + r.stderr
    assert last_line(r) == PASS_LINE
    rs = next(f for f in v["findings"] if f["rule"] == "rootserver")
    assert rs["status"] == "pass" and rs["sentence"] == "rootserver (72 bytes) untouched"


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


@pytest.mark.slow
def test_make_check_runs_the_tool(tmp_path):
    image = images.pack_ok(Artifacts.standin_kernel, Artifacts.roottask, tmp_path / "viamake.elf")
    r = subprocess.run(["make", "-s", "--no-print-directory", "check", f"IMAGE={image}"], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == PASS_LINE
    assert os.path.exists(os.path.join(ROOT, "reports", "check", "viamake", "verdict.json"))


# --- real seL4 --------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.sel4
def test_sel4_with_our_loader_passes(tmp_path, sel4_kernel):
    image = images.pack_ok(sel4_kernel, Artifacts.roottask, tmp_path / "ours-sel4.elf")
    r, v, _ = run_check(tmp_path, image)
    assert r.returncode == 0, r.stdout + r.stderr
    assert last_line(r) == PASS_LINE


def _check_sel4_with_the_foreign_loader(tmp_path, sel4_kernel):
    """make check on the altloader around a real kernel (and a DTB listing
    its cores); the hand-off it made in emulation is the altloader's own."""
    if target.read(sel4_kernel).hyp:
        pytest.skip("the altloader enters EL1 kernels only; SEL4_KERNEL is a hyp build")
    image = tmp_path / "alt-sel4.elf"
    r = subprocess.run(["make", "-s", "--no-print-directory", "altloader-image", f"KERNEL={sel4_kernel}",
                        f"ROOTTASK={Artifacts.roottask}", f"DTB={virt_dtb_for(sel4_kernel)}", f"OUT={image}"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    r, v, _ = run_check(tmp_path, image, "--kernel", sel4_kernel, "--roottask", Artifacts.roottask)
    a = Alt(kernel=sel4_kernel)
    assert v["emulation"]["x"][:4] == [a.x0, a.x1, a.x2, a.x3], r.stdout + r.stderr
    return r, v


@pytest.mark.slow
@pytest.mark.sel4
def test_sel4_with_the_foreign_loader_passes(tmp_path, sel4_kernel, request):
    t = target.read(sel4_kernel)
    if t.smp:
        pytest.skip(f"{request.node.callspec.params['sel4_kernel']} needs {t.nodes} cores and the altloader "
                    "starts none (a one-core loader): the check must fail at link 12 there, "
                    "test_sel4_smp_with_the_one_core_foreign_loader_hangs checks that")
    r, v = _check_sel4_with_the_foreign_loader(tmp_path, sel4_kernel)
    assert r.returncode == 0, r.stdout + r.stderr
    assert last_line(r) == PASS_LINE


@pytest.mark.slow
@pytest.mark.sel4
def test_sel4_smp_with_the_one_core_foreign_loader_hangs(tmp_path, sel4_kernel, request):
    """The altloader starts no other core: on a real SMP seL4 the boot core
    waits for them in init_kernel forever, and the check says so."""
    t = target.read(sel4_kernel)
    if not t.smp:
        pytest.skip(f"{request.node.callspec.params['sel4_kernel']} is a single-core kernel: "
                    "test_sel4_with_the_foreign_loader_passes runs it")
    r, v = _check_sel4_with_the_foreign_loader(tmp_path, sel4_kernel)
    need = f"the kernel needs {t.nodes} cores (its kernel_stack_alloc holds {t.nodes} stacks)"
    assert r.returncode == 1, r.stdout + r.stderr
    assert last_line(r) == (
        f"bootcheck: FAIL at link 12 (cores): {need}, but the loader started none with PSCI CPU_ON: "
        "seL4's boot core waits for them in init_kernel forever, silently [QEMU + GDB at the kernel's "
        f"entry, every CPU: {need}, but no other CPU reached its entry: seL4's boot core waits for "
        "them in init_kernel forever, silently]"), r.stdout
    # Everything before the cores held; seL4 itself never finished booting.
    status = {f["rule"]: f["status"] for f in v["findings"]}
    rules = [f["rule"] for f in v["findings"]]
    assert [status[n] for n in rules[:rules.index("cores")]] == ["pass"] * rules.index("cores"), v["findings"]
    assert status["kernel_init"] == "fail", v["findings"]
    assert "Bootstrapping kernel" in v["serial"] and "Booting all finished" not in v["serial"], v["serial"]
    # The boot ended once seL4 waited, not at the budget: the emulation had
    # decided that no other core would ever come.
    init = next(f for f in v["findings"] if f["rule"] == "kernel_init")
    assert (f"(the boot ended: serial silent for 2 s after seL4's memory regions, and the loader started 0 "
            f"of the {t.nodes - 1} other cores the kernel needs with PSCI CPU_ON: seL4's boot core waits for "
            "them forever)") in init["sentence"], init["sentence"]


@pytest.mark.slow
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


# --- ABI mismatches, diagnosed by their symptom --------------------------------------

def _roottask_13_nonmcs():
    """A root task that uses seL4 13.0.0's non-MCS numbers on any kernel: the
    abi helper's forced-ABI build, or main's root task from before it
    detected the ABI at run time (no sel4.abi line in its bytes)."""
    forced = os.path.join(BUILD, "roottask", "roottask-abi-13.0.0-nonmcs.elf")
    if os.path.exists(forced):
        return forced
    with open(Artifacts.roottask, "rb") as f:
        if b"sel4.abi" not in f.read():
            return Artifacts.roottask
    pytest.skip(f"no root task with 13.0's non-MCS ABI ({forced} is not built)")


def _check_kernel_with_13_roottask(tmp_path, kernel):
    image = images.pack_ok(kernel, _roottask_13_nonmcs(), tmp_path / "abi-mismatch.elf")
    return run_check(tmp_path, image)


NONMCS_ON_MCS = re.compile(
    r"bootcheck: FAIL at link 16 \(roottask_runs\): the root task faulted: cap fault in receive phase at "
    r"address 0x72 at PC 0x[0-9a-f]+ \([a-z_0-9]+, \S*roottask/(syscalls\.c|arch/aarch64/trap\.h):\d+\); it has no fault handler, "
    r"so (?P<kernel>.+?) MCS stopped it; .*\. Diagnosis: the root task uses non-MCS syscall numbers on an MCS "
    r"kernel \((?P=kernel) MCS, read from the kernel ELF: .*\): its DebugPutChar \(non-MCS -9\) is MCS Wait "
    r"\(-9\), so printing 'r' waited on cap 0x72 and faulted")


@pytest.mark.slow
@pytest.mark.sel4
def test_nonmcs_roottask_on_a_real_mcs_kernel(tmp_path, sel4_kernel):
    """The reported bug: this check used to say PASS."""
    t = target.read(sel4_kernel)
    if not t.mcs:
        pytest.skip(f"{t.describe()} is not an MCS kernel")
    r, v, _ = _check_kernel_with_13_roottask(tmp_path, sel4_kernel)
    assert r.returncode == 1, r.stdout + r.stderr
    m = NONMCS_ON_MCS.fullmatch(last_line(r))
    assert m and m["kernel"] == f"seL4 {t.release}", last_line(r)


@pytest.mark.slow
@pytest.mark.sel4
def test_13_labels_on_a_real_14plus_kernel(tmp_path, sel4_kernel):
    t = target.read(sel4_kernel)
    if t.mcs or not t.release or int(t.release.split(".")[0]) < 14:
        pytest.skip(f"{t.describe()} is not a non-MCS 14.0+ kernel")
    r, v, _ = _check_kernel_with_13_roottask(tmp_path, sel4_kernel)
    assert r.returncode == 1, r.stdout + r.stderr
    assert last_line(r).startswith(
        "bootcheck: FAIL at link 16 (roottask_runs): the root task reported a failure: \"roottask: boot FAILED: ")
    assert (f". Diagnosis: invocation labels of 13.0 on a 14.0+ kernel (seL4 {t.release} non-MCS, read from the "
            "kernel ELF: ") in last_line(r)


def _standin_build(name):
    path = os.path.join(BUILD, "targets", "standin", name)
    if not os.path.exists(path):
        pytest.skip(f"no stand-in build {path} (the stand-in's per-release builds)")
    return path


@pytest.mark.slow
def test_nonmcs_roottask_on_the_mcs_stand_in(tmp_path):
    k = _standin_build("kernel-16.0.0-mcs.elf")
    r, _, _ = _check_kernel_with_13_roottask(tmp_path, k)
    assert r.returncode == 1, r.stdout + r.stderr
    assert ". Diagnosis: the root task uses non-MCS syscall numbers on an MCS kernel (the stand-in (seL4 " \
           "16.0.0) MCS, read from the kernel ELF: " in last_line(r), last_line(r)


@pytest.mark.slow
def test_13_labels_on_the_16_stand_in(tmp_path):
    k = _standin_build("kernel-16.0.0.elf")
    r, _, _ = _check_kernel_with_13_roottask(tmp_path, k)
    assert r.returncode == 1, r.stdout + r.stderr
    assert ". Diagnosis: invocation labels of 13.0 on a 14.0+ kernel (the stand-in (seL4 16.0.0) non-MCS" \
        in last_line(r), last_line(r)


def _check_kernel_with_mcs_roottask(tmp_path, kernel):
    forced = os.path.join(BUILD, "roottask", "roottask-abi-16.0.0-mcs.elf")
    if not os.path.exists(forced):
        pytest.skip(f"no root task forced to 16.0.0's MCS ABI ({forced} is not built)")
    image = images.pack_ok(kernel, forced, tmp_path / "mcs-roottask.elf")
    return run_check(tmp_path, image)


MCS_ON_NONMCS = ("the root task uses MCS syscall numbers on a non-MCS kernel ({kernel} non-MCS, read from the "
                 "kernel ELF: ")


@pytest.mark.slow
@pytest.mark.sel4
def test_mcs_roottask_on_a_real_nonmcs_kernel(tmp_path, sel4_kernel):
    t = target.read(sel4_kernel)
    if t.mcs:
        pytest.skip(f"{t.describe()} is not a non-MCS kernel")
    if t.smp:
        # Seen on 16.0.0-smp4: "SysDebugSendIPI: Invalid IRQ, not a SGI, halting"; the
        # check names that halt (link 16) but has no MCS-on-non-MCS diagnosis for it yet.
        pytest.skip(f"{t.describe()}: on an SMP non-MCS kernel the MCS number -15 is DebugSendIPI, which "
                    "halts the kernel instead of faulting as an unknown syscall; this diagnosis is for "
                    "single-core kernels")
    r, _, _ = _check_kernel_with_mcs_roottask(tmp_path, sel4_kernel)
    assert r.returncode == 1, r.stdout + r.stderr
    assert last_line(r).startswith("bootcheck: FAIL at link 16 (roottask_runs): the root task faulted: unknown "
                                   "syscall -15 at PC "), last_line(r)
    assert ". Diagnosis: " + MCS_ON_NONMCS.format(kernel=f"seL4 {t.release}") in last_line(r)


@pytest.mark.slow
def test_mcs_roottask_on_the_nonmcs_stand_in(tmp_path):
    r, _, _ = _check_kernel_with_mcs_roottask(tmp_path, _standin_build("kernel-16.0.0.elf"))
    assert r.returncode == 1, r.stdout + r.stderr
    assert ". Diagnosis: " + MCS_ON_NONMCS.format(kernel="the stand-in (seL4 16.0.0)") in last_line(r), \
        last_line(r)


# --- seL4's stock elfloader of a release (a script of the user's, SEL4_STOCK_IMAGE_SH) -----------------

# A script that wraps a kernel build (named <release>-<config>, the directory
# holding its kernel.elf and config.txt) and a root task in seL4's stock
# elfloader of that release: STOCK_IMAGE_SH BUILD_NAME ROOTTASK OUT.
STOCK_IMAGE = os.environ.get("SEL4_STOCK_IMAGE_SH", "")


@pytest.mark.slow
@pytest.mark.sel4
def test_stock_image_of_a_real_kernel(tmp_path, sel4_kernel):
    """The stock elfloader (seL4_tools 2025+) packs a stripped kernel and a
    stripped root task named `rootserver`: without the unstripped files the
    verdict is INCOMPLETE, never PASS; with them, every link is judged."""
    if not STOCK_IMAGE or not os.path.exists(STOCK_IMAGE):
        pytest.skip("no SEL4_STOCK_IMAGE_SH (a script that wraps a kernel build and a root task in seL4's "
                    "stock elfloader of its release)")
    build = os.path.dirname(os.path.abspath(sel4_kernel))     # the script names a build: <release>-<config>
    if not os.path.exists(os.path.join(build, "config.txt")):
        pytest.skip(f"{sel4_kernel} is not a build {STOCK_IMAGE} knows (no config.txt beside it)")
    image = tmp_path / "stock.elf"
    p = subprocess.run([STOCK_IMAGE, os.path.basename(build), Artifacts.roottask, str(image)],
                       capture_output=True, text=True, timeout=900)
    if p.returncode != 0 or not image.exists():
        pytest.skip(f"{STOCK_IMAGE} could not make an image: {(p.stderr or p.stdout).strip()[-300:]}")
    r, v, _ = run_check(tmp_path, image)
    statuses = {f["status"] for f in v["findings"]}
    assert [f["rule"] for f in v["findings"]] == [name for name, _ in contract.CHAIN]
    assert (last_line(r) == PASS_LINE) == (statuses <= {"pass", "warn"}), r.stdout
    assert r.returncode == (1 if "fail" in statuses else 3 if "not_observed" in statuses else 0), r.stdout
    if v["target"]["stripped"]:        # seL4_tools 2025+ (the 14.0+ images): a stripped kernel member
        assert last_line(r).startswith("bootcheck: INCOMPLETE: link 5 (rootserver)") or r.returncode == 1
    r2, v2, _ = run_check(tmp_path, image, "--kernel", sel4_kernel, "--roottask", Artifacts.roottask)
    assert r2.returncode in (0, 1), r2.stdout + r2.stderr
    assert all(f["status"] != "not_observed" or f.get("why") == "earlier link broken" for f in v2["findings"])


# --- a bare environment ----------------------------------------------------------

def _bare_environment(home):
    """os.environ as cron or a CI runner may give it: no SHLVL, bash as the
    user's shell, and a ~/.bashrc that prints a greeting and leaves a mark."""
    home.mkdir()
    (home / ".bashrc").write_text('echo "Welcome to the build host"\ntouch "$HOME/bashrc-was-read"\n')
    env = {k: v for k, v in os.environ.items() if k != "SHLVL"}
    env.update(HOME=str(home), SHELL="/bin/bash")
    return env


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["aarch64", "riscv64"])
def test_the_users_bashrc_never_reaches_gdbs_pipe_to_qemu(tmp_path, arch):
    """gdb starts QEMU with `target remote | ...` through `$SHELL -c`, on a
    socket. Bash started so without SHLVL reads ~/.bashrc (as under sshd):
    the user's start-up work would be paid on every boot, and its greeting
    would go down the pipe gdb reads the remote protocol from. bootcheck's
    gdbs run that command with /bin/sh."""
    env = _bare_environment(tmp_path / "home")
    mark = tmp_path / "home" / "bashrc-was-read"
    # The environment is one where it matters: a gdb left with it reads the file.
    subprocess.run(["gdb-multiarch", "-nx", "-batch", "-ex", "target remote | exit 0"], env=env,
                   capture_output=True, timeout=60)
    assert mark.exists(), "bash in this environment did not read ~/.bashrc: the test proves nothing"
    mark.unlink()
    kernel, roottask = Artifacts.standin_and_roottask(arch)
    image = images.pack_ok(kernel, roottask, tmp_path / f"bare-{arch}.elf")
    r = subprocess.run([os.path.join(BUILD, "bin", "bootcheck"), "check", str(image), "--out",
                        str(tmp_path / "report")], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert last_line(r) == PASS_LINE
    assert not mark.exists(), "a gdb of bootcheck check ran the user's ~/.bashrc"
