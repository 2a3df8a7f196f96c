"""SVG charts drawn at build time: no script, no library, no request.

Each chart is 360 units wide (one phone screen), scales with its container, carries a text
alternative (``<title>`` + ``aria-label``), and is always published next to a table of the
very numbers it draws (:func:`figure`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from publisher.fmt import esc, percent_tenths, yuan

WIDTH = 360
# Every label is 15 units high: a chart drawn 300 px wide (a 360 px phone, less the page's
# margins) still shows it at 12.5 px.
FONT = 15
COLORS = ("#c2410c", "#0f766e", "#1d4ed8", "#a21caf", "#4d7c0f", "#b45309", "#be123c", "#475569")


def bar_chart(title: str, rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[str],
              fmt: str = "yuan") -> str:
    """Horizontal bars, one group per row, one bar per series; labels sit above the bars so
    long Chinese labels never squeeze the bars at 360 px."""
    values = [v for _, vs in rows for v in vs]
    top = max([1, *values])
    bar_h, gap, label_h = 16, 4, 20
    group_h = label_h + len(series) * (bar_h + 2) + gap
    legend_h = 20 if len(series) > 1 else 0
    height = legend_h + group_h * len(rows) + 4
    parts = [_open(title, height)]
    if len(series) > 1:
        x = 0
        for i, name in enumerate(series):
            parts.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{COLORS[i % 8]}"/>'
                         f'<text x="{x + 16}" y="15" font-size="{FONT}">{esc(name)}</text>')
            x += 24 + FONT * len(name)
    y = legend_h
    for label, vs in rows:
        parts.append(f'<text x="0" y="{y + 15}" font-size="{FONT}">{esc(label)}</text>')
        y += label_h
        for i, v in enumerate(vs):
            w = 0 if v <= 0 else max(1, v * 250 // top)
            parts.append(f'<rect x="0" y="{y}" width="{w}" height="{bar_h}" '
                         f'fill="{COLORS[i % 8]}"/>'
                         f'<text x="{w + 4}" y="{y + 13}" font-size="{FONT}">'
                         f'{esc(_short(v, fmt))}</text>')
            y += bar_h + 2
        y += gap
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, points: Sequence[tuple[str, int]], fmt: str = "yuan") -> str:
    """A step line of a running value (e.g. a fund's balance) over dated points."""
    height, left, bottom, top_pad = 200, 80, 26, 12
    parts = [_open(title, height)]
    if not points:
        parts.append(f'<text x="0" y="20" font-size="{FONT}">暂无数据</text></svg>')
        return "".join(parts)
    hi = max([1, *(v for _, v in points)])
    lo = min([0, *(v for _, v in points)])
    span = hi - lo or 1
    plot_w, plot_h = WIDTH - left - 6, height - bottom - top_pad
    n = len(points)

    def xy(i: int, v: int) -> tuple[int, int]:
        x = left + (plot_w * i // max(1, n - 1) if n > 1 else plot_w // 2)
        y = top_pad + plot_h - (v - lo) * plot_h // span
        return x, y

    coords = [xy(i, v) for i, (_, v) in enumerate(points)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(coords))
    parts.append(f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{WIDTH - 6}" '
                 f'y2="{top_pad + plot_h}" stroke="#999"/>')
    parts.append(f'<text x="{left - 4}" y="{top_pad + 10}" font-size="{FONT}" text-anchor="end">'
                 f'{esc(_short(hi, fmt))}</text>')
    parts.append(f'<text x="{left - 4}" y="{top_pad + plot_h}" font-size="{FONT}" '
                 f'text-anchor="end">{esc(_short(lo, fmt))}</text>')
    parts.append(f'<path d="{path}" fill="none" stroke="{COLORS[1]}" stroke-width="2"/>')
    parts.append(f'<text x="{left}" y="{height - 6}" font-size="{FONT}">{esc(points[0][0])}</text>')
    parts.append(f'<text x="{WIDTH - 6}" y="{height - 6}" font-size="{FONT}" text-anchor="end">'
                 f'{esc(points[-1][0])}</text></svg>')
    return "".join(parts)


def _open(title: str, height: int) -> str:
    return (f'<svg class="sl-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} '
            f'{height}" role="img" aria-label="{esc(title)}"><title>{esc(title)}</title>')


def _short(v: int, fmt: str) -> str:
    """A value's label: written by the same functions as the tables beside the chart."""
    if fmt == "yuan":  # integer fen
        return yuan(v)
    if fmt == "percent":  # tenths of a percent (publisher.fmt.tenths_of_percent)
        return percent_tenths(v)
    return f"{v:,}"


def figure(chart: str, caption: str, header: Sequence[str], rows: Sequence[Sequence[str]]
           ) -> str:
    """The chart with its caption and the table of its numbers (cells already escaped)."""
    return (f'<figure class="sl-figure">{chart}<figcaption>{esc(caption)}</figcaption>'
            f"{table_html(header, rows)}</figure>")


def table_html(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """A table (cells already escaped) in a box that scrolls on its own; each cell names its
    column (``data-label``), so that on a phone every row reads as a card."""
    labels = [esc(h) for h in header]
    head = "".join(f"<th>{label}</th>" for label in labels)
    body = "".join("<tr>" + "".join(
        f'<td data-label="{labels[i] if i < len(labels) else ""}">{c}</td>'
        for i, c in enumerate(row)) + "</tr>" for row in rows)
    return (f'<div class="sl-scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}'
            "</tbody></table></div>")
