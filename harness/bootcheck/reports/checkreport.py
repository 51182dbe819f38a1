"""The reports of one `bootcheck check`: verdict.json (everything), verdict.md
(for a CI summary), junit.xml (one test case per contract rule) and
report.html (self-contained), in a directory of their own."""

import html
import json
import os

from ..check import contract
from . import report_chain_svg, report_memmap_svg


# XML text and attribute values for junit.xml (xml.sax.saxutils' escape and
# quoteattr do the same, but importing them loads urllib and http.client:
# a tenth of a second and more of every check).
def escape(data):
    return data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(data):
    data = escape(data).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in data:
        return f'"{data}"'
    if "'" not in data:
        return f"'{data}'"
    return '"' + data.replace('"', "&quot;") + '"'


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
        "memory_map": verdict.memory_map, "boot_chain": verdict.boot_chain,
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


COLOR = {"pass": "#1a7f37", "fail": "#cf222e", "warn": "#9a6700", "not_observed": "#57606a"}
CSS = """body{font-family:sans-serif;margin:2em}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}
table{border-collapse:collapse}pre{background:#f6f8fa;padding:1em;overflow:auto}
td:target,li:target{outline:3px solid #cf222e;background:#fff8c5}
.serial span{display:block}.serial span.around-break{background:#ffebe9}.serial span:target{background:#fff8c5}
.memmap-numbers ul{columns:2;font-size:12px;font-family:monospace}.mm-overlap,.mm-mark-stray{color:#cf222e}
svg a:hover rect{stroke-width:2.5}"""


def serial_html(serial, around=None, context=3):
    """The serial log, one element per line (id serial-L<n>, 1-based); the
    lines around the first broken link marked."""
    out = []
    for n, line in enumerate(serial.splitlines(), 1):
        near = around is not None and abs(n - 1 - around) <= context
        cls = ' class="around-break"' if near else ""
        out.append(f'<span id="serial-L{n}"{cls}>{html.escape(line) or " "}</span>')
    return '<pre class="serial">' + "".join(out) + "</pre>"


def pictures_html(memory_map, chain, findings, prefix="", serial=True, h="h2"):
    """The chain diagram, the first broken link's line and the memory map:
    the part of a verdict's HTML report shared with make verify's report.
    findings: dicts (Finding.as_dict())."""
    by_rule = {f["rule"]: f for f in findings}
    parts = [f'<{h}>Boot chain</{h}>', report_chain_svg.render(chain, prefix, serial),
             report_chain_svg.broken_paragraph(chain, by_rule, prefix, serial)]
    if memory_map:
        parts += [f"<{h}>Physical memory map</{h}>", report_memmap_svg.render(memory_map, prefix)]
    else:
        parts.append("<p>No memory map: the loader never reached the kernel, so nothing was handed over.</p>")
    return "".join(parts)


def _html(v, path):
    color = COLOR
    rows = "\n".join(
        f"<tr><td id='rule-{f.rule}' class='rule-{f.status}'>{contract.CHAIN_ORDER[f.rule] + 1}</td><td>{html.escape(f.rule)}</td>"
        f"<td style='color:{color[f.status]};font-weight:bold'>{f.status}</td>"
        f"<td>{html.escape(f.sentence)}</td><td>{html.escape(f.source)}</td></tr>" for f in v.findings)
    chain = v.boot_chain or {}
    stage = next((s for s in chain.get("stages", []) if s["id"] == chain.get("first_broken_stage")), None)
    around = stage.get("serial_line") if stage else None
    doc = f"""<!doctype html><html><head><meta charset="utf-8">
<title>bootcheck check {html.escape(os.path.basename(v.image))}</title>
<style>{CSS}</style></head><body>
<h1>bootcheck check: {html.escape(os.path.basename(v.image))}</h1>
<p class="diagnosis" style="font-size:1.2em;color:{color[{'pass': 'pass', 'fail': 'fail'}.get(v.status, 'warn')]}"><b>{html.escape(v.diagnosis_line())}</b></p>
<p>payload: {html.escape(v.payload)}; machine: <code>{html.escape(v.machine)}</code>;
kernel: {html.escape(v.target.describe() if v.target else '?')}</p>
{pictures_html(v.memory_map, v.boot_chain, _rows(v))}
<h2>Rules</h2>
<table><tr><th>#</th><th>rule</th><th>status</th><th>finding</th><th>seen by</th></tr>
{rows}</table>
<details{' open' if v.status == 'fail' else ''}><summary>serial log</summary>{serial_html(v.serial, around, chain.get("serial_context", 3))}</details>
</body></html>
"""
    with open(path, "w") as fh:
        fh.write(doc)
