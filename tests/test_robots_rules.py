"""robots.txt through protego: wildcards, longest match, Crawl-delay as the host's delay."""

from __future__ import annotations

from dataclasses import replace

from claimwire.config import HttpSettings
from claimwire.ingest.http import HttpClient

try:
    from servers import Reply, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, serve

SETTINGS = HttpSettings(
    connect_timeout=2.0, read_timeout=2.0, total_timeout=10.0,
    allow_networks=("127.0.0.1/32",), per_host_delay=0.0, retries=0,
    backoff_base=0.05, backoff_max=3.0, respect_robots=True,
)
HTML = {"Content-Type": "text/html; charset=utf-8"}
PAGE = "<!doctype html><html><body><p>x</p></body></html>"


def _site(robots: str, paths: list[str]) -> dict[str, Reply]:
    routes = {p: Reply(body=PAGE, headers=HTML) for p in paths}
    routes["/robots.txt"] = Reply(body=robots, headers={"Content-Type": "text/plain"})
    return routes


def test_wildcard_and_end_anchor_rules_are_obeyed() -> None:
    robots = "User-agent: *\nDisallow: /*.html$\nDisallow: /*?print=\n"
    paths = ["/story.html", "/story.html5", "/news/", "/a"]
    with serve(_site(robots, paths)) as base, HttpClient(SETTINGS) as http:
        assert http.get(base + "/story.html").error == "robots_disallowed"
        assert http.get(base + "/a?print=1").error == "robots_disallowed"
        assert http.get(base + "/story.html5").ok
        assert http.get(base + "/news/").ok
    fetched = [s.path for s in base.requests]
    assert "/story.html" not in fetched and "/a?print=1" not in fetched


def test_longest_match_wins_over_order() -> None:
    # The stdlib parser took the first matching rule (Disallow: /news) for both.
    robots = "User-agent: *\nDisallow: /news\nAllow: /news/public\n"
    with serve(_site(robots, ["/news/public/1", "/news/secret"])) as base, \
            HttpClient(SETTINGS) as http:
        assert http.get(base + "/news/public/1").ok
        assert http.get(base + "/news/secret").error == "robots_disallowed"


def _gaps(base: object, path_prefix: str) -> list[float]:
    times = [s.time for s in base.requests if s.path.startswith(path_prefix)]  # type: ignore[attr-defined]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def test_crawl_delay_longer_than_configured_spaces_requests() -> None:
    robots = "User-agent: *\nCrawl-delay: 0.4\n"
    paths = [f"/p{i}" for i in range(3)]
    with serve(_site(robots, paths)) as base, HttpClient(SETTINGS) as http:
        results = list(http.get_many([base + p for p in paths]))
    assert all(r.ok for r in results)
    gaps = _gaps(base, "/p")
    assert len(gaps) == 2 and min(gaps) >= 0.35, gaps


def test_crawl_delay_shorter_than_configured_does_not_shorten_it() -> None:
    robots = "User-agent: *\nCrawl-delay: 0.01\n"
    paths = [f"/p{i}" for i in range(3)]
    with serve(_site(robots, paths)) as base, \
            HttpClient(replace(SETTINGS, per_host_delay=0.3)) as http:
        assert all(r.ok for r in http.get_many([base + p for p in paths]))
    assert min(_gaps(base, "/p")) >= 0.25
