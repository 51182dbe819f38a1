"""pytest plugin: collects one record per test and, at the end of the session,
writes reports/results.json, reports/report.html and reports/summary.md.

Any test attaches evidence with pytest's own `record_property(key, value)`
(user_properties travel from pytest-xdist workers to the controller, which is
the only process that writes). Keys the reports know:

  serial        a serial transcript (str); attached automatically for every
                boot made through conftest's `booter` fixture
  stop          the stop a scenario reached (str)
  instructions  an instruction count, e.g. Unicorn's reset-to-kernel count (int)
  ptmap         a page-table map (str, shown collapsed unless the test failed)
  writemap      a write map (str, shown collapsed unless the test failed)
  bootcost      a bootcost.BootCost.as_dict() (dict): table, chart, baseline
  verdict       a `bootcheck check` verdict's pictures (dict: image, diagnosis,
                findings, memory_map, boot_chain); attached automatically for
                every verdict.json a test's check wrote under its tmp_path

Load it with `pytest_plugins = ["bootcheck.reports.report"]` (harness/tests/conftest.py)
or `-p bootcheck.reports.report`."""

import json
import os
import time

import pytest

from ..pack.images import ROOT

LONGREPR_LIMIT = 20000


def pytest_addoption(parser):
    group = parser.getgroup("bootcheck report")
    group.addoption("--bootcheck-reports", default=os.path.join(ROOT, "reports"),
                    help="directory for results.json, report.html and summary.md")
    group.addoption("--bootcheck-baseline", default=None,
                    help="baseline to compare with (default: <reports>/baseline.json)")


def pytest_configure(config):
    # Properties are for these reports; junit.xml (xunit2) has no place for
    # them per test case, which pytest warns about on every record_property.
    config.addinivalue_line("filterwarnings",
                            "ignore:record_property is incompatible with junit_family")
    if hasattr(config, "workerinput") or config.option.collectonly:
        return      # xdist workers send their reports to the controller
    config.pluginmanager.register(Collector(config), "bootcheck-report-collector")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Attach the serial of every boot the test made through `booter`, before
    pytest copies user_properties into the call's report."""
    if call.when != "call":
        return
    booter = getattr(item, "funcargs", {}).get("booter")
    for result in getattr(booter, "results", ()):
        item.user_properties.append(("serial", f"$ {' '.join(result.command)}\n{result.serial}"))
    for verdict in _check_verdicts(getattr(item, "funcargs", {}).get("tmp_path")):
        item.user_properties.append(("verdict", verdict))


def _check_verdicts(tmp_path):
    """The pictures of every `bootcheck check` verdict a test wrote under
    its tmp_path (make verify's per-boot reports show them)."""
    if tmp_path is None or not os.path.isdir(str(tmp_path)):
        return []
    out = []
    for root, _dirs, files in sorted(os.walk(str(tmp_path))):
        if "verdict.json" not in files:
            continue
        try:
            with open(os.path.join(root, "verdict.json")) as f:
                v = json.load(f)
        except (OSError, ValueError):
            continue
        if v.get("boot_chain"):
            verdict = {k: v.get(k) for k in ("image", "diagnosis", "findings", "memory_map", "boot_chain")}
            if verdict["findings"] is None:
                # A Linux payload's verdict lists its rules (linux_check), unnumbered.
                verdict["findings"] = [{"link": i, "rule": r["rule"], "status": r["status"],
                                        "sentence": r["sentence"]} for i, r in enumerate(v.get("rules") or [], 1)]
            out.append(verdict)
    return out


def write_reports(outdir, results, cmp):
    """results.json, report.html and summary.md of one run (a pytest
    session, or LAVA jobs: bootcheck.lava.lava_results)."""
    # Imported here, by the one process that writes: the HTML report pulls in
    # the check report's pictures and seL4's contract (0.05 CPU-s), which
    # every pytest-xdist worker and nested pytest would import for nothing.
    from . import report_html, report_md
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    with open(os.path.join(outdir, "report.html"), "w") as f:
        f.write(report_html.render(results, cmp))
    with open(os.path.join(outdir, "summary.md"), "w") as f:
        f.write(report_md.render(results, cmp))


def _json_safe(value):
    return json.loads(json.dumps(value, default=str))


class Collector:
    def __init__(self, config):
        self.config = config
        self.tests = {}
        self.started = time.time()

    def pytest_runtest_logreport(self, report):
        rec = self.tests.setdefault(report.nodeid, {
            "nodeid": report.nodeid, "outcome": "passed", "duration": 0.0,
            "longrepr": "", "properties": []})
        rec["duration"] += report.duration
        # Each phase's report carries the whole list recorded so far.
        rec["properties"] = [[k, _json_safe(v)] for k, v in report.user_properties]
        if report.when == "call":
            if hasattr(report, "wasxfail"):
                rec["outcome"] = "xfailed" if report.skipped else "xpassed"
            else:
                rec["outcome"] = report.outcome
        elif report.failed:
            if rec["outcome"] != "failed":
                rec["outcome"] = "error"
        elif report.skipped:
            rec["outcome"] = "skipped"
        if report.skipped and isinstance(report.longrepr, tuple):
            rec["longrepr"] = report.longrepr[2]        # (path, line, reason)
        elif report.failed:
            text = rec["longrepr"] + ("\n" if rec["longrepr"] else "") + str(report.longrepr)
            rec["longrepr"] = text[-LONGREPR_LIMIT:]

    def results(self):
        tests = list(self.tests.values())
        costs = [dict(value, nodeid=t["nodeid"]) for t in tests
                 for key, value in t["properties"] if key == "bootcost"]
        counts = {}
        for t in tests:
            counts[t["outcome"]] = counts.get(t["outcome"], 0) + 1
        return {"started": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started)),
                "wall_seconds": round(time.time() - self.started, 2),
                "counts": counts, "tests": tests, "bootcost": costs}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session):
        outdir = self.config.getoption("--bootcheck-reports")
        os.makedirs(outdir, exist_ok=True)
        from ..cost import baseline
        results = self.results()
        base_path = (self.config.getoption("--bootcheck-baseline") or
                     os.path.join(outdir, "baseline.json"))
        cmp = baseline.compare(results, baseline.load(base_path))
        write_reports(outdir, results, cmp)
        self.written = (outdir, cmp)

    def pytest_terminal_summary(self, terminalreporter):
        outdir, cmp = getattr(self, "written", (None, None))
        if outdir is None:
            return
        verdict = ("no baseline to compare with" if not cmp.has_baseline else
                   "; ".join(cmp.verdict_lines()) or "no regression against the baseline")
        terminalreporter.write_line(f"bootcheck: reports in {os.path.relpath(outdir)}/ "
                                    f"(report.html, summary.md, results.json): {verdict}")
