"""Backfill sources: where past articles come from, behind one small protocol.

A source is one unit of backfill work, redone whole if a backfill is
interrupted before it was staged: a feed's RFC 5005 archive chain, a sitemap
(index), a WARC file. `acquire` hands each source an `Acquired` to fill with
what it holds for the window (items whose pages are to be fetched, or pages
already in hand), then stages it all as one poll batch, as a poll would.

    class BackfillSource(Protocol):
        unit: str                                 # names the work, for checkpoints
        def collect(self, client, archive, window, into: Acquired) -> str: ...

A new kind of source (Common Crawl's news archive, say) is a class with those
two members; the backfill runner needs no change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from claimwire.config import Config
from claimwire.ingest.archive import RawArchive
from claimwire.ingest.feeds import FeedItem
from claimwire.ingest.http import FetchResult, HttpClient
from claimwire.ingest.poll import fetch_row
from claimwire.ingest.urls import url_key
from claimwire.pipeline.polling import Acquired, stage_acquired
from claimwire.records import DocumentRow, FetchRow
from claimwire.window import Window

# (source unit, one-line account of what it found)
SourceReport = Callable[[str, str], None]


class BackfillSource(Protocol):
    @property
    def unit(self) -> str:
        """A stable name of this piece of work (checkpoints record it as done)."""
        ...

    def collect(
        self, client: HttpClient, archive: RawArchive, window: Window, into: Acquired
    ) -> str:
        """Add what the source holds for `window` to `into`; return a one-line account."""
        ...


def _fetch_rows(results: Iterable[FetchResult], kind: str, run_id: str) -> list[FetchRow]:
    return [fetch_row(r, kind=kind, run_id=run_id, attempt_key=r.url) for r in results]


@dataclass(frozen=True)
class _Located:
    """A source named by where it is: its unit is "<kind>:<location>"."""

    location: str
    kind: ClassVar[str]

    @property
    def unit(self) -> str:
        return f"{self.kind}:{self.location}"


class ArchivedFeed(_Located):
    """A feed walked back through its RFC 5005 archive documents."""

    kind = "feed"

    def collect(
        self, client: HttpClient, archive: RawArchive, window: Window, into: Acquired
    ) -> str:
        from claimwire.ingest.archived_feeds import walk_feed_archives

        walk = walk_feed_archives(client, self.location, window,
                                  parse_timeout=into.parse_timeout)
        into.items += [(self.location, item) for item in walk.items]
        into.fetches += _fetch_rows(walk.fetches, "feed", into.run_id)
        into.counts.feeds_polled += 1
        into.counts.feeds_failed += int(bool(walk.errors) and not walk.items)
        return (f"{len(walk.items)} item(s) in range from {walk.documents} document(s)"
                + (f"; {walk.errors[0]}" if walk.errors else ""))


class Sitemap(_Located):
    """A sitemap or sitemap index (plain, news, gzipped): the entries dated in the window."""

    kind = "sitemap"

    def collect(
        self, client: HttpClient, archive: RawArchive, window: Window, into: Acquired
    ) -> str:
        from claimwire.ingest.sitemaps import walk_sitemaps

        walk = walk_sitemaps(client, self.location, window)
        into.items += [
            (self.location, FeedItem(
                guid=e.canonical_url, link=e.url, canonical_url=e.canonical_url, title=e.title,
                published_at=e.published_at, summary=None, author=None))
            for e in walk.entries
        ]
        into.fetches += _fetch_rows(walk.fetches, "sitemap", into.run_id)
        into.counts.sitemap_documents += walk.documents
        return (f"{walk.documents} document(s), {len(walk.entries)} entr(ies) in range, "
                f"{walk.undated} undated skipped"
                + (f", {len(walk.errors)} error(s)" if walk.errors else ""))


class WarcFile(_Located):
    """A WARC/WARC.gz file: its HTML responses dated in the window, straight into the archive."""

    kind = "warc"

    def collect(
        self, client: HttpClient, archive: RawArchive, window: Window, into: Acquired
    ) -> str:
        from claimwire.ingest.warc import WarcStats, read_warc_pages

        stats = WarcStats()
        origin = f"warc:{Path(self.location).name}"
        for page in read_warc_pages([Path(self.location)], window, stats=stats):
            into.documents.append(DocumentRow(
                doc_id=url_key(page.canonical_url), url=page.url,
                canonical_url=page.canonical_url, final_url=page.url, feed_url=origin,
                guid=page.url, raw_sha256=archive.put(page.body),
                content_type=page.content_type, charset=page.charset,
                published_at=page.date, fetched_at=page.record_date,
            ))
        into.counts.warc_records += stats.records
        into.counts.warc_damaged += stats.damaged
        return (f"{stats.records} record(s), {stats.pages} page(s) in range, "
                f"{stats.damaged} damaged")


def backfill_sources(
    *, feeds: Iterable[str] = (), sitemaps: Iterable[str] = (), warcs: Iterable[str] = ()
) -> list[BackfillSource]:
    """The sources named on a backfill's command line, WARC directories expanded."""
    from claimwire.ingest.warc import warc_files

    found: list[BackfillSource] = [ArchivedFeed(url) for url in feeds]
    found += [Sitemap(url) for url in sitemaps]
    warcs = list(warcs)
    if warcs:
        found += [WarcFile(str(p)) for p in warc_files([Path(w) for w in warcs])]
    return found


def acquire(
    config: Config,
    sources: Iterable[BackfillSource],
    window: Window,
    *,
    run_id: str,
    report: SourceReport | None = None,
) -> str:
    """What the sources hold for the window, fetched and staged as one poll batch."""
    archive = RawArchive(config.raw_archive_dir)
    acquired = Acquired(run_id, parse_timeout=config.polling.parse_timeout)
    with HttpClient(config.http) as client:
        for source in sources:
            line = source.collect(client, archive, window, acquired)
            if report:
                report(source.unit, line)
        return stage_acquired(config, client, archive, acquired)
