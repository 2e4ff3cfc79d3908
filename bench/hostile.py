"""Hostile inputs of issue 21, measured: what the tests bound generously, in figures.

    python -m bench.hostile            # every section, about two minutes
    python -m bench.hostile --only feeds,warc

Sections (each prints its figures, then a target and ok / MISS):

* feeds: CPU seconds to parse the inputs that were quadratic (a DOCTYPE
  internal subset opened over and over, runs of "<" and "&" in RSS, "<" in a
  JSON Feed) at 256 KB and 1 MB, and the ratio (linear: about 4); the old
  patterns on the same inputs at 16 and 32 KB for comparison. Target: 1 MB
  in under 1 s.
* parse-budget: a feed that keeps feedparser busy for seconds (linear, but
  slow) parsed with a 1 s budget: when the call returns.
* warc: each WARC bomb read by `read_warc_pages` in a process of its own:
  seconds and that process's peak RSS. Target: under 500 MB.
* http: 8 pages answering `503 Retry-After: 15` (default retries, budgets and
  politeness), and a chain of 5 redirect hops of 2 s each under a 5 s URL
  budget: seconds until done.
* transform: one shard holding a 1.3 MB page of 16,000 attributed paragraphs,
  a 120 KB page of 1,500 of them and a normal page, with default limits:
  seconds per document and what happened to their claims.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MB = 1 << 20
SECTIONS = ("feeds", "parse-budget", "warc", "http", "transform")
results: list[tuple[str, str, bool]] = []


def figure(name: str, value: str, ok: bool | None = None) -> None:
    mark = "" if ok is None else ("ok" if ok else "MISS")
    print(f"  {name:58s} {value:>18s}  {mark}", flush=True)
    if ok is not None:
        results.append((name, value, ok))


# ------------------------------------------------------------------ feeds


def _rss(inner: bytes) -> bytes:
    return (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
            b"<title>x</title><link>http://example.com/a</link><description>" + inner
            + b"</description></item></channel></rss>")


def _json_feed(title: str) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "url": "http://example.com/a", "title": title}]}).encode()


QUADRATIC: dict[str, Callable[[int], bytes]] = {
    "DOCTYPE subset opened n/13 times": lambda n: b"<!DOCTYPE a [" * (n // 13) + _rss(b"x"),
    "RSS with n times '<'": lambda n: _rss(b"<" * n),
    "RSS with n times '&'": lambda n: _rss(b"&" * n),
    "JSON Feed title of n times '<'": lambda n: _json_feed("<" * n),
}
_OLD_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.DOTALL | re.IGNORECASE)
_OLD_TAG = re.compile(r"<[^>]+>")


def _cpu(call: Callable[[], object]) -> float:
    started = time.process_time()
    with suppress(Exception):
        call()
    return time.process_time() - started


def section_feeds() -> None:
    from claimwire.ingest.feeds import parse_feed

    for name, make in QUADRATIC.items():
        _cpu(lambda make=make: parse_feed(make(1024), "http://example.com/"))
        small = _cpu(lambda make=make: parse_feed(make(MB // 4), "http://example.com/"))
        large = _cpu(lambda make=make: parse_feed(make(MB), "http://example.com/"))
        figure(f"{name}: 256 KB / 1 MB", f"{small:.2f} / {large:.2f} s")
        figure(f"{name}: 1 MB in under 1 s (x{large / max(small, 1e-3):.1f} for 4x)",
               f"{large:.2f} s", large < 1.0)
    for size in (16 * 1024, 32 * 1024):
        doctype = QUADRATIC["DOCTYPE subset opened n/13 times"](size)
        old = _cpu(lambda d=doctype: _OLD_DOCTYPE.sub(b"", d, count=1))
        text = "<" * size
        old_tags = _cpu(lambda t=text: _OLD_TAG.sub(" ", t))
        figure(f"before: old DOCTYPE / tag patterns alone at {size // 1024} KB",
               f"{old:.2f} / {old_tags:.2f} s")


def section_parse_budget() -> None:
    from claimwire.ingest.feeds import FeedParseError, parse_feed_bounded

    slow = _rss(b"<b>" * (MB // 3) + b"</b>" * (MB // 3))
    parse_feed_bounded(_rss(b"warm"), "http://example.com/", timeout=30)
    started = time.monotonic()
    with suppress(FeedParseError):
        parse_feed_bounded(slow, "http://example.com/", timeout=1.0)
    took = time.monotonic() - started
    figure("2.3 MB of nested markup, 1 s budget: returned after", f"{took:.2f} s", took < 2.0)


# ------------------------------------------------------------------ warc


def bomb(piece: bytes, total: int, prefix: bytes = b"") -> bytes:
    """A gzip member of `prefix`, then `piece` repeated to `total` bytes (built by
    repeating one compressed megabyte after a sync flush)."""
    block = piece * (MB // len(piece))
    count = total // len(block)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(prefix + block) + compressor.flush(zlib.Z_SYNC_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_SYNC_FLUSH)
    crc = zlib.crc32(prefix)
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    size = len(prefix) + count * len(block)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + first + again * (count - 1)
            + compressor.flush() + struct.pack("<II", crc, size & 0xFFFFFFFF))


def _bombs() -> dict[str, bytes]:
    header = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://example.com/\r\n"
              b"WARC-Date: 2024-10-01T00:00:00Z\r\nContent-Length: %d\r\n\r\n"
              b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
    return {
        "zeros, no newline, 64 MB inflated": bomb(b"\0", 64 * MB),
        "zeros, no newline, 256 MB inflated": bomb(b"\0", 256 * MB),
        "zeros, no newline, 2 GB inflated": bomb(b"\0", 2048 * MB),
        "a 300 MB header line": bomb(b"a", 300 * MB, prefix=b"WARC/1.0\r\nWARC-Type: "),
        "8 million header lines": bomb(b"X-Y: z\r\n", 64 * MB, prefix=b"WARC/1.0\r\n"),
        "1 GB of blank lines": bomb(b"\r\n", 1024 * MB),
        "a record declaring 4 GB": bomb(b"\0", 512 * MB, prefix=header % (4 << 30)),
    }


# The child reports its own peak (VmHWM): rusage would count the parent's
# pages the child shared until exec.
_READ_ONE = """
import re, sys, time
from datetime import UTC, datetime
from claimwire.ingest.warc import WarcStats, read_warc_pages
from claimwire.window import Window
window = Window(datetime(2000, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
stats = WarcStats()
started = time.monotonic()
list(read_warc_pages([sys.argv[1]], window, stats=stats))
peak = re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)
print(f"{time.monotonic() - started:.2f}", peak, stats.errors[0] if stats.errors else "")
"""


def section_warc() -> None:
    with tempfile.TemporaryDirectory() as root:
        for name, data in _bombs().items():
            path = Path(root) / "bomb.warc.gz"
            path.write_bytes(data)
            out = subprocess.run([sys.executable, "-c", _READ_ONE, str(path)],
                                 capture_output=True, text=True, check=True).stdout
            seconds, peak_kib = out.split(" ")[:2]
            peak = int(peak_kib) / 1024
            figure(f"{name} ({len(data) // 1024} KB): {seconds} s, peak RSS",
                   f"{peak:.0f} MB", peak < 500)


# ------------------------------------------------------------------ http


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.startswith("/busy/"):
            self._send(503, {"Retry-After": "15"})
        elif self.path.startswith("/hop/"):
            step = int(self.path.rsplit("/", 1)[1])
            time.sleep(2.0)
            self._send(302, {"Location": f"/hop/{step + 1}"} if step < 5 else {})
        else:
            self._send(404, {})

    def _send(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def _server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def section_http() -> None:
    from claimwire.config import HttpSettings
    from claimwire.ingest.http import HttpClient

    settings = HttpSettings(allow_networks=("127.0.0.1/32",), respect_robots=False)
    with _server() as base, HttpClient(settings) as client:
        started = time.monotonic()
        list(client.get_many([f"{base}/busy/{i}" for i in range(8)]))
        took = time.monotonic() - started
        figure("8 pages, 503 Retry-After: 15, defaults (was 126 s)", f"{took:.1f} s", took < 40)
    with _server() as base, HttpClient(replace(settings, total_timeout=5.0)) as client:
        started = time.monotonic()
        result = client.get(f"{base}/hop/0")
        took = time.monotonic() - started
        figure(f"5 hops of 2 s, 5 s URL budget ({result.error})", f"{took:.1f} s", took < 6.5)


# ------------------------------------------------------------------ transform


_NAMES = ("Anna Berg", "Tom Reed", "the minister", "Jane Holt")


def _attributed(paragraphs: int) -> bytes:
    body = "".join(
        f'<p>"The {i} harbour bridge will reopen next week," {_NAMES[i % 4]} said on Monday.</p>'
        for i in range(paragraphs))
    return (f"<html><head><title>{paragraphs}</title></head><body><article><h1>Page</h1>"
            f"{body}</article></body></html>").encode()


def _empty_spans(count: int) -> bytes:
    # Removing empty elements one by one was quadratic in such a run (72 s for 45,000).
    return ("<html><head><title>Spans</title></head><body><article><p>"
            + "<span></span>The harbour board met again. " * count
            + "</p></article></body></html>").encode()


def section_transform() -> None:
    from claimwire.config import Config
    from claimwire.ingest.archive import RawArchive
    from claimwire.records import PendingDocument
    from claimwire.transform.documents import transform_documents
    from claimwire.transform.nlp import load_nlp

    with tempfile.TemporaryDirectory() as root:
        config = Config(warehouse_path=Path(root) / "wh.duckdb")
        archive = RawArchive(config.raw_archive_dir)
        load_nlp(config.claims.model)
        pages = {"huge (16,000 paragraphs)": _attributed(16_000),
                 "dense (1,500 paragraphs)": _attributed(1_500),
                 "normal (12 paragraphs)": _attributed(12),
                 "empty spans (40,000)": _empty_spans(40_000)}
        for name, html in pages.items():
            url = f"http://example.com/{len(html)}"
            doc = PendingDocument(doc_id=name, url=url, canonical_url=url, final_url=url,
                                  feed_url=None, guid=None, raw_sha256=archive.put(html),
                                  charset="utf-8", published_at=None, fetched_at=None)
            started = time.monotonic()
            result = transform_documents(config, [doc])
            took = time.monotonic() - started
            status = result.tables["doc_status"].to_pylist()[0]
            outcome = status["error"] or f"{result.counts.claims_found} claims"
            figure(f"{name}, {len(html) // 1024} KB: {outcome[:38]}", f"{took:.1f} s",
                   took < config.claims.time_budget + 30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated sections: " + ", ".join(SECTIONS))
    args = parser.parse_args(argv)
    wanted = args.only.split(",") if args.only else list(SECTIONS)
    print(f"claimwire hostile-input figures; {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.2f}")
    for name in wanted:
        print(f"\n[{name}] {time.strftime('%H:%M:%S')}", flush=True)
        globals()[f"section_{name.replace('-', '_')}"]()
    missed = [r for r in results if not r[2]]
    print(f"\n{len(results) - len(missed)}/{len(results)} figures within target")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
