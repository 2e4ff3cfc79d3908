"""WARC input for backfills and the raw archive exported as a WARC."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, date, datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from claimwire.ingest.archive import RawArchive
from claimwire.ingest.warc import WarcStats, export_warc, read_warc_pages
from claimwire.pipeline import Window

OCT_10_20 = Window.from_dates(date(2024, 10, 10), date(2024, 10, 20))


def page(title: str, published: str | None = None) -> bytes:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    return (
        f"<!doctype html><html><head><title>{title}</title>{meta}</head>"
        f"<body><article><h1>{title}</h1><p>Text of {title}.</p></article></body></html>"
    ).encode()


def add_response(
    writer: WARCWriter,
    url: str,
    body: bytes,
    *,
    captured: str,
    status: str = "200 OK",
    content_type: str = "text/html; charset=utf-8",
) -> None:
    headers = [("Content-Length", str(len(body)))]
    if content_type:
        headers.insert(0, ("Content-Type", content_type))
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": captured},
    )
    writer.write_record(record)


def write_crawl(path: Path, *, compress: bool = True) -> None:
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=compress)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        # Declared publication date in range, captured long after: in.
        add_response(
            writer,
            "http://news.test/rutte-kursk?utm_source=rss",
            page("Rutte", "2024-10-15T09:00:00+02:00"),
            captured="2024-11-20T10:00:00Z",
        )
        # Declared date before the window, captured in it: out (the page knows best).
        add_response(
            writer,
            "http://news.test/old",
            page("Old", "2024-09-01T09:00:00Z"),
            captured="2024-10-12T10:00:00Z",
        )
        # No declared date: the capture time decides. In, then out.
        add_response(
            writer,
            "http://news.test/undated-in",
            page("Undated in"),
            captured="2024-10-18T23:00:00Z",
        )
        add_response(
            writer,
            "http://news.test/undated-out",
            page("Undated out"),
            captured="2024-10-21T00:00:00Z",
        )
        # Not HTML, not 200, not a response.
        add_response(
            writer,
            "http://news.test/logo.png",
            b"\x89PNG\r\n\x1a\nxxxx",
            captured="2024-10-15T10:00:00Z",
            content_type="image/png",
        )
        add_response(
            writer,
            "http://news.test/missing",
            page("Not found"),
            captured="2024-10-15T10:00:00Z",
            status="404 Not Found",
        )
        request = writer.create_warc_record(
            "http://news.test/rutte-kursk",
            "request",
            payload=io.BytesIO(b"GET /rutte-kursk HTTP/1.1\r\nHost: news.test\r\n\r\n"),
            warc_headers_dict={"WARC-Date": "2024-10-15T10:00:00Z"},
        )
        writer.write_record(request)
        # No Content-Type at all, but plainly HTML: sniffed, in.
        add_response(
            writer,
            "http://news.test/no-type",
            page("No type", "2024-10-11"),
            captured="2024-10-11T10:00:00Z",
            content_type="",
        )


def test_only_in_range_html_200_responses_come_back(tmp_path: Path) -> None:
    crawl = tmp_path / "crawl.warc.gz"
    write_crawl(crawl)
    stats = WarcStats()
    pages = list(read_warc_pages([crawl], OCT_10_20, stats=stats))
    assert [p.url for p in pages] == [
        "http://news.test/rutte-kursk?utm_source=rss",
        "http://news.test/undated-in",
        "http://news.test/no-type",
    ]
    rutte, undated, _ = pages
    assert rutte.canonical_url == "http://news.test/rutte-kursk"
    assert rutte.published_at == datetime(2024, 10, 15, 7, tzinfo=UTC)
    assert rutte.record_date == datetime(2024, 11, 20, 10, tzinfo=UTC)
    assert rutte.content_type == "text/html" and rutte.body == page(
        "Rutte", "2024-10-15T09:00:00+02:00"
    )
    assert undated.published_at is None and undated.date == undated.record_date
    assert stats.pages == 3 and stats.out_of_window == 2
    assert stats.not_html == 1 and stats.bad_status == 1 and stats.not_response == 2
    assert stats.damaged == 0 and stats.errors == []


def test_directories_and_uncompressed_warcs(tmp_path: Path) -> None:
    (tmp_path / "crawls" / "sub").mkdir(parents=True)
    write_crawl(tmp_path / "crawls" / "a.warc.gz")
    write_crawl(tmp_path / "crawls" / "sub" / "b.warc", compress=False)
    (tmp_path / "crawls" / "notes.txt").write_text("not a warc")
    stats = WarcStats()
    pages = list(read_warc_pages([tmp_path / "crawls"], OCT_10_20, stats=stats))
    assert len(pages) == 6 and stats.files == 2


def test_damaged_input_is_counted_not_raised(tmp_path: Path) -> None:
    whole = tmp_path / "whole.warc.gz"
    write_crawl(whole)
    data = whole.read_bytes()
    # Cut the file in the middle of a record: the records before it still count.
    truncated = tmp_path / "truncated.warc.gz"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    garbage = tmp_path / "garbage.warc.gz"
    garbage.write_bytes(gzip.compress(b"this is not a WARC record\r\n\r\n" * 10))
    missing = tmp_path / "missing.warc.gz"

    stats = WarcStats()
    pages = list(read_warc_pages([truncated, garbage, missing], OCT_10_20, stats=stats))
    assert 1 <= len(pages) <= 3
    assert stats.damaged >= 2
    assert len(stats.errors) >= 3
    assert any("missing.warc.gz" in e for e in stats.errors)


def test_export_round_trip(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "raw")
    bodies = {
        "http://news.test/a": page("A", "2024-10-12T08:00:00Z"),
        "http://news.test/b": page("B"),
        "http://news.test/c": "<html><body><p>Caf\u00e9 na\u00efve</p></body></html>".encode(),
    }
    documents = [
        {
            "url": "http://news.test/a",
            "raw_sha256": archive.put(bodies["http://news.test/a"]),
            "fetched_at": datetime(2024, 10, 12, 9, 30, 15, 250000, tzinfo=UTC),
            "content_type": "text/html",
        },
        {
            "url": "http://news.test/b",
            "raw_sha256": archive.put(bodies["http://news.test/b"]),
            "fetched_at": "2024-10-13T11:00:00+00:00",
            "content_type": "text/html",
        },
        {
            "url": "http://news.test/c",
            "raw_sha256": archive.put(bodies["http://news.test/c"]),
            "fetched_at": datetime(2024, 10, 14, 1, 2, 3),
            "content_type": "application/xhtml+xml",
        },
        {
            "url": "http://news.test/feed",
            "raw_sha256": archive.put(b"<rss/>"),
            "fetched_at": datetime(2024, 10, 14, tzinfo=UTC),
            "content_type": "application/rss+xml",
        },
        {
            "url": "http://news.test/lost",
            "raw_sha256": "0" * 64,
            "fetched_at": datetime(2024, 10, 14, tzinfo=UTC),
            "content_type": "text/html",
        },
    ]
    out = tmp_path / "export" / "claimwire.warc.gz"
    assert export_warc(archive, documents, out) == 4  # the missing one is skipped

    pages = list(read_warc_pages([out], OCT_10_20))
    assert [(p.url, p.body, p.content_type) for p in pages] == [
        (url, body, "application/xhtml+xml" if url.endswith("/c") else "text/html")
        for url, body in bodies.items()
    ]
    assert pages[0].record_date == datetime(2024, 10, 12, 9, 30, 15, 250000, tzinfo=UTC)
    assert pages[0].published_at == datetime(2024, 10, 12, 8, tzinfo=UTC)
    assert pages[2].record_date == datetime(2024, 10, 14, 1, 2, 3, tzinfo=UTC)
    assert [archive.put(p.body) for p in pages] == [d["raw_sha256"] for d in documents[:3]]
