"""The physical memory map as an inline SVG (no scripts): addresses grow
downwards; one column per kind of owner (bootcheck.reports.memmap.COLUMNS).

Scale: the addresses where a region starts or ends cut the space into
stretches; each stretch covered by a region is drawn linearly, with a height
that grows with the logarithm of its size (so a 4 KiB DTB next to 1 GiB of
RAM is still a box you can point at); an uncovered gap is a fixed-height
break. Hovering shows a box's numbers (<title>); clicking jumps to its row
in the list under the picture."""

import math
from html import escape

from . import memmap

KIND_FILL = {"ram": "#dbeafe", "device": "#e5e7eb", "free": "#d1fae5", "loader": "#fef3c7",
             "loader_stack": "#fcd34d", "loader_tables": "#f59e0b", "kernel": "#93c5fd",
             "rootserver": "#a78bfa", "dtb": "#5eead4", "user": "#c7d2fe", "user_bss": "#eef2ff",
             "initrd": "#fbcfe8", "firmware": "#fca5a5", "loader_stub": "#fde68a"}
MARK_FILL = {"stray": "#cf222e", "scratch": "#d97706"}
AXIS_W, COL_W, COL_GAP, TOP = 110, 180, 30, 34
MIN_H, PER_LOG2, MAX_H, GAP_H = 16, 4.0, 80, 12
INSET = {"rootserver": 26, "user_bss": 26}     # sub-regions drawn inside their parent
CROSS_SHIFT = 22                                # a box that crosses another is shifted right


def _scale(mm):
    """[(start, end, y0, y1, covered)] stretches, and the total height."""
    cuts = set()
    for r in mm["regions"]:
        cuts |= {r["start"], r["end"]}
    for m in mm["marks"]:
        cuts |= {m["start"], m["end"]}
    cuts = sorted(cuts)
    stretches, y = [], TOP
    for a, b in zip(cuts, cuts[1:]):
        covered = any(r["start"] <= a and b <= r["end"] for r in mm["regions"])
        h = (min(MAX_H, MIN_H + PER_LOG2 * math.log2(max(1, (b - a) / memmap.PAGE))) if covered else GAP_H)
        stretches.append((a, b, y, y + h, covered))
        y += h
    return stretches, y


def _y(stretches, addr):
    for a, b, y0, y1, _ in stretches:
        if a <= addr <= b:
            return y0 + (y1 - y0) * (addr - a) / (b - a)
    return stretches[-1][3] if stretches and addr > stretches[-1][1] else TOP


def _numbers(r):
    size = r["end"] - r["start"]
    text = f"{r['name']}: [0x{r['start']:x}, 0x{r['end']:x}), {memmap.size_text(size)} ({size:#x} bytes)"
    return text + (f"; {r['note']}" if r.get("note") else "")


LEGEND = (("RAM", KIND_FILL["ram"]), ("device", KIND_FILL["device"]), ("free: untypeds", KIND_FILL["free"]),
          ("loader image", KIND_FILL["loader"]), ("loader stack", KIND_FILL["loader_stack"]),
          ("translation tables", KIND_FILL["loader_tables"]), ("kernel", KIND_FILL["kernel"]),
          ("rootserver", KIND_FILL["rootserver"]), ("DTB", KIND_FILL["dtb"]), ("root task", KIND_FILL["user"]),
          ("firmware (M-mode)", KIND_FILL["firmware"]), ("store that broke a rule", MARK_FILL["stray"]), ("stores outside every image", MARK_FILL["scratch"]))


def _legend(mm):
    firmware = any(r["kind"] == "firmware" for r in mm["regions"])    # RISC-V's OpenSBI
    items = "".join(f'<span style="display:inline-block;margin-right:1em"><span style="display:inline-block;'
                    f'width:.9em;height:.9em;background:{c};border:1px solid #57606a;vertical-align:middle">'
                    f'</span> {escape(n)}</span>' for n, c in LEGEND if firmware or c != KIND_FILL["firmware"])
    return (f'<p class="memmap-legend" style="font-size:12px">{items}<span><span style="display:inline-block;'
            'width:.9em;height:.9em;border:2px solid #cf222e;vertical-align:middle;background:repeating-linear-'
            'gradient(45deg,#cf222e 0 2px,#ffebe9 2px 5px)"></span> overlap</span></p>')


def render(mm, prefix=""):
    """The <svg> and the list of its numbers, as one HTML string (prefix:
    for its ids, when several maps share one page)."""
    if not mm or not mm.get("regions"):
        return ""
    stretches, height = _scale(mm)
    col_x = {c: AXIS_W + i * (COL_W + COL_GAP) for i, c in enumerate(memmap.COLUMNS)}
    marks_x = AXIS_W + len(memmap.COLUMNS) * (COL_W + COL_GAP)
    width = marks_x + 150
    crossing = {o["b"] for o in mm["overlaps"]}
    crossed = {o["a"] for o in mm["overlaps"]} - crossing    # labelled at their bottom edge
    p = [f'<svg xmlns="http://www.w3.org/2000/svg" class="memmap" role="img" width="{width}" '
         f'height="{height + 10:.0f}" viewBox="0 0 {width} {height + 10:.0f}" '
         'style="max-width:100%;height:auto" aria-label="physical memory map" font-family="system-ui,sans-serif" font-size="11">',
         '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
         'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffebe9" fill-opacity="0.5"/>'
         '<line x1="0" y1="0" x2="0" y2="6" stroke="#cf222e" stroke-width="2.5"/></pattern></defs>']
    for c in memmap.COLUMNS:
        title = mm.get("titles", {}).get(c, memmap.COLUMN_TITLES[c])
        p.append(f'<text x="{col_x[c]}" y="14" font-weight="bold">{escape(title)}</text>')
    p.append(f'<text x="{marks_x}" y="14" font-weight="bold">stores</text>')
    # The address axis and the gaps.
    last_label = -100
    for a, b, y0, y1, covered in stretches:
        if y0 - last_label >= 11:
            p.append(f'<text x="4" y="{y0 + 4:.1f}" font-family="monospace" fill="#57606a">0x{a:010x}</text>')
            last_label = y0
        p.append(f'<line x1="{AXIS_W - 8}" x2="{width}" y1="{y0:.1f}" y2="{y0:.1f}" stroke="#eaeef2"/>')
        if not covered:
            p.append(f'<text class="gap" x="{AXIS_W - 14}" y="{y1 - 2:.1f}" fill="#8c959f">~~</text>')
    if stretches:
        p.append(f'<text x="4" y="{stretches[-1][3] + 4:.1f}" font-family="monospace" '
                 f'fill="#57606a">0x{stretches[-1][1]:010x}</text>')
    # Regions: big ones first, so the small ones inside them stay on top.
    order = sorted(enumerate(mm["regions"]), key=lambda ir: -(ir[1]["end"] - ir[1]["start"]))
    for i, r in order:
        y0, y1 = _y(stretches, r["start"]), _y(stretches, r["end"])
        inset = INSET.get(r["kind"], 0) + (CROSS_SHIFT if r["name"] in crossing else 0)
        x = col_x[r["column"]] + inset
        w = COL_W - (INSET.get(r["kind"], 0) if r["kind"] in INSET else 0)
        label = r["name"] if y1 - y0 >= 11 else ""
        chars = int((w - 8) / 6.2)
        if len(label) > chars:
            label = label[:max(0, chars - 1)] + "…"
        p.append(f'<a href="#{prefix}mm-{i}"><g class="region" data-kind="{r["kind"]}" data-name="{escape(r["name"])}" '
                 f'data-start="0x{r["start"]:x}" data-end="0x{r["end"]:x}">'
                 f'<rect x="{x}" y="{y0:.1f}" width="{w}" height="{max(2.0, y1 - y0):.1f}" '
                 f'fill="{KIND_FILL.get(r["kind"], "#eee")}" fill-opacity="{0.85 if r["name"] in crossing else 1}" '
                 f'stroke="#57606a" stroke-width="1"><title>{escape(_numbers(r))}</title></rect>'
                 + (f'<text x="{x + 4}" y="{(y1 - 4) if r["name"] in crossed else min(y1 - 3, y0 + 12):.1f}">'
                    f'{escape(label)}</text>' if label else "")
                 + "</g></a>")
    for o in mm["overlaps"]:
        # Hatched where both boxes lie: the later one is shifted right.
        y0, y1 = _y(stretches, o["start"]), _y(stretches, o["end"])
        x = col_x["handoff"] + CROSS_SHIFT
        p.append(f'<g class="overlap" data-a="{escape(o["a"])}" data-b="{escape(o["b"])}">'
                 f'<rect x="{x}" y="{y0:.1f}" width="{COL_W - CROSS_SHIFT}" height="{max(3.0, y1 - y0):.1f}" '
                 f'fill="url(#hatch)" stroke="#cf222e" stroke-width="2"><title>{escape(o["a"])} and '
                 f'{escape(o["b"])} overlap on [0x{o["start"]:x}, 0x{o["end"]:x}) '
                 f'({memmap.size_text(o["end"] - o["start"])})</title></rect></g>')
    for r in mm["regions"]:            # the crossing boxes' names, above the hatch
        if r["name"] in crossing:
            y0, y1 = _y(stretches, r["start"]), _y(stretches, r["end"])
            p.append(f'<text class="crossing-label" x="{col_x[r["column"]] + CROSS_SHIFT + 4}" '
                     f'y="{min(y1 - 3, y0 + 12):.1f}" font-weight="bold" stroke="#fff" stroke-width="3" '
                     f'paint-order="stroke">{escape(r["name"])} (crosses)</text>')
    for m in mm["marks"]:
        y0, y1 = _y(stretches, m["start"]), _y(stretches, m["end"])
        h = max(3.0, y1 - y0)
        p.append(f'<g class="mark" data-kind="{m["kind"]}" data-start="0x{m["start"]:x}">'
                 f'<rect x="{marks_x}" y="{y0:.1f}" width="{40 if m["kind"] == "stray" else 14}" height="{h:.1f}" '
                 f'fill="{MARK_FILL[m["kind"]]}"><title>[0x{m["start"]:x}, 0x{m["end"]:x}): '
                 f'{escape(m["label"])}</title></rect>'
                 + (f'<line x1="{col_x["handoff"]}" x2="{marks_x}" y1="{y0:.1f}" y2="{y0:.1f}" '
                    f'stroke="{MARK_FILL["stray"]}" stroke-width="2"/>' if m["kind"] == "stray" else "")
                 + "</g>")
    p.append("</svg>")
    items = "".join(f'<li id="{prefix}mm-{i}" class="mm-{r["kind"]}">{escape(_numbers(r))}</li>'
                    for i, r in enumerate(mm["regions"]))
    overl = "".join(f'<li class="mm-overlap">{escape(o["a"])} and {escape(o["b"])} overlap on '
                    f'[0x{o["start"]:x}, 0x{o["end"]:x})</li>' for o in mm["overlaps"])
    marks = "".join(f'<li class="mm-mark-{m["kind"]}">[0x{m["start"]:x}, 0x{m["end"]:x}): {escape(m["label"])}</li>'
                    for m in mm["marks"])
    return ('<div class="memmap-wrap">' + _legend(mm) + "".join(p) + '<details class="memmap-numbers" open><summary>the numbers '
            '(click a box to jump to its line)</summary><ul>' + overl + items + marks + "</ul></details></div>")
