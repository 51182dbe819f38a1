"""Runs each libFuzzer target for a fixed time and reports executions and
crashes per target (`make fuzz`).

usage: run_fuzz.py SECONDS FUZZ_BUILD TARGET...   (env FUZZ_MAX_LEN: input size cap)

Each target runs alone (one fuzzing process at a time, at nice 19: the
machine is shared) on its persistent corpus FUZZ_BUILD/corpus/<target>,
seeded from FUZZ_BUILD/seeds/<target>. A crash stops libFuzzer; the input is
kept under FUZZ_BUILD/crashes/<target>/ and fuzzing resumes until the time is
used up. Exit status 1 if any target crashed."""

import glob
import os
import re
import subprocess
import sys
import time

MAX_RESTARTS = 20          # a bug that crashes at once would otherwise loop
# Inputs beyond these sizes only slow the search down: the seeds fit.
MAX_LEN = {"elf": 16384, "cpio": 32768, "plan": 32768, "dtb": 8192}
EXECS = re.compile(r"stat::number_of_executed_units:\s*(\d+)")


def run_target(target, seconds, build):
    binary = os.path.join(build, f"fuzz-{target}")
    corpus = os.path.join(build, "corpus", target)
    seeds = os.path.join(build, "seeds", target)
    crashes = os.path.join(build, "crashes", target)
    logs = os.path.join(build, "logs")
    for d in (corpus, crashes, logs):
        os.makedirs(d, exist_ok=True)
    before = set(os.listdir(crashes))
    deadline = time.monotonic() + seconds
    execs = runs = 0
    log_path = os.path.join(logs, f"{target}.log")
    with open(log_path, "w") as log:
        while runs <= MAX_RESTARTS:
            left = int(deadline - time.monotonic())
            if left < 1:
                break
            runs += 1
            max_len = os.environ.get("FUZZ_MAX_LEN") or MAX_LEN.get(target, 65536)
            cmd = ["nice", "-n", "19", binary, f"-max_total_time={left}", "-timeout=10",
                   f"-max_len={max_len}",
                   "-print_final_stats=1", f"-artifact_prefix={crashes}/", corpus]
            if os.path.isdir(seeds):
                cmd.append(seeds)
            proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True, errors="replace")
            log.write(proc.stderr)
            execs += sum(int(n) for n in EXECS.findall(proc.stderr))
            if proc.returncode == 0:
                break
    found = sorted(set(os.listdir(crashes)) - before)
    return execs, found, log_path


def main(seconds, build, targets):
    results = {t: run_target(t, seconds, build) for t in targets}
    print(f"fuzz: {seconds} s per target")
    for t, (execs, found, log) in results.items():
        print(f"fuzz: {t:5} {execs:>12,} executions, {len(found)} crashes (log {log})")
        for name in found:
            print(f"fuzz:       crash input {os.path.join(build, 'crashes', t, name)}")
    return 1 if any(found for _, found, _ in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2], sys.argv[3:]))
