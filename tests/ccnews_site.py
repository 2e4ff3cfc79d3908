"""A Common Crawl news archive (CC-NEWS) lookalike for tests: listings and WARC files.

Two months of `warc.paths.gz` and six small gzip WARC files written with warcio:
several sites, pages published inside and outside 2024-10-31 .. 2024-11-01,
non-HTML and non-200 responses, a request record, and a file that ends inside its
last record. Files and what a backfill of that range (3-day margin, domains
example-news.com and daily.test) makes of them:

    file (crawl start)        selected?                    pages kept
    F1 2024-10-29 12:00       no: closed before the range  -
    F2 2024-10-30 22:00       yes: open when it began      edge-start (published 00:00:00)
    F3 2024-10-31 06:00       yes                          daily-1, undated (WARC-Date)
    F4 2024-11-01 08:00       yes, cut off at the end      nov-1, late (23:59:59)
    F5 2024-11-03 00:00       yes: in the margin           margin (published Nov 1), daily-1
                                                           again (a recrawl: no new rows)
    F6 2024-11-06 00:00       no: after the margin         -
"""

from __future__ import annotations

import gzip
import io
import zlib
from datetime import UTC, datetime

from newsgen import article_html, article_text
from servers import Reply
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

DOMAINS = ("example-news.com", "daily.test")
# What a backfill of 2024-10-31 .. 2024-11-01 loads.
EXPECTED = {
    "https://www.example-news.com/a/edge-start",
    "https://daily.test/a/daily-1",
    "https://news.daily.test/a/undated",
    "https://example-news.com/a/nov-1",
    "https://daily.test/a/late",
    "https://daily.test/a/margin",
}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class Crawl:
    """Writes one WARC.gz the way CC-NEWS files look: a warcinfo record, then captures."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.out = io.BytesIO()
        self.writer = WARCWriter(self.out, gzip=True, warc_version="1.0")
        self.writer.write_record(self.writer.create_warcinfo_record(name, {"software": "test"}))
        self.last_start = 0

    def page(self, url: str, published: str | None, captured: str, **kw: object) -> Crawl:
        seed = zlib.crc32(url.encode()) % 100_000
        if published:
            body = article_html(url.rsplit("/", 1)[-1], _at(published), seed)
        else:  # no date in the page: the capture time places it
            paras = "".join(f"<p>{p}</p>" for p in article_text(seed))
            body = (f'<html lang="en"><head><title>{url}</title></head><body><article>'
                    f"<h1>Undated</h1>{paras}</article></body></html>")
        return self.response(url, body.encode(), captured, **kw)

    def response(self, url: str, body: bytes, captured: str, *,
                 content_type: str = "text/html; charset=utf-8", status: str = "200 OK") -> Crawl:
        self.last_start = self.out.tell()
        http = StatusAndHeaders(status, [("Content-Type", content_type),
                                         ("Content-Length", str(len(body)))],
                                protocol="HTTP/1.1")
        self.writer.write_record(self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Date": captured}))
        return self

    def request(self, url: str, captured: str) -> Crawl:
        self.writer.write_record(self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            warc_headers_dict={"WARC-Date": captured}))
        return self

    def data(self) -> bytes:
        return self.out.getvalue()

    def cut_in_last_record(self) -> bytes:
        """The file as a broken transfer or disk would leave it: ending mid-record."""
        data = self.data()
        return data[: self.last_start + (len(data) - self.last_start) // 2]


def cc_news_site() -> dict[str, bytes]:
    """Path (as listed) -> the WARC file's bytes."""
    files: dict[str, bytes] = {}

    def add(stamp: str, number: int, crawl: Crawl) -> None:
        month = f"{stamp[:4]}/{stamp[4:6]}"
        files[f"crawl-data/CC-NEWS/{month}/CC-NEWS-{stamp}-{number:05d}.warc.gz"] = crawl.data()

    add("20241029120000", 100, Crawl("f1").page(
        "https://example-news.com/a/f1-old", "2024-10-29T13:00:00Z", "2024-10-29T14:00:00Z"))
    add("20241030220000", 101, Crawl("f2")
        .page("https://example-news.com/a/edge-before", "2024-10-30T23:59:59Z",
              "2024-10-30T23:59:59Z")
        .page("https://www.example-news.com/a/edge-start", "2024-10-31T00:00:00Z",
              "2024-10-31T00:20:00Z")
        .page("https://other.org/a/elsewhere", "2024-10-31T02:00:00Z", "2024-10-31T02:10:00Z"))
    add("20241031060000", 102, Crawl("f3")
        .page("https://daily.test/a/daily-1", "2024-10-31T10:00:00+02:00",
              "2024-10-31T08:30:00Z")
        .page("https://notexample-news.com/a/lookalike", "2024-10-31T09:00:00Z",
              "2024-10-31T09:10:00Z")
        .response("https://example-news.com/logo.png", b"\x89PNG\r\n\x1a\n....",
                  "2024-10-31T09:20:00Z", content_type="image/png")
        .response("https://example-news.com/report.pdf", b"%PDF-1.7 ....",
                  "2024-10-31T09:30:00Z", content_type="application/pdf")
        .page("https://example-news.com/a/missing", "2024-10-31T09:00:00Z",
              "2024-10-31T09:40:00Z", status="404 Not Found")
        .request("https://example-news.com/a/missing", "2024-10-31T09:40:00Z")
        .page("https://news.daily.test/a/undated", None, "2024-10-31T12:00:00Z")
        .page("https://example-news.com/a/old", "2024-10-20T08:00:00Z", "2024-10-31T13:00:00Z"))
    # The file on the server ends inside its last record's gzip member.
    files["crawl-data/CC-NEWS/2024/11/CC-NEWS-20241101080000-00103.warc.gz"] = (
        Crawl("f4")
        .page("https://example-news.com/a/nov-1", "2024-11-01T09:00:00Z",
              "2024-11-01T09:30:00Z")
        .page("https://daily.test/a/late", "2024-11-01T23:59:59Z", "2024-11-02T00:30:00Z")
        .page("https://example-news.com/a/cut-off", "2024-11-01T12:00:00Z",
              "2024-11-02T01:00:00Z")
        .cut_in_last_record())
    add("20241103000000", 104, Crawl("f5")
        .page("https://daily.test/a/margin", "2024-11-01T22:00:00Z", "2024-11-03T01:00:00Z")
        # crawled again: one document, one article
        .page("https://daily.test/a/daily-1", "2024-10-31T10:00:00+02:00",
              "2024-11-03T01:30:00Z")
        .page("https://example-news.com/a/next-day", "2024-11-02T00:00:00Z",
              "2024-11-03T02:00:00Z"))
    add("20241106000000", 105, Crawl("f6").page(
        "https://example-news.com/a/too-late", "2024-11-01T10:00:00Z", "2024-11-06T01:00:00Z"))
    return files


def routes_for(files: dict[str, bytes]) -> dict:
    routes: dict = {}
    months: dict[str, list[str]] = {}
    for path, data in files.items():
        routes["/" + path] = Reply(body=data, headers={"Content-Type": "application/octet-stream"})
        months.setdefault(path.rsplit("/", 1)[0], []).append(path)
    for month, paths in months.items():
        # A line without a crawl time is ignored, as is the order of the lines.
        listing = "\n".join([*reversed(paths), f"{month}/README.txt"]) + "\n"
        routes[f"/{month}/warc.paths.gz"] = Reply(
            body=gzip.compress(listing.encode()), headers={"Content-Type": "application/gzip"})
    return routes
