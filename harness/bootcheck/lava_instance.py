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
        self.manage("migrate", "--noinput", timeout=600)
        self.manage("users", "add", "--staff", "--superuser", "--passwd", "bootcheck", USER)
        self.state["token"] = self.manage("tokens", "add", "--user", USER).strip().splitlines()[-1]
        self.manage("device-types", "add", "qemu")
        worker_token = self.manage("workers", "add", WORKER).strip().split()[-1]
        with open(os.path.join(self.work, "etc", "devices", f"{DEVICE}.jinja2"), "w") as f:
            f.write(lava_jobs.server_device_dictionary())
        # the worker's scratch directories get a prefix of this instance's own
        with open(os.path.join(self.work, "etc", "dispatcher.d", f"{WORKER}.yaml"), "w") as f:
            f.write(f"prefix: bootcheck-instance-{self.state['http_port']}-\n")
        self.manage("devices", "add", "--device-type", "qemu", "--worker", WORKER, DEVICE)
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
        """The worker is online once the scheduler has seen it: its device Idle."""
        deadline = time.monotonic() + 120
        last = ""
        while time.monotonic() < deadline:
            out = self.manage("devices", "details", DEVICE)
            last = " ".join(l.strip() for l in out.splitlines() if "state" in l.lower() or "health" in l.lower())
            worker = self.manage("workers", "details", WORKER) if "Idle" in out else ""
            if "Idle" in out and "Online" in worker:
                return
            time.sleep(1)
        raise InstanceError(f"the worker never brought {DEVICE} online within 120 s ({last}; "
                            f"see {self.work}/logs/worker.log)")

    def stop(self):
        pids = self.state.get("pids", {})
        for name in ("worker", "scheduler", "gunicorn", "postgres"):
            pid = pids.get(name)
            if pid is None:
                continue
            try:
                os.killpg(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.killpg(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
            else:
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
