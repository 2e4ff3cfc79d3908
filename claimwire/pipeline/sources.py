"""Backfill sources: where past articles come from, behind one small protocol.

A source is one unit of backfill work, redone whole if a backfill is
interrupted before it was staged: a feed's RFC 5005 archive chain, a sitemap
(index), a WARC file. `acquire` hands each source an `Acquired` to fill with
what it holds for the window (items whose pages are to be fetched, or pages
already in hand), then stages it all as one poll batch, as a poll would.

    class BackfillSource(Protocol):
        unit: str                                 # names the work, for checkpoints
        def collect(self, client, archive, window, into: Acquired) -> str: ...

A new kind of source is a class with those two members; the backfill runner
needs no change. `CCNewsWarc` (one file of Common Crawl's news archive,
streamed) was added that way; a source whose unit takes long reports its
progress with `into.say(line)`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol

from claimwire.config import Config
from claimwire.failpoints import failpoint
from claimwire.ingest.archive import RawArchive
from claimwire.ingest.feeds import FeedItem
from claimwire.ingest.http import FetchResult, HttpClient
from claimwire.ingest.poll import fetch_row
from claimwire.ingest.urls import url_key
from claimwire.pipeline.polling import Acquired, stage_acquired
from claimwire.pipeline.progress import FileProgress
from claimwire.records import DocumentRow, FetchRow
from claimwire.window import Window

if TYPE_CHECKING:
    from claimwire.ingest.warc import WarcPage, WarcStats

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
            into.documents.append(_warc_document(page, origin, archive))
        into.counts.warc_records += stats.records
        into.counts.warc_damaged += stats.damaged
        return (f"{stats.records} record(s), {stats.pages} page(s) in range, "
                f"{stats.damaged} damaged")


@dataclass(frozen=True)
class CCNewsWarc:
    """One WARC file of Common Crawl's news archive (CC-NEWS), streamed through the
    client: the HTML responses of the wanted domains dated in the window.

    Nothing but the pages kept is held: the file is decoded as it arrives,
    each kept page (capped like a page fetch) goes to the raw archive at once.
    A file the server refuses for good (404, blocked, over `max_bytes`) is
    recorded as a failed fetch and counted; a transfer that breaks beyond
    repair raises `SourceUnavailable`, so the backfill stops and a re-run
    resumes at this file.
    """

    path: str  # as listed, e.g. crawl-data/CC-NEWS/2024/10/CC-NEWS-...warc.gz
    base: str
    domains: tuple[str, ...]
    max_bytes: int
    total_timeout: float
    position: int = 1  # among the run's files, for progress lines
    progress: FileProgress = field(default_factory=lambda: FileProgress(1), compare=False,
                                   repr=False)

    @property
    def unit(self) -> str:
        # The domains are part of the work: a run for other sites must not
        # take this file as done.
        digest = hashlib.sha256("\n".join(sorted(self.domains)).encode()).hexdigest()[:8]
        return f"cc-news[{digest}]:{self.path.removeprefix('crawl-data/CC-NEWS/')}"

    def collect(
        self, client: HttpClient, archive: RawArchive, window: Window, into: Acquired
    ) -> str:
        from claimwire.ingest.ccnews import DomainFilter, file_url, is_transient
        from claimwire.ingest.http_stream import StreamError
        from claimwire.ingest.warc import WarcStats, read_warc_pages

        url = file_url(self.base, self.path)
        origin = f"cc-news:{self.path.rsplit('/', 1)[-1]}"
        want = DomainFilter(self.domains)
        stats = WarcStats()
        meter = self.progress.begin(self.position)
        started = datetime.now(UTC)
        documents: list[DocumentRow] = []
        fetch = FetchRow(
            fetch_id=hashlib.sha256(f"{into.run_id}|warc|{url}".encode()).hexdigest()[:32],
            run_id=into.run_id, kind="warc", url=url, final_url=url, status=None,
            content_type=None, bytes=None, sha256=None, fetched_at=started, elapsed_s=None,
            error=None)
        try:
            with client.stream(url, max_bytes=self.max_bytes,
                               total_timeout=self.total_timeout) as body:
                fetch.status, fetch.final_url = body.status, body.final_url
                fetch.content_type, meter.length = body.content_type, body.length
                reader = meter.reader(body, lambda: into.say(meter.line(_kept(stats))))
                for page in read_warc_pages([reader], window, stats=stats, want=want):
                    documents.append(_warc_document(page, origin, archive))
                    failpoint("cc_news_page_archived")
        except StreamError as exc:
            if is_transient(exc.error):
                from claimwire.errors import SourceUnavailable

                raise SourceUnavailable(
                    f"CC-NEWS file {self.path}: {exc.error} (after {stats.records} records); "
                    "run the same backfill again to resume at this file") from None
            fetch.error, fetch.status = exc.error, exc.status or fetch.status
        fetch.bytes = meter.bytes_read
        fetch.elapsed_s = (datetime.now(UTC) - started).total_seconds()
        into.documents += documents
        into.fetches.append(fetch)
        into.counts.warc_records += stats.records
        into.counts.warc_damaged += stats.damaged
        into.counts.warc_failed += int(fetch.error is not None)
        if fetch.error is not None:
            return meter.finish(f"FAILED: {fetch.error}", timed=False)
        return meter.finish(
            f"{_kept(stats)}; skipped {stats.unwanted:,} of other domains, "
            f"{stats.not_html:,} not HTML, {stats.out_of_window:,} out of range, "
            f"{stats.bad_status:,} not 200, {stats.not_response:,} not responses, "
            f"{stats.too_large:,} too large, {stats.damaged:,} damaged"
            + (f" ({_short(stats.errors[0])})" if stats.errors else ""))


def _warc_document(page: WarcPage, origin: str, archive: RawArchive) -> DocumentRow:
    """The document row of a page read from a WARC file (named `origin`), its body archived."""
    return DocumentRow(
        doc_id=url_key(page.canonical_url), url=page.url,
        canonical_url=page.canonical_url, final_url=page.url, feed_url=origin,
        guid=page.url, raw_sha256=archive.put(page.body),
        content_type=page.content_type, charset=page.charset,
        published_at=page.date, fetched_at=page.record_date,
    )


def _short(text: str, limit: int = 160) -> str:
    # Damage reports quote the bytes they choked on; a progress line needs the gist.
    text = text.encode("ascii", "backslashreplace").decode()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kept(stats: WarcStats) -> str:
    return f"{stats.records:,} records read, {stats.pages:,} page(s) kept"


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
    archive = RawArchive(config.raw_archive_location)
    acquired = Acquired(run_id, parse_timeout=config.polling.parse_timeout)
    with HttpClient(config.http) as client:
        for source in sources:
            if report:
                acquired.say = lambda line, unit=source.unit: report(unit, line)
            line = source.collect(client, archive, window, acquired)
            if report:
                report(source.unit, line)
        return stage_acquired(config, client, archive, acquired)
