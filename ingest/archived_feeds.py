"""Past feed items from RFC 5005 archived and paged feeds, for backfills.

A subscription document lists only the latest items. RFC 5005 feeds link
older documents: archived feeds with `prev-archive` (each archive document is
stable once published), paged feeds with `next` / `previous` / `prev` (pages
shift as items are added). `walk_feed_archives` starts at the subscription
document and follows those links, newest to oldest, collecting the items
published inside the window.

Stop conditions, whichever comes first:
* a document whose dated items are all older than `window.start`: its links
  lead further back, so they are not followed (one document past the window
  is always fetched, since that is how the walk learns it went far enough);
* no unvisited links left (every document is fetched at most once: links and
  post-redirect URLs are compared canonicalised, so link loops end);
* `max_documents` fetches.
Documents with no dated items say nothing about where the walk is, so their
links are followed. A document that fails (HTTP error, not a feed) is
recorded in `errors` and its links are lost, which ends a plain archive
chain there; the walk never raises for a remote problem.

`next-archive` and `current` point to newer documents and are never followed.
A backfill walks a feed's whole chain as one unit of work (see
`claimwire.pipeline.sources`), so the walk itself keeps no checkpoints.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

from claimwire.ingest.feeds import FeedItem, FeedParseError
from claimwire.ingest.http import FetchResult, HttpClient
from claimwire.ingest.poll import read_feed
from claimwire.ingest.urls import canonicalize_url
from claimwire.ingest.walking import DocumentWalk
from claimwire.window import Window

# Relations leading to older documents, in the order they are queued.
ARCHIVE_REL = "prev-archive"
PAGED_RELS = ("next", "previous", "prev")




@dataclass
class ArchiveWalk:
    items: list[FeedItem] = field(default_factory=list)  # in the window, newest document first
    fetches: list[FetchResult] = field(default_factory=list)  # every fetch, for the fetches table
    errors: list[str] = field(default_factory=list)  # "<url>: <reason>"
    documents: int = 0  # documents parsed as feeds
    stopped: str = ""  # "older_than_window", "no_more_links" or "max_documents"


def walk_feed_archives(
    client: HttpClient,
    feed_url: str,
    window: Window,
    *,
    max_documents: int = 500,
    parse_timeout: float | None = None,
) -> ArchiveWalk:
    """Walk a feed's archive back from `feed_url`; return the items published in `window`.

    Items without a publication date are left out (they cannot be placed in
    the window). An item seen in several documents is returned once, from the
    newest document, as RFC 5005 says the newest copy wins.
    """
    walk = ArchiveWalk()
    seen_items: set[str] = set()
    visited: set[str] = set()
    queue: deque[str] = deque([feed_url])
    queued = {canonicalize_url(feed_url)}
    documents = DocumentWalk(client, "feed", max_documents, walk.fetches, walk.errors)
    stopped_old = False

    while queue:
        url = queue.popleft()
        visited.add(canonicalize_url(url))
        if not documents.budget_left(url):
            walk.stopped = "max_documents"
            return walk
        result = documents.fetch(url, visited)
        if result is None:
            continue
        try:
            parsed = read_feed(result, url, parse_timeout=parse_timeout)
        except FeedParseError as exc:
            walk.errors.append(f"{url}: {exc}")
            continue
        walk.documents += 1
        if parsed.problem:
            walk.errors.append(f"{url}: {parsed.problem} (items read anyway)")

        fresh = _new_in_window(parsed.items, window, seen_items)
        walk.items.extend(fresh)
        older = _all_older(parsed.items, window.start)
        links: list[str] = []
        if older:
            stopped_old = True
        else:
            links = _older_links(parsed.links, result.final_url)
        _enqueue(queue, queued, visited, links)

    walk.stopped = "older_than_window" if stopped_old else "no_more_links"
    return walk


def _new_in_window(items: list[FeedItem], window: Window, seen: set[str]) -> list[FeedItem]:
    fresh = []
    for item in items:
        identity = item.canonical_url or item.guid
        if identity in seen:
            continue
        seen.add(identity)
        if item.published_at is not None and window.contains(item.published_at):
            fresh.append(item)
    return fresh


def _all_older(items: list[FeedItem], start: datetime) -> bool:
    dated = [item.published_at for item in items if item.published_at is not None]
    return bool(dated) and max(dated) < start


def _older_links(links: dict[str, str], base_url: str) -> list[str]:
    found = []
    for rel in (ARCHIVE_REL, *PAGED_RELS):
        href = links.get(rel)
        if href and href.strip():
            # feedparser resolves hrefs already; joining again is a no-op then
            # and a fix when a parser left one relative.
            found.append(urljoin(base_url, href.strip()))
    return found


def _enqueue(queue: deque[str], queued: set[str], visited: set[str], links: list[str]) -> None:
    for link in links:
        key = canonicalize_url(link)
        if not key.startswith(("http://", "https://")) or key in queued or key in visited:
            continue
        queued.add(key)
        queue.append(link)
