"""The regression verdict (bootcheck.cost.baseline, harness/regress.py): new
failures and boot-cost increases above 5 % fail; fixed tests, known failures,
tests not run and cost decreases do not; `accept` makes a run the baseline."""

import json
import os
import subprocess
import sys

import pytest

from bootcheck.cost import baseline

pytestmark = pytest.mark.unit

REGRESS = os.path.join(os.path.dirname(__file__), "..", "regress.py")


def run(tests, costs=None):
    """A results.json-shaped dict: tests {nodeid: outcome}, costs {label: [counts]}."""
    names = ("kernel_entry", "init_kernel", "restore_user_context", "roottask_entry")
    return {"tests": [{"nodeid": n, "outcome": o} for n, o in tests.items()],
            "bootcost": [{"label": label, "stages": [{"name": s, "instructions": n}
                                                     for s, n in zip(names, counts)]}
                         for label, counts in (costs or {}).items()]}


BASE = run({"a": "passed", "b": "failed", "c": "passed", "gone": "passed"},
           {"img": [1000, 1010, 2000, 2010]})


def test_new_failure_is_a_regression_and_known_one_is_not():
    cmp = baseline.compare(run({"a": "failed", "b": "failed", "c": "error", "new": "failed"}),
                           baseline.from_results(BASE))
    assert cmp.new_failures == ["a", "c", "new"]
    assert cmp.known_failures == ["b"]
    assert cmp.not_run == ["gone"]
    assert cmp.regressed


def test_fixed_and_skipped_tests_are_not_regressions():
    cmp = baseline.compare(run({"a": "skipped", "b": "passed", "c": "passed"}),
                           baseline.from_results(BASE))
    assert cmp.fixed == ["b"] and not cmp.new_failures and not cmp.regressed


@pytest.mark.parametrize("counts, flagged", [
    ([1050, 1060, 2050, 2060], []),                          # exactly +5 %: accepted
    ([1051, 1061, 2000, 2010], ["kernel_entry", "init_kernel"]),
    ([900, 910, 1900, 1910], []),                            # cheaper is never flagged
    ([1000, 1010, None, None], ["restore_user_context", "roottask_entry"]),
])
def test_cost_increase_above_threshold_is_flagged(counts, flagged):
    cmp = baseline.compare(run({"a": "passed"}, {"img": counts}), baseline.from_results(BASE))
    assert [c.stage for c in cmp.flagged_costs] == flagged
    assert cmp.regressed == bool(flagged)


def test_costs_of_other_images_are_not_compared():
    cmp = baseline.compare(run({}, {"other": [9999, 99999, 999999, 9999999]}),
                           baseline.from_results(BASE))
    assert cmp.costs == [] and not cmp.regressed


def test_no_baseline_means_nothing_to_compare():
    cmp = baseline.compare(run({"a": "failed"}), None)
    assert not cmp.has_baseline and not cmp.regressed


def regress(action, tmp_path):
    return subprocess.run([sys.executable, REGRESS, action,
                           "--results", str(tmp_path / "results.json"),
                           "--baseline", str(tmp_path / "baseline.json"),
                           "--history", str(tmp_path / "cost-history.json")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_regress_cli_fails_until_the_run_is_accepted(tmp_path):
    (tmp_path / "baseline.json").write_text(json.dumps(baseline.from_results(BASE)))
    (tmp_path / "results.json").write_text(json.dumps(
        run({"a": "passed", "b": "failed", "c": "passed"}, {"img": [1200, 1210, 2200, 2210]})))
    first = regress("check", tmp_path)
    assert first.returncode == 1, first.stdout
    assert "img kernel_entry: 1,000 -> 1,200 instructions (+20.0%" in first.stdout
    accepted = regress("accept", tmp_path)
    assert accepted.returncode == 0, accepted.stdout
    assert json.loads((tmp_path / "baseline.json").read_text())["bootcost"][0]["stages"][0] == {
        "name": "kernel_entry", "instructions": 1200}
    second = regress("check", tmp_path)
    assert second.returncode == 0, second.stdout


def test_regress_cli_without_results_says_what_to_run(tmp_path):
    r = regress("check", tmp_path)
    assert r.returncode == 2 and "make verify" in r.stdout


def test_an_xdist_group_suffix_is_the_same_test():
    """--dist loadgroup names a grouped test "id@group"; the baseline knows it
    by its plain id (a serial run's)."""
    plain = "tests/test_uboot.py::test_uboot_boots_loader_to_roottask[standin-el1]"
    base = baseline.from_results({"tests": [{"nodeid": plain + "@uboot-boots", "outcome": "passed"}]})
    assert base["tests"] == {plain: "passed"}
    cmp = baseline.compare({"tests": [{"nodeid": plain + "@uboot-boots", "outcome": "failed"}]},
                           {"tests": {plain: "failed"}})
    assert cmp.known_failures == [plain] and not cmp.new_failures and not cmp.not_run
