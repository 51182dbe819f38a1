"""Shared fixtures: paths of built artifacts, QEMU boots with their serial
logs kept under reports/logs/, and the optional real seL4 kernel."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from bootcheck.boot import qemu, qemu_machine  # noqa: E402
from bootcheck.kernel import arch as arch_facts  # noqa: E402
from bootcheck.kernel import target  # noqa: E402
from bootcheck.pack import images, runcache  # noqa: E402

pytest_plugins = ["bootcheck.reports.report"]   # reports/report.html, summary.md, results.json

ROOT = images.ROOT
BUILD = os.path.abspath(os.environ.get("BUILD", os.path.join(ROOT, "build")))
REPORTS = os.path.join(ROOT, "reports")


# A pytest-xdist worker may get one interrupt twice: Ctrl-C reaches it from
# the terminal and from the controller, which passes on what it gets. The
# second, within this many seconds, is the same interrupt: raised again it
# would break the clean-up the first started (QEMU left running). execnet's
# own SIGINT, 5 s after a worker that did not stop, still counts.
SAME_INTERRUPT_SECONDS = 2.0
_interrupted_at = []


def _worker_interrupt(signum, frame):
    now = time.monotonic()
    if _interrupted_at and now - _interrupted_at[-1] < SAME_INTERRUPT_SECONDS:
        return
    _interrupted_at.append(now)
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def _workers_dir(controller_pid):
    base = runcache.run_dir()
    return os.path.join(base, "xdist-workers", str(controller_pid)) if base else None


def _is_child(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1]) == os.getpid()
    except (OSError, ValueError, IndexError):
        return False


def _controller_interrupt(signum, frame):
    """The controller of an xdist run passes SIGINT or SIGTERM on to its
    workers at once: only the controller gets it from `kill PID` (or from a
    runner that signals one process), and execnet would interrupt a busy
    worker only 5 s after the controller ended it."""
    folder = _workers_dir(os.getpid())
    for name in (os.listdir(folder) if folder and os.path.isdir(folder) else []):
        if name.isdigit() and _is_child(int(name)):
            try:
                os.kill(int(name), signum)
            except ProcessLookupError:
                pass
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def pytest_configure(config):
    # One cache on disk for the whole run, which the xdist workers inherit
    # through the environment (bootcheck.pack.runcache).
    config._bootcheck_run_cache = runcache.start_run(BUILD)
    # SIGTERM (kill, a CI cancel) would end Python without running finally
    # blocks, and QEMU, in its own session, would keep running. Handled like
    # Ctrl-C, the runner kills its process group on the way out
    # (harness/tests/test_hygiene.py). Under pytest-xdist the controller
    # passes either on to its workers (each says where it is by its pid).
    worker = hasattr(config, "workerinput")
    if worker and _workers_dir(os.getppid()):
        os.makedirs(_workers_dir(os.getppid()), exist_ok=True)
        open(os.path.join(_workers_dir(os.getppid()), str(os.getpid())), "w").close()
    handler = _worker_interrupt if worker else _controller_interrupt
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, handler)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, handler)


def pytest_unconfigure(config):
    # The browser tests' one Chromium (bootcheck.reports.browser.shared), if they ran
    # here: ended with the run, not left to the interpreter's exit.
    if "bootcheck.reports.browser" in sys.modules:
        sys.modules["bootcheck.reports.browser"].close_shared()
    runcache.end_run(getattr(config, "_bootcheck_run_cache", None))


def pytest_collection_modifyitems(session, config, items):
    """The longest tests first (the local LAVA instance, then the slow tier),
    each group in its usual order: under pytest-xdist a long test started
    last would run alone at the end while the other workers idle."""
    def rank(item):
        return 0 if item.get_closest_marker("lava_instance") else \
            1 if item.get_closest_marker("slow") else 2
    items.sort(key=rank)


def pytest_terminal_summary(terminalreporter):
    """A real-kernel run says, per real kernel, how its tests went and how
    long they took: the suite's result per kernel, not only one summary."""
    reports = [rep for reps in terminalreporter.stats.values() for rep in reps]
    for line in real_kernel_lines(reports, [fid for fid, _ in SEL4_KERNELS]):
        terminalreporter.write_line(line)


def real_kernel_lines(reports, fids):
    """`verify: real kernel sel4-16.0.0-mcs-el1: 41 tests: 39 passed, 2
    skipped; 212.4 s of test time` for each kernel id that names tests
    (test ids carry it: test_x[sel4-16.0.0-mcs-el1], boot-el1-sel4-...).
    A test's outcome is its worst phase's; a failing setup or teardown is an
    error."""
    rank = {"error": 3, "failed": 2, "skipped": 1, "passed": 0}
    outcome, seconds = {}, {}
    for rep in reports:
        nodeid, state = getattr(rep, "nodeid", None), getattr(rep, "outcome", None)
        if nodeid is None or state not in rank or not hasattr(rep, "when"):
            continue
        state = "error" if state == "failed" and rep.when != "call" else state
        if rank[state] >= rank.get(outcome.get(nodeid), -1):
            outcome[nodeid] = state
        seconds[nodeid] = seconds.get(nodeid, 0.0) + rep.duration
    # A test belongs to the longest kernel id it names: sel4-13.0.0-rv64 is
    # also a prefix of sel4-13.0.0-rv64-smp4's tests.
    owner = {}
    for n in outcome:
        named = [fid for fid in fids if re.search(rf"[\[-]{re.escape(fid)}([\]-]|$)", n)]
        if named:
            owner[n] = max(named, key=len)
    lines = []
    for fid in fids:
        ids = [n for n in outcome if owner.get(n) == fid]
        if not ids:
            continue
        counts = [(s, sum(1 for n in ids if outcome[n] == s)) for s in ("passed", "failed", "error", "skipped")]
        lines.append(f"verify: real kernel {fid}: {len(ids)} test{'s' if len(ids) != 1 else ''}: "
                     + ", ".join(f"{n} {s}" for s, n in counts if n)
                     + f"; {sum(seconds[n] for n in ids):.1f} s of test time")
    return lines


def _sel4_kernel_paths():
    """SEL4_KERNEL's paths, then SEL4_SMP_KERNEL's not already among them
    (an alias kept from when SMP kernels needed a variable of their own)."""
    paths = os.environ.get("SEL4_KERNEL", "").split()
    given = {os.path.abspath(p) for p in paths}
    for path in os.environ.get("SEL4_SMP_KERNEL", "").split():
        if os.path.abspath(path) not in given:
            paths.append(path)
            given.add(os.path.abspath(path))
    return paths


def _sel4_kernels():
    """SEL4_KERNEL="kernel.elf kernel-hyp.elf kernel-smp4.elf ...", any mix
    of releases and configurations, single-core and SMP: (id, path) for
    each, the id naming what the kernel's target description
    (bootcheck.kernel.target, read from its ELF) says it is: sel4-16.0.0-mcs-el1,
    sel4-13.0.0-smp4, sel4-hyp (release unknown); a second kernel with the
    same id gets -2, -3... Read at import: test ids depend on it."""
    out, seen = [], {}
    for path in _sel4_kernel_paths():
        fid = target.read(path).id() if os.path.isfile(path) else "sel4-missing"
        seen[fid] = seen.get(fid, 0) + 1
        out.append((fid if seen[fid] == 1 else f"{fid}-{seen[fid]}", os.path.abspath(path)))
    return out


SEL4_KERNELS = _sel4_kernels()
# The architecture of each given kernel, by id.
SEL4_KERNEL_ARCHES = {fid: (target.read(path).arch if os.path.isfile(path) else "aarch64")
                      for fid, path in SEL4_KERNELS}


def pytest_runtest_setup(item):
    """A real-kernel test meets only kernels of an architecture its module
    handles: a module says which with KERNEL_ARCHES (default: AArch64 only,
    what the suite was written for); a kernel of another architecture in
    SEL4_KERNEL skips the test visibly, naming where its own tests are."""
    handled = getattr(item.module, "KERNEL_ARCHES", ("aarch64",))
    for fid, arch in SEL4_KERNEL_ARCHES.items():
        if arch not in handled and re.search(rf"[\[-]{re.escape(fid)}([\]-]|$)", item.nodeid):
            pytest.skip(f"{fid} is a {arch} kernel; this test is written for {', '.join(handled)} kernels"
                        f" ({arch}'s real-kernel tests: {RIVAL_TESTS.get(arch, 'none yet')})")


RIVAL_TESTS = {"riscv64": "test_riscv_loader.py, test_riscv_sel4.py, test_riscv_check.py, test_rvalt.py, "
                          "test_standin_riscv.py, test_riscv_chain.py, test_debug_session_riscv.py, "
                          "test_riscv_report.py, test_lava_run.py",
               "aarch64": "every other test file"}
# Without any, one "sel4" case per test stays, skipped with the reason.
SEL4_PARAMS = [fid for fid, _ in SEL4_KERNELS] or ["sel4"]
KERNEL_PARAMS = ["standin"] + SEL4_PARAMS


def sel4_kernel_path(param):
    """The real kernel behind a SEL4_PARAMS id; skips when none was given."""
    if param == "sel4" and not SEL4_KERNELS:
        pytest.skip("no real seL4 kernel given (make verify SEL4_KERNEL=\"kernel.elf [kernel-hyp.elf]\")")
    path = dict(SEL4_KERNELS)[param]
    if not os.path.isfile(path):
        pytest.fail(f"SEL4_KERNEL: {path} does not exist")
    return path


def sel4_param_is_hyp(param):
    """Whether a KERNEL_PARAMS / SEL4_PARAMS id names a hyp (EL2) seL4
    (its kernel's target description says so)."""
    path = dict(SEL4_KERNELS).get(param)
    return path is not None and os.path.isfile(path) and target.read(path).hyp


def sel4_kernels_of_flavour(hyp, smp=False):
    """[(id, path)] of the given kernels with that EL and (smp) more than one
    core, in SEL4_KERNEL's order."""
    return [(fid, path) for fid, path in SEL4_KERNELS
            if os.path.isfile(path) and target.read(path).hyp == hyp and target.read(path).smp == smp]


# The given SMP kernels (either EL), for tests only an SMP kernel can run;
# without any, one "sel4-smp" case stays, skipped with the reason.
SEL4_SMP_PARAMS = [fid for fid, path in SEL4_KERNELS if os.path.isfile(path) and target.read(path).smp] \
    or ["sel4-smp"]


def sel4_smp_kernel_path(param):
    """The real SMP kernel behind a SEL4_SMP_PARAMS id; skips when none was given."""
    if param == "sel4-smp":
        pytest.skip("no real SMP seL4 kernel given (make verify SEL4_KERNEL=\"... kernel-smp4.elf\")")
    return sel4_kernel_path(param)


def sel4_kernel_of_flavour(hyp):
    """The first given single-core kernel of that flavour, or None."""
    found = sel4_kernels_of_flavour(hyp)
    return found[0][1] if found else None


def _made(path):
    """A build product of a pattern rule (any core count), made with `make`
    when it is missing, once per run under the run cache's lock."""
    if not os.path.exists(path):
        def make():
            r = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, f"BUILD={BUILD}", path],
                               capture_output=True, text=True, timeout=120)
            return r.stdout + r.stderr
        output = runcache.shared("made", runcache.key_of("made", path), make)
        if not os.path.exists(path):
            pytest.fail(f"make could not make {path}: {output.strip()}", pytrace=False)
    return path


def virt_dtb_for(kernel, name="virt-1g"):
    """The fixture DTB `name` (QEMU virt with 1 GiB: virt-1g, virt-1g-slack,
    virt-1g-2m; fixtures/fixtures.mk) for a machine with as many CPUs as the
    kernel has cores: <name>.dtb lists one CPU, <name>-smpN.dtb the N of
    `-smp N`. The loader refuses an N-core kernel on a DTB listing fewer."""
    nodes = qemu_machine.kernel_nodes(kernel)
    if nodes == 1:
        return os.path.join(BUILD, "fixtures", f"{name}.dtb")
    return _made(os.path.join(BUILD, "fixtures", f"{name}-smp{nodes}.dtb"))


def qemu_dtb_for(kernel, el):
    """What QEMU writes at the start of RAM for an ELF -kernel on the machine
    this kernel needs, for emu-check --qemu-dtb: None (emu-check's own one-CPU
    dump) for one core, QEMU's -smp N dump for an N-core kernel."""
    nodes = qemu_machine.kernel_nodes(kernel)
    if nodes == 1:
        return None
    return _made(os.path.join(BUILD, "harness", f"qemu-virt-el{el}-smp{nodes}.dtb"))


def kernel_choice(param, artifacts):
    """For fixtures parametrized with KERNEL_PARAMS."""
    return artifacts.standin_kernel if param == "standin" else sel4_kernel_path(param)


class Artifacts:
    """Where `make all` put things."""
    loader_lib = os.path.join(BUILD, "loader", "loader.a")
    standin_kernel = os.path.join(BUILD, "targets", "standin", "kernel.elf")
    standin_smp_kernel = os.path.join(BUILD, "targets", "standin", "kernel-smp4.elf")
    # riscv64 (targets.mk: STANDIN_RV_KERNEL, STANDIN_RV_SMP_KERNEL): copies
    # of the 13.0.0 one-hart and four-hart builds.
    standin_rv_kernel = os.path.join(BUILD, "targets", "standin", "riscv64", "kernel.elf")
    standin_rv_smp_kernel = os.path.join(BUILD, "targets", "standin", "riscv64", "kernel-smp4.elf")
    roottask = os.path.join(BUILD, "roottask", "roottask.elf")
    roottask_rv = os.path.join(BUILD, "roottask", "riscv64", "roottask.elf")
    probe_el1 = os.path.join(BUILD, "fixtures", "probe-el1.elf")
    probe_hyp = os.path.join(BUILD, "fixtures", "probe-hyp.elf")
    probe_record_el1 = os.path.join(BUILD, "fixtures", "probe-record-el1.elf")
    probe_record_symbol = "probe_handoff_record"
    virt_dtb = os.path.join(BUILD, "fixtures", "virt-1g.dtb")
    fixtures = os.path.join(BUILD, "fixtures")

    @classmethod
    def standin_and_roottask(cls, arch):
        """The single-core stand-in kernel and our root task of arch."""
        if arch == "riscv64":
            return cls.standin_rv_kernel, cls.roottask_rv
        return cls.standin_kernel, cls.roottask


@pytest.fixture(scope="session")
def artifacts():
    return Artifacts


def _require(path, what):
    if not os.path.exists(path):
        pytest.fail(f"{what} is missing at {path}: run `make all` first")
    return path


@pytest.fixture(scope="session", params=SEL4_PARAMS)
def sel4_kernel(request):
    """Each real seL4 kernel given in SEL4_KERNEL, one test case per flavour."""
    return sel4_kernel_path(request.param)


def _safe_name(nodeid):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-150:]


class Booter:
    """Packs and boots images for one test; keeps every serial log."""

    def __init__(self, request, tmp_path):
        self.request = request
        self.tmp_path = tmp_path
        self.count = 0
        self.results = []
        self.kernels = {}          # image -> the kernel it carries

    def pack(self, kernel, roottask, **kw):
        self.count += 1
        out = self.tmp_path / f"image{self.count}.elf"
        image = images.pack_ok(_require(kernel, "kernel"), _require(roottask, "root task"),
                               out, **kw)
        self.kernels[str(image)] = kernel
        return image

    def boot(self, image, machine=None, kernel=None, from_el2=False, deliberate=None, smp=None, **kw):
        """Boots image on the machine its kernel needs (qemu_machine.machine_for).
        kernel: for an image not packed by this booter; from_el2: an EL1
        kernel started at EL2 (the loader drops); machine: a machine chosen by
        the test (qemu_machine.machine_at_el), refused when it cannot start
        the kernel unless `deliberate` says why the test wants that."""
        kernel = kernel or self.kernels.get(str(image))
        if machine is None:
            if kernel is None:
                pytest.fail(f"booter.boot({image}): no kernel known to choose the machine from; "
                            "pack it with booter.pack or pass kernel=", pytrace=False)
            machine = qemu_machine.machine_for(kernel, from_el2=from_el2)
        if smp is None:
            smp = qemu_machine.kernel_nodes(kernel) if kernel is not None else 1
        arch = qemu_machine.kernel_arch(kernel) if kernel is not None else "aarch64"
        if arch != "aarch64":      # that architecture's machine facts (bootcheck.kernel.arch)
            facts = arch_facts.facts(arch)
            kw.setdefault("cpu", facts.cpu)
            kw.setdefault("mem", facts.mem)
            kw["arch"] = arch
        try:
            qemu_machine.check_agrees(kernel, machine, deliberate, smp)
        except qemu_machine.MachineMismatch as e:
            pytest.fail(str(e), pytrace=False)
        kw["machine"] = machine
        kw["smp"] = smp
        os.makedirs(os.path.join(REPORTS, "logs"), exist_ok=True)
        log = os.path.join(REPORTS, "logs", _safe_name(self.request.node.nodeid) +
                           f".{len(self.results)}.log")
        result = qemu.boot(image, log_path=log, **kw)
        self.results.append(result)
        print(f"--- serial of {image} ({result.elapsed:.2f}s) ---\n{result.serial}")
        return result

    def boot_shared(self, image, **kw):
        """boot(), made once per test run for the same image bytes, kernel and
        arguments, by whichever pytest-xdist worker asks first (the others wait
        for it: bootcheck.pack.runcache): for the boots a whole module reads facts
        from. The boot's serial log is the first asker's."""
        kernel = kw.get("kernel") or self.kernels.get(str(image))
        key = runcache.key_of("boot", runcache.file_digest(image),
                              kernel and runcache.file_digest(kernel), sorted(kw.items(), key=repr))
        made = []

        def make():
            made.append(self.boot(image, **kw))
            return made[0]

        result = runcache.shared("boot", key, make)
        if not made:
            self.results.append(result)
            print(f"--- serial of {image}, booted earlier in this run ({result.elapsed:.2f}s) ---\n"
                  f"{result.serial}")
        return result


@pytest.fixture
def booter(request, tmp_path):
    return Booter(request, tmp_path)
