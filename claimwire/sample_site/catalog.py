"""The sample site's articles: catalogue metadata plus the verbatim sample texts.

`articles.json` says, per article, which lines of its text are article body and
which are leftovers of the original page (category label, author bio, "Recent
Posts", ...). Keeping that split as data, next to the untouched texts, lets the
renderer put each leftover where a real site has it, and lets tests know exactly
which sentences an extractor should and should not return.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CATALOGUE = PACKAGE_DIR / "articles.json"
TEXTS_DIR = PACKAGE_DIR / "pages"
# Never resolves (RFC 2606), so URLs built without a server cannot leak onto a network.
OFFLINE_BASE_URL = "http://sample-site.invalid"

PART_KINDS = frozenset(
    {
        "kicker",
        "headline",
        "dek",
        "body",
        "h2",
        "quote",
        "byline",
        "author-name",
        "author-bio",
        "sources",
        "recent-posts",
        "comments-closed",
    }
)
# Parts that belong inside the article body on the page (and in extracted text).
BODY_KINDS = frozenset({"body", "h2", "quote"})


@dataclass(frozen=True)
class SampleArticle:
    slug: str
    url: str
    title: str
    published: datetime
    outlet: str
    text_path: Path
    id: str
    site_name: str
    author: str
    section: str
    path: str


@dataclass(frozen=True)
class Comment:
    name: str
    posted: datetime
    text: str


@dataclass(frozen=True)
class ArticleParts:
    """An article's text split into page parts: (kind, lines) in text order."""

    parts: tuple[tuple[str, tuple[str, ...]], ...]
    comments: tuple[Comment, ...]

    def lines(self, *kinds: str) -> list[str]:
        return [line for kind, lines in self.parts if kind in kinds for line in lines]

    @property
    def body_lines(self) -> list[str]:
        return self.lines(*BODY_KINDS)

    @property
    def furniture_lines(self) -> list[str]:
        return [line for kind, lines in self.parts if kind not in BODY_KINDS for line in lines]


def slugify(title: str, max_length: int = 80) -> str:
    # Apostrophes vanish rather than split words: "Russia's" -> "russias".
    title = re.sub("['\u2019]", "", title)
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0]
    return slug


def outlet_prefix(outlet: str) -> str:
    """URL path segment of an outlet: `outlet-a.example` -> `outlet-a`."""
    return outlet.split(".", 1)[0]


@cache
def _catalogue() -> tuple[dict, ...]:
    data = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return tuple(data["articles"])


def _article(entry: dict, base_url: str) -> SampleArticle:
    published = datetime.fromisoformat(entry["published"])
    slug = slugify(entry["title"])
    path = f"/{outlet_prefix(entry['outlet'])}/{published:%Y/%m/%d}/{slug}.html"
    return SampleArticle(
        slug=slug,
        url=base_url.rstrip("/") + path,
        title=entry["title"],
        published=published,
        outlet=entry["outlet"],
        text_path=TEXTS_DIR / f"{entry['id']}.txt",
        id=entry["id"],
        site_name=entry["site_name"],
        author=entry["author"],
        section=entry["section"],
        path=path,
    )


def sample_articles(base_url: str = OFFLINE_BASE_URL) -> list[SampleArticle]:
    """The five sample articles, newest first, with URLs under `base_url`."""
    articles = [_article(entry, base_url) for entry in _catalogue()]
    return sorted(articles, key=lambda a: a.published, reverse=True)


@cache
def article_parts(article_id: str) -> ArticleParts:
    """Split an article's text into page parts following its `layout`."""
    entry = next(e for e in _catalogue() if e["id"] == article_id)
    text = (TEXTS_DIR / f"{article_id}.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # Each layout entry starts a part at the next line beginning with its marker.
    starts: list[tuple[int, str]] = []
    position = 0
    for marker, kind in entry["layout"]:
        if kind not in PART_KINDS:
            raise ValueError(f"{article_id}: unknown part kind {kind!r}")
        while position < len(lines) and not lines[position].startswith(marker):
            position += 1
        if position == len(lines):
            raise ValueError(f"{article_id}: layout marker {marker!r} not found in order")
        starts.append((position, kind))
        position += 1
    if starts[0][0] != 0:
        raise ValueError(f"{article_id}: layout leaves the first lines unassigned")
    bounds = [index for index, _ in starts[1:]] + [len(lines)]
    parts = [
        (kind, tuple(lines[start:end])) for (start, kind), end in zip(starts, bounds, strict=True)
    ]
    prefix = entry.get("strip_prefix")
    if prefix:
        # The leftover sits on the first body line itself, not on a line of its own.
        index = next(i for i, (kind, _) in enumerate(parts) if kind == "body")
        kind, part_lines = parts[index]
        parts[index] = (kind, (part_lines[0].removeprefix(prefix), *part_lines[1:]))
    comments = tuple(
        Comment(name, datetime.fromisoformat(posted), body)
        for name, posted, body in entry["comments"]
    )
    return ArticleParts(parts=tuple(parts), comments=comments)
