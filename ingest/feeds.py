"""Feed documents (bytes fetched by our own client) -> feed items.

RSS 0.9x/1.0/2.0 and Atom go through feedparser, JSON Feed 1.x through a
small adapter (feedparser does not read it). feedparser is only ever given
bytes: it must never fetch a URL itself.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from claimwire.formats.dates import EARLIEST_YEAR, not_in_future, parse_datetime
from claimwire.ingest.urls import canonicalize_url

# Every pattern here meets a stranger's bytes, so none may backtrack over
# them: a tag may not contain "<" (with `<[^>]+>`, a run of "<" without ">"
# made the scan quadratic: 312 KB took 9 s).
_TAG_RE = re.compile(r"<[^<>]*>")
_SPACE_RE = re.compile(r"\s+")
_DOCTYPE_START = re.compile(rb"<!doctype", re.IGNORECASE)
_SUBSET_END = re.compile(rb"\]\s*>")
# A "<" that cannot open markup (not before a name, "/", "!" or "?") and an
# "&" that starts no reference. XML forbids both outside CDATA, and either
# sends the whole document to feedparser's loose parser, which handles each
# one as an event (1 MB of them: seconds). Escaped, a feed that is otherwise
# well-formed takes the strict parser and reads the same.
_STRAY_LT = re.compile(rb"<(?![A-Za-z_:/!?\x80-\xff])")
_STRAY_AMP = re.compile(rb"&(?!(?:[A-Za-z_:][\w.:-]{0,63}|#[0-9]{1,10}|#x[0-9A-Fa-f]{1,8});)")
_CDATA_OPEN = b"<![CDATA["
_CDATA_CLOSE = b"]]>"


@dataclass(frozen=True)
class FeedItem:
    guid: str
    link: str
    canonical_url: str
    title: str | None
    published_at: datetime | None
    summary: str | None
    author: str | None


@dataclass
class ParsedFeed:
    title: str | None
    kind: str
    items: list[FeedItem] = field(default_factory=list)
    # Set when the document was malformed; items holds what could be read.
    problem: str | None = None
    links: dict[str, str] = field(default_factory=dict)


class FeedParseError(ValueError):
    """The bytes are not a feed at all."""


def clean_text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = _SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", value))).strip()
    return text or None


def strip_doctype(body: bytes) -> bytes:
    """`body` without its first DOCTYPE declaration, internal subset included.

    feedparser resolves entities from the document's own DTD only for its
    built-in ones; a DOCTYPE with an internal subset is how "billion laughs"
    style expansions get in, so it is dropped before parsing. Linear time
    (a regex with a lazy subset took 25 s on 104 KB of `<!DOCTYPE a [`). A
    subset that never closes leaves no document after it, so the rest goes too.
    """
    found = _DOCTYPE_START.search(body)
    if found is None:
        return body
    start = found.start()
    close = body.find(b">", found.end())
    bracket = body.find(b"[", found.end())
    if bracket != -1 and (close == -1 or bracket < close):
        end = _SUBSET_END.search(body, bracket + 1)
        return body[:start] if end is None else body[:start] + body[end.end():]
    return body[:start] if close == -1 else body[:start] + body[close + 1:]


def escape_stray_markup(body: bytes) -> bytes:
    """Stray "<" and "&" outside CDATA sections escaped (see `_STRAY_LT`); linear time."""
    parts: list[bytes] = []
    position = 0
    while True:
        start = body.find(_CDATA_OPEN, position)
        outside = body[position:] if start == -1 else body[position:start]
        parts.append(_STRAY_AMP.sub(b"&amp;", _STRAY_LT.sub(b"&lt;", outside)))
        if start == -1:
            break
        end = body.find(_CDATA_CLOSE, start)
        if end == -1:
            parts.append(body[start:])
            break
        parts.append(body[start : end + len(_CDATA_CLOSE)])
        position = end + len(_CDATA_CLOSE)
    return b"".join(parts)


def _struct_to_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def sane_date(value: datetime | None, now: datetime | None = None) -> datetime | None:
    """A feed's date, or None when it is before 1990 or too far in the future."""
    if value is None or value.year < EARLIEST_YEAR:
        return None
    return not_in_future(value, now)


def _make_guid(raw_guid: str | None, link: str, title: str | None) -> str:
    if raw_guid and raw_guid.strip():
        return raw_guid.strip()
    if link:
        return link
    digest = hashlib.sha256((title or "").encode("utf-8")).hexdigest()[:24]
    return f"title:{digest}"


def _looks_like_json(body: bytes) -> bool:
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def parse_feed(
    body: bytes,
    base_url: str,
    *,
    content_type: str | None = None,
    max_items: int = 500,
    now: datetime | None = None,
) -> ParsedFeed:
    """Parse feed bytes; raise FeedParseError when nothing feed-like is in them."""
    if not body or not body.strip():
        raise FeedParseError("empty feed document")
    if _looks_like_json(body):
        return _parse_json_feed(body, base_url, max_items=max_items, now=now)
    return _parse_xml_feed(
        body, base_url, content_type=content_type, max_items=max_items, now=now
    )


# A parse runs in a helper process that is killed past the time budget
# (`[polling] parse_timeout`) and may not grow past this address space.
PARSE_MEMORY_BYTES = 2 * 1024**3
PARSE_HELPERS = 2


def parse_feed_bounded(
    body: bytes,
    base_url: str,
    *,
    timeout: float,
    content_type: str | None = None,
    max_items: int = 500,
) -> ParsedFeed:
    """`parse_feed` in a helper process, given at most `timeout` seconds: a
    document that takes longer raises FeedParseError, and the night goes on.

    Where no helper process can be started (a daemonic host process), the
    parse runs here, bounded only by the parsers being linear.
    """
    from claimwire.sandbox import SandboxError, SandboxUnavailable, shared_pool

    pool = shared_pool("feeds", PARSE_HELPERS, PARSE_MEMORY_BYTES, preload=(__name__,))
    try:
        return pool.call(parse_feed, body, base_url, timeout=timeout,
                         content_type=content_type, max_items=max_items)
    except SandboxUnavailable:
        return parse_feed(body, base_url, content_type=content_type, max_items=max_items)
    except SandboxError as exc:
        raise FeedParseError(f"parse stopped: {exc}") from exc


def _finish(items: list[FeedItem], max_items: int) -> list[FeedItem]:
    seen: set[str] = set()
    unique = []
    for item in items:
        # Duplicate GUIDs inside one document: the first occurrence wins.
        if item.guid in seen:
            continue
        seen.add(item.guid)
        unique.append(item)
        if len(unique) >= max_items:
            break
    return unique


def _parse_xml_feed(
    body: bytes,
    base_url: str,
    *,
    content_type: str | None,
    max_items: int,
    now: datetime | None,
) -> ParsedFeed:
    safe_body = escape_stray_markup(strip_doctype(body))
    parsed = feedparser.parse(
        safe_body,
        response_headers={
            "content-location": base_url,
            "content-type": content_type or "application/xml",
        },
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    version = parsed.get("version") or ""
    entries = parsed.get("entries") or []
    if not version and not entries:
        reason = parsed.get("bozo_exception")
        raise FeedParseError(f"not a feed: {reason}" if reason else "not a feed")
    items: list[FeedItem] = []
    for entry in entries[: max_items * 2]:
        raw_link = entry.get("link") or ""
        if not raw_link:
            for candidate in entry.get("links") or []:
                if candidate.get("href"):
                    raw_link = candidate["href"]
                    break
        link = _absolute(raw_link, base_url)
        canonical = canonicalize_url(link) if link else ""
        title = clean_text(entry.get("title"))
        published = _struct_to_datetime(entry.get("published_parsed")) or _struct_to_datetime(
            entry.get("updated_parsed")
        )
        items.append(
            FeedItem(
                guid=_make_guid(entry.get("id") or entry.get("guid"), canonical, title),
                link=link,
                canonical_url=canonical,
                title=title,
                published_at=sane_date(published, now),
                summary=clean_text(entry.get("summary")),
                author=clean_text(entry.get("author")),
            )
        )
    feed_meta = parsed.get("feed") or {}
    links = {
        str(link.get("rel")): str(link.get("href"))
        for link in feed_meta.get("links") or []
        if link.get("rel") and link.get("href")
    }
    problem = None
    bozo = parsed.get("bozo_exception")
    # A charset override is feedparser recovering, not the feed being broken.
    if parsed.get("bozo") and not isinstance(bozo, feedparser.CharacterEncodingOverride):
        problem = f"malformed feed: {bozo}"
    return ParsedFeed(
        title=clean_text(feed_meta.get("title")),
        kind=version or "unknown",
        items=_finish([i for i in items if i.canonical_url], max_items),
        problem=problem,
        links=links,
    )


def _absolute(link: str, base_url: str) -> str:
    return urljoin(base_url, link.strip()) if link else ""


def _parse_json_feed(
    body: bytes, base_url: str, *, max_items: int, now: datetime | None
) -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError) as exc:
        raise FeedParseError(f"not a feed: invalid JSON ({exc})") from exc
    if not isinstance(document, dict) or "jsonfeed.org/version" not in str(
        document.get("version", "")
    ):
        raise FeedParseError("not a feed: JSON without a JSON Feed version")
    raw_items = document.get("items")
    if not isinstance(raw_items, list):
        raise FeedParseError("not a feed: JSON Feed without items")
    feed_author = _json_author(document)
    items: list[FeedItem] = []
    for entry in raw_items[: max_items * 2]:
        if not isinstance(entry, dict):
            continue
        raw_link = entry.get("url") or entry.get("external_url") or ""
        if not isinstance(raw_link, str):
            raw_link = ""
        link = _absolute(raw_link, base_url)
        canonical = canonicalize_url(link) if link else ""
        title = clean_text(entry.get("title"))
        raw_id = entry.get("id")
        guid = _make_guid(str(raw_id) if raw_id not in (None, "") else None, canonical, title)
        summary = clean_text(entry.get("summary")) or clean_text(entry.get("content_text"))
        items.append(
            FeedItem(
                guid=guid,
                link=link,
                canonical_url=canonical,
                title=title,
                published_at=sane_date(
                    parse_datetime(entry.get("date_published"))
                    or parse_datetime(entry.get("date_modified")),
                    now,
                ),
                summary=summary,
                author=_json_author(entry) or feed_author,
            )
        )
    links = {}
    if isinstance(document.get("next_url"), str):
        links["next"] = _absolute(document["next_url"], base_url)
    return ParsedFeed(
        title=clean_text(document.get("title")),
        kind="jsonfeed" + str(document.get("version", "")).rsplit("/", 1)[-1],
        items=_finish([i for i in items if i.canonical_url], max_items),
        links=links,
    )


def _json_author(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    if isinstance(authors, list):
        names = [clean_text(a.get("name")) for a in authors if isinstance(a, dict)]
        names = [n for n in names if n]
        if names:
            return ", ".join(names)
    author = obj.get("author")
    if isinstance(author, dict):
        return clean_text(author.get("name"))
    return None
