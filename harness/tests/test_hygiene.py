"""Process hygiene: an interrupted test run leaves no QEMU, no gdb and no
temporary directories behind.

Each case starts pytest in its own session on a generated test that packs
the real loader with a kernel that spins forever (`b .`) and either boots it
through the harness runner (serially, or under pytest-xdist `-n 2`, whose
workers must stop their QEMUs too) or runs it as a QEMU + GDB scenario. Once
that QEMU is running, the inner pytest gets SIGINT (Ctrl-C) or SIGTERM (kill,
a CI cancel); within a few seconds no process of that run may remain and its
TMPDIR must be empty. The run is recognised by a unique marker in its paths
and environment, so other runs on the machine are left alone."""

import os
import pathlib
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

pytestmark = pytest.mark.slow      # pytest runs of their own, each interrupted

HARNESS = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TESTS = os.path.join(HARNESS, "tests")

KERNEL_VADDR = 0xffffff8040000000      # an EL1 kernel at the start of virt's RAM
KERNEL_PADDR = 0x40000000
BRANCH_TO_SELF = 0x14000000            # AArch64 `b .`
PAGE = 0x1000


def spin_kernel_elf(instructions=(BRANCH_TO_SELF,)):
    """An ELF64 AArch64 ET_EXEC whose one segment is a branch to itself (or
    the instructions given)."""
    code = struct.pack(f"<{len(instructions)}I", *instructions)
    ehdr_size, phdr_size = 64, 56
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr = ident + struct.pack("<HHIQQQIHHHHHH", 2, 183, 1, KERNEL_VADDR, ehdr_size, 0, 0,
                               ehdr_size, phdr_size, 1, 64, 0, 0)
    phdr = struct.pack("<IIQQQQQQ", 1, 5, PAGE, KERNEL_VADDR, KERNEL_PADDR, len(code), len(code),
                       PAGE)
    head = ehdr + phdr
    return head + bytes(PAGE - len(head)) + code


# The inner tests: a plain QEMU boot through the runner, and a QEMU + GDB
# scenario (gdb starts QEMU) with one stop at the kernel's entry, after which
# the guest spins until the budget. Each first leaves a file saying it has
# begun (outside the run's TMPDIR): while the inner pytest starts, the outer
# test polls that with a stat, not with a search of every process on the
# machine (5-9 ms of CPU each on the loaded test host, 30 of them a run).
INNER_BOOT = '''
import os
import sys

sys.path.insert(0, {harness!r})
from bootcheck.boot import qemu
from bootcheck.pack import images


def test_spins_until_interrupted(tmp_path):
    open({started!r}, "w").close()
    image = images.pack_ok({kernel!r}, {roottask!r}, tmp_path / "spin-image.elf")
    qemu.boot(image, timeout=300, stop_patterns=())
'''

INNER_SCENARIO = '''
from scenario_runner import run_scenario


def test_scenario_spins_until_interrupted(request, tmp_path_factory):
    open({started!r}, "w").close()
    run_scenario({scenario!r}, 0, request, tmp_path_factory)
'''

SCENARIO = '''kernels = [{kernel!r}]
[budget]
seconds = 300
[[stops]]
name = "kernel entry"
elf = "kernel"
at = "entry"
'''


def default_sigint():
    """A shell without job control starts background commands with SIGINT
    ignored, and Python keeps it ignored: the inner run would never see it.
    Ctrl-C reaches a foreground pytest with the default disposition."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def processes_with(marker, pids=None):
    """(pid, command line) of every process whose command line or environment
    names marker (the inner run's TMPDIR does: gdb's command line does not);
    pids: look only at these."""
    found = []
    for pid in os.listdir("/proc") if pids is None else pids:
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        if marker in cmdline or marker in environ:
            found.append((int(pid), cmdline))
    return found


def wait_for(predicate, seconds, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def qemu_of(marker):
    """The run's QEMU processes: those whose executable is a qemu-system-*
    (one readlink a process; reading every command line cost 4 times as much,
    and this is polled while the inner run starts)."""
    pids = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and "qemu-system" in os.path.basename(os.readlink(f"/proc/{pid}/exe")):
                pids.append(pid)
        except OSError:
            continue
    return processes_with(marker, pids)


TICKS = os.sysconf("SC_CLK_TCK")
GUEST_RUNS_CPU_SECONDS = 0.3


def cpu_seconds(pid):
    """User + system CPU time a process has used (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


@pytest.mark.qemu
@pytest.mark.parametrize("kind,xdist", [("boot", []), ("boot", ["-n", "2"]), ("gdb", [])],
                         ids=["boot", "boot-xdist", "gdb-scenario"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_leaves_no_qemu_and_no_temporary_files(tmp_path, artifacts, signum, kind,
                                                               xdist):
    for path in (artifacts.roottask, artifacts.loader_lib):
        if not os.path.exists(path):
            pytest.fail(f"{path} is missing: run `make all` first")
    marker = f"bch{uuid.uuid4().hex[:16]}"
    run_dir = tmp_path / marker
    run_dir.mkdir()
    # Short, in /tmp: gdbrun puts QEMU's monitor socket under TMPDIR, and a
    # UNIX socket path has at most 107 bytes.
    inner_tmp = pathlib.Path(tempfile.mkdtemp(prefix=marker))
    kernel = run_dir / "spin-kernel.elf"
    kernel.write_bytes(spin_kernel_elf())
    test_file = run_dir / "test_spin.py"
    started = run_dir / "inner-test-started"
    if kind == "boot":
        test_file.write_text(INNER_BOOT.format(harness=HARNESS, kernel=str(kernel),
                                               roottask=artifacts.roottask, started=str(started)))
    else:
        scenario = run_dir / "spin.toml"
        scenario.write_text(SCENARIO.format(kernel=str(kernel)))
        test_file.write_text(INNER_SCENARIO.format(scenario=str(scenario), started=str(started)))
    (run_dir / "pytest.ini").write_text("[pytest]\n")

    env = dict(os.environ, TMPDIR=str(inner_tmp), PYTHONPATH=TESTS)
    # -p conftest: the project's conftest, so the run behaves as `make verify` does.
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
           "-c", str(run_dir / "pytest.ini"), "--rootdir", str(run_dir),
           "--basetemp", str(run_dir / "basetemp"),
           # The project's reports are the outer run's; keep the inner ones apart.
           "--bootcheck-reports", str(run_dir / "reports"), *xdist, str(test_file)]
    inner = subprocess.Popen(cmd, cwd=run_dir, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True, preexec_fn=default_sigint)
    try:
        # The inner test has begun (or the inner run has ended): only then
        # can its QEMU be there to look for.
        wait_for(lambda: started.exists() or inner.poll() is not None, 90)
        running = wait_for(lambda: qemu_of(marker), 90)
        if not running:
            inner.kill()
            out = inner.communicate(timeout=10)[0].decode("utf-8", "replace")
            pytest.fail(f"QEMU of the inner run never started; its output:\n{out}")
        # QEMU has really begun: the spin kernel keeps a host CPU busy, so
        # QEMU's CPU time shows the guest runs (however loaded the machine).
        guest_runs = wait_for(lambda: all(cpu_seconds(pid) >= GUEST_RUNS_CPU_SECONDS for pid, _ in running), 30)
        assert guest_runs, f"QEMU of the inner run used no CPU for its guest: {qemu_of(marker)}"
        assert inner.poll() is None, "the inner run ended before it was interrupted"

        inner.send_signal(signum)
        name = signal.Signals(signum).name
        qemu_gone = wait_for(lambda: not qemu_of(marker), 10)
        try:
            out = inner.communicate(timeout=30)[0].decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            alive = processes_with(marker)
            os.killpg(inner.pid, signal.SIGKILL)
            out = inner.communicate(timeout=10)[0].decode("utf-8", "replace")
            pytest.fail(f"pytest did not stop within 30 s of {name}; still running then: "
                        f"{alive}; its output:\n{out}")
        assert qemu_gone, f"QEMU of the interrupted run survives {name} by 10 s:\n{out}"
        left = processes_with(marker)
        assert left == [], f"processes of the interrupted run survive {name}: {left}\n{out}"
        assert "KeyboardInterrupt" in out, f"the run was not interrupted cleanly:\n{out}"
        assert sorted(os.listdir(inner_tmp)) == [], \
            f"temporary files left in the run's TMPDIR: {sorted(os.listdir(inner_tmp))}"
    finally:
        # Never leave anything of this run behind, whatever failed above.
        if inner.poll() is None:
            os.killpg(inner.pid, signal.SIGKILL)
            inner.wait(timeout=10)
        for pid, _ in processes_with(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(inner_tmp, ignore_errors=True)
