"""Benchmark inputs: the dev pages, edited copies of them, synthetic pages and feeds.

Everything is deterministic (seeded), so two runs measure the same bytes.
"""

from __future__ import annotations

import hashlib
import html
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from claimwire.transform.extract_quality import BenchmarkPage, load_benchmark

REPO = Path(__file__).resolve().parent.parent
DEV_DIR = REPO.parent / "shared" / "data" / "article-extraction" / "dev"

# The page's own canonical link (and og:url) would give every copy of a page
# the same article id, so copies would collapse in exact dedup; a copy is a
# different article, so they go.
_CANONICAL_RE = re.compile(
    rb"<link\b[^>]*\brel=[\"']?canonical\b[^>]*>|<meta\b[^>]*\bproperty=[\"']?og:url\b[^>]*>",
    re.IGNORECASE,
)
_PARA_END_RE = re.compile(rb"</p\s*>", re.IGNORECASE)
_WORDS = [
    "amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "indigo",
    "juniper", "kestrel", "lagoon", "meadow", "nickel", "orchid", "pylon", "quartz", "ridge",
    "summit", "tundra", "umber", "valley", "willow", "xenon", "yarrow", "zephyr",
]


@dataclass(frozen=True)
class Page:
    """One page to serve or archive: its path on the benchmark site and its bytes."""

    path: str
    html: bytes
    title: str


def dev_pages(dev_dir: Path = DEV_DIR) -> list[BenchmarkPage]:
    return load_benchmark(dev_dir)


def _marker(copy: int) -> str:
    """A sentence unique to one copy, made of words so it survives text cleaning."""
    rng = random.Random(copy)
    words = " ".join(rng.choice(_WORDS) for _ in range(12))
    return f"Edition {copy} notes: {words}."


def edited_copy(page: BenchmarkPage, copy: int) -> bytes:
    """The page with its canonical links removed and, for copy > 0, a few unique
    words inserted into the article body (a "small edit"), so exact dedup keeps it."""
    raw = _CANONICAL_RE.sub(b"", page.html)
    if copy == 0:
        return raw
    words = f" {html.escape(_marker(copy))} ".encode()
    # A word of the true article body is (also) inside the article, where the
    # extractor keeps the edit; every occurrence gets it, because pages often
    # carry the body twice (JSON-LD, a print version) and either may be used.
    for anchor in _anchor_words(page.expected):
        if anchor in raw:
            return raw.replace(anchor, anchor + words)
    ends = [m.end() for m in _PARA_END_RE.finditer(raw)]
    if not ends:
        return raw.replace(b"</body>", b"<p>" + words + b"</p></body>", 1)
    at = ends[len(ends) // 2]
    return raw[:at] + b"<p>" + words + b"</p>" + raw[at:]


def _anchor_words(text: str) -> list[bytes]:
    longest = max(text.split("\n"), key=len, default="")
    return [f" {w} ".encode() for w in longest.split() if w.isalpha() and len(w) >= 7]


def replicated_dev_pages(pages: list[BenchmarkPage], copies: int) -> list[Page]:
    out = []
    for copy in range(copies):
        for page in pages:
            out.append(Page(f"/dev/{copy}/{page.id[:16]}.html", edited_copy(page, copy), page.id))
    return out


def paragraph_pool(pages: list[BenchmarkPage]) -> list[str]:
    """Real article paragraphs (ground-truth bodies), the raw material of synthetic pages."""
    pool = []
    for page in pages:
        for para in page.expected.split("\n"):
            para = para.strip()
            if 15 <= len(para.split()) <= 120:
                pool.append(para)
    return pool


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="author" content="{author}">
<meta property="article:published_time" content="{published}">
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a>
<a href="/sport">Sport</a></nav></header>
<main><article><h1>{title}</h1><p class="byline">By {author}</p>
{paragraphs}
</article></main>
<aside><h2>Related</h2><ul><li><a href="/r/1">More news</a></li><li><a href="/r/2">Opinion</a>
</li></ul></aside>
<footer><p>Copyright The Benchmark Times. All rights reserved.</p></footer>
</body></html>
"""


def synthetic_page(index: int, pool: list[str], paragraphs: int = 6) -> Page:
    """A small news page: real paragraphs in a random order plus a unique one."""
    rng = random.Random(index * 7919 + 17)
    chosen = rng.sample(pool, k=min(paragraphs, len(pool)))
    chosen.insert(rng.randrange(len(chosen) + 1), _marker(index + 1_000_000))
    published = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=index)
    title = f"Report {index}: {' '.join(chosen[0].split()[:6])}"
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in chosen)
    text = _TEMPLATE.format(
        title=html.escape(title),
        author=f"Reporter {index % 97}",
        published=published.isoformat(),
        paragraphs=body,
    )
    return Page(f"/syn/{index}.html", text.encode(), title)


def rss(title: str, base: str, items: list[tuple[str, str]], start: datetime) -> bytes:
    """An RSS 2.0 document listing (path, title) items, newest first."""
    entries = []
    for n, (path, item_title) in enumerate(items):
        when = format_datetime(start - timedelta(minutes=n))
        link = html.escape(base + path)
        entries.append(
            f"<item><title>{html.escape(item_title)}</title><link>{link}</link>"
            f"<guid isPermaLink=\"true\">{link}</guid><pubDate>{when}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{html.escape(title)}</title><link>{html.escape(base)}/</link>"
        f"<description>benchmark feed</description>{''.join(entries)}</channel></rss>\n"
    ).encode()


def write_site(root: Path, files: dict[str, bytes]) -> None:
    """Write {url path: bytes} under root, for `bench.server` to serve."""
    for path, data in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def feeds_for(
    pages: list[Page], base: str, *, feeds: int, prefix: str = "/feeds"
) -> dict[str, bytes]:
    """Spread pages round-robin over `feeds` RSS documents; {feed path: bytes}."""
    groups: list[list[tuple[str, str]]] = [[] for _ in range(feeds)]
    for n, page in enumerate(pages):
        groups[n % feeds].append((page.path, page.title))
    # Recent dates: the feed parser drops dates in the future or before 1990.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return {
        f"{prefix}/{n}.xml": rss(f"Benchmark feed {n}", base, items, start)
        for n, items in enumerate(groups)
    }


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
