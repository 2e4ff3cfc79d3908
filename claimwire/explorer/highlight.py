"""An article's text with each claim's span marked, as escaped HTML.

Spans (`claims.char_start`/`char_end`, code-point offsets into
`articles.text`) may nest or overlap. HTML elements must nest, so the text is
cut at every span boundary; each piece is wrapped in the marks of the claims
covering it, outermost (earliest start, longest) first, and a mark that must
close early for a partly overlapping neighbour is reopened after it. A claim
may therefore be drawn as several `<mark>` pieces, all carrying its id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Span:
    claim_id: str
    start: int
    end: int
    stance: str | None


def valid_spans(claims: Iterable[Mapping[str, Any]], text_length: int) -> list[Span]:
    """Spans that fit the text; a claim without usable offsets is listed but not marked."""
    spans = []
    for c in claims:
        start, end = c.get("char_start"), c.get("char_end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= text_length:
            spans.append(Span(str(c["claim_id"]), start, end, c.get("stance")))
    return spans


def _open_tag(span: Span, first: bool) -> str:
    stance = span.stance if span.stance in ("assert", "deny", "uncertain") else "other"
    anchor = f' id="claim-{escape(span.claim_id)}"' if first else ""
    return (f'<mark class="claim stance-{stance}"{anchor} data-claim="{escape(span.claim_id)}"'
            f' title="{escape(span.stance or "")}">')


def highlight(text: str, spans: list[Span]) -> Markup:
    order = sorted(spans, key=lambda s: (s.start, -s.end, s.claim_id))
    rank = {s.claim_id: i for i, s in enumerate(order)}
    cuts = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    out: list[str] = []
    open_stack: list[Span] = []
    opened: set[str] = set()
    for left, right in zip(cuts, cuts[1:], strict=False):
        wanted = sorted((s for s in spans if s.start <= left and right <= s.end),
                        key=lambda s: rank[s.claim_id])
        keep = 0
        while keep < min(len(open_stack), len(wanted)) and open_stack[keep] is wanted[keep]:
            keep += 1
        out.append("</mark>" * (len(open_stack) - keep))
        del open_stack[keep:]
        for span in wanted[keep:]:
            out.append(_open_tag(span, span.claim_id not in opened))
            opened.add(span.claim_id)
            open_stack.append(span)
        out.append(str(escape(text[left:right])))
    out.append("</mark>" * len(open_stack))
    return Markup("".join(out))
