"""Hostile bytes in the readers: feeds that made the parsers quadratic, a feed
that would outrun its parse budget, WARC files that are memory bombs, dates
that are not what they seem. Time and memory are bounded by generous limits
here; `python -m bench.hostile` prints the figures."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from claimwire.formats.dates import parse_datetime
from claimwire.ingest.feeds import (
    FeedParseError,
    clean_text,
    parse_feed,
    parse_feed_bounded,
    strip_doctype,
)
from claimwire.ingest.warc import WarcStats, export_warc, read_warc_pages
from claimwire.window import Window

MB = 1 << 20


def rss_with(inner: bytes) -> bytes:
    return (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
            b"<title>x</title><link>http://example.com/a</link><description>" + inner
            + b"</description></item></channel></rss>")


def json_feed_with(title: str) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "http://example.com/a", "title": title}]}).encode()


# The inputs of issue 21 that were quadratic: 104 KB took 25 s, 312 KB 9 s, 78 KB 9 s.
QUADRATIC = {
    "doctype": lambda n: b'<?xml version="1.0"?>' + b"<!DOCTYPE a [" * (n // 13) + rss_with(b"x"),
    "rss_lt": lambda n: rss_with(b"<" * n),
    "rss_amp": lambda n: rss_with(b"&" * n),
    "json_lt": lambda n: json_feed_with("<" * n),
}


def _cpu_seconds(body: bytes) -> float:
    started = time.process_time()
    with contextlib.suppress(FeedParseError):
        parse_feed(body, "http://example.com/feed")
    return time.process_time() - started


@pytest.mark.parametrize("name", sorted(QUADRATIC))
def test_formerly_quadratic_feeds_parse_in_linear_time(name):
    make = QUADRATIC[name]
    _cpu_seconds(make(1024))  # imports and caches out of the way
    small, large = _cpu_seconds(make(MB // 4)), _cpu_seconds(make(MB))
    assert large < 5.0, f"{name}: 1 MB took {large:.2f} s"
    # four times the input: about four times the time when linear, sixteen when quadratic
    assert large < 8 * max(small, 0.02), f"{name}: {small:.3f} s -> {large:.3f} s"


def test_page_metadata_patterns_are_linear_on_a_megabyte():
    from claimwire.transform.authors import split_names
    from claimwire.transform.body import json_ld_text

    # a byline of "@." repeated, and a JSON-LD body with "<br" then a megabyte of spaces:
    # both were quadratic (8 KB: 0.2 s and 0.08 s; a megabyte: most of an hour)
    for call in (lambda: split_names("@." * (MB // 2)),
                 lambda: split_names(" in Aa Bb" * (MB // 9)),  # the trailers a name loses
                 lambda: split_names("a " * (MB // 2) + "1 Published for"),
                 lambda: json_ld_text("<p>x</p><br" + " " * MB)):
        started = time.process_time()
        call()
        assert time.process_time() - started < 2.0
    assert json_ld_text("<p>a</p><br  />b<BR>c< /p >d") == "a\nb\nc\nd"
    assert split_names("jane@example.com") == ["jane@example.com"]


def test_a_page_of_empty_elements_is_extracted_in_linear_time():
    from claimwire.transform.extract import extract_article

    # Empty elements each followed by text: removing them one by one, each tail
    # appended to the text before it, took 72 s for 45,000 of them (0.75 s for 5,000).
    def seconds(count: int) -> tuple[float, str]:
        page = ("<html><body><article><p>" + "<span></span>word word word word " * count
                + "</p></article></body></html>")
        started = time.process_time()
        text = extract_article(page).text
        return time.process_time() - started, text

    seconds(500)
    small, _ = seconds(10_000)
    large, text = seconds(40_000)
    assert text.count("word") == 160_000  # the text after every empty element is kept
    assert large < 8 * max(small, 0.05), f"{small:.2f} s -> {large:.2f} s"


def test_escaping_and_stripping_keep_what_feeds_say():
    body = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "AAAA">]><rss version="2.0">'
            b"<channel><title>t</title><item><title>Fish &amp; chips < 5 & more</title>"
            b"<link><![CDATA[http://example.com/a?x=1&y=2]]></link>"
            b"<description><![CDATA[<p>a < b &amp; c</p>]]></description></item></channel></rss>")
    parsed = parse_feed(body, "http://example.com/feed")
    assert parsed.problem is None  # the strict parser read it
    (item,) = parsed.items
    assert item.title == "Fish & chips < 5 & more"
    assert item.link == "http://example.com/a?x=1&y=2"
    assert item.summary == "a < b & c"
    assert strip_doctype(b'<!DOCTYPE x [ <!ENTITY e "v"> ]  > <r/>') == b" <r/>"
    assert strip_doctype(b"<!doctype html><r/>") == b"<r/>"
    assert strip_doctype(b"<r/><!DOCTYPE x [ never closed") == b"<r/>"
    assert clean_text("a <b <c> d") == "a <b d"


def test_a_feed_over_its_parse_budget_is_stopped_and_the_next_one_parses():
    # Deep nesting keeps feedparser busy for seconds (linear, but slow): past 0.3 s it stops.
    slow = rss_with(b"<b>" * (MB // 3) + b"</b>" * (MB // 3))
    good = rss_with(b"fine")
    assert parse_feed_bounded(good, "http://example.com/f", timeout=30).items
    started = time.monotonic()
    with pytest.raises(FeedParseError, match="gave up after 0.3 s"):
        parse_feed_bounded(slow, "http://example.com/f", timeout=0.3)
    assert time.monotonic() - started < 10
    assert parse_feed_bounded(good, "http://example.com/f", timeout=30).items[0].summary == "fine"


def test_json_feed_dates_before_1990_are_dropped_not_moved():
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": str(i), "url": f"http://example.com/{i}", "date_published": date}
        for i, date in enumerate(["Mon, 01 Jan 0001 00:00:00 GMT", "0001-01-01T00:00:00Z",
                                  "Tue, 01 Oct 2024 09:00:00 +0000"])]}).encode()
    items = parse_feed(body, "http://example.com/feed").items
    assert [i.published_at for i in items] == [
        None, None, datetime(2024, 10, 1, 9, tzinfo=UTC)]
    assert parse_datetime("Tue, 01 Oct 24 09:00:00 +0000") == datetime(2024, 10, 1, 9, tzinfo=UTC)


# ------------------------------------------------------------------ WARC


def bomb(piece: bytes, total: int, prefix: bytes = b"") -> bytes:
    """A gzip member of `prefix` then `piece` repeated to `total` bytes, built in
    well under a second: after a sync flush, each further identical megabyte
    compresses to the same bytes, so one compressed block is repeated."""
    block = piece * (MB // len(piece))
    count = total // len(block)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(prefix + block) + compressor.flush(zlib.Z_SYNC_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert compressor.compress(block) + compressor.flush(zlib.Z_SYNC_FLUSH) == again
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    size = len(prefix) + count * len(block)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + first + again * (count - 1)
            + compressor.flush() + struct.pack("<II", crc, size & 0xFFFFFFFF))


def write_bombs(root: Path) -> list[Path]:
    """The WARC files of issue 21 that exhausted memory, and their relatives."""
    header = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://example.com/\r\n"
              b"WARC-Date: 2024-10-01T00:00:00Z\r\nContent-Length: %d\r\n\r\n"
              b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
    bombs = {
        # zeros, no newline: 65 KB -> 1.0 GB RSS, 261 KB -> 3.6 GB, 2 MB -> over 16 GB
        "zeros-64m.warc.gz": bomb(b"\0", 64 * MB),
        "zeros-256m.warc.gz": bomb(b"\0", 256 * MB),
        "zeros-2g.warc.gz": bomb(b"\0", 2048 * MB),
        # a 300 MB header line (400 s before)
        "line-300m.warc.gz": bomb(b"a", 300 * MB, prefix=b"WARC/1.0\r\nWARC-Type: "),
        # eight million header lines, and a gigabyte of blank lines
        "headers.warc.gz": bomb(b"X-Y: z\r\n", 64 * MB, prefix=b"WARC/1.0\r\n"),
        "blank.warc.gz": bomb(b"\r\n", 1024 * MB),
        # a record declaring 4 GB, inflating from a few MB
        "declared-4g.warc.gz": bomb(b"\0", 512 * MB, prefix=header % (4 << 30)),
        "no-uri.warc.gz": gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\n"
                                        b"Content-Length: 4\r\n\r\nabcd\r\n\r\n"),
    }
    paths = []
    for name, data in bombs.items():
        path = root / name
        path.write_bytes(data)
        assert path.stat().st_size < 3 * MB
        paths.append(path)
    return paths


# The reading process reports its own peak (VmHWM): the rusage of a child
# started from a large test process counts that process's pages up to exec.
_READ_BOMBS = textwrap.dedent("""
    import json, re, sys, time
    from datetime import UTC, datetime
    from claimwire.ingest.warc import WarcStats, read_warc_pages
    from claimwire.window import Window
    window = Window(datetime(2000, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
    out = {}
    for path in sys.argv[1:]:
        stats = WarcStats()
        started = time.monotonic()
        pages = list(read_warc_pages([path], window, stats=stats))
        out[path] = [len(pages), stats.damaged, stats.errors, time.monotonic() - started]
    status = open("/proc/self/status").read()
    out["peak_kib"] = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
    print(json.dumps(out))
""")


def test_warc_bombs_stay_small_and_quick(tmp_path):
    paths = write_bombs(tmp_path)
    done = subprocess.run([sys.executable, "-c", _READ_BOMBS, *map(str, paths)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for path in paths:
        pages, damaged, errors, seconds = report[str(path)]
        assert pages == 0 and damaged >= 1 and errors, (path.name, errors)
        assert seconds < 30, (path.name, seconds)
    assert "over 262144 bytes" in " ".join(report[str(tmp_path / "zeros-2g.warc.gz")][2])
    assert "declares 4294967296 bytes" in " ".join(
        report[str(tmp_path / "declared-4g.warc.gz")][2])
    assert report["peak_kib"] < 500 * 1024, report["peak_kib"]


class _Unseekable(io.RawIOBase):
    """A stream that can only be read forward, like an HTTP response."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_warc_pages_read_from_an_unseekable_stream(tmp_path):
    from claimwire.ingest.archive import RawArchive

    archive = RawArchive(tmp_path / "raw")
    pages = {f"http://example.com/{i}": (
        f'<html><head><meta property="article:published_time" content="2024-10-0{i + 1}">'
        f"</head><body><p>Page {i}</p></body></html>").encode() for i in range(3)}
    documents = [{"url": url, "raw_sha256": archive.put(body), "fetched_at": "2024-10-05T00:00:00",
                  "content_type": "text/html"} for url, body in pages.items()]
    out = tmp_path / "x.warc.gz"
    assert export_warc(archive, documents, out) == 3
    window = Window(datetime(2024, 10, 1, tzinfo=UTC), datetime(2024, 10, 3, tzinfo=UTC))
    stats = WarcStats()
    stream = io.BufferedReader(_Unseekable(out.read_bytes()))
    found = list(read_warc_pages([stream], window, stats=stats))
    assert sorted(p.url for p in found) == ["http://example.com/0", "http://example.com/1"]
    assert stats.out_of_window == 1 and stats.damaged == 0
