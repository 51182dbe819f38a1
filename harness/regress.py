#!/usr/bin/python3
"""Regression gate for `make verify` and `make baseline`.

  regress.py check   compare reports/results.json (the last pytest run) with
                     reports/baseline.json, and its costs with the cost trend
                     (reports/cost-history.json, bootcheck.cost.costtrend); exit 1
                     on a new failure, on a boot-cost stage more than 5 % above
                     the baseline, or on a cost worse than the last recorded
                     commit's beyond its tolerance
  regress.py accept  write the last run's outcomes and boot costs as the new
                     reports/baseline.json, and its costs as HEAD's accepted
                     entry of reports/cost-history.json (commit both)"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bootcheck.cost import baseline, costtrend  # noqa: E402
from bootcheck.pack.images import ROOT  # noqa: E402

REPORTS = os.path.join(ROOT, "reports")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=["check", "accept"])
    ap.add_argument("--results", default=os.path.join(REPORTS, "results.json"))
    ap.add_argument("--baseline", default=os.path.join(REPORTS, "baseline.json"))
    ap.add_argument("--history", default=costtrend.HISTORY)
    ap.add_argument("--started", type=float, default=None,
                    help="when this make verify began (seconds since the epoch; a whole default "
                         "run only): its wall time is a cost-trend metric")
    ap.add_argument("--load-before", type=float, default=None,
                    help="1-minute load average when that make verify began")
    ap.add_argument("--workers", type=int, default=None, help="its pytest-xdist workers")
    args = ap.parse_args(argv)

    results = baseline.load(args.results)
    if results is None:
        print(f"regress: no {args.results}: run `make verify` first", file=sys.stderr)
        return 2
    commit = costtrend.head()
    measured = costtrend.from_results(results)
    verify_run = os.path.join(os.path.dirname(args.results), "verify-run.json")
    if args.started is not None:
        before = {"cpus": os.cpu_count(),
                  "load": os.getloadavg()[0] if args.load_before is None else args.load_before}
        measured["suite_wall_s"] = costtrend.wall_value(time.time() - args.started, before,
                                                        workers=args.workers)
        costtrend.save_verify_run(commit, measured["suite_wall_s"], verify_run)
    if args.action == "accept":
        with open(args.baseline, "w") as f:
            json.dump(baseline.from_results(results), f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"regress: {args.baseline} now holds {len(results['tests'])} outcomes and "
              f"{len(results.get('bootcost', []))} boot-cost measurements; commit it")
        measured.update(costtrend.verify_run_wall(commit, verify_run))
        if measured:
            history = costtrend.load(args.history)
            costtrend.record(history, commit, measured, accepted=True)
            costtrend.save(history, args.history)
            print(f"regress: {args.history}: {', '.join(sorted(measured))} accepted for "
                  f"{commit[:12]}; commit it")
        return 0

    cmp = baseline.compare(results, baseline.load(args.baseline))
    trend = costtrend.compare(costtrend.load(args.history), commit, measured)
    worse = [d for d in trend if d.worse]
    for d in trend:
        if not d.worse:
            print(f"regress: cost trend: {d.line()}")
    if not cmp.has_baseline:
        print(f"regress: no baseline at {args.baseline}; `make baseline` creates it")
    for n in cmp.fixed:
        print(f"regress: fixed since the baseline: {n}")
    if cmp.regressed or worse:
        for line in cmp.verdict_lines() if cmp.has_baseline else []:
            print(f"regress: REGRESSION: {line}")
        for d in worse:
            print(f"regress: REGRESSION: cost trend: {d.line()}")
        print("regress: if this is intended, `make baseline` accepts these results")
        return 1
    print("regress: no regression against the baseline" + (" or the cost trend" if trend else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
