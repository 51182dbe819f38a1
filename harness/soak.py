"""Soak: run the whole pytest suite N times and report every test whose
outcome is not the same in all runs (`make soak SOAK_RUNS=N`).

usage: soak.py RUNS OUT_DIR [pytest arguments...]   (run from harness/)

Each run writes its own JUnit file OUT_DIR/run-<i>.xml. Outcomes are read
from those files: passed, failed, error or skipped per test id. Exit status
1 if any test's outcome differs between runs or a run produced no report."""

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict


def outcomes(junit_path):
    """{test id: outcome} from one JUnit (xunit2) report."""
    result = {}
    for case in ET.parse(junit_path).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        outcome = ("error" if "error" in kinds else "failed" if "failure" in kinds else
                   "skipped" if "skipped" in kinds else "passed")
        # A teardown error is reported as a second testcase with the same id.
        if result.get(test_id, "passed") == "passed" or outcome in ("error", "failed"):
            result[test_id] = outcome
    return result


def main(runs, out_dir, pytest_args):
    os.makedirs(out_dir, exist_ok=True)
    per_test = defaultdict(dict)
    broken_runs = []
    for i in range(1, runs + 1):
        junit = os.path.join(out_dir, f"run-{i}.xml")
        if os.path.exists(junit):
            os.remove(junit)
        start = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               f"--junitxml={junit}", *pytest_args],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace")
        summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "(no output)"
        print(f"soak: run {i}/{runs} ({time.monotonic() - start:.0f} s, exit {proc.returncode}):"
              f" {summary}", flush=True)
        if not os.path.exists(junit):
            broken_runs.append(i)
            continue
        for test_id, outcome in outcomes(junit).items():
            per_test[test_id][i] = outcome

    done = runs - len(broken_runs)
    differing = {}
    for test_id, by_run in sorted(per_test.items()):
        seen = set(by_run.values()) | ({"absent"} if len(by_run) < done else set())
        if len(seen) > 1:
            differing[test_id] = by_run
    always_failing = [t for t, r in per_test.items() if len(r) == done and
                      set(r.values()) <= {"failed", "error"}]
    print(f"soak: {done} runs with a report, {len(per_test)} tests, "
          f"{len(differing)} with outcomes that differ between runs")
    for test_id, by_run in differing.items():
        counts = defaultdict(list)
        for i in range(1, runs + 1):
            counts[by_run.get(i, "absent")].append(i)
        print(f"soak: DIFFERS {test_id}: " +
              "; ".join(f"{o} in runs {','.join(map(str, rs))}" for o, rs in sorted(counts.items())))
    for test_id in sorted(always_failing):
        print(f"soak: fails in every run: {test_id}")
    if broken_runs:
        print(f"soak: runs without a JUnit report: {broken_runs}")
    return 1 if differing or broken_runs else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2], sys.argv[3:]))
