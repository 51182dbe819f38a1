"""The cost trend: reports/cost-history.json (committed) holds, per commit,
what a boot and the harness cost, and `make verify` fails when a change makes
any of it worse than the last recorded commit by more than its tolerance.

  loader_instructions  guest instructions from reset to the kernel's entry
  chain_instructions   guest instructions from the root task's entry to its
                       boot-chain summary (components_report, which prints
                       `roottask: components OK`)
  riscv64_loader_instructions
                       the riscv64 loader's instructions from its entry to the
                       kernel's, with the riscv64 stand-in kernel and root
                       task, counted by the riscv64 emu-check (Unicorn: exact)
  check_wall_s         wall seconds of one `make check` (bootcheck check)
  suite_wall_s         wall seconds of a whole default `make verify`

The instruction counts are those of the project's loader, stand-in kernel
and root task packed as `make bench` packs them (no payload DTB), counted
under QEMU record/replay: exact and the same on every machine, so +5 % is a
regression, always.

Wall times are not: the same `make verify` took 5 to 15 minutes on this
2-core machine depending on what else ran on it. A wall time is judged only
against one measured with as many cores (and pytest workers), both begun on
a quiet machine (1-minute load average at most half the cores), and only a
rise of more than 25 % (and more than 1 s for make check, 10 s for the
suite) counts:
well above what a quiet machine varies by, well below a real slowdown like
a boot that waits for its deadline. A measurement on a loaded machine is
recorded with its load and reported as not judged.

`make bench` records the four for HEAD (suite_wall_s from BENCH_VERIFY=1 or
the last full default `make verify` of this commit); `make verify` compares
what it measures itself (the instruction counts, through
tests/test_cost_trend.py, and its own wall time) with the last commit
recorded before HEAD; `make baseline` accepts the run: HEAD's entry, with
the run's values, becomes the reference."""

import json
import os
import subprocess
import time
from dataclasses import dataclass

from ..pack import images
from ..pack.images import ROOT
from . import bootcost

HISTORY = os.path.join(ROOT, "reports", "cost-history.json")
KEEP = 100                       # entries kept in the file
LABEL = "cost trend: bootcheck loader + stand-in kernel, no payload DTB"

INSTRUCTIONS_THRESHOLD = 0.05
WALL_THRESHOLD = 0.25
# metric: (what, unit, least rise in units that counts, or None for counts)
METRICS = {
    "loader_instructions": ("loader: reset to kernel entry", "instructions", None),
    "chain_instructions": ("root task entry to components OK", "instructions", None),
    "riscv64_loader_instructions": ("riscv64 loader: entry to kernel entry", "instructions", None),
    "check_wall_s": ("one make check", "s", 1.0),
    "suite_wall_s": ("make verify", "s", 10.0),
}


def is_wall(metric):
    return METRICS[metric][2] is not None


def conditions():
    """The machine a wall time was measured on: cores and the 1-minute load."""
    return {"cpus": os.cpu_count(), "load": round(os.getloadavg()[0], 2)}


def wall_value(seconds, before, after=None, **extra):
    """A wall-time measurement with the conditions before and after it
    (extra: e.g. workers=3, which must match for a comparison)."""
    after = after or conditions()
    return {"value": round(seconds, 2), "cpus": before["cpus"],
            "load": [before["load"], after["load"]], **extra}


def quiet(value):
    """The machine was quiet when the measurement began. (The load after it
    includes the measured work itself: a make verify keeps 2 cores busy.)"""
    return value["load"][0] <= value["cpus"] / 2


# --- measuring ----------------------------------------------------------------

def measure_standin(build, work):
    """The stand-in boot as `make bench` measures it: image packed without a
    payload DTB, counted through the boot chain. Returns the BootCost."""
    kernel = os.path.join(build, "targets", "standin", "kernel.elf")
    roottask = os.path.join(build, "roottask", "roottask.elf")
    image = images.pack_ok(kernel, roottask, os.path.join(work, "cost-trend.elf"))
    return bootcost.measure(image, kernel, roottask, label=LABEL, chain=True)


# The test property (record_property) that carries the riscv64 count into
# reports/results.json.
RISCV64_PROPERTY = "riscv64_loader_instructions"


def measure_riscv64(build, work):
    """The riscv64 loader with the riscv64 stand-in kernel and root task,
    packed as `make image` packs them: instructions from the loader's entry
    to the kernel's under the riscv64 emu-check, or None with its message."""
    kernel = os.path.join(build, "targets", "standin", "riscv64", "kernel.elf")
    roottask = os.path.join(build, "roottask", "riscv64", "roottask.elf")
    image = images.pack_ok(kernel, roottask, os.path.join(work, "cost-trend-riscv64.elf"))
    out = os.path.join(work, "cost-trend-riscv64.json")
    proc = subprocess.run([os.path.join(build, "harness", "riscv64", "emu-check"), image, "--json", out],
                          capture_output=True, text=True, timeout=300)
    try:
        with open(out) as f:
            rep = json.load(f)
    except (OSError, ValueError):
        return None, f"emu-check wrote no report (exit {proc.returncode}): {proc.stderr.strip()[-300:]}"
    if rep["outcome"] != "reached_kernel":
        return None, rep["message"]
    return rep["instructions"], rep["message"]


def from_bootcost(cost_dict):
    """{metric: {"value": n}} from a BootCost.as_dict() measured with chain=True."""
    stages = {s["name"]: s["instructions"] for s in cost_dict["stages"]}
    out = {}
    if stages.get("kernel_entry") is not None:
        out["loader_instructions"] = {"value": stages["kernel_entry"]}
    deltas = dict(bootcost.stage_deltas(cost_dict))
    if deltas.get(bootcost.CHAIN_STAGE) is not None:
        out["chain_instructions"] = {"value": deltas[bootcost.CHAIN_STAGE]}
    return out


def from_results(results):
    """The instruction metrics of a pytest run (reports/results.json)."""
    out = {}
    for c in results.get("bootcost", []):
        if c["label"] == LABEL:
            out = from_bootcost(c)
            break
    for t in results.get("tests", []):
        for key, value in t.get("properties", []):
            if key == RISCV64_PROPERTY and value is not None:
                out["riscv64_loader_instructions"] = {"value": value}
    return out


# --- the history --------------------------------------------------------------

def git(*args):
    try:
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def head():
    return git("rev-parse", "HEAD") or "unknown"


def load(path=HISTORY):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"entries": []}


def save(history, path=HISTORY):
    history["entries"] = history["entries"][-KEEP:]
    with open(path, "w") as f:
        json.dump(history, f, indent=1, sort_keys=True)
        f.write("\n")


def record(history, commit, metrics, accepted=None):
    """Adds metrics to commit's entry (made last in the history if new)."""
    entries = history["entries"]
    entry = next((e for e in entries if e["commit"] == commit), None)
    if entry is None:
        entry = {"commit": commit, "subject": git("log", "-1", "--format=%s", commit)[:100],
                 "metrics": {}}
        entries.append(entry)
    entry["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    entry["dirty"] = bool(git("status", "--porcelain", "--untracked-files=no"))
    entry["metrics"].update(metrics)
    if accepted is not None:
        entry["accepted"] = accepted
    return entry


# --- judging ------------------------------------------------------------------

@dataclass
class Delta:
    metric: str
    before: dict
    now: dict
    reference: str               # the commit the value is compared with

    @property
    def ratio(self):
        return (self.now["value"] - self.before["value"]) / self.before["value"] \
            if self.before["value"] else None

    @property
    def judged(self):
        """False when wall times are not comparable (cores, load)."""
        if not is_wall(self.metric):
            return True
        return (self.before.get("cpus") == self.now.get("cpus")
                and self.before.get("workers") == self.now.get("workers")
                and quiet(self.before) and quiet(self.now))

    @property
    def worse(self):
        r = self.ratio
        if r is None or not self.judged:
            return False
        if not is_wall(self.metric):
            return r > INSTRUCTIONS_THRESHOLD
        return r > WALL_THRESHOLD and self.now["value"] - self.before["value"] > METRICS[self.metric][2]

    def line(self):
        what, unit, _ = METRICS[self.metric]
        fmt = (lambda v: f"{v:,}") if unit == "instructions" else (lambda v: f"{v:.1f} s")  # noqa: E731
        text = (f"{self.metric} ({what}): {fmt(self.before['value'])} at {self.reference[:12]} -> "
                f"{fmt(self.now['value'])}")
        if self.ratio is not None:
            text += f" ({self.ratio:+.1%}"
            text += (f", threshold +{INSTRUCTIONS_THRESHOLD:.0%})" if not is_wall(self.metric) else
                     f", threshold +{WALL_THRESHOLD:.0%})")
        if not self.judged:
            text += (f"; not judged: wall times need as many cores (and workers) and a quiet "
                     f"machine (1-min load at the start {self.before['load'][0]} on "
                     f"{self.before.get('cpus')} cores then, {self.now['load'][0]} on "
                     f"{self.now.get('cpus')} now)")
        return text


def compare(history, commit, measured):
    """Deltas of HEAD's values against the reference: HEAD's own entry when
    it was accepted (make baseline), else the newest entry of another commit.
    HEAD's values: its entry's (make bench) updated with `measured` (this
    run's). Metrics without both values are left out."""
    entries = history.get("entries", [])
    own = next((e for e in entries if e["commit"] == commit), None)
    now = dict(own["metrics"]) if own else {}
    now.update(measured)
    if own is not None and own.get("accepted"):
        reference = own
    else:
        reference = next((e for e in reversed(entries) if e["commit"] != commit), None)
    if reference is None:
        return []
    return [Delta(m, reference["metrics"][m], now[m], reference["commit"])
            for m in METRICS if m in now and m in reference["metrics"]]


# --- the last make verify ------------------------------------------------------

VERIFY_RUN = os.path.join(ROOT, "reports", "verify-run.json")


def save_verify_run(commit, suite_wall, path=VERIFY_RUN):
    """The wall time of a whole default make verify, for make bench and
    make baseline to record."""
    with open(path, "w") as f:
        json.dump({"commit": commit, "suite_wall_s": suite_wall}, f, indent=1)


def verify_run_wall(commit, path=VERIFY_RUN):
    """{"suite_wall_s": value} of the last default make verify of commit, or {}."""
    try:
        with open(path) as f:
            run = json.load(f)
    except (OSError, ValueError):
        return {}
    return {"suite_wall_s": run["suite_wall_s"]} if run.get("commit") == commit else {}


def bench_metrics(result, before, after, suite_wall_s=None):
    """make bench's metrics for the history, from bench.py's result: its first
    image is the stand-in boot packed without a payload DTB, its timings hold
    one bootcheck check of that image."""
    metrics = from_bootcost(result["images"][0])
    if result.get(RISCV64_PROPERTY) is not None:
        metrics["riscv64_loader_instructions"] = {"value": result[RISCV64_PROPERTY]}
    seconds = result["timings"].get("bootcheck_check_ours_s")
    if seconds is not None:
        metrics["check_wall_s"] = wall_value(seconds, before, after)
    if suite_wall_s is not None:
        metrics["suite_wall_s"] = suite_wall_s
    return metrics
