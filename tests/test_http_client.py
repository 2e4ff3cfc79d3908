"""HttpClient against real HTTP on 127.0.0.1: the ordinary paths a nightly poll takes."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from claimwire.config import HttpSettings
from claimwire.ingest.http import HttpClient

try:
    from servers import Reply, Seen, gzipped, redirect, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, Seen, gzipped, redirect, serve

FAST = HttpSettings(
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=5.0,
    allow_networks=("127.0.0.1/32",),
    per_host_delay=0.0,
    retries=1,
    backoff_base=0.05,
    backoff_max=3.0,
    respect_robots=False,
)
HTML = "text/html; charset=utf-8"
PAGE = "<!doctype html><html><head><title>Café</title></head><body><p>Grüße</p></body></html>"

RUSSIAN = (
    "Москва — столица России, крупнейший по численности населения город страны. "
    "Правительство объявило о новых мерах поддержки экономики, сообщили журналисты. "
) * 4


def client(**changes: object) -> HttpClient:
    return HttpClient(replace(FAST, **changes))


def test_gzip_page_fetch() -> None:
    body = PAGE.encode()
    headers = {"Content-Type": HTML, "Content-Encoding": "gzip", "ETag": '"v1"'}
    routes = {"/a": Reply(body=gzipped(body), headers=headers)}
    with serve(routes) as base, client() as http:
        result = http.get(base + "/a")
    assert result.ok, result.error
    assert result.status == 200
    assert result.body == body
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert result.headers["etag"] == '"v1"'
    assert result.final_url == base + "/a" and result.redirects == []
    assert result.fetched_at.tzinfo is not None and result.elapsed > 0
    seen = base.requests[0].headers
    assert seen["user-agent"] == FAST.user_agent
    assert "gzip" in seen["accept-encoding"]
    assert seen["host"] == base.removeprefix("http://")


def test_deflate_raw_and_concatenated_gzip_members() -> None:
    import zlib

    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = raw.compress(PAGE.encode()) + raw.flush()
    half = len(PAGE) // 2
    members = gzipped(PAGE[:half].encode()) + gzipped(PAGE[half:].encode())
    routes = {
        "/raw": Reply(body=deflated, headers={"Content-Type": HTML, "Content-Encoding": "deflate"}),
        "/multi": Reply(body=members, headers={"Content-Type": HTML, "Content-Encoding": "gzip"}),
        "/br": Reply(body=b"xx", headers={"Content-Type": HTML, "Content-Encoding": "br"}),
    }
    with serve(routes) as base, client() as http:
        assert http.get(base + "/raw").body == PAGE.encode()
        assert http.get(base + "/multi").body == PAGE.encode()
        assert http.get(base + "/br").error == "bad_encoding: br"


def test_conditional_get_304() -> None:
    last_modified = "Tue, 01 Oct 2024 10:00:00 GMT"

    def feed(seen: Seen) -> Reply:
        if seen.headers.get("if-none-match") == '"v7"':
            return Reply(status=304, headers={"ETag": '"v7"'}, body=None)
        return Reply(body=b"<rss></rss>", headers={"Content-Type": "application/rss+xml"})

    with serve({"/feed": feed}) as base, client() as http:
        fresh = http.get(base + "/feed", accept="feed", conditional=('"v7"', last_modified))
        full = http.get(base + "/feed", accept="feed")
    assert fresh.ok and fresh.not_modified and fresh.status == 304 and fresh.body is None
    assert base.requests[0].headers["if-modified-since"] == last_modified
    assert full.ok and not full.not_modified and full.body == b"<rss></rss>"
    assert "if-none-match" not in base.requests[1].headers


def test_redirect_chain_is_followed_and_recorded() -> None:
    routes = {
        "/a": redirect("/b", 301),
        "/b": redirect("c?x=1#frag", 307),
        "/c": Reply(body=PAGE, headers={"Content-Type": HTML}),
    }
    with serve(routes) as base, client() as http:
        result = http.get(base + "/a")
    assert result.ok, result.error
    assert result.redirects == [base + "/b", base + "/c?x=1"]
    assert result.final_url == base + "/c?x=1"
    assert result.url == base + "/a"


def test_redirect_loop_and_too_many() -> None:
    routes = {
        "/loop1": redirect("/loop2"),
        "/loop2": redirect("/loop1"),
        **{f"/hop{i}": redirect(f"/hop{i + 1}") for i in range(10)},
    }
    with serve(routes) as base, client(max_redirects=3) as http:
        loop = http.get(base + "/loop1")
        chain = http.get(base + "/hop0")
    assert loop.error is not None and loop.error.startswith("redirect_loop")
    assert chain.error is not None and chain.error.startswith("too_many_redirects")
    assert len(chain.redirects) == 3
    assert [s.path for s in base.requests if s.path.startswith("/hop")] == [
        f"/hop{i}" for i in range(4)
    ]


def test_redirect_without_location_and_to_bad_scheme() -> None:
    routes = {"/nowhere": Reply(status=302), "/ftp": redirect("ftp://example.org/file")}
    with serve(routes) as base, client() as http:
        assert http.get(base + "/nowhere").error.startswith("bad_redirect")
        assert http.get(base + "/ftp").error == "bad_scheme: ftp"


def test_credentials_do_not_follow_a_redirect_to_another_origin() -> None:
    with serve({"/": Reply(body=PAGE, headers={"Content-Type": HTML})}) as other:
        with serve({"/go": redirect(other + "/")}) as base, client() as http:
            headers = {"Authorization": "Bearer secret", "X-Trace": "1"}
            assert http.get(base + "/go", headers=headers).ok
        assert base.requests[0].headers["authorization"] == "Bearer secret"
        assert "authorization" not in other.requests[0].headers
        assert other.requests[0].headers["x-trace"] == "1"


def test_404_is_not_retried_and_500_is() -> None:
    routes = {"/gone": Reply(status=404, body=b"no"), "/boom": Reply(status=500, body=b"err")}
    with serve(routes) as base, client(retries=2) as http:
        missing = http.get(base + "/gone")
        broken = http.get(base + "/boom")
    assert missing.error == "http_status: 404" and missing.status == 404 and missing.body is None
    assert broken.error == "http_status: 500" and broken.status == 500
    paths = [s.path for s in base.requests]
    assert paths.count("/gone") == 1
    assert paths.count("/boom") == 3  # first try plus two retries


def test_429_honours_retry_after_then_succeeds() -> None:
    routes = {
        "/busy": [
            Reply(status=429, headers={"Retry-After": "1"}, body=b"slow down"),
            Reply(body=PAGE, headers={"Content-Type": HTML}),
        ]
    }
    with serve(routes) as base, client(retries=2, backoff_base=0.01) as http:
        result = http.get(base + "/busy")
    assert result.ok, result.error
    first, second = base.requests
    assert second.time - first.time >= 0.95


def test_per_host_delay_is_respected_between_request_starts() -> None:
    routes = {f"/p{i}": Reply(body=PAGE, headers={"Content-Type": HTML}) for i in range(4)}
    with serve(routes) as base, client(per_host_delay=0.3, per_host_connections=4) as http:
        results = list(http.get_many([base + f"/p{i}" for i in range(4)], max_workers=4))
    assert all(r.ok for r in results)
    assert sorted(r.url for r in results) == sorted(base + f"/p{i}" for i in range(4))
    times = sorted(s.time for s in base.requests)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.28, gaps


def test_per_host_connections_limit_concurrency() -> None:
    active = 0
    peak = 0
    lock = threading.Lock()

    def slow(seen: Seen) -> Reply:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.15)
        with lock:
            active -= 1
        return Reply(body=PAGE, headers={"Content-Type": HTML})

    with serve({"/s": slow}) as base, client(per_host_connections=2) as http:
        urls = [base + "/s?" + str(i) for i in range(6)]
        results = list(http.get_many(urls, max_workers=6))
    assert len(results) == 6 and all(r.ok for r in results)
    assert peak == 2


def test_robots_txt_disallow_is_cached_and_not_applied_to_feeds() -> None:
    robots = "User-agent: *\nDisallow: /private\n\nUser-agent: otherbot\nDisallow: /\n"
    routes = {
        "/robots.txt": Reply(body=robots, headers={"Content-Type": "text/plain"}),
        "/public": Reply(body=PAGE, headers={"Content-Type": HTML}),
        "/private/page": Reply(body=PAGE, headers={"Content-Type": HTML}),
        "/private/feed": Reply(body=b"<rss/>", headers={"Content-Type": "application/rss+xml"}),
    }
    with serve(routes) as base, client(respect_robots=True) as http:
        assert http.get(base + "/public").ok
        blocked = http.get(base + "/private/page")
        assert http.get(base + "/private/feed", accept="feed").ok
    assert blocked.error == "robots_disallowed" and blocked.status is None
    paths = [s.path for s in base.requests]
    assert paths.count("/robots.txt") == 1
    assert "/private/page" not in paths


@pytest.mark.parametrize("status", [404, 403, 500])
def test_robots_failures_allow_everything(status: int) -> None:
    routes = {
        "/robots.txt": Reply(status=status, body=b"User-agent: *\nDisallow: /\n"),
        "/x": Reply(body=PAGE, headers={"Content-Type": HTML}),
    }
    with serve(routes) as base, client(respect_robots=True, retries=0) as http:
        assert http.get(base + "/x").ok


def test_pdf_refused_for_pages_and_sniffing_of_generic_types() -> None:
    pdf = b"%PDF-1.7\n" + b"\x00" * 100
    routes = {
        "/doc.pdf": Reply(body=pdf, headers={"Content-Type": "application/pdf"}),
        "/png": Reply(body=b"\x89PNG\r\n", headers={"Content-Type": "image/png"}),
        "/octet-html": Reply(body=PAGE, headers={"Content-Type": "application/octet-stream"}),
        "/octet-pdf": Reply(body=pdf, headers={"Content-Type": "application/octet-stream"}),
        "/untyped": Reply(body="  \n<html><body>x</body></html>"),
        "/plain-text": Reply(body="just words", headers={"Content-Type": "text/plain"}),
    }
    with serve(routes) as base, client() as http:
        assert http.get(base + "/doc.pdf").error == "bad_content_type: application/pdf"
        assert http.get(base + "/png").error == "bad_content_type: image/png"
        sniffed = http.get(base + "/octet-html")
        assert sniffed.ok and sniffed.content_type == "text/html"
        assert http.get(base + "/octet-pdf").error == "bad_content_type: application/octet-stream"
        assert http.get(base + "/untyped").content_type == "text/html"
        assert http.get(base + "/plain-text").error == "bad_content_type: text/plain"
        assert http.get(base + "/doc.pdf", accept="any").content_type == "application/pdf"


def test_feed_content_types() -> None:
    rss = b'<?xml version="1.0"?>\n<rss version="2.0"><channel></channel></rss>'
    routes = {
        "/rss": Reply(body=rss, headers={"Content-Type": "application/rss+xml; charset=utf-8"}),
        "/as-html": Reply(body=rss, headers={"Content-Type": "text/html"}),
        "/json": Reply(body=b'{"version": "https://jsonfeed.org/version/1.1"}',
                       headers={"Content-Type": "application/feed+json"}),
        "/soft404": Reply(body=PAGE, headers={"Content-Type": "text/html"}),
        "/image": Reply(body=b"GIF89a", headers={"Content-Type": "image/gif"}),
    }  # fmt: skip
    with serve(routes) as base, client() as http:
        assert http.get(base + "/rss", accept="feed").content_type == "application/rss+xml"
        assert http.get(base + "/as-html", accept="feed").content_type == "application/xml"
        assert http.get(base + "/json", accept="feed").content_type == "application/feed+json"
        assert http.get(base + "/soft404", accept="feed").error == "bad_content_type: text/html"
        assert http.get(base + "/image", accept="feed").error == "bad_content_type: image/gif"


def test_charset_detected_for_undeclared_windows_1251() -> None:
    body = f"<html><head><title>Новости</title></head><body><p>{RUSSIAN}</p></body></html>"
    routes = {"/ru": Reply(body=body.encode("cp1251"), headers={"Content-Type": "text/html"})}
    with serve(routes) as base, client() as http:
        result = http.get(base + "/ru")
    assert result.ok and result.charset == "cp1251"
    assert result.body == body.encode("cp1251")  # raw bytes, not re-encoded


def test_charset_when_header_and_meta_disagree() -> None:
    def page(meta: str) -> bytes:
        head = f'<html><head><meta charset="{meta}"><title>t</title></head>'
        return (head + f"<body><p>{RUSSIAN}</p></body></html>").encode("cp1251")

    routes = {
        # The header lies and the bytes prove it (not UTF-8): the meta tag wins.
        "/header-lies": Reply(body=page("windows-1251"), headers={"Content-Type": HTML}),
        # Both declarations decode the bytes: the header wins, as in the HTML standard.
        "/meta-lies": Reply(
            body=page("iso-8859-1"), headers={"Content-Type": "text/html; charset=windows-1251"}
        ),
        # Valid UTF-8 with non-ASCII text is UTF-8 whatever a legacy label says.
        "/utf8-as-latin1": Reply(
            body=f"<html><body>{RUSSIAN}</body></html>".encode(),
            headers={"Content-Type": "text/html; charset=iso-8859-1"},
        ),
    }
    with serve(routes) as base, client() as http:
        assert http.get(base + "/header-lies").charset == "cp1251"
        assert http.get(base + "/meta-lies").charset == "cp1251"
        assert http.get(base + "/utf8-as-latin1").charset == "utf-8"


def test_get_many_mixes_hosts_and_failures() -> None:
    with serve({"/": Reply(body=PAGE, headers={"Content-Type": HTML})}) as base, client() as http:
        urls = [base + "/", "ftp://x/", "not a url", base + "/missing"]
        results = {r.url: r for r in http.get_many(urls)}
    assert set(results) == set(urls)
    assert results[base + "/"].ok
    assert results["ftp://x/"].error == "bad_scheme: ftp"
    assert results["not a url"].error is not None
    assert results[base + "/missing"].error == "http_status: 404"
