"""The HTML report (reports/report.html): one self-contained file (inline CSS
and SVG, no scripts, nothing fetched) that opens from disk. Evidence that is
long (serial, page-table map, write map) sits in <details>, open only for
tests that did not pass."""

from html import escape

from . import checkreport, report_md, report_svg

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:#1a7f37}.failed,.error,.xpassed{color:#cf222e;font-weight:bold}.skipped,.xfailed{color:#9a6700}
.verdict{padding:.5em 1em;border-radius:4px}.bad{background:#ffebe9}.good{background:#dafbe1}
.test{border-top:1px solid #ddd;padding:.4em 0}.test h3{font-size:1em;margin:.2em 0}
pre{background:#f6f8fa;padding:.5em;overflow:auto;max-height:40em;font-size:12px}
summary{cursor:pointer} .flag{color:#cf222e;font-weight:bold} .chart text{font-size:12px}
"""

NOT_PASSED = ("failed", "error", "xpassed")
DETAIL_KEYS = (("serial", "serial transcript"), ("ptmap", "page-table map"),
               ("writemap", "write map"))


def _props(test, key):
    return [v for k, v in test["properties"] if k == key]


def _anchor(nodeid):
    return "t-" + "".join(ch if ch.isalnum() else "-" for ch in nodeid)


def _verdict(cmp):
    if not cmp.has_baseline:
        return '<p class="verdict">No baseline (reports/baseline.json): nothing compared.</p>'
    if not cmp.regressed:
        text = "No regression against the baseline."
        if cmp.fixed:
            text += " Fixed: " + ", ".join(escape(n) for n in cmp.fixed)
        return f'<p class="verdict good">{text}</p>'
    items = "".join(f"<li>{escape(l)}</li>" for l in cmp.verdict_lines())
    return f'<div class="verdict bad"><b>Regression against the baseline</b><ul>{items}</ul></div>'


def _summary_table(tests):
    rows = []
    for t in tests:
        stop = ", ".join(escape(str(s)) for s in _props(t, "stop"))
        insns = ", ".join(f"{n:,}" if isinstance(n, int) else escape(str(n))
                          for n in _props(t, "instructions"))
        rows.append(f'<tr><td class="{t["outcome"]}">{t["outcome"]}</td>'
                    f'<td><a href="#{_anchor(t["nodeid"])}">{escape(t["nodeid"])}</a></td>'
                    f'<td class="n">{t["duration"]:.2f} s</td><td class="stop">{stop}</td>'
                    f'<td class="n">{insns}</td></tr>')
    return ("<table><tr><th>status</th><th>test</th><th>duration</th><th>stop reached</th>"
            "<th>instructions</th></tr>" + "".join(rows) + "</table>")


def _test_block(t):
    bad = t["outcome"] in NOT_PASSED
    open_attr = " open" if bad else ""
    parts = [f'<div class="test" id="{_anchor(t["nodeid"])}">'
             f'<h3><span class="{t["outcome"]}">{t["outcome"]}</span> {escape(t["nodeid"])}</h3>']
    for stop in _props(t, "stop"):
        parts.append(f'<p>stop reached: <b class="stop">{escape(str(stop))}</b></p>')
    if t["longrepr"]:
        what = "failure" if bad else "reason"
        parts.append(f"<details{open_attr}><summary>{what}</summary>"
                     f"<pre>{escape(t['longrepr'])}</pre></details>")
    for i, v in enumerate(_props(t, "verdict")):
        prefix = f"{_anchor(t['nodeid'])}-v{i}-"
        rules = "".join(f'<li id="{prefix}rule-{f["rule"]}" class="rule-{f["status"]}">{f["link"]} '
                        f'{escape(f["rule"])}: {escape(f["status"])}: {escape(f["sentence"])}</li>'
                        for f in v["findings"])
        parts.append(f"<details{open_attr} class=\"verdict-pictures\"><summary>bootcheck check "
                     f"{escape(str(v['image']).rsplit('/', 1)[-1])}: {escape(v['diagnosis'] or '')}</summary>"
                     + checkreport.pictures_html(v["memory_map"], v["boot_chain"], v["findings"], prefix,
                                                 serial=False, h="h4")
                     + f"<ol class=\"rules\">{rules}</ol></details>")
    for key, title in DETAIL_KEYS:
        for i, value in enumerate(_props(t, key)):
            parts.append(f"<details{open_attr}><summary>{title} {i + 1}</summary>"
                         f"<pre>{escape(str(value))}</pre></details>")
    parts.append("</div>")
    return "".join(parts)


def _cost_section(results, cmp):
    rows = report_md.cost_rows(results, cmp)
    if not rows:
        return ""
    body = "".join(
        f"<tr><td>{escape(label)}</td><td>{escape(stage)}</td>"
        f'<td class="n">{report_md.count_text(total)}</td>'
        f'<td class="n">{"" if spent is None else f"{spent:,}"}</td>'
        f'<td class="n">{"" if base is None else f"{base:,}"}</td>'
        f'<td class="{"flag" if "FLAGGED" in change else ""}">{escape(change)}</td></tr>'
        for label, stage, total, spent, base, change in rows)
    return ("<h2>Boot cost (guest instructions, deterministic)</h2>"
            + report_svg.bar_chart(results["bootcost"]) +
            "<table><tr><th>image</th><th>stage</th><th>from reset</th><th>in stage</th>"
            "<th>baseline (from reset)</th><th>change</th></tr>" + body + "</table>")


def render(results, cmp):
    counts = ", ".join(f'<span class="{k}">{n} {k}</span>'
                       for k, n in sorted(results["counts"].items())) or "no tests"
    tests = sorted(results["tests"], key=lambda t: (t["outcome"] not in NOT_PASSED, t["nodeid"]))
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>bootcheck report {escape(results['started'])}</title><style>{CSS}</style>",
        "</head><body>",
        f"<h1>bootcheck report</h1><p>{counts}; started {escape(results['started'])}, "
        f"{results['wall_seconds']:.1f} s</p>",
        _verdict(cmp),
        _cost_section(results, cmp),
        "<h2>Tests</h2>", _summary_table(tests),
        "<h2>Details</h2>", "".join(_test_block(t) for t in tests),
        "</body></html>\n"])
