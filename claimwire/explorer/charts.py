"""Claims over time as Vega-Lite, rendered on the server without any network.

One mark per claim: x = the day it was claimed, colour = stance, one row per
story (a speaker's chart) or per speaker (a story's chart). Specs are plain
Vega-Lite JSON rendered by vl-convert (an embedded JavaScript engine with
Vega bundled: no browser, no CDN), to SVG for the pages and SVG, PNG or
self-contained HTML for `claimwire chart`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

STANCE_COLOURS = {  # colour-blind safe (Okabe-Ito), fixed so every chart reads the same
    "assert": "#0072B2",
    "deny": "#D55E00",
    "uncertain": "#E69F00",
    "unknown": "#999999",
}
FORMATS = ("svg", "png", "html")
ROW_HEIGHT = 26
LABEL_CHARS = 60
# Claims on the same row and day are spread over a few lanes so each stays visible.
LANES = 5


@dataclass(frozen=True)
class Point:
    day: date
    row: str
    stance: str | None
    description: str
    href: str | None = None


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timeline_spec(points: Iterable[Point], *, row_title: str = "", title: str = ""
                  ) -> dict[str, Any]:
    """A Vega-Lite spec (plain JSON: altair's schema validation would cost more
    than the rendering on a large chart)."""
    values, lanes = [], Counter()
    for p in points:
        row = _short(p.row or "(none)", LABEL_CHARS)
        lane = lanes[(row, p.day)] % LANES
        lanes[(row, p.day)] += 1
        values.append({
            "day": p.day.isoformat(), "row": row,
            "stance": p.stance if p.stance in STANCE_COLOURS else "unknown",
            "lane": lane, "description": _short(p.description, 300),
            **({"href": p.href} if p.href else {}),
        })
    rows = sorted({v["row"] for v in values})
    encoding: dict[str, Any] = {
        "x": {"field": "day", "type": "temporal", "title": "claimed on",
              "axis": {"format": "%Y-%m-%d", "labelAngle": 0}},
        # The row's name is the caption's job: a y title would collide with long labels.
        "y": {"field": "row", "type": "nominal", "title": None, "sort": rows,
              "axis": {"labelLimit": 320}},
        "yOffset": {"field": "lane", "type": "quantitative",
                    "scale": {"domain": [0, LANES - 1], "range": [-8, 8]}},
        "color": {"field": "stance", "type": "nominal", "title": "stance",
                  "scale": {"domain": list(STANCE_COLOURS),
                            "range": list(STANCE_COLOURS.values())}},
        "description": {"field": "description", "type": "nominal"},
    }
    if any("href" in v for v in values):
        encoding["href"] = {"field": "href", "type": "nominal"}
    spec: dict[str, Any] = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": values},
        "mark": {"type": "circle", "size": 70, "opacity": 0.8},
        "encoding": encoding,
        "width": 640,
        "height": max(2, len(rows)) * ROW_HEIGHT,
        "background": "white",
        "description": "claims over time by stance" + (f", one row per {row_title}"
                                                       if row_title else ""),
    }
    if title:
        spec["title"] = title
    return spec


def render(spec: dict[str, Any], fmt: str) -> bytes:
    """The chart as SVG, PNG or a standalone HTML page (JavaScript inlined)."""
    import vl_convert

    # No base URL may be fetched from: the data is inline, and a chart must
    # never make the server reach out.
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec, allowed_base_urls=[]).encode()
    if fmt == "png":
        return vl_convert.vegalite_to_png(spec, scale=2, allowed_base_urls=[])
    if fmt == "html":
        return vl_convert.vegalite_to_html(spec, bundle=True).encode()
    raise ValueError(f"chart format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def svg_markup(spec: dict[str, Any]) -> str:
    """SVG for inlining into a page. vl-convert escapes every text it draws, and
    the page's Content-Security-Policy forbids scripts in any case."""
    svg = render(spec, "svg").decode()
    return svg[svg.find("<svg"):] if "<svg" in svg else svg


def warm_up() -> None:
    """The first conversion starts vl-convert's JavaScript engine (about half a
    second): pay it at server start, not in a person's first request."""
    render(timeline_spec([Point(date(2024, 1, 1), "x", "assert", "warm-up")],
                         row_title="row"), "svg")
