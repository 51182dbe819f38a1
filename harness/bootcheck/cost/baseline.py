"""Compare one run (reports/results.json) with the accepted baseline
(reports/baseline.json): new failures, fixed tests, and boot-cost deltas.
Only instruction counts are compared, never seconds, so the verdict is the
same on every machine."""

import json
import os
import re
from dataclasses import dataclass, field

from .bootcost import STAGE_NAMES

COST_THRESHOLD = 0.05           # +5 % instructions in any stage is a regression
FAILING = ("failed", "error")


@dataclass
class CostDelta:
    label: str
    stage: str
    baseline: int | None
    current: int | None

    @property
    def ratio(self):
        if not self.baseline or self.current is None:
            return None
        return (self.current - self.baseline) / self.baseline

    @property
    def flagged(self):
        if self.baseline is not None and self.current is None:
            return True                     # a stage that used to be reached is not
        r = self.ratio
        return r is not None and r > COST_THRESHOLD


@dataclass
class Comparison:
    has_baseline: bool
    new_failures: list = field(default_factory=list)    # nodeids
    known_failures: list = field(default_factory=list)
    fixed: list = field(default_factory=list)
    not_run: list = field(default_factory=list)
    costs: list = field(default_factory=list)           # CostDelta

    @property
    def flagged_costs(self):
        return [c for c in self.costs if c.flagged]

    @property
    def regressed(self):
        return bool(self.new_failures or self.flagged_costs)

    def verdict_lines(self):
        out = [f"new failure: {n}" for n in self.new_failures]
        for c in self.flagged_costs:
            if c.current is None:
                out.append(f"boot cost: {c.label} no longer reaches {c.stage} "
                           f"(baseline {c.baseline:,} instructions)")
            else:
                out.append(f"boot cost: {c.label} {c.stage}: {c.baseline:,} -> {c.current:,} "
                           f"instructions ({c.ratio:+.1%}, threshold +{COST_THRESHOLD:.0%})")
        return out


# pytest-xdist's --dist loadgroup appends "@<group>" to the id of a test with
# an xdist_group mark: the same test, run serially or on workers.
_XDIST_GROUP = re.compile(r"@[A-Za-z0-9_.-]+$")


def test_id(nodeid):
    return _XDIST_GROUP.sub("", nodeid)


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def costs_by_label(results):
    """{label: {stage: cumulative instructions}} from a results or baseline dict."""
    return {c["label"]: {s["name"]: s["instructions"] for s in c["stages"]}
            for c in results.get("bootcost", [])}


def from_results(results):
    """The baseline to commit: outcomes and boot costs, nothing machine-specific."""
    return {
        "tests": {test_id(t["nodeid"]): t["outcome"] for t in results["tests"]},
        "bootcost": [{"label": c["label"],
                      "stages": [{"name": s["name"], "instructions": s["instructions"]}
                                 for s in c["stages"]]}
                     for c in results.get("bootcost", [])],
    }


def compare(results, baseline):
    if baseline is None:
        return Comparison(has_baseline=False)
    cmp = Comparison(has_baseline=True)
    before = baseline.get("tests", {})
    now = {test_id(t["nodeid"]): t["outcome"] for t in results["tests"]}
    for nodeid, outcome in sorted(now.items()):
        was = before.get(nodeid)
        if outcome in FAILING:
            (cmp.known_failures if was in FAILING else cmp.new_failures).append(nodeid)
        elif was in FAILING and outcome == "passed":
            cmp.fixed.append(nodeid)
    cmp.not_run = sorted(set(before) - set(now))
    base_costs, cur_costs = costs_by_label(baseline), costs_by_label(results)
    for label in sorted(set(base_costs) & set(cur_costs)):
        for stage in base_costs[label].keys() | cur_costs[label].keys():
            cmp.costs.append(CostDelta(label, stage, base_costs[label].get(stage),
                                       cur_costs[label].get(stage)))
    order = {name: i for i, name in enumerate(STAGE_NAMES)}
    cmp.costs.sort(key=lambda c: (c.label, order.get(c.stage, 99), c.stage))
    return cmp
