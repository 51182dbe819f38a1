"""Runs generated LAVA jobs on this machine with LAVA's own dispatcher
(`lava-run`, Debian's lava-dispatcher), each in a scratch directory of its
own under LAVA's download directory (a dispatcher `prefix` unique to the
run, so parallel jobs never share one), with a wall-clock bound above the
job's own timeout; whatever the dispatcher leaves behind (a QEMU, its
scratch directory) is removed and reported.

    python3 -m bootcheck.lava.lava_local --jobs DIR --logs DIR [NAME ...]   (make lava-run)
"""

import argparse
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import yaml

from ..boot import progress
from . import lava_fork

LAVA_RUN = os.environ.get("LAVA_RUN", "lava-run")
# lava_common.constants.DISPATCHER_DOWNLOAD_DIR: where lava-run makes its
# per-job scratch directory, <prefix><job id>.
DISPATCHER_DOWNLOAD_DIR = "/var/lib/lava/dispatcher/tmp"
# Beyond the job's own timeout: lava-run's start-up and clean-up.
GRACE_SECONDS = 30
_serial = itertools.count(1)


class LavaRunMissing(Exception):
    pass


class UnreachableImage(Exception):
    """A job's image cannot be fetched from here: one line saying why."""


@dataclass
class LocalRun:
    job: str
    log: str
    returncode: int | None
    elapsed: float
    timed_out: bool
    leftovers: list = field(default_factory=list)   # what lava-run left behind (and we removed)
    scratch: str = ""                               # LAVA's per-job directory (gone by now)

    def describe(self):
        with open(self.log, errors="replace") as f:
            tail = f.read().splitlines()[-15:]
        return (f"lava-run {self.job}: exit {self.returncode}, {self.elapsed:.1f} s"
                f"{' (killed: over its bound)' if self.timed_out else ''}; log {self.log}\n"
                + "\n".join(tail))


def lava_run_path():
    path = shutil.which(LAVA_RUN)
    if path is None:
        raise LavaRunMissing("lava-run is not installed (Debian's lava-dispatcher; `make deps` installs it)")
    return path


def job_timeout(job_file):
    with open(job_file) as f:
        definition = yaml.safe_load(f)
    t = definition.get("timeouts", {}).get("job", {})
    return t.get("seconds", 0) + 60 * t.get("minutes", 0) + 3600 * t.get("hours", 0)


def _children():
    """{ppid: [pid]} of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            out.setdefault(ppid, []).append(int(entry))
    return out


def _descendants(pid):
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _kill(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def processes_using(path):
    """Pids whose command line mentions path (a job's image: its QEMU)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if path.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def check_image_urls(definition, timeout=5):
    """Refuses a job whose http(s) image nobody serves: LAVA's dispatcher
    retries such a download until the job's own timeout, minutes later."""
    for action in definition.get("actions", []):
        for image in action.get("deploy", {}).get("images", {}).values():
            url = image.get("url", "")
            if url.startswith("file://"):
                if not os.path.isfile(url[len("file://"):]):
                    raise UnreachableImage(f"image {url} does not exist")
            elif url.startswith(("http://", "https://")):
                req = urllib.request.Request(url, method="HEAD")
                try:
                    urllib.request.urlopen(req, timeout=timeout).close()
                except urllib.error.HTTPError as e:
                    raise UnreachableImage(f"image URL {url} answers HTTP {e.code} {e.reason}") from None
                except (urllib.error.URLError, OSError) as e:
                    reason = getattr(e, "reason", e)
                    raise UnreachableImage(f"image URL {url} is unreachable: {reason}") from None


class Dispatcher:
    """lava-run with its imports paid once (bootcheck.lava.lava_fork): each job
    started through it is still a lava-run process of its own, forked from
    one that has lava-run's program loaded. For several jobs (make lava-run,
    the LAVA tests); thread-safe. The server starts with the first job and
    ends with close(). A LAVA_RUN that is no Python script (forks False)
    gets one process per job, as run() without a dispatcher."""

    def __init__(self):
        self.path = lava_run_path()
        self.forks = lava_fork.is_python_program(self.path)
        self.server = None
        self.lock = threading.RLock()
        self.changed = threading.Condition()
        self.pids, self.status = {}, {}
        self.ids = itertools.count(1)
        self.ready = False

    def _start_server(self):
        harness = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [harness, *filter(None, [os.environ.get("PYTHONPATH")])]))
        self.ready = False
        self.server = subprocess.Popen(["/usr/bin/python3", "-m", "bootcheck.lava.lava_fork", self.path],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.reader = threading.Thread(target=self._read, args=(self.server,), daemon=True)
        self.reader.start()
        with self.changed:
            self.changed.wait_for(lambda: self.ready or self.server.poll() is not None, timeout=120)
        if not self.ready:
            self.close()
            raise LavaRunMissing(f"{self.path} could not be loaded by bootcheck.lava.lava_fork")

    def _read(self, server):
        for line in server.stdout:
            said = json.loads(line)
            with self.changed:
                if "ready" in said:
                    self.ready = True
                elif "status" in said:
                    self.status[said["pid"]] = said["status"]
                else:
                    self.pids[said["id"]] = said["pid"]
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()       # the server has ended: waiters see its poll()

    def start(self, argv, log):
        """The pid of `lava-run ARGV[1:] > LOG 2>&1 < /dev/null` in a session of its own."""
        with self.lock:
            if self.server is None:
                self._start_server()
            server = self.server
            request = next(self.ids)
            server.stdin.write((json.dumps({"id": request, "argv": argv[1:], "log": log}) + "\n").encode())
            server.stdin.flush()
        with self.changed:
            self.changed.wait_for(lambda: request in self.pids or server.poll() is not None, 60)
            if request not in self.pids:
                raise LavaRunMissing("bootcheck.lava.lava_fork did not start lava-run")
            return self.pids.pop(request)

    def wait(self, pid, timeout=None):
        """pid's exit status (as Popen.returncode); TimeoutExpired after timeout s."""
        server = self.server
        with self.changed:
            if not self.changed.wait_for(lambda: pid in self.status or server is None or server.poll() is not None,
                                         timeout):
                raise subprocess.TimeoutExpired(f"lava-run (pid {pid})", timeout)
            if pid not in self.status:
                raise LavaRunMissing(f"bootcheck.lava.lava_fork ended while lava-run (pid {pid}) ran")
            return self.status.pop(pid)

    def close(self):
        """Ends the server once its jobs have ended (it waits for them)."""
        with self.lock:
            server, self.server = self.server, None
        if server is None:
            return
        try:
            server.stdin.close()
        except OSError:
            pass
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            _kill(_descendants(server.pid) + [server.pid])
            server.wait()
        self.reader.join(timeout=10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Process:
    """A lava-run process started by a Dispatcher, waited on as a Popen."""

    def __init__(self, dispatcher, argv, log):
        self.dispatcher = dispatcher
        self.pid = dispatcher.start(argv, log)
        self.returncode = None

    def wait(self, timeout=None):
        if self.returncode is None:
            self.returncode = self.dispatcher.wait(self.pid, timeout)
        return self.returncode


def run(job_file, device_file, work, validate=False, bound=None, dispatcher=None):
    """lava-run on one job; its log (lava-run's output) goes to work/<name>.log.
    With a Dispatcher, lava-run is forked from its preloaded one."""
    lava_run = lava_run_path()
    with open(job_file) as f:
        check_image_urls(yaml.safe_load(f))
    name = os.path.splitext(os.path.basename(job_file))[0]
    os.makedirs(work, exist_ok=True)
    job_id = f"{os.getpid()}{next(_serial)}"
    prefix = f"bootcheck-{name}-"
    dispatcher_config = os.path.join(work, f"{name}.dispatcher.yaml")
    with open(dispatcher_config, "w") as f:
        yaml.safe_dump({"prefix": prefix}, f)
    scratch = os.path.join(DISPATCHER_DOWNLOAD_DIR, prefix + job_id)
    log = os.path.join(work, f"{name}{'.validate' if validate else ''}.log")
    argv = [lava_run, "--job-id", job_id, "--output-dir", os.path.join(work, f"{name}.out"),
            "--dispatcher", dispatcher_config, "--device", device_file, job_file]
    if validate:
        argv.insert(1, "--validate")
    bound = bound or job_timeout(job_file) + GRACE_SECONDS
    start = time.monotonic()
    timed_out = False
    with open(log, "w") as out:
        if dispatcher is not None and dispatcher.forks:
            proc = _Process(dispatcher, argv, log)
        else:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        try:
            proc.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(_descendants(proc.pid) + [proc.pid])
            proc.wait()
        except BaseException:
            _kill(_descendants(proc.pid) + [proc.pid])
            proc.wait()
            raise
    elapsed = time.monotonic() - start
    leftovers = []
    with open(job_file) as f:
        image = _image_path(yaml.safe_load(f))
    stray = processes_using(image) if image else []
    if stray:
        leftovers.append(f"processes still using {image}: {stray}")
        _kill(stray)
    if os.path.exists(scratch):
        # A job run removes its scratch directory itself (its clean-up
        # step); --validate creates it and never cleans up, so that is ours.
        if not validate:
            leftovers.append(f"LAVA scratch directory {scratch}")
        shutil.rmtree(scratch, ignore_errors=True)
    return LocalRun(name, log, proc.returncode, elapsed, timed_out, leftovers, scratch)


def _image_path(definition):
    for action in definition.get("actions", []):
        for image in action.get("deploy", {}).get("images", {}).values():
            url = image.get("url", "")
            if url.startswith("file://"):
                return url[len("file://"):]
    return None


def main(argv=None):
    p = argparse.ArgumentParser(prog="lava-run-local", description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", required=True, help="lava-jobs' OUT directory")
    p.add_argument("--logs", required=True)
    p.add_argument("names", nargs="*")
    a = p.parse_args(argv)
    jobs_dir = os.path.join(a.jobs, "jobs")
    if not os.path.isdir(jobs_dir):
        print(f"lava-run: error: {jobs_dir} does not exist (make lava-jobs first)", file=sys.stderr)
        return 2
    names = a.names or sorted(n[:-5] for n in os.listdir(jobs_dir) if n.endswith(".yaml"))
    for name in names:
        job = os.path.join(jobs_dir, f"{name}.yaml")
        if not os.path.isfile(job):
            print(f"lava-run: error: no job {job}", file=sys.stderr)
            return 2
    try:
        return run_named(a.jobs, a.logs, names)
    except (LavaRunMissing, UnreachableImage) as e:
        print(f"lava-run: error: {e}", file=sys.stderr)
        return 2


def run_named(jobs, logs, names, runs=None, dispatcher=None):
    """Every named job of lava-jobs' OUT through run(), one progress line
    each; 1 if one failed or left something behind, else 0. runs, if given,
    gets each LocalRun. The jobs' lava-runs are forked from one Dispatcher
    (lava-run's imports once for all), this one's or one of their own."""
    status = 0
    stages = progress.Progress("lava-run", len(names))
    with contextlib.nullcontext(dispatcher) if dispatcher else Dispatcher() as dispatcher:
        for name in names:
            job = os.path.join(jobs, "jobs", f"{name}.yaml")
            try:
                with stages.stage(name) as st:
                    r = run(job, os.path.join(jobs, "devices", f"{name}.yaml"), logs, dispatcher=dispatcher)
                    st.set_result(f"exit {r.returncode}")
                    st.set_tail(f"log {r.log}" + "".join(f"; left behind (removed): {x}" for x in r.leftovers))
            except (LavaRunMissing, UnreachableImage) as e:
                raise type(e)(f"{name}: {e}") from None
            if runs is not None:
                runs.append(r)
            status = status or (1 if r.returncode != 0 or r.leftovers else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
