"""An inline SVG bar chart of boot cost: one horizontal bar per image, split
into its stages, all on one scale so images compare at a glance."""

from html import escape

from ..cost.bootcost import STAGE_NAMES, STAGE_TITLES, stage_deltas

COLOURS = {"kernel_entry": "#4c78a8", "init_kernel": "#f58518",
           "restore_user_context": "#54a24b", "roottask_entry": "#e45756"}
LABEL_W, BAR_W, BAR_H, GAP = 260, 560, 22, 10


def bar_chart(costs):
    """costs: bootcost dicts (BootCost.as_dict()); returns an <svg> string."""
    if not costs:
        return ""
    spans = [[(n, d) for n, d in stage_deltas(c) if d is not None] for c in costs]
    longest = max([sum(d for _, d in s) for s in spans] + [1])
    height = len(costs) * (BAR_H + GAP) + 16 * len(STAGE_NAMES) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'width="{LABEL_W + BAR_W + 120}" height="{height}" '
             f'aria-label="boot cost per stage, instructions">']
    for row, (cost, span) in enumerate(zip(costs, spans)):
        y = row * (BAR_H + GAP)
        parts.append(f'<text x="0" y="{y + BAR_H - 6}">{escape(cost["label"][:40])}</text>')
        x = LABEL_W
        for name, spent in span:
            w = max(1, round(spent * BAR_W / longest))
            parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{BAR_H}" '
                         f'fill="{COLOURS.get(name, "#999")}"><title>'
                         f'{escape(STAGE_TITLES.get(name, name))}: {spent:,}</title></rect>')
            x += w
        total = sum(d for _, d in span)
        parts.append(f'<text x="{x + 6}" y="{y + BAR_H - 6}">{total / 1e6:.2f} M</text>')
    y = len(costs) * (BAR_H + GAP)
    for name in STAGE_NAMES:            # the legend, one stage per line
        parts.append(f'<rect x="{LABEL_W}" y="{y}" width="12" height="12" '
                     f'fill="{COLOURS[name]}"/><text x="{LABEL_W + 16}" y="{y + 11}">'
                     f'{escape(STAGE_TITLES[name])}</text>')
        y += 16
    parts.append("</svg>")
    return "".join(parts)
