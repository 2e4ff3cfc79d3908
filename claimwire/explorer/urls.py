"""Where each page lives: the one place that builds the explorer's links.

Ids are quoted whole (speaker ids hold colons, and an id is data: it must
never be able to add a path segment or a query of its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, urlencode


def _q(value: str) -> str:
    return quote(str(value), safe="")


def search(items: Iterable[tuple[str, str]] = ()) -> str:
    query = urlencode(list(items))
    return "/search" + (f"?{query}" if query else "")


def speaker(speaker_id: str) -> str:
    return f"/speaker/{_q(speaker_id)}"


def story(story_id: str) -> str:
    return f"/story/{_q(story_id)}"


def article(article_id: str, claim_id: str | None = None) -> str:
    anchor = f"#claim-{_q(claim_id)}" if claim_id else ""
    return f"/article/{_q(article_id)}{anchor}"


def raw(article_id: str, download: bool = False) -> str:
    return f"/article/{_q(article_id)}/raw" + ("?download=1" if download else "")


def status() -> str:
    return "/status"


def with_page(base_items: Iterable[tuple[str, str]], path: str, page: int,
              name: str = "page") -> str:
    items = [(k, v) for k, v in base_items if k != name]
    if page > 1:
        items.append((name, str(page)))
    query = urlencode(items)
    return path + (f"?{query}" if query else "")
