"""The report plugin (bootcheck.reports.report) on a synthetic session, serial and
under pytest-xdist: every record reaches the controller, and the HTML and
Markdown reports show each test's status, stop and evidence."""

import json
import re

import pytest

from report_run import (FAILING_STOP, FAILING_TEST, NODE, SERIAL_MARK, VERDICT_IMAGE, VERDICT_SENTENCE,
                        run_synthetic)

pytestmark = [pytest.mark.unit, pytest.mark.slow]


@pytest.fixture(scope="module", params=[[], ["-n", "2"]], ids=["serial", "xdist"])
def synthetic(request, tmp_path_factory):
    proc, out = run_synthetic(tmp_path_factory.mktemp("synthetic"), *request.param)
    assert proc.returncode == 1, f"the synthetic run should fail:\n{proc.stdout}"
    assert "bootcheck: reports in" in proc.stdout, proc.stdout
    with open(out / "results.json") as f:
        results = json.load(f)
    return results, out


def props(test, key):
    return [v for k, v in test["properties"] if k == key]


def test_every_test_recorded_with_outcome_and_properties(synthetic):
    results, _ = synthetic
    tests = {t["nodeid"]: t for t in results["tests"]}
    assert {n: t["outcome"] for n, t in tests.items()} == {
        NODE + "test_synthetic_passes_with_map": "passed",
        NODE + "test_synthetic_check_verdict": "passed",
        NODE + FAILING_TEST: "failed",
        NODE + "test_synthetic_skipped": "skipped",
        NODE + "test_synthetic_errors": "error",
    }
    failing = tests[NODE + FAILING_TEST]
    assert props(failing, "stop") == [FAILING_STOP]
    # booter's serial is attached without the test asking for it.
    assert [s.splitlines()[1] for s in props(failing, "serial")] == [SERIAL_MARK]
    assert "never reached the root task" in failing["longrepr"]
    assert props(tests[NODE + "test_synthetic_passes_with_map"], "instructions") == [123456]
    assert tests[NODE + "test_synthetic_skipped"]["longrepr"].endswith("synthetic skip reason")
    assert "fixture could not start" in tests[NODE + "test_synthetic_errors"]["longrepr"]
    assert results["counts"] == {"passed": 2, "failed": 1, "skipped": 1, "error": 1}


def test_html_opens_evidence_of_failures_only(synthetic):
    _, out = synthetic
    html = (out / "report.html").read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<script" not in html and "<link" not in html
    blocks = dict(re.findall(r'<div class="test" id="[^"]*"><h3>.*?</span> ([^<]+)</h3>(.*?)</div>',
                             html, re.S))
    failing = blocks[NODE + FAILING_TEST]
    assert re.search(r"<details open><summary>write map 1</summary><pre>WRITEMAP-FAILING", failing)
    assert re.search(r"<details open><summary>serial transcript 1</summary>", failing)
    assert f'stop reached: <b class="stop">{FAILING_STOP}</b>' in failing
    passing = blocks[NODE + "test_synthetic_passes_with_map"]
    assert re.search(r"<details><summary>page-table map 1</summary><pre>PTMAP-PASSING", passing)


def test_markdown_summary_lists_failure_with_stop(synthetic):
    _, out = synthetic
    md = (out / "summary.md").read_text()
    assert md.startswith("## bootcheck: 1 error, 1 failed, 2 passed, 1 skipped")
    rows = [l for l in md.splitlines() if l.startswith("| `")]
    assert len(rows) == 2
    failing = next(r for r in rows if FAILING_TEST in r)
    assert f"| failed | {FAILING_STOP} |" in failing
    assert "never reached the root task" in failing


def test_html_shows_a_check_verdicts_pictures(synthetic):
    """A verdict.json a test's `bootcheck check` wrote under its tmp_path is
    drawn in that test's block: the chain with its broken link, the map."""
    results, out = synthetic
    test = next(t for t in results["tests"] if t["nodeid"].endswith("test_synthetic_check_verdict"))
    assert [v["image"] for k, v in test["properties"] if k == "verdict"] == [f"/x/{VERDICT_IMAGE}"]
    html = (out / "report.html").read_text()
    block = html[html.index('<div class="test" id="t-test-synthetic-py--test-synthetic-check-verdict">'):]
    block = block[:block.index('<div class="test"', 1)] if '<div class="test"' in block[1:] else block
    assert f"bootcheck check {VERDICT_IMAGE}: bootcheck: FAIL at link 1 (dtb)" in block
    assert 'class="link first-broken" data-rule="dtb" data-status="fail"' in block
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="memmap"' in block
    # Its links lead to ids inside the block, not to another verdict's.
    href = re.search(r'<a href="#([^"]+rule-dtb)">', block).group(1)
    assert f'id="{href}"' in block and href != "rule-dtb"
