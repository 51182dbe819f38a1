#!/usr/bin/python3
"""Regression gate for `make verify` and `make baseline`.

  regress.py check   compare reports/results.json (the last pytest run) with
                     reports/baseline.json; exit 1 on a new failure or on a
                     boot-cost stage more than 5 % above the baseline
  regress.py accept  write the last run's outcomes and boot costs as the new
                     reports/baseline.json (commit it)"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bootcheck import baseline  # noqa: E402
from bootcheck.images import ROOT  # noqa: E402

REPORTS = os.path.join(ROOT, "reports")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=["check", "accept"])
    ap.add_argument("--results", default=os.path.join(REPORTS, "results.json"))
    ap.add_argument("--baseline", default=os.path.join(REPORTS, "baseline.json"))
    args = ap.parse_args(argv)

    results = baseline.load(args.results)
    if results is None:
        print(f"regress: no {args.results}: run `make verify` first", file=sys.stderr)
        return 2
    if args.action == "accept":
        with open(args.baseline, "w") as f:
            json.dump(baseline.from_results(results), f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"regress: {args.baseline} now holds {len(results['tests'])} outcomes and "
              f"{len(results.get('bootcost', []))} boot-cost measurements; commit it")
        return 0

    cmp = baseline.compare(results, baseline.load(args.baseline))
    if not cmp.has_baseline:
        print(f"regress: no baseline at {args.baseline}; `make baseline` creates it")
        return 0
    for n in cmp.fixed:
        print(f"regress: fixed since the baseline: {n}")
    if cmp.regressed:
        for line in cmp.verdict_lines():
            print(f"regress: REGRESSION: {line}")
        print("regress: if this is intended, `make baseline` accepts these results")
        return 1
    print("regress: no regression against the baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
