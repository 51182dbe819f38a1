"""A whole LAVA instance on this machine, on loopback only, started without
systemd and without installing lava-server system-wide: a PostgreSQL
cluster of its own (initdb in DIR, 127.0.0.1 and a socket in DIR),
lava-server's code from Debian's lava-server package unpacked into the
build tree (its maintainer scripts never run, so nothing in /etc or the
system's PostgreSQL changes), its web/API process under gunicorn, the
lava-scheduler, and a lava-worker (Debian's lava-dispatcher) with two qemu
devices whose dictionary is bootcheck's (lava_jobs.server_device_dictionary).
Every process runs in its own session; `stop` ends them by their pids and
removes DIR.

What makes an instance slow to come up is made once and kept: the migrated
database with the user, its token, the device type, the worker and the
device (SETUP) is a stopped PostgreSQL cluster under the server tree,
named by lava-server's package, PostgreSQL and SETUP (template_dir); each
instance starts on a copy of it, so no Django command runs at start-up.
lava-publisher runs beside the scheduler, as in a packaged install: a
submitted job is an event that wakes the scheduler at once (without it the
scheduler looks for work every 20 s) and a scheduled one wakes the worker.

    python3 -m bootcheck.lava.lava_instance start DIR --server-tree TREE   (make lava-instance)
    python3 -m bootcheck.lava.lava_instance stop DIR                       (make lava-instance-stop)
    python3 -m bootcheck.lava.lava_instance template --server-tree TREE    (make lava-instance-template)
"""

import argparse
import fcntl
import json
import os
import pwd
import grp
import hashlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


PG_BIN = "/usr/lib/postgresql/15/bin"
WORKER = "bootcheck-worker"
# Two qemu devices on the one worker: two jobs (an AArch64 and a riscv64
# one) run side by side, not one after the other.
DEVICES = ("bootcheck-qemu-01", "bootcheck-qemu-02")
USER = "bootcheck"
PG_ROOT_PREFIX = "bootcheck-lava-pg-"
STOP_SECONDS = 1
# The lava-server manage commands that make an instance's database: run once
# into the template (template_dir), never at an instance's start.
SETUP = (("migrate", "--noinput"),
         ("users", "add", "--staff", "--superuser", "--passwd", "bootcheck", USER),
         ("tokens", "add", "--user", USER),
         ("device-types", "add", "qemu"),
         ("workers", "add", WORKER),
         *(("devices", "add", "--device-type", "qemu", "--worker", WORKER, d) for d in DEVICES))
# The layout of a template directory: a new one makes new templates.
TEMPLATE_FORMAT = 1


def postgres_user_problem():
    """Why the postgres user cannot run PostgreSQL here, or None. As root
    the cluster runs as that user, which must be able to reach the binaries:
    a root file system whose / is not world-searchable (a chroot made in a
    mode-0700 directory) stops it before anything starts."""
    if os.geteuid() != 0:
        return None
    initdb = os.path.join(PG_BIN, "initdb")
    try:
        r = subprocess.run(["runuser", "-u", "postgres", "--", initdb, "--version"],
                           capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"the postgres user cannot run {initdb}: {e}"
    if r.returncode == 0:
        return None
    why = (r.stderr.strip().splitlines() or ["failed"])[-1]
    return (f"the postgres user cannot run {initdb} ({why}); / has mode "
            f"{oct(os.stat('/').st_mode & 0o777)}, and every directory on the way must be "
            "searchable by that user")


class InstanceError(Exception):
    """Where bringing the instance up stopped, in one line."""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_python_path(tree):
    """lava-server's Python packages: the unpacked tree, or a system install."""
    for base in (os.path.join(tree, "usr", "lib", "python3", "dist-packages"), "/usr/lib/python3/dist-packages"):
        if os.path.isdir(os.path.join(base, "lava_server")):
            return base
    raise InstanceError(f"lava-server's code is neither in {tree} nor installed (make lava-server-tree)")


def _device_types(pythonpath):
    share = os.path.normpath(os.path.join(pythonpath, "..", "..", "..", "share", "lava-server", "device-types"))
    if not os.path.isfile(os.path.join(share, "qemu.jinja2")):
        raise InstanceError(f"LAVA's qemu device type is missing: {share}/qemu.jinja2")
    return share


class Instance:
    def __init__(self, work):
        self.work = os.path.abspath(work)
        self.state_file = os.path.join(self.work, "instance.json")
        self.state = {}
        if os.path.exists(self.state_file):
            with open(self.state_file) as f:
                self.state = json.load(f)

    def _save(self):
        with open(self.state_file, "w") as f:
            json.dump(self.state, f, indent=1)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.state['http_port']}"

    def env(self):
        s = self.state
        e = dict(os.environ)
        e.update({
            "PYTHONPATH": s["pythonpath"],
            # conn_max_age: each Django thread keeps its database connection.
            # Without it every request (the worker's ping and job-log posts,
            # lavacli's polls, each once a second) connected anew, and
            # PostgreSQL forked and set up a backend for each: 4-5 CPU-s of
            # the instance test's ~20.
            "DATABASE_URL": f"postgres://lava@127.0.0.1:{s['pg_port']}/lavaserver?conn_max_age=600",
            "SECRET_KEY": "bootcheck-local-instance-" + str(s["pg_port"]),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LAVA_SETTINGS_DJANGO_LOGFILE": os.path.join(self.work, "logs", "django.log"),
            # job logs are files named by job id: this instance's own, not the
            # system's /var/lib/lava-server
            "LAVA_SETTINGS_MEDIA_ROOT": os.path.join(self.work, "media") + "/",
            "LAVA_SETTINGS_DEVICES_PATH": os.path.join(self.work, "etc", "devices"),
            "LAVA_SETTINGS_HEALTH_CHECKS_PATH": os.path.join(self.work, "etc", "health-checks"),
            "LAVA_SETTINGS_DISPATCHER_CONFIG_PATH": os.path.join(self.work, "etc", "dispatcher.d"),
            "LAVA_YAML_SETTINGS_DEVICE_TYPES_PATHS": json.dumps([s["device_types"]]),
        })
        if "event_port" in s:
            # Events (lava-publisher): the web process and the scheduler push
            # them to the publisher, which publishes them to the scheduler
            # and (its websocket) to the worker. Loopback ports of its own.
            e.update({
                "LAVA_SETTINGS_EVENT_NOTIFICATION": "1",
                "LAVA_SETTINGS_INTERNAL_EVENT_SOCKET": f"tcp://127.0.0.1:{s['internal_event_port']}",
                "LAVA_SETTINGS_EVENT_SOCKET": f"tcp://127.0.0.1:{s['event_port']}",
            })
        return e

    def manage(self, *args, timeout=180):
        """lava-server manage ARGS; its stdout."""
        r = subprocess.run(self._manage_argv(*args), env=self.env(), capture_output=True, text=True,
                           timeout=timeout)
        if r.returncode != 0:
            said = (r.stderr.strip() or r.stdout.strip()).splitlines() or [f"exit {r.returncode}"]
            raise InstanceError(f"lava-server manage {' '.join(args[:2])}: {said[-1]}")
        return r.stdout

    def manage_all(self, commands, timeout=180):
        """Several lava-server manage commands in one process, in order; the
        stdout of each. The first that fails ends it, named as manage() names it."""
        script = (
            "import io, json, sys\n"
            "from django.core.management import call_command\n"
            "said = []\n"
            f"for args in {[list(c) for c in commands]!r}:\n"
            "    out = io.StringIO()\n"
            "    try:\n"
            "        call_command(*args, stdout=out)\n"
            "    except BaseException as e:\n"
            "        print(json.dumps({'failed': args[:2], 'said': (str(e) or type(e).__name__)}))\n"
            "        sys.exit(1)\n"
            "    said.append(out.getvalue())\n"
            "print(json.dumps({'said': said}))\n")
        r = subprocess.run(self._manage_argv("shell", "--no-startup", "-c", script), env=self.env(),
                           capture_output=True, text=True, timeout=timeout)
        lines = r.stdout.strip().splitlines()
        try:
            result = json.loads(lines[-1])
        except (IndexError, ValueError):
            said = (r.stderr.strip() or r.stdout.strip()).splitlines() or [f"exit {r.returncode}"]
            raise InstanceError(f"lava-server manage shell: {said[-1]}")
        if "failed" in result:
            said = result["said"].strip().splitlines() or ["failed"]
            raise InstanceError(f"lava-server manage {' '.join(result['failed'])}: {said[-1]}")
        return result["said"]

    def _api(self, path):
        """GET /api/v0.2/<path> as the instance's user: the JSON, or None."""
        req = urllib.request.Request(f"{self.url}/api/v0.2/{path}",
                                     headers={"Authorization": f"Token {self.state['token']}"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.load(r)
        except (OSError, ValueError):
            return None

    def _manage_argv(self, *args):
        script = os.path.normpath(os.path.join(self.state["pythonpath"], "..", "..", "..", "bin", "lava-server"))
        return ["/usr/bin/python3", script, "manage", *args]

    def _as_postgres(self, argv):
        """initdb and postgres refuse to run as root: run them as postgres."""
        return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + argv

    def _spawn(self, name, argv, env=None):
        log = open(os.path.join(self.work, "logs", f"{name}.out"), "w")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True, cwd=self.work)
        self.state.setdefault("pids", {})[name] = proc.pid
        self._save()
        return proc

    def _spawn_server(self, commands):
        """lava-server's processes {name: argv}, forked from one that loads
        Django and lava-server once (bootcheck/lava/lava_server_fork.py): each
        in a session of its own, as _spawn starts them."""
        specs = [[name, os.path.join(self.work, "logs", f"{name}.out"), argv[1:] if argv[0] == "/usr/bin/python3"
                  else argv] for name, argv in commands.items()]
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lava_server_fork.py")
        r = subprocess.run(["/usr/bin/python3", script, json.dumps(specs)], env=self.env(), cwd=self.work,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        try:
            pids = json.loads(r.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            said = (r.stderr.strip() or r.stdout.strip()).splitlines() or [f"exit {r.returncode}"]
            raise InstanceError(f"lava-server's processes did not start: {said[-1]}") from None
        self.state.setdefault("pids", {}).update(pids)
        self._save()

    def _prepare(self, server_tree, tools):
        """The instance's directories and state, up to its database."""
        if os.path.exists(self.state_file):
            raise InstanceError(f"an instance already lives in {self.work} (make lava-instance-stop)")
        for tool in tools:
            if not tool or not os.path.exists(tool):
                raise InstanceError(f"{tool or 'gunicorn/lava-worker'} is not installed (make deps)")
        problem = postgres_user_problem()
        if problem:
            raise InstanceError(problem)
        os.makedirs(os.path.join(self.work, "logs"), exist_ok=True)
        for sub in ("devices", "health-checks", "dispatcher.d"):
            os.makedirs(os.path.join(self.work, "etc", sub), exist_ok=True)
        pythonpath = server_python_path(server_tree)
        self.state = {"pythonpath": pythonpath, "device_types": _device_types(pythonpath),
                      "pg_port": _free_port(), "http_port": _free_port(), "event_port": _free_port(),
                      "internal_event_port": _free_port(), "publisher_port": _free_port(),
                      "started": time.time()}
        # The cluster lives where the postgres user can reach it (DIR may be
        # inside a private directory, e.g. pytest's tmp_path), in memory
        # where there is a tmpfs: copying it in and removing it (40 MB,
        # 1700 files) then costs no disk I/O.
        self.state["pg_root"] = tempfile.mkdtemp(prefix=PG_ROOT_PREFIX, dir=_cluster_base())
        self._save()
        os.chmod(self.state["pg_root"], 0o711)
        return template_dir(server_tree, pythonpath)

    def make_template(self, server_tree):
        """The set-up database (template_dir) made now if missing, as `make
        deps` does (lava-instance-template), so no test run makes it; True
        if it was made. The instance directory is removed (stop)."""
        try:
            template = self._prepare(server_tree, [os.path.join(PG_BIN, "initdb")])
            return self._database(template, start=False)[1]
        finally:
            self.stop()

    def start(self, server_tree):
        template = self._prepare(server_tree, [os.path.join(PG_BIN, "initdb"), shutil.which("gunicorn"),
                                               shutil.which("lava-worker")])
        tokens, _ = self._database(template)
        self.state.update(token=tokens["token"])
        self._save()
        from . import lava_jobs# here only: `stop` needs none of its imports
        for device in DEVICES:
            with open(os.path.join(self.work, "etc", "devices", f"{device}.jinja2"), "w") as f:
                f.write(lava_jobs.server_device_dictionary())
        # the worker's scratch directories get a prefix of this instance's own
        with open(os.path.join(self.work, "etc", "dispatcher.d", f"{WORKER}.yaml"), "w") as f:
            f.write(f"prefix: bootcheck-instance-{self.state['http_port']}-\n")
        # Everything at once: each waits for what it needs (the worker pings
        # until the web process answers, the scheduler connects to the
        # publisher whenever it is up).
        user, group = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
        self._spawn_server({
            "gunicorn": ["gunicorn", "--chdir", self.work, "-b", f"127.0.0.1:{self.state['http_port']}",
                         # one process, so Django's URLs and views load once
                         "-w", "1", "--threads", "8", "--timeout", "120", "lava_server.wsgi"],
            "publisher": self._manage_argv(
                "lava-publisher", "-u", user, "-g", group, "--host", "127.0.0.1", "--port",
                str(self.state["publisher_port"]), "--log-file", os.path.join(self.work, "logs", "publisher.log")),
            "scheduler": self._manage_argv(
                "lava-scheduler", "-u", user, "-g", group, "--event-url",
                f"tcp://127.0.0.1:{self.state['event_port']}",
                "--log-file", os.path.join(self.work, "logs", "scheduler.log"))})
        self._spawn("worker", ["lava-worker", "--name", WORKER, "--url", self.url + "/",
                               "--ws-url", f"http://127.0.0.1:{self.state['publisher_port']}/ws/",
                               "--token", tokens["worker_token"],
                               "--worker-dir", os.path.join(self.work, "worker"),
                               # ask for work every second, not every 20 s
                               "--ping-interval", "1", "--job-log-interval", "1",
                               "--log-file", os.path.join(self.work, "logs", "worker.log")])
        self._wait_http()
        self._wait_device_idle()
        self._wait_events()
        return self

    def _wait_events(self):
        """A job submitted before the scheduler listens to the publisher
        would wait for the scheduler's 20 s round: both say in their logs
        when they are listening."""
        ready = {"publisher": "[PROXY] waiting for events", "scheduler": "[INIT] Starting main loop"}
        deadline = time.monotonic() + 60
        while ready and time.monotonic() < deadline:
            for name, line in list(ready.items()):
                try:
                    with open(os.path.join(self.work, "logs", f"{name}.log")) as f:
                        if line in f.read():
                            del ready[name]
                except OSError:
                    pass
            if ready:
                time.sleep(0.1)
        if ready:
            raise InstanceError(f"lava-{' and lava-'.join(ready)} did not start within 60 s "
                                f"(see {self.work}/logs/)")

    def _database(self, template, start=True):
        """PostgreSQL up (unless not start) on a copy of the template (made
        first if missing): (the template's tokens {token, worker_token},
        whether the template was made now)."""
        data = os.path.join(self.state["pg_root"], "data")
        os.makedirs(os.path.join(self.state["pg_root"], "sock"))
        if os.geteuid() == 0:
            shutil.chown(os.path.join(self.state["pg_root"], "sock"), "postgres")
        os.makedirs(os.path.dirname(template), exist_ok=True)
        with open(template + ".lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)          # one maker; the others wait and copy
            made = not os.path.isfile(os.path.join(template, "tokens.json"))
            if made:
                self._make_template(template, data)
            elif start:
                _copy_tree(os.path.join(template, "data"), data)
            with open(os.path.join(template, "tokens.json")) as f:
                tokens = json.load(f)
        if start:
            self._postgres_start(data)
        return tokens, made

    def _make_template(self, template, data):
        """A new cluster in data, migrated and set up (SETUP), stopped and
        copied to template: what every later instance starts from."""
        os.makedirs(data)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres")
        # 1 MiB WAL segments, not 16: a smaller cluster to copy and remove
        r = subprocess.run(self._as_postgres([os.path.join(PG_BIN, "initdb"), "-D", data, "-U", "lava",
                                              "--auth=trust", "--wal-segsize=1"]),
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise InstanceError(f"initdb: {(r.stderr.strip().splitlines() or ['failed'])[-1]}")
        pg = self._postgres_start(data)
        r = subprocess.run([*self._pg_client("createdb"), "lavaserver"], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise InstanceError(f"createdb: {r.stderr.strip()}")
        # lava-server's ~200 migrations and the rest: one Django start
        said = self.manage_all(SETUP, timeout=900)
        tokens = {"token": said[2].strip().splitlines()[-1], "worker_token": said[4].strip().split()[-1]}
        self._postgres_stop(pg, data)
        tmp = f"{template}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        _copy_tree(data, os.path.join(tmp, "data"))
        with open(os.path.join(tmp, "tokens.json"), "w") as f:
            json.dump(tokens, f)
        shutil.rmtree(template, ignore_errors=True)
        os.replace(tmp, template)

    def _postgres_start(self, data):
        pg = self._spawn("postgres", self._as_postgres([
            os.path.join(PG_BIN, "postgres"), "-D", data, "-k", os.path.join(self.state["pg_root"], "sock"),
            "-p", str(self.state["pg_port"]), "-c", "listen_addresses=127.0.0.1"]))
        # postmaster.pid's 8th line is the server's status: "ready" once it
        # accepts connections (no pg_isready process per poll).
        pid_file = os.path.join(data, "postmaster.pid")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with open(pid_file) as f:
                    lines = f.read().splitlines()
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return pg
            except OSError:
                pass
            if pg.poll() is not None:
                raise InstanceError(f"postgres exited: see {self.work}/logs/postgres.out")
            time.sleep(0.05)
        raise InstanceError("postgres did not accept connections within 60 s")

    def _signal_postmaster(self, sig):
        """The postmaster itself (its pid is postmaster.pid's first line), not
        its process group: as root it runs under runuser, which would answer
        a signal of its own with SIGTERM (a smart shutdown) and wait 2 s to
        SIGKILL it; runuser ends as soon as the postmaster has."""
        try:
            with open(os.path.join(self.state["pg_root"], "data", "postmaster.pid")) as f:
                os.kill(int(f.readline()), sig)
        except (OSError, ValueError, KeyError):
            pass

    def _postgres_stop(self, pg, data):
        """A fast shutdown (SIGINT): a clean cluster on disk, to copy."""
        self._signal_postmaster(signal.SIGINT)
        try:
            pg.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise InstanceError("postgres did not stop within 60 s of a fast shutdown") from None
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            raise InstanceError(f"postgres left {data}/postmaster.pid: not a clean shutdown")
        del self.state["pids"]["postgres"]
        self._save()

    def _pg_client(self, tool):
        return [os.path.join(PG_BIN, tool), "-h", "127.0.0.1", "-p", str(self.state["pg_port"]), "-U", "lava"]

    def _wait_http(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/api/v0.2/system/version/", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise InstanceError(f"lava-server's web process did not answer on {self.url} within 60 s "
                            f"(see {self.work}/logs/gunicorn.out)")

    def _wait_device_idle(self):
        """The worker is online once the scheduler has seen it: its devices
        Idle. Asked of the web API (a `manage ... details` would start Django
        twice a second)."""
        deadline = time.monotonic() + 120
        last = ""
        while time.monotonic() < deadline:
            devices = [self._api(f"devices/{d}/") or {} for d in DEVICES]
            last = ", ".join(f"{d}: state {v.get('state', '?')}, health {v.get('health', '?')}"
                             for d, v in zip(DEVICES, devices))
            idle = all(v.get("state") == "Idle" for v in devices)
            worker = (self._api(f"workers/{WORKER}/") or {}) if idle else {}
            if idle and worker.get("state") == "Online":
                return
            time.sleep(0.2)
        raise InstanceError(f"the worker never brought {' and '.join(DEVICES)} online within 120 s ({last}; "
                            f"see {self.work}/logs/worker.log)")

    def stop(self):
        pids = self.state.get("pids", {})
        # The LAVA processes together, then PostgreSQL, whose clients they
        # are: an immediate shutdown (SIGQUIT), as its cluster is removed
        # next. Whatever still runs after STOP_SECONDS is killed: a graceful
        # end is worth nothing to an instance that is thrown away
        # (lava-publisher's and gunicorn's take 3 to 8 s).
        for names, sig in ((("worker", "scheduler", "publisher", "gunicorn"), signal.SIGTERM),
                           (("postgres",), signal.SIGQUIT)):
            groups = [pids[n] for n in names if running_in_group(pids.get(n))]
            for pid in groups:
                if names == ("postgres",):
                    self._signal_postmaster(sig)
                else:
                    _killpg(pid, sig)
            deadline = time.monotonic() + STOP_SECONDS
            while groups and time.monotonic() < deadline:
                time.sleep(0.05)
                groups = [pid for pid in groups if running_in_group(pid)]
            for pid in groups:
                _killpg(pid, signal.SIGKILL)
        scratch = lava_jobs_scratch(self.state.get("http_port"))
        # lava-worker runs each job's lava-run in a session of its own, so a
        # job still running when the worker ends (a failed test stops the
        # instance mid-job) outlives its group: found by its working
        # directory, inside the instance's, and killed.
        for pid in processes_working_in([self.work, *scratch]):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for d in scratch:
            shutil.rmtree(d, ignore_errors=True)
        if os.path.basename(self.state.get("pg_root", "")).startswith(PG_ROOT_PREFIX):
            shutil.rmtree(self.state["pg_root"], ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)


def processes_working_in(dirs):
    """Pids of the processes whose working directory is one of dirs or under
    it (as /proc/PID/cwd reads, also once the directory is deleted)."""
    roots = [os.path.realpath(d) for d in dirs if d]
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        cwd = cwd[:-len(" (deleted)")] if cwd.endswith(" (deleted)") else cwd
        if any(cwd == r or cwd.startswith(r + "/") for r in roots):
            out.append(int(entry))
    return out


def _killpg(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def process_state(pid):
    """A process's state letter (R, S, Z...: /proc/PID/stat), None if none."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def running_in_group(pgid):
    """The processes of a process group that still run: a zombie has ended
    (its parent, here init, reaps it when it gets to it, up to seconds later)."""
    if not pgid:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry))
    return found


def template_dir(server_tree, pythonpath):
    """Where the set-up database of this lava-server package, this
    PostgreSQL and this SETUP is kept: a stopped cluster (data/) and the
    tokens SETUP made (tokens.json)."""
    debs = os.path.join(server_tree, "debs")
    names = sorted(os.listdir(debs)) if os.path.isdir(debs) else [pythonpath]
    postgres = os.path.realpath(os.path.join(PG_BIN, "postgres"))
    st = os.stat(postgres)
    key = hashlib.sha256(repr((TEMPLATE_FORMAT, names, postgres, st.st_size, st.st_mtime_ns, SETUP))
                         .encode()).hexdigest()[:16]
    return os.path.join(server_tree, f"bootcheck-instance-{key}")


def _cluster_base():
    """/dev/shm where it is a directory anyone may use (a tmpfs), else the
    temporary directory."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.stat(shm).st_mode & 0o1777 == 0o1777:
        return shm
    return tempfile.gettempdir()


def _copy_tree(src, dst):
    """cp -a: owners and modes kept (a cluster belongs to the postgres user)."""
    r = subprocess.run(["cp", "-a", "--reflink=auto", src, dst], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise InstanceError(f"copying {src}: {(r.stderr.strip().splitlines() or ['failed'])[-1]}")


def lava_jobs_scratch(port):
    from .lava_local import DISPATCHER_DOWNLOAD_DIR
    if port is None or not os.path.isdir(DISPATCHER_DOWNLOAD_DIR):
        return []
    prefix = f"bootcheck-instance-{port}-"
    return [os.path.join(DISPATCHER_DOWNLOAD_DIR, d) for d in os.listdir(DISPATCHER_DOWNLOAD_DIR)
            if d.startswith(prefix)]


def main(argv=None):
    p = argparse.ArgumentParser(prog="lava-instance", description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=("start", "stop", "template"))
    p.add_argument("dir", nargs="?", help="the instance's directory (start, stop)")
    p.add_argument("--server-tree", default="")
    p.add_argument("--skip-if-unable", action="store_true",
                   help="template: where PostgreSQL cannot run at all, say so and exit 0 (make deps)")
    a = p.parse_args(argv)
    if a.action == "template":
        why = postgres_user_problem() if a.skip_if_unable else None
        if why:
            print(f"lava-instance: skipped the set-up database: {why}; the LAVA-instance tests "
                  "skip with this reason")
            return 0
        t0 = time.monotonic()
        try:
            made = Instance(tempfile.mkdtemp(prefix="bootcheck-lava-template-")).make_template(a.server_tree)
        except (InstanceError, subprocess.TimeoutExpired) as e:
            print(f"lava-instance: error: {e}", file=sys.stderr)
            return 2
        pythonpath = server_python_path(a.server_tree)
        print(f"lava-instance: set-up database {'made in ' + format(time.monotonic() - t0, '.0f') + ' s' if made else 'kept'}: "
              f"{template_dir(a.server_tree, pythonpath)}")
        return 0
    if not a.dir:
        p.error(f"{a.action} needs the instance's directory")
    inst = Instance(a.dir)
    if a.action == "stop":
        if not inst.state:
            print(f"lava-instance: no instance in {a.dir}")
            return 0
        inst.stop()
        print(f"lava-instance: stopped; {a.dir} removed")
        return 0
    t0 = time.monotonic()
    try:
        inst.start(a.server_tree)
    except (InstanceError, subprocess.TimeoutExpired) as e:
        print(f"lava-instance: error: {e}", file=sys.stderr)
        inst.stop()
        return 2
    print(f"lava-instance: up after {time.monotonic() - t0:.0f} s: LAVA_URL={inst.url} LAVA_USER={USER} "
          f"LAVA_TOKEN={inst.state['token']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
