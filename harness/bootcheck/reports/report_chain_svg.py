"""The boot chain as an inline SVG (no scripts): one box per stage, in order,
holding a chip per contract link; green passed, red broken, grey not
reached. The first broken link is drawn thick and links to its finding row
(#rule-NAME) and to the serial lines around it (#serial-LN). For SMP, one
lane per core under the chain."""

from html import escape

FILL = {"pass": "#dafbe1", "fail": "#ffebe9", "not_reached": "#eaeef2"}
STROKE = {"pass": "#1a7f37", "fail": "#cf222e", "not_reached": "#8c959f"}
STAGE_W, GAP, CHIP_W, CHIP_H, HEAD = 150, 18, 68, 20, 36
LANE_H = 26


def _cols(stage):
    return 3 if len(stage["links"]) > 6 else 2


def _chip_rows(stage):
    return max(1, -(-len(stage["links"]) // _cols(stage)))


def _width(stage):
    return max(STAGE_W, 8 + _cols(stage) * (CHIP_W + 4))


def render(chain, prefix="", serial=True):
    """prefix: for the ids this links to (#PREFIXrule-NAME), when several
    verdicts share one page; serial=False: the page has no serial lines."""
    if not chain or not chain.get("stages"):
        return ""
    stages = chain["stages"]
    rows = max(_chip_rows(s) for s in stages)
    box_h = HEAD + rows * (CHIP_H + 4) + 8
    lanes = chain.get("lanes", [])
    xs = [0]
    for s in stages:
        xs.append(xs[-1] + _width(s) + GAP)
    width = xs[-1]
    height = box_h + 20 + (len(lanes) * LANE_H + 24 if lanes else 0)
    first, first_stage = chain.get("first_broken"), chain.get("first_broken_stage")
    p = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bootchain" role="img" width="{width}" '
         f'height="{height}" viewBox="0 0 {width} {height}" aria-label="boot chain" '
         'font-family="system-ui,sans-serif" font-size="11">',
         '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
         '<path d="M0,0 L8,4 L0,8 z" fill="#57606a"/></marker></defs>']
    for i, s in enumerate(stages):
        x, sw = xs[i], _width(s)
        st = s["status"]
        is_first = s["id"] == first_stage
        cls = "stage first-broken-stage" if is_first else "stage"
        title = f"{s['title']}: {st.replace('_', ' ')}" + (f" ({s['note']})" if s.get("note") else "")
        anchor = (f"#serial-L{s['serial_line'] + 1}" if serial and s.get("serial_line") is not None
                  else None)
        p.append(f'<g class="{cls}" data-stage="{s["id"]}" data-status="{st}">'
                 + (f'<a href="{anchor}">' if anchor else "")
                 + f'<rect x="{x}" y="4" width="{sw}" height="{box_h}" rx="6" fill="{FILL[st]}" '
                 f'stroke="{STROKE[st]}" stroke-width="{4 if is_first else 1.5}"><title>{escape(title)}</title></rect>'
                 f'<text x="{x + 8}" y="22" font-weight="bold" font-size="{12 if len(s["title"]) < 18 else 10}">'
                 f'{escape(s["title"])}</text>'
                 + (f'<text x="{x + 8}" y="34" fill="#57606a">{escape(s["note"][:24])}</text>'
                    if s.get("note") else "")
                 + ("</a>" if anchor else ""))
        for j, link in enumerate(s["links"]):
            cx = x + 6 + (j % _cols(s)) * (CHIP_W + 4)
            cy = 4 + HEAD + (j // _cols(s)) * (CHIP_H + 4)
            ls = link["status"]
            chip_first = link["rule"] == first
            bold = ' font-weight="bold"' if chip_first else ""
            p.append(f'<a href="#{prefix}rule-{link["rule"]}"><g class="link{" first-broken" if chip_first else ""}" '
                     f'data-rule="{link["rule"]}" data-status="{ls}">'
                     f'<rect x="{cx}" y="{cy}" width="{CHIP_W}" height="{CHIP_H}" rx="3" fill="{FILL[ls]}" '
                     f'stroke="{STROKE[ls]}" stroke-width="{3 if chip_first else 1}">'
                     f'<title>link {link["link"]} ({escape(link["rule"])}): {escape(link["sentence"])}</title></rect>'
                     f'<text x="{cx + 4}" y="{cy + 14}"{bold}>'
                     f'{link["link"]} {escape(link["label"])}</text></g></a>')
        p.append("</g>")
        if i + 1 < len(stages):
            ay = 4 + box_h / 2
            p.append(f'<line x1="{x + sw + 1}" y1="{ay}" x2="{x + sw + GAP - 2}" y2="{ay}" '
                     'stroke="#57606a" stroke-width="1.5" marker-end="url(#arrow)"/>')
    if lanes:
        y = box_h + 24
        p.append(f'<text x="0" y="{y}" font-weight="bold">cores</text>')
        for lane in lanes:
            y += LANE_H
            p.append(f'<g class="lane" data-core="{lane["core"]}"><text x="0" y="{y - 8}">core {lane["core"]}</text>')
            for k, (name, st) in enumerate(lane["stages"]):
                x = 60 + k * (STAGE_W + GAP)
                p.append(f'<rect x="{x}" y="{y - 21}" width="{STAGE_W}" height="18" rx="3" fill="{FILL[st]}" '
                         f'stroke="{STROKE[st]}" data-status="{st}"><title>core {lane["core"]}: {escape(name)}'
                         f' {st.replace("_", " ")}{"; " + escape(lane["note"]) if lane.get("note") else ""}'
                         f'</title></rect><text x="{x + 6}" y="{y - 8}">{escape(name.replace("_", " "))}</text>')
            if lane.get("note"):
                p.append(f'<text x="{60 + len(lane["stages"]) * (STAGE_W + GAP)}" y="{y - 8}" '
                         f'fill="#57606a">{escape(lane["note"])}</text>')
            p.append("</g>")
    p.append("</svg>")
    return "".join(p)


def broken_paragraph(chain, findings_by_rule, prefix="", serial=True):
    """The HTML line under the diagram: the first broken link, with links to
    its finding and to the serial lines around it."""
    first = chain.get("first_broken") if chain else None
    if not first:
        return ""
    stage = next((s for s in chain["stages"] if s["id"] == chain.get("first_broken_stage")), None)
    f = findings_by_rule.get(first)
    at = stage.get("serial_line") if stage else None
    ctx = chain.get("serial_context", 3)
    serial = "" if not serial else (f' · <a class="to-serial" href="#serial-L{max(1, at + 1 - ctx)}">serial lines '
              f'{max(1, at + 1 - ctx)}–{at + 1 + ctx}</a>' if at is not None else "")
    return (f'<p class="first-broken-line">First broken link: <a class="to-finding" href="#{prefix}rule-{first}">'
            f'{_link_number(chain, first)} ({escape(first)})</a>: {escape(f["sentence"] if f else "")}{serial}</p>')


def _link_number(chain, rule):
    return next((l["link"] for s in chain["stages"] for l in s["links"] if l["rule"] == rule), "?")
