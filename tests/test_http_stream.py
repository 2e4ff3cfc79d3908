"""HttpClient.stream against real HTTP on 127.0.0.1: big bodies read as files, under the guard."""

from __future__ import annotations

import hashlib
import tracemalloc
from dataclasses import replace

import pytest

from claimwire.config import HttpSettings
from claimwire.ingest.http import HttpClient
from claimwire.ingest.http_stream import StreamError

try:
    from servers import Reply, Seen, drip, gzipped, redirect, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, Seen, drip, gzipped, redirect, serve

FAST = HttpSettings(
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=5.0,
    max_bytes=64 * 1024,  # the page cap: streams must not be bound by it
    allow_networks=("127.0.0.1/32",),
    per_host_delay=0.0,
    retries=1,
    backoff_base=0.01,
    backoff_max=0.1,
    respect_robots=False,
)
MiB = 1024 * 1024


def client(**changes: object) -> HttpClient:
    return HttpClient(replace(FAST, **changes))


def pattern(size: int) -> bytes:
    """Bytes that are not all alike, so an offset error shows in the digest."""
    block = bytes(range(256)) * 256
    return (block * (size // len(block) + 1))[:size]


def read_all(body, piece: int = 16 * 1024) -> bytes:  # type: ignore[no-untyped-def]
    parts = []
    while chunk := body.read(piece):
        parts.append(chunk)
    return b"".join(parts)


def test_a_body_far_over_the_page_cap_streams_in_bounded_memory() -> None:
    size = 48 * MiB
    piece = pattern(MiB)
    routes = {"/big.warc.gz": Reply(body=(piece for _ in range(size // MiB)),
                                    headers={"Content-Type": "application/octet-stream"})}
    with serve(routes) as base, client() as http:
        tracemalloc.start()
        try:
            digest = hashlib.sha256()
            total = 0
            with http.stream(base + "/big.warc.gz", max_bytes=size, total_timeout=60) as body:
                assert body.status == 200 and body.content_type == "application/octet-stream"
                while chunk := body.read(64 * 1024):
                    digest.update(chunk)
                    total += len(chunk)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert total == size and body.bytes_read == size
    assert digest.hexdigest() == hashlib.sha256(piece * (size // MiB)).hexdigest()
    # The server's generator holds 1 MiB; the client never more than a few chunks.
    assert peak < 8 * MiB, peak
    seen = base.requests[0].headers
    assert seen["accept-encoding"] == "identity"
    assert seen["user-agent"] == FAST.user_agent


def test_the_stream_cap_is_enforced_from_content_length_and_while_reading() -> None:
    data = pattern(300_000)
    routes = {
        "/declared": Reply(body=data),
        "/chunked": lambda seen: Reply(
            body=(data[i:i + 50_000] for i in range(0, len(data), 50_000))),
    }
    with serve(routes) as base, client() as http:
        with pytest.raises(StreamError) as raised, http.stream(
                base + "/declared", max_bytes=200_000, total_timeout=10):
            pass
        assert raised.value.error.startswith("too_large") and "Content-Length" in raised.value.error
        with (http.stream(base + "/chunked", max_bytes=200_000, total_timeout=10) as body,
              pytest.raises(StreamError) as raised):
            read_all(body)
        assert raised.value.error.startswith("too_large")
        assert body.error == raised.value.error
        # within the cap the same bodies are fine
        with http.stream(base + "/chunked", max_bytes=len(data), total_timeout=10) as body:
            assert read_all(body) == data


def test_the_address_guard_applies_to_streams() -> None:
    with (serve({"/f": Reply(body=b"x")}) as base, client(allow_networks=()) as http,
          pytest.raises(StreamError) as raised,
          http.stream(base + "/f", max_bytes=MiB, total_timeout=5)):
        pass
    assert raised.value.error.startswith("blocked_address")
    assert base.requests == []


def test_status_redirects_and_retries() -> None:
    data = pattern(10_000)
    routes = {
        "/moved": redirect("/flaky"),
        "/flaky": [Reply(status=503), Reply(body=data)],
        "/gone": Reply(status=404, body=b"no"),
        "/zipped": Reply(body=gzipped(data), headers={"Content-Encoding": "gzip"}),
    }
    with serve(routes) as base, client() as http:
        with http.stream(base + "/moved", max_bytes=MiB, total_timeout=10) as body:
            assert read_all(body) == data
            assert body.final_url == base + "/flaky"
        assert [r.path for r in base.requests] == ["/moved", "/flaky", "/flaky"]
        with (pytest.raises(StreamError) as raised,
              http.stream(base + "/gone", max_bytes=MiB, total_timeout=10)):
            pass
        assert raised.value.error == "http_status: 404"
        # a server that compresses anyway is undone, under the same cap
        with http.stream(base + "/zipped", max_bytes=MiB, total_timeout=10) as body:
            assert read_all(body) == data


def _ranged(data: bytes, *, cut_at: int, honour_range: bool = True):  # type: ignore[no-untyped-def]
    """A route that breaks the first transfer at `cut_at` and answers Range requests."""
    etag = '"v1"'

    def route(seen: Seen) -> Reply:
        wanted = seen.headers.get("range", "")
        if wanted and honour_range:
            start = int(wanted.removeprefix("bytes=").rstrip("-"))
            return Reply(status=206, body=data[start:], headers={
                "ETag": etag, "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"})
        # Promises every byte, sends some, hangs up: the client sees an incomplete body.
        return Reply(body=iter([data[:cut_at]]), close=True,
                     headers={"ETag": etag, "Content-Length": str(len(data)),
                              "Accept-Ranges": "bytes"})

    return route


def test_a_broken_transfer_resumes_where_it_broke() -> None:
    data = pattern(3 * MiB)
    with (serve({"/f": _ranged(data, cut_at=MiB + 123)}) as base, client() as http,
          http.stream(base + "/f", max_bytes=4 * MiB, total_timeout=20) as body):
        got = read_all(body)
        assert body.resumed == 1
    assert got == data
    first, second = base.requests
    assert "range" not in first.headers
    assert second.headers["range"] == f"bytes={MiB + 123}-"
    assert second.headers["if-range"] == '"v1"'


def test_a_transfer_that_cannot_resume_fails_loudly() -> None:
    data = pattern(MiB)
    routes = {"/f": _ranged(data, cut_at=1000, honour_range=False)}
    with (serve(routes) as base, client() as http,
          http.stream(base + "/f", max_bytes=4 * MiB, total_timeout=20) as body,
          pytest.raises(StreamError) as raised):
        read_all(body)
    assert raised.value.error.startswith("read_error")
    assert "cannot resume" in raised.value.error
    # with no retries left there is no second request at all
    with (serve({"/f": _ranged(data, cut_at=1000)}) as base, client(retries=0) as http,
          http.stream(base + "/f", max_bytes=4 * MiB, total_timeout=20) as body,
          pytest.raises(StreamError)):
        read_all(body)
    assert len(base.requests) == 1


def test_the_total_timeout_bounds_the_whole_transfer() -> None:
    routes = {"/drip": Reply(body=drip(b"x" * 100, interval=0.1))}
    with (serve(routes) as base, client() as http,
          http.stream(base + "/drip", max_bytes=MiB, total_timeout=0.5) as body,
          pytest.raises(StreamError) as raised):
        read_all(body, piece=1)
    assert raised.value.error.startswith("timeout")
