"""`bootcheck check` runs for the tests, one per verdict: several tests judge
the same image's verdict (its last line, its findings, its report.html in a
browser), so a check with the same image (path and bytes), the same
arguments (files by their bytes) and the same budget is made once per test
run, by whichever pytest-xdist worker asks first (bootcheck.pack.runcache). Its
report folder then lives in the run cache and every test reads that one.

A check runs the command line's own code (bootcheck.cli.main, with its
stdout, stderr and exit status captured) in the test's process: a new
Python for every check would spend more CPU on interpreter start and
imports (~0.4 CPU-s) than the check's own verdict costs. The program as a
user runs it (build/bin/bootcheck's script, `python3 -m bootcheck.cli`)
is run by test_check.py's test_make_check_runs_the_tool, through `make
check`, and by the other modules that start build/bin/bootcheck."""

import dataclasses
import io
import json
import os
import pathlib
import subprocess
import traceback
from types import SimpleNamespace

from bootcheck import cli
from bootcheck.pack import images, runcache

from conftest import BUILD

BOOTCHECK = os.path.join(BUILD, "bin", "bootcheck")


def _digest(value):
    value = str(value)
    return runcache.file_digest(value) if os.path.isfile(value) else None


def run_cli(argv):
    """build/bin/bootcheck's argv, run in this process: a CompletedProcess
    with the exit status, stdout and stderr the program would have had (an
    exception it did not handle: its traceback on stderr, exit 1, as
    Python's own). Thread-safe: each call writes to streams of its own (the
    Chromium report tests run four checks at once)."""
    argv = [str(a) for a in argv]
    out, err = io.StringIO(), io.StringIO()
    try:
        status = cli.main(argv, stdout=out, stderr=err)
    except SystemExit as e:              # argparse's refusals (its message is on sys.stderr)
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except Exception:                    # noqa: BLE001 (the program would die with it)
        traceback.print_exc(file=err)
        status = 1
    if status == 130:
        # cli.main turned Ctrl-C (or the worker's SIGTERM) into its exit
        # status; a separate process would have ended, and so does the run.
        raise KeyboardInterrupt(err.getvalue().strip())
    return subprocess.CompletedProcess([BOOTCHECK, *argv], status or 0, out.getvalue(), err.getvalue())


def _run(image, args, seconds, out):
    budget = ["--seconds", str(seconds)] if seconds else []
    return run_cli(["check", str(image), "--out", str(out), *budget, *args])


def run_check(tmp_path, image, *args, seconds=None, shared=True):
    """(CompletedProcess, verdict.json's dict or None, the report folder).
    seconds: the QEMU boot's budget (default: bootcheck's own, 20 s per
    core). shared=False: a run of its own, for a test about the run itself
    (what it leaves behind)."""
    base = runcache.run_dir()
    if not shared or base is None:
        out = tmp_path / "report"
        r = _run(image, args, seconds, out)
    else:
        key = runcache.key_of("check", str(image), _digest(image), BOOTCHECK, _digest(BOOTCHECK),
                              tuple((str(a), _digest(a)) for a in args), seconds)
        out = pathlib.Path(base) / "checks" / key
        r = runcache.shared("check", key, lambda: _run(image, args, seconds, out))
    verdict = None
    if (out / "verdict.json").exists():
        verdict = json.loads((out / "verdict.json").read_text())
    print(r.stdout, r.stderr)
    return r, verdict, out


def packed_once(tmp_path, kernel, roottask):
    """kernel and roottask packed (`make image`, no DTB) once per test run,
    at one path in the run cache: a check's key holds its image's path, so
    tests that check the same image share that check only when they also
    share the image (test_smp_loader.py and test_check_report_chromium.py
    check the 4-core stand-in's). Without a run cache: under tmp_path."""
    base = runcache.run_dir()
    if base is None:
        return images.pack_ok(kernel, roottask, tmp_path / "packed.elf")
    key = runcache.key_of("packed-once", runcache.file_digest(kernel), runcache.file_digest(roottask))
    out = pathlib.Path(base) / "packed-once" / f"{key}.elf"

    def pack():
        out.parent.mkdir(parents=True, exist_ok=True)
        return images.pack_ok(kernel, roottask, out)
    return runcache.shared("packed-once", key, pack)


def as_if_sel4(rule):
    """rule (contract.cores_left_unstarted or rv_contract.harts_left_unstarted)
    judging the stand-in as it judges seL4, which it leaves out because the
    stand-in names missing cores itself, 2 s into its wait."""
    def judged(inp, report):
        return rule(SimpleNamespace(target=dataclasses.replace(inp.target, kind="seL4"), nodes=inp.target.nodes),
                    report)
    return judged
