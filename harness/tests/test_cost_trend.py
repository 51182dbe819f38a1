"""The cost trend (bootcheck.cost.costtrend, reports/cost-history.json): this run
measures the stand-in boot's instruction counts as `make bench` does, for
regress.py to compare with the last recorded commit; instruction counts 5 %
worse fail, wall times only beyond their tolerance and only when both were
measured on a quiet machine with as many cores and workers; `regress.py
accept` makes HEAD's values the reference."""

import json
import os
import subprocess
import sys
import time

import pytest

from bootcheck.cost import bootcost, costtrend
from bootcheck.kernel import expect

REGRESS = os.path.join(os.path.dirname(__file__), "..", "regress.py")


@pytest.mark.qemu
def test_stand_in_boot_cost_for_the_trend(artifacts, tmp_path, record_property):
    build = os.path.dirname(os.path.dirname(artifacts.roottask))
    cost = costtrend.measure_standin(build, str(tmp_path))
    assert cost.reached_all(), f"{cost.as_dict()} {cost.notes}\n--- serial ---\n{cost.serial}"
    assert [s.name for s in cost.stages] == [*bootcost.STAGE_NAMES, bootcost.CHAIN_STAGE]
    # counted up to components_report, which is about to print `components OK`
    assert "system_init: all children done" in cost.serial, cost.serial
    record_property("bootcost", cost.as_dict())
    metrics = costtrend.from_bootcost(cost.as_dict())
    counts = {s.name: s.instructions for s in cost.stages}
    assert metrics == {
        "loader_instructions": {"value": counts["kernel_entry"]},
        "chain_instructions": {"value": counts[bootcost.CHAIN_STAGE] - counts["roottask_entry"]}}


@pytest.mark.emu
def test_riscv64_loader_cost_for_the_trend(artifacts, tmp_path, record_property):
    """The riscv64 loader's count on the riscv64 stand-in: exact (Unicorn),
    so the same twice; make verify compares it with the last commit's."""
    build = os.path.dirname(os.path.dirname(artifacts.roottask))
    first, message = costtrend.measure_riscv64(build, str(tmp_path / "a"))
    assert first is not None, message
    assert message == f"reached kernel entry 0x{expect_entry(build):x} after {first} instructions"
    again, _ = costtrend.measure_riscv64(build, str(tmp_path / "b"))
    assert again == first
    record_property(costtrend.RISCV64_PROPERTY, first)
    results = {"tests": [{"properties": [[costtrend.RISCV64_PROPERTY, first]]}]}
    assert costtrend.from_results(results) == {"riscv64_loader_instructions": {"value": first}}


def expect_entry(build):
    return expect.elf_facts(os.path.join(build, "targets", "standin", "riscv64", "kernel.elf")).entry


def wall(value, load=0.2, cpus=2, workers=3):
    return {"value": value, "cpus": cpus, "load": [load, 1.5], "workers": workers}


def history(*entries):
    """(commit, metrics[, other keys of the entry]) oldest first."""
    return {"entries": [{"commit": e[0], "metrics": e[1], **(e[2] if len(e) > 2 else {})}
                        for e in entries]}


def deltas(hist, measured, commit="head"):
    return {d.metric: d for d in costtrend.compare(hist, commit, measured)}


@pytest.mark.unit
@pytest.mark.parametrize("now,worse", [(105_000, False), (105_001, True), (90_000, False)])
def test_instruction_counts_worse_by_more_than_5_percent_fail(now, worse):
    d = deltas(history(("old", {"loader_instructions": {"value": 100_000}})),
               {"loader_instructions": {"value": now}})["loader_instructions"]
    assert d.judged and d.worse == worse
    if worse:
        assert d.line() == ("loader_instructions (loader: reset to kernel entry): 100,000 at old -> "
                            "105,001 (+5.0%, threshold +5%)")


@pytest.mark.unit
@pytest.mark.parametrize("before,now,worse", [
    (wall(100.0), wall(124.0), False),               # within 25 %
    (wall(100.0), wall(126.0), True),
    (wall(100.0), wall(126.0, load=1.1), False),     # the machine was busy: not judged
    (wall(100.0, load=3.0), wall(126.0), False),
    (wall(100.0, cpus=4), wall(126.0), False),       # other cores
    (wall(100.0, workers=2), wall(126.0), False),    # other workers
])
def test_suite_wall_is_judged_only_when_comparable(before, now, worse):
    d = deltas(history(("old", {"suite_wall_s": before})), {"suite_wall_s": now})["suite_wall_s"]
    assert d.worse == worse
    comparable = before["load"][0] <= 1 and now["load"][0] <= 1 and before["cpus"] == now["cpus"] \
        and before["workers"] == now["workers"]
    assert d.judged == comparable
    assert ("not judged" in d.line()) == (not comparable)


@pytest.mark.unit
def test_a_small_wall_rise_is_noise():
    """make check: +40 % but 0.8 s is within what a quiet machine varies by."""
    d = deltas(history(("old", {"check_wall_s": wall(2.0)})),
               {"check_wall_s": wall(2.8)})["check_wall_s"]
    assert d.judged and not d.worse


@pytest.mark.unit
def test_reference_is_the_last_other_commit_unless_head_was_accepted():
    old = {"loader_instructions": {"value": 100}}
    bench_head = {"loader_instructions": {"value": 110}, "check_wall_s": wall(3.0)}
    # make bench recorded HEAD: its entry is compared with the last other commit.
    hist = history(("older", {"loader_instructions": {"value": 1}}), ("old", old), ("head", bench_head))
    d = deltas(hist, {})
    assert d["loader_instructions"].reference == "old" and d["loader_instructions"].worse
    assert "check_wall_s" not in d          # not recorded for "old"
    # this run's measurement wins over the bench entry of HEAD
    assert not deltas(hist, {"loader_instructions": {"value": 101}})["loader_instructions"].worse
    # make baseline accepted HEAD: it is the reference now
    hist = history(("old", old), ("head", bench_head, {"accepted": True}))
    d = deltas(hist, {"loader_instructions": {"value": 110}})["loader_instructions"]
    assert d.reference == "head" and not d.worse


@pytest.mark.unit
def test_no_history_compares_nothing():
    assert costtrend.compare({"entries": []}, "head", {"loader_instructions": {"value": 1}}) == []


def regress(tmp_path, action, *args):
    return subprocess.run([sys.executable, REGRESS, action, "--results", str(tmp_path / "results.json"),
                           "--baseline", str(tmp_path / "baseline.json"),
                           "--history", str(tmp_path / "history.json"), *args],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def trend_results(kernel_entry, chain):
    names = [*bootcost.STAGE_NAMES, bootcost.CHAIN_STAGE]
    counts = [kernel_entry, kernel_entry + 10, kernel_entry + 20, kernel_entry + 30,
              kernel_entry + 30 + chain]
    return {"tests": [], "bootcost": [{"label": costtrend.LABEL, "stages": [
        {"name": n, "instructions": c} for n, c in zip(names, counts)]}]}


@pytest.mark.unit
def test_regress_fails_on_a_worse_trend_until_accepted(tmp_path):
    (tmp_path / "history.json").write_text(json.dumps(history(
        ("0" * 40, {"loader_instructions": {"value": 1000}, "chain_instructions": {"value": 5000}}))))
    (tmp_path / "results.json").write_text(json.dumps(trend_results(1000, 5300)))
    first = regress(tmp_path, "check")
    assert first.returncode == 1, first.stdout
    assert ("regress: REGRESSION: cost trend: chain_instructions (root task entry to components OK): "
            "5,000 at 000000000000 -> 5,300 (+6.0%, threshold +5%)") in first.stdout
    assert "cost trend: loader_instructions (loader: reset to kernel entry): 1,000 at" in first.stdout
    assert regress(tmp_path, "accept").returncode == 0
    entry = json.loads((tmp_path / "history.json").read_text())["entries"][-1]
    assert entry["accepted"] is True and entry["metrics"]["chain_instructions"] == {"value": 5300}
    second = regress(tmp_path, "check")
    assert second.returncode == 0, second.stdout


@pytest.mark.unit
def test_regress_records_the_suite_wall_of_a_default_run(tmp_path):
    (tmp_path / "history.json").write_text(json.dumps(history(
        ("0" * 40, {"suite_wall_s": wall(100.0, cpus=os.cpu_count(), workers=3)}))))
    (tmp_path / "results.json").write_text(json.dumps(trend_results(1000, 5000)))
    r = regress(tmp_path, "check", "--started", str(time.time() - 200), "--load-before", "0.1",
                "--workers", "3")
    assert r.returncode == 1, r.stdout
    assert "REGRESSION: cost trend: suite_wall_s (make verify): 100.0 s at 000000000000 -> 20" in r.stdout
    run = json.loads((tmp_path / "verify-run.json").read_text())
    assert run["suite_wall_s"]["workers"] == 3 and run["suite_wall_s"]["load"][0] == 0.1
