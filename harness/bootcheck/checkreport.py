"""The reports of one `bootcheck check`: verdict.json (everything), verdict.md
(for a CI summary), junit.xml (one test case per contract rule) and
report.html (self-contained), in a directory of their own."""

import html
import json
import os
from xml.sax.saxutils import escape, quoteattr

from . import contract


def _rows(verdict):
    return [f.as_dict() for f in verdict.findings]


def write_all(verdict, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    data = {
        "image": verdict.image, "kernel": verdict.kernel, "roottask": verdict.roottask,
        "payload": verdict.payload, "machine": verdict.machine, "ok": verdict.ok,
        "status": verdict.status, "exit_status": verdict.exit_status,
        "target": verdict.target.as_dict() if verdict.target else None,
        "diagnosis": verdict.diagnosis_line(),
        "first_broken": verdict.first_broken.as_dict() if verdict.first_broken else None,
        "findings": _rows(verdict), "emulation": verdict.emu, "timings": verdict.timings,
        "serial": verdict.serial,
    }
    with open(os.path.join(out_dir, "verdict.json"), "w") as f:
        json.dump(data, f, indent=1)
    with open(os.path.join(out_dir, "serial.log"), "w") as f:
        f.write(verdict.serial)
    _markdown(verdict, os.path.join(out_dir, "verdict.md"))
    _junit(verdict, os.path.join(out_dir, "junit.xml"))
    _html(verdict, os.path.join(out_dir, "report.html"))


def _markdown(v, path):
    lines = [f"# bootcheck check: {os.path.basename(v.image)}", "",
             f"**{v.status.upper()}** — {v.diagnosis_line()}", "",
             f"- payload: {v.payload}; machine: `{v.machine}`",
             f"- kernel: {v.target.describe() if v.target else '?'}", "",
             "| # | rule | status | finding | seen by |", "|---|---|---|---|---|"]
    for f in v.findings:
        d = f.as_dict()
        lines.append(f"| {d['link']} | {f.rule} | {f.status} | {f.sentence.replace('|', '/')} | {f.source} |")
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


def _junit(v, path):
    fails = sum(1 for f in v.findings if f.status == "fail")
    cases = []
    for f in v.findings:
        body = ""
        if f.status == "fail":
            body = f"<failure message={quoteattr(f.sentence)}>{escape(f.source)}</failure>"
        elif f.status == "not_observed":
            body = f"<skipped message={quoteattr(f.sentence)}/>"
        elif f.status == "warn":
            body = f"<system-out>{escape('warning: ' + f.sentence)}</system-out>"
        cases.append(f'  <testcase classname="bootcheck.check" name={quoteattr(f.rule)}>{body}</testcase>')
    with open(path, "w") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n'
                 f'<testsuite name={quoteattr("bootcheck check " + os.path.basename(v.image))} '
                 f'tests="{len(v.findings)}" failures="{fails}">\n' + "\n".join(cases) + "\n</testsuite>\n")


def _html(v, path):
    color = {"pass": "#1a7f37", "fail": "#cf222e", "warn": "#9a6700", "not_observed": "#57606a"}
    rows = "\n".join(
        f"<tr><td>{contract.CHAIN_ORDER[f.rule] + 1}</td><td>{html.escape(f.rule)}</td>"
        f"<td style='color:{color[f.status]};font-weight:bold'>{f.status}</td>"
        f"<td>{html.escape(f.sentence)}</td><td>{html.escape(f.source)}</td></tr>" for f in v.findings)
    doc = f"""<!doctype html><html><head><meta charset="utf-8">
<title>bootcheck check {html.escape(os.path.basename(v.image))}</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{border:1px solid #ccc;padding:4px;vertical-align:top}}
table{{border-collapse:collapse}}pre{{background:#f6f8fa;padding:1em;overflow:auto}}</style></head><body>
<h1>bootcheck check: {html.escape(os.path.basename(v.image))}</h1>
<p style="font-size:1.2em;color:{color[{'pass': 'pass', 'fail': 'fail'}.get(v.status, 'warn')]}"><b>{html.escape(v.diagnosis_line())}</b></p>
<p>payload: {html.escape(v.payload)}; machine: <code>{html.escape(v.machine)}</code>;
kernel: {html.escape(v.target.describe() if v.target else '?')}</p>
<table><tr><th>#</th><th>rule</th><th>status</th><th>finding</th><th>seen by</th></tr>
{rows}</table>
<details><summary>serial log</summary><pre>{html.escape(v.serial)}</pre></details>
</body></html>
"""
    with open(path, "w") as fh:
        fh.write(doc)
