"""Synthetic news pages and feeds for tests: distinct texts, dates in the page."""

from __future__ import annotations

import random
from datetime import datetime

from servers import Reply

_VOCABULARY = (
    "council harbour bridge water tariff school timetable orchestra winter season cycling lane "
    "ring road library hours wind farm coast hospital wing marathon route tram line museum "
    "ticket prices flood barrier river budget mayor minister union strike port ferry airport "
    "runway housing rent market farmers harvest drought storm power grid solar battery factory "
    "workers wages tax reform court ruling appeal police report election poll candidate debate "
    "festival film theatre stadium club league coach player transfer record fans vote senate"
)
_WORDS = _VOCABULARY.split()


def article_text(index: int, paragraphs: int = 6) -> list[str]:
    """Distinct prose per index: random word runs, so no two articles look alike."""
    rng = random.Random(index)
    paras = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(3):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(9, 15))]
            sentences.append(" ".join(words).capitalize() + f" {rng.randint(2, 9999)}.")
        paras.append(" ".join(sentences))
    return paras


def article_html(title: str, published: datetime, index: int) -> str:
    paras = "".join(f"<p>{p}</p>" for p in article_text(index))
    return (
        f'<html lang="en"><head><title>{title}</title>'
        f'<meta property="article:published_time" content="{published.isoformat()}">'
        f"</head><body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paras}"
        "</article><footer>Copyright</footer></body></html>"
    )


def page(title: str, published: datetime, index: int) -> Reply:
    return Reply(body=article_html(title, published, index),
                 headers={"Content-Type": "text/html; charset=utf-8"})


def rss(items: list[tuple[str, str, datetime]], *, links: dict[str, str] | None = None) -> Reply:
    """items: (title, absolute link, published); links: feed-level rel -> href."""
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{published:%a, %d %b %Y %H:%M:%S} GMT</pubDate></item>"
        for title, link, published in items
    )
    atom_links = "".join(
        f'<atom:link rel="{rel}" href="{href}"/>' for rel, href in (links or {}).items()
    )
    body = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>gen</title>{atom_links}{entries}</channel></rss>"
    )
    return Reply(body=body, headers={"Content-Type": "application/rss+xml"})
