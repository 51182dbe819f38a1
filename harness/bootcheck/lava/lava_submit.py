"""Submits generated jobs to a LAVA instance with `lavacli` (Debian's
lavacli), waits for each to finish, fetches its log and definition, and
hands them to bootcheck.lava.lava_results for the reports.

lavacli runs in this process (its `main`, with the command line it would
get): each lavacli process would spend a second or more importing what it
never uses here (its event client's aiohttp), five times per job. With
LAVACLI=path, that program runs instead, one process per call.

    python3 -m bootcheck.lava.lava_submit --jobs OUT --url http(s)://host [--user U --token T | --identity ID]
                                     [NAME ...]   (make lava-submit)
"""

import argparse
import contextlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse

import yaml

from . import lava_local

LAVACLI = os.environ.get("LAVACLI")      # None: Debian's lavacli, in this process
CONNECT_SECONDS = 20
# Beyond a job's own timeout: time in the instance's queue, and a worker's
# start-up and clean-up.
QUEUE_SECONDS = 300


class SubmitError(Exception):
    """One line saying what is wrong."""


def rpc_uri(url, user=None, token=None):
    """lavacli's --uri: http(s)://[user:token@]host[:port]/RPC2."""
    p = urllib.parse.urlsplit(url)
    if p.scheme not in ("http", "https") or not p.hostname:
        raise SubmitError(f"LAVA_URL={url}: not an http:// or https:// URL of a LAVA instance")
    if bool(user) != bool(token):
        raise SubmitError("give both LAVA_USER= and LAVA_TOKEN= (or neither, for anonymous access, "
                          "or LAVA_IDENTITY= for a stored lavacli identity)")
    auth = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(token, safe='')}@" if user else ""
    path = p.path.rstrip("/")
    path = path if path.endswith("/RPC2") else path + "/RPC2"
    port = f":{p.port}" if p.port else ""
    return f"{p.scheme}://{auth}{p.hostname}{port}{path}"


class Lavacli:
    def __init__(self, uri=None, identity=None):
        if LAVACLI:
            path = shutil.which(LAVACLI)
            if path is None:
                raise SubmitError(f"LAVACLI={LAVACLI} is not a program")
            self.program = [path]
        else:
            try:
                import lavacli
            except ImportError:
                raise SubmitError("lavacli is not installed (Debian's lavacli; `make deps` installs it)") \
                    from None
            self.program = None
            self.main = lavacli.main
        self.base = ["--uri", uri] if uri else ["--identity", identity or "default"]
        self.where = re.sub(r"//[^@/]*@", "//", uri) if uri else f"identity {identity or 'default'}"

    def _run(self, args, timeout):
        """(exit status, stdout, stderr) of lavacli ARGS."""
        if self.program:
            r = subprocess.run([*self.program, *self.base, *args], capture_output=True, text=True,
                               timeout=timeout)
            return r.returncode, r.stdout, r.stderr
        # lavacli's own waits are bounded: 20 s per request (its transport's
        # timeout), `jobs wait` by its --timeout.
        out, err = io.StringIO(), io.StringIO()
        argv = sys.argv
        sys.argv = ["lavacli", *self.base, *args]
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    status = self.main()
                except SystemExit as e:
                    status = e.code
        finally:
            sys.argv = argv
        return (status if isinstance(status, int) else (0 if status is None else 1)), out.getvalue(), \
            err.getvalue()

    def __call__(self, *args, timeout=CONNECT_SECONDS):
        try:
            returncode, stdout, stderr = self._run(args, timeout)
        except subprocess.TimeoutExpired:
            raise SubmitError(f"lavacli {' '.join(args[:2])} on {self.where}: no answer within {timeout} s") \
                from None
        if returncode != 0 or stdout.startswith(("Unable to", "Unknown identity")):
            said = (stdout + stderr).strip().splitlines() or [f"exit {returncode}"]
            raise SubmitError(f"lavacli {' '.join(args[:2])} on {self.where}: {said[-1]}")
        return stdout

    def version(self):
        """The instance's LAVA version: the first call, so an unreachable
        instance is named before anything is submitted."""
        try:
            return self("system", "version").strip()
        except SubmitError as e:
            m = re.search(r"Unable to connect: .*?(\[Errno -?\d+\] [^'\")]+)", str(e))
            if m:
                raise SubmitError(f"LAVA instance {self.where} is unreachable: {m.group(1).strip()}") from None
            raise


def check_reachable(uri):
    """Refuses an instance nothing answers for (connection refused, no such
    host) before lavacli and its imports (a CPU-second) are loaded, with the
    line lavacli's own failure would give."""
    p = urllib.parse.urlsplit(uri)
    where = re.sub(r"//[^@/]*@", "//", uri)
    try:
        socket.create_connection((p.hostname, p.port or (443 if p.scheme == "https" else 80)),
                                 timeout=CONNECT_SECONDS).close()
    except socket.gaierror as e:
        raise SubmitError(f"LAVA instance {where} is unreachable: [Errno {e.errno}] {e.strerror}") from None
    except OSError as e:
        if e.errno is None:         # a timeout: lavacli's own wait says more
            return
        raise SubmitError(f"LAVA instance {where} is unreachable: [Errno {e.errno}] {e.strerror}") from None


def submit(cli, job_file):
    """The instance's id of the submitted job."""
    name = os.path.splitext(os.path.basename(job_file))[0]
    out = cli("jobs", "submit", job_file).strip().splitlines()
    if not out or not re.fullmatch(r"\d+(\.\d+)?", out[-1].strip()):
        raise SubmitError(f"{name}: lavacli jobs submit said {' '.join(out) or 'nothing'}")
    print(f"lava-submit: {name}: job {out[-1].strip()} on {cli.where}", flush=True)
    return out[-1].strip()


def wait_and_fetch(cli, name, job_id, logs_dir, wait_seconds):
    """(log path, definition path) of one finished job."""
    cli("jobs", "wait", job_id, "--polling", "1", "--timeout", str(wait_seconds), timeout=wait_seconds + 30)
    log = os.path.join(logs_dir, f"{name}.log")
    with open(log, "w") as f:
        f.write(cli("jobs", "logs", "--raw", "--no-follow", job_id, timeout=120))
    definition = os.path.join(logs_dir, f"{name}.job.yaml")
    with open(definition, "w") as f:
        f.write(cli("jobs", "definition", job_id))
    return log, definition


def main(argv=None):
    p = argparse.ArgumentParser(prog="lava-submit", description=__doc__.split("\n\n")[0])
    p.add_argument("--jobs", required=True, help="lava-jobs' OUT directory")
    p.add_argument("--url")
    p.add_argument("--user")
    p.add_argument("--token")
    p.add_argument("--identity")
    p.add_argument("names", nargs="*")
    a = p.parse_args(argv)
    jobs_dir = os.path.join(a.jobs, "jobs")
    logs_dir = os.path.join(a.jobs, "submitted")
    try:
        if not a.url and not a.identity:
            raise SubmitError("LAVA_URL=http(s)://host (with LAVA_USER= LAVA_TOKEN=) or LAVA_IDENTITY= is required")
        if not os.path.isdir(jobs_dir):
            raise SubmitError(f"{jobs_dir} does not exist (make lava-jobs first)")
        names = a.names or sorted(n[:-5] for n in os.listdir(jobs_dir) if n.endswith(".yaml"))
        uri = rpc_uri(a.url, a.user, a.token) if a.url else None
        if uri:
            check_reachable(uri)
        cli = Lavacli(uri, a.identity)
        print(f"lava-submit: {cli.where}: LAVA {cli.version()}", flush=True)
        os.makedirs(logs_dir, exist_ok=True)
        submitted = []
        start = time.monotonic()
        for name in names:            # all first: the instance schedules them together
            job = os.path.join(jobs_dir, f"{name}.yaml")
            if not os.path.isfile(job):
                raise SubmitError(f"no job {job}")
            with open(job) as f:
                lava_local.check_image_urls(yaml.safe_load(f))
            submitted.append((name, submit(cli, job), lava_local.job_timeout(job) + QUEUE_SECONDS))
        specs = []
        for name, job_id, wait in submitted:
            log, definition = wait_and_fetch(cli, name, job_id, logs_dir, wait)
            print(f"lava-submit: {name}: job {job_id} finished {time.monotonic() - start:.0f} s after the "
                  f"first submission; log {log}", flush=True)
            specs.append(f"{log}:{definition}")
    except (SubmitError, lava_local.UnreachableImage) as e:
        print(f"lava-submit: error: {e}", file=sys.stderr)
        return 2
    from . import lava_results
    return lava_results.main(["--out", a.jobs, "--jobs", jobs_dir, *specs])


if __name__ == "__main__":
    sys.exit(main())
