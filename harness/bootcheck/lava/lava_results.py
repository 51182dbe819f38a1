"""LAVA's results back into bootcheck's reports: reads the log of a LAVA job
(what `lava-run` prints, or `lavacli jobs logs ID` from an instance: one
`{"dt", "lvl", "msg"}` record a line, YAML flow), takes LAVA's test cases
and the console lines from it, judges them against the job bootcheck
generated (its required cases and serial lines, bootcheck.lava.lava_jobs) and
writes results.json, report.html, summary.md and junit.xml, the same
reports a local `make verify` writes (bootcheck.reports.report).

    python3 -m bootcheck.lava.lava_results --out DIR --jobs DIR LOG[:JOB.yaml] ...   (make lava-report)
"""

import argparse
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import yaml

from ..cost import baseline
from ..reports import report
from .lava_jobs import SUITE

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
OUTCOME = {"pass": "passed", "fail": "failed", "skip": "skipped", "unknown": "failed"}


class LavaLogError(Exception):
    """A log that cannot be read: one line naming the file and the problem."""


@dataclass
class JobRun:
    """What one LAVA job reported."""
    log: str
    cases: list = field(default_factory=list)     # (case, result, extra test_case_id)
    lava: list = field(default_factory=list)      # LAVA's own suite: (case, result, error_msg)
    serial: list = field(default_factory=list)    # console lines
    urls: list = field(default_factory=list)      # images the job deployed
    started: str = ""
    finished: str = ""

    @property
    def job_result(self):
        for case, result, _ in self.lava:
            if case == "job":
                return result
        return None

    @property
    def errors(self):
        return [msg for _, result, msg in self.lava if result == "fail" and msg]


def _records(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        raise LavaLogError(f"JOB_LOG={path}: {e.strerror}") from None
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line.startswith("- "):          # lavacli jobs logs --raw: a YAML list
            line = line[2:]
        if not line.startswith("{"):
            continue
        try:
            rec = yaml.load(line, Loader=Loader)
        except yaml.YAMLError:
            raise LavaLogError(f"JOB_LOG={path}:{n}: not a LAVA log record") from None
        if isinstance(rec, dict) and "lvl" in rec:
            yield rec


def read_log(path):
    run = JobRun(log=path)
    seen = False
    # What LAVA typed on the console. Its pty echoes it back, once or more:
    # seen 2026-12-07, one input 'poweroff' then two console records
    # 'poweroff' 2 ms apart. A console line after an input that is exactly
    # what was typed is taken for its echo, however often it comes (LAVA
    # types commands such as poweroff, never a line a boot prints).
    typed = set()
    for rec in _records(path):
        seen = True
        lvl, msg = rec["lvl"], rec.get("msg")
        run.started = run.started or str(rec.get("dt", ""))
        run.finished = str(rec.get("dt", run.finished))
        if lvl == "input" and isinstance(msg, str):
            typed.add(msg.strip())
        elif lvl == "target" and isinstance(msg, str):
            if msg.strip() in typed:
                continue
            run.serial.append(msg.rstrip("\r"))
        elif lvl == "results" and isinstance(msg, dict):
            if msg.get("definition") == "lava":
                run.lava.append((msg.get("case"), msg.get("result"), msg.get("error_msg", "")))
            elif msg.get("definition") == SUITE:
                run.cases.append((msg.get("case"), msg.get("result"),
                                  (msg.get("extra") or {}).get("test_case_id", msg.get("case"))))
        elif isinstance(msg, str):
            m = re.search(r"(?:Validating that |downloading )(\S+://\S+)", msg)
            if m:
                url = m.group(1).rstrip(",.")
                if url not in run.urls:
                    run.urls.append(url)
    if not seen:
        raise LavaLogError(f"JOB_LOG={path}: no LAVA log records in it (expected lava-run's output "
                           "or `lavacli jobs logs ID`)")
    return run


def load_jobs(jobs_dir):
    """{job file: definition} of every generated job in jobs_dir."""
    out = {}
    if jobs_dir and os.path.isdir(jobs_dir):
        for name in sorted(os.listdir(jobs_dir)):
            if name.endswith(".yaml"):
                path = os.path.join(jobs_dir, name)
                with open(path) as f:
                    out[path] = yaml.safe_load(f)
    return out


def job_url(definition):
    for action in definition.get("actions", []):
        deploy = action.get("deploy")
        if deploy:
            for image in deploy.get("images", {}).values():
                return image.get("url")
    return None


def find_job(run, jobs):
    """The generated job this log ran: matched by the image it deployed and,
    where jobs share an image (IMAGE=), by the log's name (NAME.log)."""
    found = [(p, d) for p, d in jobs.items() if job_url(d) in run.urls]
    stem = os.path.basename(run.log).split(".")[0]
    named = [(p, d) for p, d in found if os.path.basename(p).split(".")[0] == stem]
    return (named or found or [(None, None)])[0]


def judge(run, definition, suffix=""):
    """Test records (bootcheck.reports.report's schema) for one LAVA job: one per
    LAVA case, and one for the job that fails when LAVA's job failed, a
    required case never came, a case failed, an expected line is missing or
    a forbidden one appeared."""
    meta = (definition or {}).get("metadata", {})
    name = (definition or {}).get("job_name", os.path.basename(run.log)).replace("bootcheck ", "", 1)
    prefix = f"lava/{name}{suffix}"
    tests = []
    for case, result, line in run.cases:
        rec = {"nodeid": f"{prefix}::{case}", "outcome": OUTCOME.get(result, "failed"),
               "duration": 0.0, "longrepr": "", "properties": [["lava_case", line]]}
        if rec["outcome"] == "failed":
            said = [l for l in run.serial if l.startswith(line)]
            rec["longrepr"] = f"E LAVA case {case}: {result}: {said[0] if said else line}"
        tests.append(rec)
    problems = []
    if run.job_result != "pass":
        problems.append(f"LAVA job result: {run.job_result or 'none (the log ends before the job did)'}"
                        + "".join(f"; {e}" for e in run.errors))
    got = {case: result for case, result, _ in run.cases}
    for case in meta.get("bootcheck.required_cases", "").split():
        if case not in got:
            problems.append(f"required case {case} never reported (the console stopped at: "
                            f"{run.serial[-1] if run.serial else 'nothing'!r})")
    problems += [f"case {c} failed" for c, r, _ in run.cases if r == "fail"]
    lines = set(run.serial)
    for line in json.loads(meta.get("bootcheck.serial_expect", "[]")):
        if line not in lines:
            problems.append(f"expected console line {line!r} never appeared")
    for text in json.loads(meta.get("bootcheck.serial_forbid", "[]")):
        hit = [l for l in run.serial if text in l]
        if hit:
            problems.append(f"forbidden text {text!r} appeared: {hit[0]!r}")
    if definition is None:
        problems.append(f"no generated job deploys {', '.join(run.urls) or 'this image'}: required cases "
                        "not checked (give LOG:JOB.yaml)")
    job = {"nodeid": prefix, "outcome": "failed" if problems else "passed",
           "duration": _seconds(run.started, run.finished),
           "longrepr": "\n".join(f"E {p}" for p in problems),
           "properties": [["serial", "\n".join(run.serial)], ["stop", _last_stage(run)]]}
    return [job] + tests


def _seconds(start, end):
    try:
        from datetime import datetime
        return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 2)
    except ValueError:
        return 0.0


def _last_stage(run):
    passed = [c for c, r, _ in run.cases if r == "pass"]
    return f"LAVA case {passed[-1]}" if passed else "no LAVA case passed"


def results(tests, started):
    counts = {}
    for t in tests:
        counts[t["outcome"]] = counts.get(t["outcome"], 0) + 1
    return {"started": started, "wall_seconds": round(sum(t["duration"] for t in tests
                                                          if "::" not in t["nodeid"]), 2),
            "counts": counts, "tests": tests, "bootcost": []}


def junit(res, path):
    cases = []
    for t in res["tests"]:
        cls, _, name = t["nodeid"].rpartition("::")
        if not cls:                       # the job's own record
            cls, name = "lava", t["nodeid"].split("/", 1)[1]
        body = ""
        if t["outcome"] in ("failed", "error"):
            first = (t["longrepr"].splitlines() or ["failed"])[0][2:]
            body = f"<failure message={quoteattr(first)}>{escape(t['longrepr'])}</failure>"
        elif t["outcome"] == "skipped":
            body = "<skipped/>"
        serial = [v for k, v in t["properties"] if k == "serial"]
        if serial:
            body += f"<system-out>{escape(serial[0])}</system-out>"
        cases.append(f'  <testcase classname={quoteattr(cls)} name={quoteattr(name)} '
                     f'time="{t["duration"]}">{body}</testcase>')
    fails = sum(1 for t in res["tests"] if t["outcome"] in ("failed", "error"))
    with open(path, "w") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n'
                f'<testsuites><testsuite name="bootcheck on LAVA" tests="{len(res["tests"])}" '
                f'failures="{fails}">\n' + "\n".join(cases) + "\n</testsuite></testsuites>\n")


def write(logs, jobs_dir, out):
    """Reads every log ("LOG" or "LOG:JOB.yaml"), writes the reports into
    out; returns the results dict."""
    jobs = load_jobs(jobs_dir)
    tests, seen = [], {}
    for spec in logs:
        log, _, job_file = spec.partition(":")
        run = read_log(log)
        if job_file:
            if not os.path.isfile(job_file):
                raise LavaLogError(f"{job_file}: no such job definition")
            with open(job_file) as f:
                definition = yaml.safe_load(f)
        else:
            _, definition = find_job(run, jobs)
        name = (definition or {}).get("job_name", log)
        seen[name] = seen.get(name, 0) + 1        # the same job run twice: #2, #3...
        tests += judge(run, definition, f"#{seen[name]}" if seen[name] > 1 else "")
    res = results(tests, time.strftime("%Y-%m-%d %H:%M:%S"))
    report.write_reports(out, res, baseline.compare(res, None))
    junit(res, os.path.join(out, "junit.xml"))
    return res


def main(argv=None):
    p = argparse.ArgumentParser(prog="lava-report", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--jobs", help="directory of the generated jobs (lava-jobs' OUT/jobs)")
    p.add_argument("logs", nargs="*", metavar="LOG[:JOB.yaml]")
    a = p.parse_args(argv)
    if not a.logs:
        print("lava-report: error: no job log given (JOB_LOG=lava-run.log or `lavacli jobs logs ID` output)",
              file=sys.stderr)
        return 2
    try:
        res = write(a.logs, a.jobs, a.out)
    except LavaLogError as e:
        print(f"lava-report: error: {e}", file=sys.stderr)
        return 2
    jobs = [t for t in res["tests"] if "::" not in t["nodeid"]]
    for t in jobs:
        first = (t["longrepr"].splitlines() or ["E "])[0][2:]
        print(f"lava-report: {t['nodeid']}: {t['outcome'].upper()}" + (f": {first}" if first else ""))
    counts = ", ".join(f"{n} {k}" for k, n in sorted(res["counts"].items()))
    print(f"lava-report: {counts}; reports in {a.out}/ (report.html, summary.md, results.json, junit.xml)")
    return 1 if any(t["outcome"] == "failed" for t in jobs) else 0


if __name__ == "__main__":
    sys.exit(main())
