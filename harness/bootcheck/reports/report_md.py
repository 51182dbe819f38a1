"""The Markdown summary (reports/summary.md), short enough for a CI job
summary: counts, the verdict against the baseline, failures with the stop
they reached, and the boot-cost table."""

from ..cost.bootcost import STAGE_TITLES, stage_deltas

FIRST_LINES = 3


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _props(test, key):
    return [v for k, v in test["properties"] if k == key]


def count_text(n):
    return "not reached" if n is None else f"{n:,}"


def _failure_line(test):
    lines = [l for l in test["longrepr"].splitlines() if l.startswith("E ")]
    return " ".join(l[1:].strip() for l in lines[:FIRST_LINES]) or test["longrepr"][-200:]


def cost_rows(results, cmp):
    """(label, stage, cumulative, in stage, baseline, change) per measured stage."""
    base = {(c.label, c.stage): c for c in cmp.costs}
    rows = []
    for cost in results["bootcost"]:
        for (name, spent), stage in zip(stage_deltas(cost), cost["stages"]):
            d = base.get((cost["label"], name))
            change = ""
            if d is not None and d.ratio is not None:
                change = f"{d.ratio:+.1%}" + (" FLAGGED" if d.flagged else "")
            elif d is not None and d.flagged:
                change = "FLAGGED"
            rows.append((cost["label"], STAGE_TITLES.get(name, name), stage["instructions"],
                         spent, d.baseline if d else None, change))
    return rows


def render(results, cmp):
    c = results["counts"]
    head = ", ".join(f"{n} {k}" for k, n in sorted(c.items())) or "no tests"
    out = [f"## bootcheck: {head} ({results['wall_seconds']:.1f} s)", ""]
    if not cmp.has_baseline:
        out.append("No baseline (reports/baseline.json): nothing compared.")
    elif cmp.regressed:
        out.append("**Regression against the baseline:**")
        out += [f"- {_cell(l)}" for l in cmp.verdict_lines()]
    else:
        out.append("No regression against the baseline.")
    if cmp.fixed:
        out += ["", "Fixed since the baseline: " + ", ".join(f"`{n}`" for n in cmp.fixed)]
    failed = [t for t in results["tests"] if t["outcome"] in ("failed", "error")]
    if failed:
        out += ["", "### Failures", "", "| test | outcome | stop | message |", "|---|---|---|---|"]
        for t in failed:
            stop = ", ".join(map(str, _props(t, "stop"))) or ""
            out.append(f"| `{_cell(t['nodeid'])}` | {t['outcome']} | {_cell(stop)} | "
                       f"{_cell(_failure_line(t))[:300]} |")
    rows = cost_rows(results, cmp)
    if rows:
        out += ["", "### Boot cost (guest instructions)", "",
                "| image | stage | from reset | in stage | baseline (from reset) | change |",
                "|---|---|---:|---:|---:|---|"]
        for label, stage, total, spent, base, change in rows:
            out.append(f"| {_cell(label)} | {stage} | {count_text(total)} | "
                       f"{'' if spent is None else f'{spent:,}'} | "
                       f"{'' if base is None else f'{base:,}'} | {change} |")
    out += ["", "Full report: `reports/report.html` (serial transcripts, maps, chart).", ""]
    return "\n".join(out)
