"""Pages from WARC files (web archives) for backfills, and the raw archive as a WARC.

`read_warc_pages` turns crawls made elsewhere (Internet Archive, Common
Crawl, browsertrix, our own `export_warc`) into pages for the raw archive:
only `response` records with HTTP 200 and an HTML body. A page's date is the
publication time its markup declares (meta tags, JSON-LD, <time>; the same
reader the extractor uses), else the capture time (`WARC-Date`), which is
never earlier than publication; pages outside the window are dropped.

Damaged input never raises: a record that cannot be read is skipped and
counted; a file whose framing is broken (bad gzip, garbage instead of a
record header) is abandoned at that point, keeping what came before, since
there is no reliable way to find the next record.

Hostile input stays bounded, as the HTTP client bounds bodies: a line may
not exceed MAX_LINE_BYTES, a record's header block (WARC and HTTP headers,
with the blank lines before it) MAX_HEADER_BYTES, and a record's declared
length MAX_RECORD_BYTES; past any of them the file is abandoned. warcio
alone reads a line until its newline, by repeated concatenation: a 65 KB
gzip bomb of zeros took 1 GB of memory, a 300 MB line 400 s.

Any readable binary stream works, seekable or not (`read_warc_stream`), e.g.
a WARC file streamed over HTTP.
"""

from __future__ import annotations

import io
import logging
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from claimwire.files import atomic_file
from claimwire.formats.charset import detect_charset
from claimwire.formats.dates import parse_datetime
from claimwire.formats.htmlmeta import page_published_at
from claimwire.formats.media import PAGE_TYPES, media_type, sniff_html
from claimwire.ingest.archive import RawArchive
from claimwire.ingest.urls import canonicalize_url
from claimwire.window import Window

log = logging.getLogger(__name__)

# Same ceiling as a fetched page (HttpSettings.max_bytes): bigger is not an article.
MAX_PAGE_BYTES = 10 * 1024 * 1024
# Real header lines (cookies, CSP) stay far below these; a file past them is hostile.
MAX_LINE_BYTES = 256 * 1024
MAX_HEADER_BYTES = 1024 * 1024
# A record declaring more is not a web page; skipping it would mean reading
# (and, for a bomb, inflating) all of it, so the file is abandoned instead.
MAX_RECORD_BYTES = 1024 * 1024 * 1024
WARC_SUFFIXES = (".warc", ".warc.gz")
# What a broken file throws at us from inside warcio, zlib or the file system.
_READ_ERRORS = (ArchiveLoadFailed, zlib.error, EOFError, OSError, ValueError, KeyError, IndexError,
                AttributeError, TypeError)  # the last two: warcio on records missing headers


class WarcLimitError(ValueError):
    """A line, header block or record over its cap: the file is abandoned."""


class _CappedReader(DecompressingBufferedReader):  # type: ignore[misc]
    """warcio's reader with bounded lines and header blocks.

    Lines are read for record headers and the blank lines between records,
    and nowhere else (bodies are read by length), so everything read by
    line since the last body read belongs to one header block.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0

    def readline(self, length: int | None = None) -> bytes:
        cap = MAX_LINE_BYTES + 1
        line = super().readline(min(length, cap) if length else cap)
        if len(line) > MAX_LINE_BYTES:
            raise WarcLimitError(f"a line over {MAX_LINE_BYTES} bytes")
        self._header_bytes += len(line)
        if self._header_bytes > MAX_HEADER_BYTES:
            raise WarcLimitError(f"a header block over {MAX_HEADER_BYTES} bytes")
        return line

    def read(self, length: int | None = None) -> bytes:
        self._header_bytes = 0
        return super().read(length)




@dataclass(frozen=True)
class WarcPage:
    url: str  # WARC-Target-URI
    canonical_url: str
    body: bytes  # the HTTP payload, transfer and content encodings undone
    content_type: str  # media type only, e.g. "text/html"
    charset: str | None  # as the HTTP header declared or the bytes show
    record_date: datetime  # WARC-Date (capture time), aware UTC
    published_at: datetime | None  # from the page's own metadata, aware UTC

    @property
    def date(self) -> datetime:
        """The date the window was checked against."""
        return self.published_at or self.record_date


@dataclass
class WarcStats:
    files: int = 0  # files opened
    records: int = 0  # records read
    pages: int = 0  # pages yielded
    not_response: int = 0  # request, metadata, warcinfo, revisit... records
    bad_status: int = 0  # responses other than HTTP 200
    not_html: int = 0
    unwanted: int = 0  # responses whose URL the caller did not want (another site)
    too_large: int = 0
    out_of_window: int = 0
    damaged: int = 0  # records (or the rest of a file) that could not be read
    errors: list[str] = field(default_factory=list)  # "<file>: <reason>"

    def damage(self, error: str) -> None:
        """Count a record (or the rest of a file) that could not be read, and why."""
        self.damaged += 1
        self.errors.append(error)


def warc_files(paths: Iterable[Path | str]) -> list[Path]:
    """The WARC files named, directories searched recursively, sorted within each directory."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and _is_warc_name(p.name))
            )
        else:
            found.append(path)
    return found


def _is_warc_name(name: str) -> bool:
    return name.lower().endswith(WARC_SUFFIXES)


def read_warc_pages(
    paths: Iterable[Path | str | BinaryIO],
    window: Window,
    *,
    stats: WarcStats | None = None,
    want: Callable[[str], bool] | None = None,
) -> Iterator[WarcPage]:
    """HTML pages dated in `window` from WARC / WARC.gz files, directories of
    them, or open binary streams.

    An open binary stream may stand in for a path (a WARC read off the
    network); it is read once, forward only, and left open. `want(url)`, when
    given, picks the responses to read by their target URL before their body
    is looked at. Pass a `WarcStats` to learn what was skipped.
    """
    stats = stats if stats is not None else WarcStats()
    for source in paths:
        if not isinstance(source, Path | str):
            yield from read_warc_stream(source, window, stats=stats, want=want)
            continue
        for path in warc_files([source]):
            try:
                handle = open(path, "rb")  # noqa: SIM115 - held open across yields, closed below
            except OSError as exc:
                stats.errors.append(f"{path}: {exc}")
                continue
            with handle:
                yield from read_warc_stream(handle, window, stats=stats, name=str(path),
                                            want=want)


def read_warc_stream(
    stream: BinaryIO,
    window: Window,
    *,
    stats: WarcStats | None = None,
    name: str | None = None,
    want: Callable[[str], bool] | None = None,
) -> Iterator[WarcPage]:
    """HTML pages dated in `window` from one WARC / WARC.gz stream, which need
    not be seekable; `name` labels its errors in `stats`, `want` as in
    `read_warc_pages`."""
    stats = stats if stats is not None else WarcStats()
    stats.files += 1
    label = name or str(getattr(stream, "name", None) or "<stream>")
    yield from _pages_of_file(stream, label, window, stats, want)


class _CheckedIterator(ArchiveIterator):  # type: ignore[misc]
    """ArchiveIterator that notices a gzip member cut short.

    warcio takes a gzip stream that ends mid-member for the end of the file,
    silently dropping the record in it; the decompressor's state when the
    iterator closes is the only place that shows.
    """

    cut_short = False
    gzipped = False

    def __init__(self, fileobj: BinaryIO) -> None:
        super().__init__(fileobj)
        # Before the first record is read: the iterator looks the reader up each time.
        self.reader = _CappedReader(self.fh)

    def close(self) -> None:
        reader = self.reader
        decompressor = reader.decompressor if reader is not None else None
        if decompressor is not None:
            self.gzipped = True
            self.cut_short = self.cut_short or not getattr(decompressor, "eof", True)
        super().close()


def _pages_of_file(
    handle: BinaryIO,
    path: str,
    window: Window,
    stats: WarcStats,
    want: Callable[[str], bool] | None = None,
) -> Iterator[WarcPage]:
    try:
        iterator = _CheckedIterator(handle)
        records = iter(iterator)
    except _READ_ERRORS as exc:
        stats.damage(f"{path}: not a readable WARC: {exc}")
        return
    while True:
        try:
            record = next(records)
        except StopIteration:
            if iterator.cut_short or (not iterator.gzipped and not _ends_cleanly(handle)):
                stats.damage(f"{path}: ends inside a record (truncated file)")
            return
        except WarcLimitError as exc:
            stats.damage(f"{path}: abandoned after {stats.records} records: {exc}")
            return
        except _READ_ERRORS as exc:
            stats.damage(f"{path}: unreadable after {stats.records} records: {exc}")
            return
        stats.records += 1
        if record.length is None or record.length > MAX_RECORD_BYTES:
            declared = "no length" if record.length is None else f"{record.length} bytes"
            stats.damage(f"{path}: abandoned at record {stats.records}: it declares {declared} "
                         f"(at most {MAX_RECORD_BYTES})")
            return
        try:
            page = _page_of(record, window, stats, want)
            if _truncated(record):
                # warcio ends quietly at a cut-off gzip member or file; the
                # record's own length is the only sign that bytes are missing.
                stats.damage(f"{path}: record {stats.records} is truncated")
                return
        except _READ_ERRORS as exc:
            # A bad record body (truncated gzip member, broken chunking) spoils
            # that record only; warcio finds the next header by length.
            stats.damage(f"{path}: damaged record: {exc}")
            continue
        if page is not None:
            stats.pages += 1
            yield page


def _page_of(
    record: Any, window: Window, stats: WarcStats, want: Callable[[str], bool] | None = None
) -> WarcPage | None:
    if record.rec_type != "response":
        stats.not_response += 1
        return None
    http = record.http_headers
    if http is None or http.get_statuscode() != "200":
        stats.bad_status += 1
        return None
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
    # WARC-Date is ISO 8601 UTC by definition.
    record_date = parse_datetime(record.rec_headers.get_header("WARC-Date"))
    if not url or record_date is None:
        stats.damaged += 1
        return None
    if want is not None and not want(url):
        stats.unwanted += 1
        return None
    declared, params = media_type(http.get_header("Content-Type"))
    if declared and declared not in PAGE_TYPES and declared not in ("application/octet-stream",):
        stats.not_html += 1
        return None
    body = record.content_stream().read(MAX_PAGE_BYTES + 1)
    if len(body) > MAX_PAGE_BYTES:
        stats.too_large += 1
        return None
    if declared not in PAGE_TYPES:
        # Undeclared or generic type: believe the bytes, as the fetcher does.
        if not sniff_html(body):
            stats.not_html += 1
            return None
        declared = "text/html"
    charset = detect_charset(body, params.get("charset"))
    published = page_published_at(body, charset)
    if not window.contains(published or record_date):
        stats.out_of_window += 1
        return None
    return WarcPage(
        url=url,
        canonical_url=canonicalize_url(url),
        body=body,
        content_type=declared,
        charset=charset,
        record_date=record_date,
        published_at=published,
    )


def _ends_cleanly(handle: BinaryIO) -> bool:
    """An uncompressed WARC ends with the blank lines closing its last record
    (not checked on a stream: its transport reports a cut-off transfer itself)."""
    try:
        if not handle.seekable():
            return True
    except (AttributeError, ValueError, OSError):
        return True
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return True
    handle.seek(max(0, size - 4))
    return handle.read().endswith((b"\r\n\r\n", b"\n\n"))


def _truncated(record: Any) -> bool:
    """Read the record to its end; True when the file ended before its declared length."""
    raw = record.raw_stream
    while raw.read(64 * 1024):
        pass
    return getattr(raw, "limit", 0) > 0


# ------------------------------------------------------------------ export


def export_warc(archive: RawArchive, documents: Iterable[dict[str, Any]], out_path: Path) -> int:
    """Write each document's raw bytes as one `response` record to a WARC.gz; return the count.

    `documents` are dicts with `url`, `raw_sha256`, `fetched_at` (datetime or
    ISO text; the WARC-Date) and `content_type`. Documents whose bytes are not
    in the archive are skipped with a warning. The HTTP header block is
    rebuilt from the content type (the original headers are not kept), with
    status 200 since only successful fetches reach the archive. The file
    appears complete or not at all.
    """
    out_path = Path(out_path)
    written = 0
    with atomic_file(out_path, prefix=".tmp-warc-") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        writer.write_record(
            writer.create_warcinfo_record(
                out_path.name, {"software": "claimwire", "format": "WARC File Format 1.1"}
            )
        )
        for document in documents:
            if _write_document(writer, archive, document):
                written += 1
    return written


def _write_document(writer: WARCWriter, archive: RawArchive, document: dict[str, Any]) -> bool:
    url = str(document.get("url") or "")
    digest = str(document.get("raw_sha256") or "")
    try:
        body = archive.get(digest)
    except KeyError as exc:
        log.warning("export_warc: skipping %s: %s", url, exc)
        return False
    content_type = str(document.get("content_type") or "application/octet-stream")
    http_headers = StatusAndHeaders(
        "200 OK",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        protocol="HTTP/1.1",
    )
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": _iso(document.get("fetched_at"))},
    )
    writer.write_record(record)
    return True


def _iso(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime):
        value = datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
