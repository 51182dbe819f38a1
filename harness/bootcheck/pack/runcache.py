"""One test run's cache on disk, shared by every pytest-xdist worker.

Under `make verify` the suite runs on several workers; a result that many
tests need (a packed image, a boot the tests of a module read facts from)
would otherwise be made once per worker, or once per test. Here it is made
once per run: the first worker to ask makes it under an exclusive file lock,
the others wait on that lock and read the pickled value.

The directory is $BOOTCHECK_RUN_CACHE, created by the controller (conftest)
under build/run-cache/ and removed when the run ends; keys are SHA-256
digests of everything the value depends on, file contents included. Without
the variable (bench.py, the CLI, a library user) nothing is cached: make()
runs every time."""

import fcntl
import hashlib
import os
import pickle
import shutil
import subprocess
import tempfile
import time

from . import packcmd

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))

ENV = "BOOTCHECK_RUN_CACHE"
STALE_SECONDS = 24 * 3600       # a run killed with SIGKILL leaves its directory


def run_dir():
    return os.environ.get(ENV) or None


def start_run(build):
    """A fresh directory for this run (exported to the workers through the
    environment); removes directories of runs that died more than a day ago.
    Returns it, or None when a run directory is already set (a nested run
    shares its parent's)."""
    if run_dir():
        return None
    base = os.path.join(build, "run-cache")
    os.makedirs(base, exist_ok=True)
    now = time.time()
    for name in os.listdir(base):
        path = os.path.join(base, name)
        try:
            if now - os.path.getmtime(path) > STALE_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass
    path = tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=base)
    os.environ[ENV] = path
    return path


def end_run(path):
    if path:
        shutil.rmtree(path, ignore_errors=True)
        if os.environ.get(ENV) == path:
            del os.environ[ENV]


_digests = {}


def file_digest(path):
    """SHA-256 of a file's bytes (memoised on inode, size and mtime)."""
    st = os.stat(path)
    memo = (path, st.st_ino, st.st_size, st.st_mtime_ns)
    if memo not in _digests:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _digests[memo] = h.hexdigest()
    return _digests[memo]


def key_of(*parts):
    """A digest of strings, numbers, None and tuples of them."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def shared(kind, key, make):
    """make()'s value, made once per run for (kind, key)."""
    base = run_dir()
    if base is None:
        return make()
    folder = os.path.join(base, kind)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, key)
    with open(path + ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)      # released when the file closes
        try:
            with open(path + ".pickle", "rb") as f:
                return pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError):
            pass
        value = make()
        with open(path + ".tmp", "wb") as f:
            pickle.dump(value, f)
        os.replace(path + ".tmp", path + ".pickle")
        return value


def _value_digest(value):
    """A make variable's value: a file's contents count, not only its path."""
    return file_digest(value) if value and os.path.isfile(value) else None


# What every pack step reads besides its arguments (make image, make
# emu-mutant-image): the pack script, the loader's libraries, its linker
# script and the host pre-check. Their contents do not change during a run
# (make all ran first); a changed one makes a new key all the same.
PACK_TOOLS = ("loader/arch/aarch64/loader.ld", "loader/arch/riscv64/loader.ld")
PACK_ENV = ("PACK_UNCHECKED", "PAYLOAD_CPIO", "INITRD", "BOOTARGS", "OVERRIDE", "HANDOFF_RECORD",
            "CROSS", "BUILD", "PACK_ARCH", "RISCV_LOADER_LINK_ADDR")


def _tools_digest(build):
    paths = [os.path.join(ROOT, p) for p in PACK_TOOLS]
    paths += [os.path.join(build, "loader", n) for n in ("loader.a", "riscv64/loader.a", "pack-check")]
    return tuple((p, os.path.exists(p) and file_digest(p)) for p in paths)


def make_image(target_args, out, env=None, timeout=120, build=None):
    """`make -s -C ROOT <target_args> OUT=<out>`: a pack step. A successful
    one with the same arguments, the same input files (by contents) and the
    same environment already made in this run is not made again: its image
    is copied to out and its output replayed (with out's path). A failing
    one always runs. Returns a CompletedProcess (text output in stdout)."""
    env = dict(os.environ if env is None else env)
    out = str(out)
    cmd = ["make", "-s", "--no-print-directory", "-C", ROOT, *target_args, f"OUT={out}"]
    build = build or env.get("BUILD") or os.path.join(ROOT, "build")

    def run():
        # make's own recipe, run without make when it can be (bootcheck.pack.packcmd).
        steps = packcmd.command(target_args, out, env, ROOT, build)
        if steps is None:
            return subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=timeout)
        output = ""
        for argv, step_env in steps:
            p = subprocess.run(argv, env=step_env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=timeout)
            output += p.stdout
            if p.returncode != 0:
                break
        return subprocess.CompletedProcess(cmd, p.returncode, output)

    if run_dir() is None:
        return run()
    args = tuple((a, _value_digest(a.split("=", 1)[1]) if "=" in a else None) for a in target_args)
    envs = tuple((k, env.get(k), _value_digest(env.get(k))) for k in PACK_ENV)
    key = key_of("make_image", args, envs, _tools_digest(build))
    folder = os.path.join(run_dir(), "images")
    stored = os.path.join(folder, key + ".elf")
    placeholder = "\0OUT\0"
    made = []                         # the process, when this call ran it

    def make():
        p = run()
        made.append(p)
        if p.returncode != 0:
            return None               # not stored: a failing pack step always runs
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(out, stored)
        return p.stdout.replace(out, placeholder)

    output = shared("make_image", key, make)
    if made:
        return made[0]
    if output is None or (os.path.exists(out) and not os.path.isfile(out)):
        return run()                  # the pack step's own refusal of such an OUT, too
    # Like the pack step's mv: a new file put in place (a symlink is replaced).
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = f"{out}.{os.getpid()}.tmp"
    shutil.copyfile(stored, tmp)
    os.replace(tmp, out)
    return subprocess.CompletedProcess(cmd, 0, output.replace(placeholder, out))
