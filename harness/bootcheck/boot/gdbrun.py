"""Runs one scenario plan in gdb-multiarch (batch mode) with QEMU started by
gdb over a pipe, under a wall-clock budget.

Supervision: QEMU gets an HMP monitor on a private UNIX socket. When an
end-of-run serial line appears or the time budget is spent, the supervisor
sends `stop` there: the guest pauses, gdb's `continue` returns and the gdb
side records where the guest was (that is the diagnosis) before killing
QEMU. If gdb does not finish within a grace period after that, gdb's process
group and QEMU's (gdb starts the pipe command in a group of its own; its pid
is written to a file) are killed. Nothing outlives run()."""

import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

from ..kernel import bootlog
from . import qemu
from .qemu_machine import machine_argv

GDB = os.environ.get("GDB", "gdb-multiarch")
HARNESS_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN_SCRIPT = os.path.join(HARNESS_DIR, "gdb", "run_scenario.py")
GRACE_SECONDS = 10.0
# A loader the emulation saw take an exception before the kernel (see run's
# `stalled`): once QEMU's console has printed the same last line and stayed
# silent this long, the boot is where the emulation's ended.
STALLED_QUIET = 2.0
# A kernel the emulation saw get fewer cores than it waits for (see run's
# `waits_forever`): seL4 prints its memory regions, then waits in init_kernel
# for the other cores, silently, forever. Once it has printed them and been
# silent this long, the boot can only go on waiting.
WAITING_QUIET = 2.0


class WaitingForever:
    """Says when a boot waits for cores nobody will start. reason() gives,
    once the emulation of the same image has decided it, which cores the
    loader left unstarted (else None); the boot ends once seL4 has printed
    its memory regions (the last lines before its wait) and the console has
    been silent WAITING_QUIET s since."""

    def __init__(self, reason):
        self.reason = reason
        self._length = -1
        self._regions_printed = False

    def ended(self, serial, quiet_since, now):
        """Why the boot ends now, or None."""
        why = self.reason()
        if why is None:
            return None
        if len(serial) != self._length:
            self._length = len(serial)
            self._regions_printed = bool(bootlog.parse(serial).headers)
        if self._regions_printed and now - quiet_since >= WAITING_QUIET:
            return f"serial silent for {WAITING_QUIET:g} s after seL4's memory regions, and {why}"
        return None


class ConsoleWatch:
    """What a boot's console says about ending it, for a runner's wait loop
    (run here, rv_gdb.run): a line that decides the boot failed (qemu.Decider,
    with fail_fast) and a wait seL4 never leaves (WaitingForever, with
    waits_forever). update() with the console text as it grows; decided_end()
    and waiting_end() then give the sentence that ends the boot, or None."""

    def __init__(self, start, fail_fast=True, waits_forever=None):
        self.decider = qemu.Decider() if fail_fast else None
        self.waiting = WaitingForever(waits_forever) if waits_forever is not None else None
        self.text = ""
        self.changed = start         # time.monotonic() of the console's last growth
        self.decided = None          # the Decider's line once it ends the boot

    def update(self, text, now):
        if len(text) != len(self.text):
            self.changed = now
        self.text = text
        if self.decider is not None:
            self.decider.update(text, now)
            self.decided = self.decider.ended(now)

    def decided_end(self, now):
        if self.decided is None:
            return None
        return (f"serial line {self.decided!r}, which decides the boot failed "
                f"(run ended {now - self.decider.seen_at:.1f} s after it)")

    def waiting_end(self, now):
        return self.waiting.ended(self.text, self.changed, now) if self.waiting is not None else None

    def decided_by(self, serial):
        """The whole decisive line of the finished boot's serial log, or None."""
        d = self.decider
        if d is None or (d.kind != "decisive" and self.decided is None):
            return None
        return qemu.complete_line(serial, d.line)


@dataclass
class GdbRun:
    result: dict            # what the gdb side wrote (or {"error": ...})
    serial: str
    ended_by: str           # why the guest stopped running
    elapsed: float
    gdb_output: str
    killed: bool
    decided_by: str | None = None   # the serial line that decided the boot failed (qemu.DECISIVE)


def qemu_argv(image, machine, cpu, mem, serial_log, monitor, smp=1, arch="aarch64"):
    return [*machine_argv(machine, cpu, mem, smp, arch),
            "-monitor", f"unix:{monitor},server=on,wait=off", "-serial", f"file:{serial_log}",
            "-no-reboot", "-no-shutdown", "-S", "-gdb", "stdio", "-kernel", str(image)]


def read_text(path):
    """A log file's text so far (\r\n as \n), or "" when it is not there yet."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace").replace("\r\n", "\n")
    except OSError:
        return ""


def _last_line(text):
    lines = [l.strip() for l in text.split("\n") if l.strip()]
    return lines[-1] if lines else None


MONITOR_PROMPT = b"(qemu) "


# sun_path holds 108 bytes including the NUL; "/bcgXXXXXXXX/mon.sock" adds 21.
UNIX_SOCKET_PATH_MAX = 107
MONITOR_SUFFIX_LEN = 21


def _socket_safe_tmpdir():
    """$TMPDIR, unless the monitor socket's path under it would not fit in a
    UNIX socket address (QEMU would then fail to start): then /tmp."""
    base = tempfile.gettempdir()
    if len(base) + MONITOR_SUFFIX_LEN > UNIX_SOCKET_PATH_MAX:
        return "/tmp"
    return base


def _monitor_stop(path):
    """Sends `stop` on the HMP monitor and waits until QEMU has run it.

    QEMU prints its prompt once before reading a command and again after
    running it. Closing the connection before the second prompt (for
    instance right after the banner) lets QEMU drop the unread command: under
    load every attempt of a run could be lost that way."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            s.connect(path)
            s.sendall(b"stop\n")
            seen = b""
            deadline = time.monotonic() + 2.0
            while seen.count(MONITOR_PROMPT) < 2 and time.monotonic() < deadline:
                chunk = s.recv(4096)
                if not chunk:
                    break
                seen += chunk
    except OSError:
        pass


def _is_qemu(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return os.path.basename(f.read().split(b"\0")[0]).startswith(b"qemu-system")
    except OSError:
        return False


def kill_qemu(pidfile):
    """Ends the QEMU whose pid file this is, if that pid is still a QEMU."""
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return
    if _is_qemu(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


class GdbServer:
    """One gdb-multiarch running scenario plans one after another
    (harness/gdb/run_scenario.py with BOOTCHECK_REQUESTS/REPLIES): a plan's
    path goes down one pipe, and comes back up the other once its result is
    written and its QEMU is gone. gdb's start costs more CPU than the rest of
    a run's gdb side; a process that runs many scenarios (a pytest worker)
    pays it once. gdb's output goes to a file in a folder of its own, read
    per run from where the run began."""

    def __init__(self):
        # gdb (and the shell and QEMU it starts) has the environment of its
        # start: a server is reused only while the process's is the same.
        self.environ = _environment()
        self.dir = tempfile.mkdtemp(prefix="bcgs", dir=_socket_safe_tmpdir())
        self.log = os.path.join(self.dir, "gdb.out")
        requests_r, self._requests = os.pipe()
        self._replies, replies_w = os.pipe()
        try:
            with open(self.log, "wb") as out:
                self.proc = subprocess.Popen(
                    [GDB, "-nx", "-batch", "-x", RUN_SCRIPT], stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True, pass_fds=(requests_r, replies_w),
                    env=dict(self.environ, BOOTCHECK_REQUESTS=str(requests_r),
                             BOOTCHECK_REPLIES=str(replies_w), BOOTCHECK_SERVER_DIR=self.dir))
        except BaseException:
            for fd in (self._requests, self._replies):
                os.close(fd)
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        finally:
            os.close(requests_r)
            os.close(replies_w)
        self._pending = b""
        self.closed = False
        self.owner = os.getpid()

    def alive(self):
        return not self.closed and self.proc.poll() is None

    def log_size(self):
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def output_since(self, offset):
        try:
            with open(self.log, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace").replace("\r\n", "\n")
        except OSError:
            return ""

    def submit(self, plan_path):
        os.write(self._requests, plan_path.encode() + b"\n")

    def wait_done(self, plan_path, timeout):
        """True once gdb has finished plan_path; False after timeout seconds
        (or at once when gdb has ended: it wrote what it could)."""
        ready, _, _ = select.select([self._replies], [], [], timeout)
        if ready:
            chunk = os.read(self._replies, 4096)
            if not chunk:       # gdb is gone
                return True
            self._pending += chunk
        if (plan_path.encode() + b"\n") in self._pending:
            self._pending = b""
            return True
        return self.proc.poll() is not None

    def close(self, kill=False):
        """Ends gdb: at once (kill: its process group) or by closing its
        requests pipe, then waiting for it; its folder goes too."""
        if self.closed:
            return
        self.closed = True
        os.close(self._requests)
        if not kill:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                kill = True
        if kill and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        finally:
            os.close(self._replies)
            shutil.rmtree(self.dir, ignore_errors=True)


def gdb_environment(base=None):
    """The environment for a gdb that starts QEMU with `target remote |`
    (base: os.environ). gdb runs that command with `$SHELL -c` on a socket;
    bash started that way with SHLVL unset (cron, a CI runner, a process with
    a bare environment) reads ~/.bashrc as if under sshd: the user's start-up
    work (on this project's hosts, pyenv's: 0.85 CPU-s) runs on every boot,
    and what it prints goes into the pipe gdb reads the remote protocol from.
    /bin/sh (dash) reads no startup file when not interactive."""
    env = dict(os.environ if base is None else base)
    env["SHELL"] = "/bin/sh"
    return env


def _environment():
    """The environment a gdb gets; pytest's name of the running test, which
    changes with every test, does not count."""
    env = gdb_environment()
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


_idle_servers = []
_servers_lock = threading.Lock()


def _take_server():
    """An idle gdb of this process started with its present environment, or
    a new one (runs at once in several threads each get their own)."""
    stale = []
    with _servers_lock:
        env = _environment()
        found = next((s for s in _idle_servers if s.alive() and s.environ == env), None)
        for server in list(_idle_servers):
            if server is found or not server.alive() or server.environ != env:
                _idle_servers.remove(server)
                if server is not found:
                    stale.append(server)
    for server in stale:
        server.close()
    return found or GdbServer()


def _give_back(server):
    with _servers_lock:
        _idle_servers.append(server)


@atexit.register
def close_servers():
    """Ends this process's idle gdbs (an interrupted run killed its own)."""
    with _servers_lock:
        servers = list(_idle_servers)
        _idle_servers.clear()
    for server in servers:
        if server.owner == os.getpid():     # not a forked child's copy of the parent's
            server.close()


def run(plan, image, machine, cpu, mem, seconds, end_on=(), keep_serial=None, linger=None, smp=1,
        firmware=None, fail_fast=True, cancel=None, stalled=None, waits_forever=None):
    """plan: the dict bootcheck.boot.scenario built (without the run-specific paths).
    linger: end the run this many seconds after the last stop was reached
    (None: run on until an end_on line, shutdown or the time budget).
    fail_fast: also end the run shortly after a serial line that decides the
    boot failed (qemu.DECISIVE: a root task's fault report, its boot FAILED,
    a kernel assertion, a loader error), not at the time budget.
    firmware: boot the image through firmware instead of QEMU's -kernel (e.g.
    bootcheck.board.uboot.BootiFirmware, which drives U-Boot's console meanwhile).
    cancel: a threading.Event; once set, the run ends at once, gdb and QEMU
    killed (for a caller that ran it beside other work that failed).
    stalled: a callable giving, once the emulation of the same image saw the
    loader take an exception before the kernel, the last console line it
    printed then (else None): the run ends when QEMU's console ends with that
    line and has been silent for STALLED_QUIET s, instead of at the budget
    (the guest loops in the exception vectors; gdb then reads where).
    waits_forever: a callable giving, once the emulation of the same image
    saw the loader start fewer cores than the kernel waits for, which (else
    None): the run ends as WaitingForever says, not at the budget."""
    rundir = tempfile.mkdtemp(prefix="bcg", dir=_socket_safe_tmpdir())
    serial_log = os.path.join(rundir, "serial.log")
    monitor = os.path.join(rundir, "mon.sock")
    if firmware is None:
        argv = qemu_argv(image, machine, cpu, mem, serial_log, monitor, smp, plan.get("arch", "aarch64"))
    else:
        argv = [*firmware.qemu_argv(image, rundir, machine, cpu, mem, smp),
                "-monitor", f"unix:{monitor},server=on,wait=off", "-no-shutdown", "-S", "-gdb", "stdio"]
    plan = dict(plan)
    plan.update(
        qemu=argv,
        serial_log=serial_log, pidfile=os.path.join(rundir, "qemu.pid"),
        result=os.path.join(rundir, "result.json"), harness_dir=HARNESS_DIR,
        all_reached_flag=os.path.join(rundir, "all-reached"))
    plan_path = os.path.join(rundir, "plan.json")
    with open(plan_path, "w") as f:
        json.dump(plan, f)
    start = time.monotonic()
    server = _take_server()
    log_from = server.log_size()
    server.submit(plan_path)
    done = False

    def running():
        return not done and server.alive()
    if firmware is not None:
        firmware.start(serial_log, alive=running)
    ended_by = None
    console = ConsoleWatch(start, fail_fast, waits_forever)
    killed = False
    last_stop_sent = 0.0
    interrupted = True      # until the loop ends normally (Ctrl-C, SIGTERM: see below)
    try:
        while running():
            now = time.monotonic()
            if ended_by is None:
                serial = read_text(serial_log)
                hit = next((p for p in end_on if p in serial), None)
                console.update(serial, now)
                stalled_at = stalled() if stalled is not None else None
                if hit:
                    ended_by = f"serial line {hit!r} (end of run)"
                elif (decided := console.decided_end(now)) is not None:
                    ended_by = decided
                elif now - start > seconds:
                    ended_by = f"time budget of {seconds} s spent"
                elif (stalled_at is not None and now - console.changed >= STALLED_QUIET
                      and _last_line(serial) == stalled_at):
                    ended_by = (f"serial silent for {STALLED_QUIET} s after {stalled_at!r}, where the "
                                "emulation saw the loader take an exception")
                elif (waited := console.waiting_end(now)) is not None:
                    ended_by = waited
                elif linger is not None and os.path.exists(plan["all_reached_flag"]):
                    reached_at = os.path.getmtime(plan["all_reached_flag"])
                    if time.time() - reached_at > linger:
                        ended_by = f"every stop reached, then {linger} s watched"
            if ended_by is not None and now - last_stop_sent > 0.5:
                _monitor_stop(monitor)
                last_stop_sent = now
            if now - start > seconds + GRACE_SECONDS or (cancel is not None and cancel.is_set()):
                killed = True
                break
            done = server.wait_done(plan_path, 0.05)
        interrupted = False
    finally:
        gdb_output = server.output_since(log_from)
        if done and server.alive():
            _give_back(server)
        else:   # gdb still in this run (killed, interrupted) or gone: never reused
            killed = killed or server.alive()
            server.close(kill=True)
        kill_qemu(plan["pidfile"])
        if firmware is not None:
            firmware.stop()
        if interrupted:     # the exception skips the clean-up at the end
            shutil.rmtree(rundir, ignore_errors=True)
    elapsed = time.monotonic() - start
    serial = read_text(serial_log)
    try:
        with open(plan["result"]) as f:
            result = json.load(f)
    except (OSError, ValueError):
        result = {"error": "gdb wrote no result" + (" (killed after the grace period)" if killed else "")}
    if ended_by is None:
        end = result.get("end", {})
        if end.get("event") == "SIGQUIT":
            ended_by = "guest shut down (PSCI SYSTEM_OFF)"
        elif plan.get("arch") == "riscv64" and "Remote connection closed" in str(end.get("event")):
            # OpenSBI's shutdown on QEMU virt writes the test finisher, which
            # ends QEMU at once (-no-shutdown does not hold it)
            ended_by = "guest shut down (SBI shutdown: QEMU exited)"
        else:
            ended_by = f"gdb saw {end.get('event')}"
    if keep_serial:
        shutil.copyfile(serial_log, keep_serial) if os.path.exists(serial_log) else None
    shutil.rmtree(rundir, ignore_errors=True)
    return GdbRun(result, serial, ended_by, elapsed, gdb_output, killed, console.decided_by(serial))
