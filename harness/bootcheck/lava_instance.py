"""A whole LAVA instance on this machine, on loopback only, started without
systemd and without installing lava-server system-wide: a PostgreSQL
cluster of its own (initdb in DIR, 127.0.0.1 and a socket in DIR),
lava-server's code from Debian's lava-server package unpacked into the
build tree (its maintainer scripts never run, so nothing in /etc or the
system's PostgreSQL changes), its web/API process under gunicorn, the
lava-scheduler, and a lava-worker (Debian's lava-dispatcher) with one qemu
device whose dictionary is bootcheck's (lava_jobs.server_device_dictionary).
Every process runs in its own session; `stop` ends them by their pids and
removes DIR.

    python3 -m bootcheck.lava_instance start DIR --server-tree TREE   (make lava-instance)
    python3 -m bootcheck.lava_instance stop DIR                       (make lava-instance-stop)
"""

import argparse
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

from . import lava_jobs

PG_BIN = "/usr/lib/postgresql/15/bin"
WORKER = "bootcheck-worker"
DEVICE = "bootcheck-qemu-01"
USER = "bootcheck"
START_SECONDS = 300


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
            "DATABASE_URL": f"postgres://lava@127.0.0.1:{s['pg_port']}/lavaserver",
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

    def start(self, server_tree):
        if os.path.exists(self.state_file):
            raise InstanceError(f"an instance already lives in {self.work} (make lava-instance-stop)")
        for tool in (os.path.join(PG_BIN, "initdb"), shutil.which("gunicorn"), shutil.which("lava-worker")):
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
                      "pg_port": _free_port(), "http_port": _free_port(), "started": time.time()}
        self._save()
        self._postgres()
        # lava-server's ~200 migrations cost tens of seconds; their result for
        # this lava-server and PostgreSQL is kept beside the server tree (a
        # pg_dump) and loaded into the next instance's fresh database, where
        # migrate (in manage_all below) then finds nothing left to do.
        schema = self._schema_dump(server_tree)
        restored = os.path.isfile(schema) and self._psql_file(schema)
        if not restored:
            self.manage("migrate", "--noinput", timeout=600)
            self._dump_schema(schema)
        with open(os.path.join(self.work, "etc", "devices", f"{DEVICE}.jinja2"), "w") as f:
            f.write(lava_jobs.server_device_dictionary())
        # the worker's scratch directories get a prefix of this instance's own
        with open(os.path.join(self.work, "etc", "dispatcher.d", f"{WORKER}.yaml"), "w") as f:
            f.write(f"prefix: bootcheck-instance-{self.state['http_port']}-\n")
        # The user, its token, the device type, the worker and the device: one
        # Django start (each `manage` is ~2 CPU-s of imports) for five commands.
        said = self.manage_all([
            ("migrate", "--noinput"),
            ("users", "add", "--staff", "--superuser", "--passwd", "bootcheck", USER),
            ("tokens", "add", "--user", USER),
            ("device-types", "add", "qemu"),
            ("workers", "add", WORKER),
            ("devices", "add", "--device-type", "qemu", "--worker", WORKER, DEVICE)])
        self.state["token"] = said[2].strip().splitlines()[-1]
        worker_token = said[4].strip().split()[-1]
        self._save()
        self._spawn("gunicorn", ["gunicorn", "--chdir", self.work, "-b", f"127.0.0.1:{self.state['http_port']}",
                                 "-w", "2", "--timeout", "120", "lava_server.wsgi"], env=self.env())
        user, group = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
        self._spawn("scheduler", self._manage_argv("lava-scheduler", "-u", user, "-g", group, "--log-file",
                                                   os.path.join(self.work, "logs", "scheduler.log")), env=self.env())
        self._wait_http()
        self._spawn("worker", ["lava-worker", "--name", WORKER, "--url", self.url + "/", "--token", worker_token,
                               "--worker-dir", os.path.join(self.work, "worker"),
                               # ask for work every 2 s, not every 20: jobs start sooner
                               "--ping-interval", "2", "--job-log-interval", "2",
                               "--log-file", os.path.join(self.work, "logs", "worker.log")])
        self._wait_device_idle()
        return self

    def _postgres(self):
        # The cluster lives where the postgres user can reach it (DIR may be
        # inside a private directory, e.g. pytest's tmp_path).
        pg_root = tempfile.mkdtemp(prefix="bootcheck-lava-pg-")
        self.state["pg_root"] = pg_root
        self._save()
        os.chmod(pg_root, 0o711)
        data, sock = os.path.join(pg_root, "data"), os.path.join(pg_root, "sock")
        for d in (data, sock):
            os.makedirs(d)
            if os.geteuid() == 0:
                shutil.chown(d, "postgres")
        r = subprocess.run(self._as_postgres([os.path.join(PG_BIN, "initdb"), "-D", data, "-U", "lava",
                                              "--auth=trust"]), capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise InstanceError(f"initdb: {(r.stderr.strip().splitlines() or ['failed'])[-1]}")
        pg = self._spawn("postgres", self._as_postgres([
            os.path.join(PG_BIN, "postgres"), "-D", data, "-k", sock, "-p", str(self.state["pg_port"]),
            "-c", "listen_addresses=127.0.0.1"]))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = subprocess.run([os.path.join(PG_BIN, "pg_isready"), "-h", "127.0.0.1", "-p",
                                str(self.state["pg_port"])], capture_output=True)
            if r.returncode == 0:
                break
            if pg.poll() is not None:
                raise InstanceError(f"postgres exited: see {self.work}/logs/postgres.out")
            time.sleep(0.3)
        else:
            raise InstanceError("postgres did not accept connections within 60 s")
        r = subprocess.run([os.path.join(PG_BIN, "createdb"), "-h", "127.0.0.1", "-p", str(self.state["pg_port"]),
                            "-U", "lava", "lavaserver"], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise InstanceError(f"createdb: {r.stderr.strip()}")

    def _schema_dump(self, server_tree):
        """Where the migrated database of this lava-server package and this
        PostgreSQL is kept (named by both)."""
        debs = os.path.join(server_tree, "debs")
        names = sorted(os.listdir(debs)) if os.path.isdir(debs) else [self.state["pythonpath"]]
        key = hashlib.sha256(repr((names, PG_BIN, os.path.realpath(os.path.join(PG_BIN, "postgres"))))
                             .encode()).hexdigest()[:16]
        return os.path.join(server_tree, f"bootcheck-migrated-{key}.sql")

    def _pg_client(self, tool):
        return [os.path.join(PG_BIN, tool), "-h", "127.0.0.1", "-p", str(self.state["pg_port"]), "-U", "lava"]

    def _psql_file(self, path):
        """Loads a dump into the fresh lavaserver database; False if it fails
        (then the caller migrates, as without a dump)."""
        r = subprocess.run([*self._pg_client("psql"), "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", "lavaserver",
                            "-f", path], capture_output=True, text=True, timeout=120)
        if r.returncode == 0:
            return True
        # Start again from an empty database.
        for tool in ("dropdb", "createdb"):
            subprocess.run([*self._pg_client(tool), "lavaserver"], capture_output=True, timeout=60)
        return False

    def _dump_schema(self, path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            r = subprocess.run([*self._pg_client("pg_dump"), "--no-owner", "lavaserver"], stdout=f,
                               stderr=subprocess.PIPE, text=True, timeout=120)
        if r.returncode == 0:
            os.replace(tmp, path)
        else:
            os.unlink(tmp)

    def _wait_http(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/api/v0.2/system/version/", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise InstanceError(f"lava-server's web process did not answer on {self.url} within 60 s "
                            f"(see {self.work}/logs/gunicorn.out)")

    def _wait_device_idle(self):
        """The worker is online once the scheduler has seen it: its device Idle.
        Asked of the web API (a `manage ... details` would start Django twice
        a second)."""
        deadline = time.monotonic() + 120
        last = ""
        while time.monotonic() < deadline:
            device = self._api(f"devices/{DEVICE}/") or {}
            last = f"state {device.get('state', '?')}, health {device.get('health', '?')}"
            worker = (self._api(f"workers/{WORKER}/") or {}) if device.get("state") == "Idle" else {}
            if device.get("state") == "Idle" and worker.get("state") == "Online":
                return
            time.sleep(0.5)
        raise InstanceError(f"the worker never brought {DEVICE} online within 120 s ({last}; "
                            f"see {self.work}/logs/worker.log)")

    def stop(self):
        pids = self.state.get("pids", {})
        # The LAVA processes together (each may take seconds to end), then
        # PostgreSQL, whose clients they are.
        for names in (("worker", "scheduler", "gunicorn"), ("postgres",)):
            groups = [pids[n] for n in names if pids.get(n) is not None]
            for pid in list(groups):
                try:
                    os.killpg(pid, signal.SIGTERM)
                except ProcessLookupError:
                    groups.remove(pid)
            deadline = time.monotonic() + 10
            while groups and time.monotonic() < deadline:
                for pid in list(groups):
                    try:
                        os.killpg(pid, 0)
                    except ProcessLookupError:
                        groups.remove(pid)
                if groups:
                    time.sleep(0.2)
            for pid in groups:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        scratch = lava_jobs_scratch(self.state.get("http_port"))
        for d in scratch:
            shutil.rmtree(d, ignore_errors=True)
        if self.state.get("pg_root", "").startswith(tempfile.gettempdir()):
            shutil.rmtree(self.state["pg_root"], ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)


def lava_jobs_scratch(port):
    from .lava_local import DISPATCHER_DOWNLOAD_DIR
    if port is None or not os.path.isdir(DISPATCHER_DOWNLOAD_DIR):
        return []
    prefix = f"bootcheck-instance-{port}-"
    return [os.path.join(DISPATCHER_DOWNLOAD_DIR, d) for d in os.listdir(DISPATCHER_DOWNLOAD_DIR)
            if d.startswith(prefix)]


def main(argv=None):
    p = argparse.ArgumentParser(prog="lava-instance", description=__doc__.split("\n\n")[0])
    p.add_argument("action", choices=("start", "stop"))
    p.add_argument("dir")
    p.add_argument("--server-tree", default="")
    a = p.parse_args(argv)
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
