"""Claims over time, drawn as SVG on the server: no JavaScript, no network.

One mark per claim: x = the day it was claimed, colour = stance, one row per
story (a speaker's chart) or per speaker (a story's chart). Each mark is a
link to the claim in its article and carries its text as a native SVG
tooltip. The same drawing is written by `claimwire chart` as SVG, as PNG
(rasterised by vl-convert's resvg, offline) or as a self-contained HTML page.

Why not Vega-Lite rendered by vl-convert: on the 2-core machine a
conversion cost 150-500 ms (60 claims to 1,000), more than a whole page may
take; this drawing costs a few milliseconds and needs no JavaScript engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import escape

STANCE_COLOURS = {  # colour-blind safe (Okabe-Ito), fixed so every chart reads the same
    "assert": "#0072B2",
    "deny": "#D55E00",
    "uncertain": "#E69F00",
    "unknown": "#999999",
}
FORMATS = ("svg", "png", "html")
PLOT_WIDTH = 640
ROW_HEIGHT = 26
LABEL_CHARS = 60
CHAR_WIDTH = 6.0  # of 11px sans-serif, to size the label column without measuring text
LEGEND_WIDTH = 110
# Claims on the same row and day are spread over a few lanes so each stays visible.
LANES = 5
LANE_SPREAD = 16
TICK_STEPS = (1, 2, 3, 7, 14, 28, 56, 91, 182, 365, 730, 1461)
MAX_TICKS = 8
FONT = 'font-family="sans-serif"'


@dataclass(frozen=True)
class Point:
    day: date
    row: str
    stance: str | None
    description: str
    href: str | None = None


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ticks(first: date, last: date) -> list[date]:
    span = (last - first).days
    step = next((s for s in TICK_STEPS if span / s <= MAX_TICKS - 1), TICK_STEPS[-1])
    return [first + timedelta(days=step * k) for k in range(span // step + 1)]


def timeline_svg(points: Iterable[Point], *, row_title: str = "", title: str = "") -> str:
    """The chart as an SVG document (escaped throughout: labels are article data)."""
    pts = list(points)
    rows = sorted({_short(p.row or "(none)", LABEL_CHARS) for p in pts})
    row_index = {r: i for i, r in enumerate(rows)}
    label_width = int(min(LABEL_CHARS * CHAR_WIDTH, max((len(r) for r in rows), default=4)
                          * CHAR_WIDTH)) + 14
    top = 30 if title else 10
    plot_height = max(2, len(rows)) * ROW_HEIGHT
    width = label_width + PLOT_WIDTH + 20 + LEGEND_WIDTH
    height = top + plot_height + 46
    days = [p.day for p in pts] or [date.today()]
    first, last = min(days), max(days)
    if first == last:
        first, last = first - timedelta(days=1), last + timedelta(days=1)
    span = (last - first).days

    def x(day: date) -> float:
        # Half a day of margin each side, so marks on the first and last day sit inside.
        return label_width + (((day - first).days + 0.5) / (span + 1)) * PLOT_WIDTH

    described = f"claims over time by stance, one row per {row_title}" if row_title else \
        "claims over time by stance"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           f'aria-label="{escape(described)}">',
           f'<title>{escape(title or described)}</title>',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    if title:
        out.append(f'<text x="{label_width}" y="18" {FONT} font-size="13" font-weight="bold" '
                   f'fill="#1d1d1f">{escape(title)}</text>')
    bottom = top + plot_height
    out.append('<g class="grid" stroke="#e3e3e8" stroke-width="1">')
    for i in range(len(rows) + 1):
        y = top + i * ROW_HEIGHT
        out.append(f'<line x1="{label_width}" x2="{label_width + PLOT_WIDTH}" y1="{y}" '
                   f'y2="{y}"/>')
    ticks = _ticks(first, last)
    for tick in ticks:
        out.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{bottom}"/>')
    out.append("</g>")
    out.append(f'<g class="axis" {FONT} font-size="10" fill="#444">')
    for tick in ticks:
        out.append(f'<text x="{x(tick):.1f}" y="{bottom + 14}" text-anchor="middle">'
                   f'{tick.isoformat()}</text>')
    out.append(f'<text x="{label_width + PLOT_WIDTH / 2}" y="{bottom + 32}" '
               f'text-anchor="middle" font-weight="bold">claimed on</text>')
    for row, i in row_index.items():
        out.append(f'<text class="row-label" x="{label_width - 6}" '
                   f'y="{top + i * ROW_HEIGHT + ROW_HEIGHT / 2 + 4}" text-anchor="end" '
                   f'font-size="11">{escape(row)}</text>')
    out.append("</g>")
    out.append('<g class="marks">')
    lanes: Counter[tuple[str, date]] = Counter()
    for p in pts:
        row = _short(p.row or "(none)", LABEL_CHARS)
        lane = lanes[(row, p.day)] % LANES
        lanes[(row, p.day)] += 1
        stance = p.stance if p.stance in STANCE_COLOURS else "unknown"
        cy = (top + row_index[row] * ROW_HEIGHT + ROW_HEIGHT / 2
              + (lane / (LANES - 1) - 0.5) * LANE_SPREAD)
        mark = (f'<circle class="mark stance-{stance}" cx="{x(p.day):.1f}" cy="{cy:.1f}" r="4.5" '
                f'fill="{STANCE_COLOURS[stance]}" fill-opacity="0.85" stroke="white" '
                f'stroke-width="0.8"><title>{escape(_short(p.description, 300))}</title>'
                f'</circle>')
        out.append(f'<a href="{escape(p.href)}">{mark}</a>' if p.href else mark)
    out.append("</g>")
    legend_x = label_width + PLOT_WIDTH + 24
    out.append(f'<g class="legend" {FONT} font-size="11" fill="#1d1d1f">'
               f'<text x="{legend_x}" y="{top + 10}" font-weight="bold">stance</text>')
    for i, (name, colour) in enumerate(STANCE_COLOURS.items()):
        y = top + 28 + i * 18
        out.append(f'<circle cx="{legend_x + 5}" cy="{y - 4}" r="5" fill="{colour}"/>'
                   f'<text x="{legend_x + 16}" y="{y}">{name}</text>')
    out.append("</g></svg>")
    return "\n".join(out)


def html_page(svg: str, title: str) -> str:
    """A standalone page around the chart: opens anywhere, offline, no script."""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title></head>\n"
            "<body style=\"font-family: sans-serif; margin: 1.5rem\">\n"
            f"<h1 style=\"font-size: 1.2rem\">{escape(title)}</h1>\n{svg}\n"
            "<p style=\"color: #666\">One dot per claim; hover for its text, click for its "
            "article.</p>\n</body></html>\n")


def render(svg: str, fmt: str, title: str = "claims over time") -> bytes:
    if fmt == "svg":
        return svg.encode()
    if fmt == "png":
        import vl_convert

        # resvg inside vl-convert rasterises offline, with its bundled fonts.
        return vl_convert.svg_to_png(svg, scale=2.0)
    if fmt == "html":
        return html_page(svg, title).encode()
    raise ValueError(f"chart format must be one of {', '.join(FORMATS)}, not {fmt!r}")
