"""RFC 5005 archive walks against a feed archive served on 127.0.0.1."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimwire.config import HttpSettings
from claimwire.ingest.archived_feeds import walk_feed_archives
from claimwire.ingest.http import HttpClient
from claimwire.pipeline import Window

try:
    from servers import Reply, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, serve

ATOM = {"Content-Type": "application/atom+xml"}
RSS = {"Content-Type": "application/rss+xml"}

# Three months of items: the subscription document holds October, the
# archives September and August.
OCTOBER = ["2024-10-28T09:00:00Z", "2024-10-14T12:00:00Z", "2024-10-02T08:00:00Z"]
SEPTEMBER = ["2024-09-25T10:00:00Z", "2024-09-15T10:00:00Z", "2024-09-03T10:00:00Z"]
AUGUST = [
    "2024-08-25T10:00:00Z",
    "2024-08-18T23:59:00Z",
    "2024-08-15T06:00:00Z",
    "2024-08-05T10:00:00Z",
]


def _slug(stamp: str) -> str:
    return stamp[:10]


def rss_subscription(prev: str | None, items: list[str] = OCTOBER) -> bytes:
    """RSS 2.0 carrying its archive link as atom:link, as WordPress-style feeds do."""
    link = f'<atom:link rel="prev-archive" href="{prev}"/>' if prev else ""
    entries = "".join(
        f"<item><title>Story {_slug(s)}</title><link>/news/{_slug(s)}</link>"
        f"<guid>urn:story:{_slug(s)}</guid>"
        f"<pubDate>{datetime.fromisoformat(s):%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>"
        for s in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
        f"<channel><title>Wire</title><link>/</link>{link}{entries}</channel></rss>"
    ).encode()


def atom_archive(items: list[str], links: dict[str, str]) -> bytes:
    rels = "".join(f'<link rel="{rel}" href="{href}"/>' for rel, href in links.items())
    entries = "".join(
        f"<entry><id>urn:story:{_slug(s)}</id><title>Story {_slug(s)}</title>"
        f'<link href="/news/{_slug(s)}"/><published>{s}</published><updated>{s}</updated></entry>'
        for s in items
    )
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:fh="http://purl.org/syndication/history/1.0">'
        f"<title>Wire archive</title><id>urn:wire</id><updated>2024-10-28T09:00:00Z</updated>"
        f"<fh:archive/>{rels}{entries}</feed>"
    ).encode()


def archive_routes(august_prev: str | None = None) -> dict[str, Reply]:
    august_links = {"current": "/feed", "next-archive": "/archive/2024-09"}
    if august_prev:
        august_links["prev-archive"] = august_prev
    return {
        "/feed": Reply(body=rss_subscription("/archive/2024-09"), headers=RSS),
        # Relative href: resolved against the document that holds it.
        "/archive/2024-09": Reply(
            body=atom_archive(
                SEPTEMBER,
                {"prev-archive": "2024-08", "next-archive": "/feed", "current": "/feed"},
            ),
            headers=ATOM,
        ),
        "/archive/2024-08": Reply(body=atom_archive(AUGUST, august_links), headers=ATOM),
    }


@pytest.fixture
def client() -> HttpClient:
    settings = HttpSettings(
        allow_networks=("127.0.0.1/32",), per_host_delay=0.0, retries=0, respect_robots=False
    )
    with HttpClient(settings) as http:
        yield http


def window(first: str, last: str) -> Window:
    return Window.from_dates(date.fromisoformat(first), date.fromisoformat(last))


def paths_seen(base) -> Counter[str]:
    return Counter(seen.path for seen in base.requests if seen.path != "/robots.txt")


def test_window_inside_the_oldest_document_yields_exactly_its_items(client) -> None:
    with serve(archive_routes()) as base:
        walk = walk_feed_archives(client, base + "/feed", window("2024-08-10", "2024-08-20"))
        seen = paths_seen(base)
    assert [item.canonical_url for item in walk.items] == [
        base + "/news/2024-08-18",
        base + "/news/2024-08-15",
    ]
    assert all(item.title and item.published_at.tzinfo is UTC for item in walk.items)
    assert seen == {"/feed": 1, "/archive/2024-09": 1, "/archive/2024-08": 1}
    assert len(walk.fetches) == 3 and all(f.ok for f in walk.fetches)
    assert walk.errors == [] and walk.documents == 3
    assert walk.stopped == "no_more_links"


def test_stops_at_the_first_document_older_than_the_window(client) -> None:
    # August links further back, but everything in it predates the window.
    with serve(archive_routes(august_prev="/archive/2024-07")) as base:
        walk = walk_feed_archives(client, base + "/feed", window("2024-09-10", "2024-09-20"))
        seen = paths_seen(base)
    assert [item.guid for item in walk.items] == ["urn:story:2024-09-15"]
    assert "/archive/2024-07" not in seen
    assert walk.stopped == "older_than_window"


def test_window_spanning_documents_and_the_end_boundary_is_exclusive(client) -> None:
    with serve(archive_routes()) as base:
        walk = walk_feed_archives(client, base + "/feed", window("2024-09-15", "2024-10-13"))
    assert [item.guid for item in walk.items] == [
        "urn:story:2024-10-02",
        "urn:story:2024-09-25",
        "urn:story:2024-09-15",
    ]


def test_a_loop_in_the_links_terminates_with_each_document_fetched_once(client) -> None:
    # The oldest archive points back at the subscription URL (spelled differently).
    with serve(archive_routes(august_prev="/feed?utm_source=loop")) as base:
        walk = walk_feed_archives(client, base + "/feed", window("2024-08-01", "2024-08-31"))
        seen = paths_seen(base)
    assert seen == {"/feed": 1, "/archive/2024-09": 1, "/archive/2024-08": 1}
    assert len(walk.items) == 4


def test_a_self_loop_and_a_two_document_cycle_end(client) -> None:
    routes = {
        "/feed": Reply(body=rss_subscription("/a"), headers=RSS),
        "/a": Reply(body=atom_archive([], {"prev-archive": "/b"}), headers=ATOM),
        "/b": Reply(body=atom_archive([], {"prev-archive": "/a", "next": "/b"}), headers=ATOM),
    }
    with serve(routes) as base:
        walk = walk_feed_archives(client, base + "/feed", window("2024-08-01", "2024-08-31"))
        seen = paths_seen(base)
    assert seen == {"/feed": 1, "/a": 1, "/b": 1}
    assert walk.items == [] and walk.errors == []


def test_a_failing_middle_document_is_recorded_and_the_walk_goes_on(client) -> None:
    routes = archive_routes()
    routes["/archive/2024-09"] = Reply(status=500, body=b"boom")
    with serve(routes) as base:
        walk = walk_feed_archives(client, base + "/feed", window("2024-08-01", "2024-10-31"))
        seen = paths_seen(base)
    assert [item.guid for item in walk.items] == [f"urn:story:{_slug(s)}" for s in OCTOBER]
    assert len(walk.errors) == 1 and "/archive/2024-09" in walk.errors[0]
    assert "500" in walk.errors[0]
    assert [f.status for f in walk.fetches] == [200, 500]
    assert "/archive/2024-08" not in seen  # its only link was in the broken document


def test_a_document_that_is_not_a_feed_is_an_error_not_an_exception(client) -> None:
    routes = archive_routes()
    routes["/archive/2024-09"] = Reply(
        body=b"<html><body>moved</body></html>", headers={"Content-Type": "text/html"}
    )
    with serve(routes) as base:
        walk = walk_feed_archives(client, base + "/feed", window("2024-08-01", "2024-10-31"))
    assert len(walk.items) == 3 and len(walk.errors) == 1


def test_an_unreachable_subscription_document(client) -> None:
    with serve({}) as base:
        walk = walk_feed_archives(client, base + "/feed", window("2024-08-01", "2024-08-31"))
    assert walk.items == [] and len(walk.errors) == 1 and walk.fetches[0].status == 404


def test_paged_feeds_follow_next(client) -> None:
    routes = {
        "/feed": Reply(body=atom_archive(OCTOBER, {"next": "/feed?page=2"}), headers=ATOM),
        "/feed?page=2": Reply(
            body=atom_archive(SEPTEMBER, {"previous": "/feed", "next": "/feed?page=3"}),
            headers=ATOM,
        ),
        "/feed?page=3": Reply(
            body=atom_archive(AUGUST, {"previous": "/feed?page=2", "first": "/feed"}),
            headers=ATOM,
        ),
    }
    with serve(routes) as base:
        walk = walk_feed_archives(client, base + "/feed", window("2024-08-20", "2024-09-05"))
        seen = paths_seen(base)
    assert [item.guid for item in walk.items] == ["urn:story:2024-09-03", "urn:story:2024-08-25"]
    assert seen == {"/feed": 1, "/feed?page=2": 1, "/feed?page=3": 1}


def test_max_documents_bounds_an_endless_chain(client) -> None:
    routes = {
        f"/p{n}": Reply(body=atom_archive([], {"prev-archive": f"/p{n + 1}"}), headers=ATOM)
        for n in range(20)
    }
    with serve(routes) as base:
        walk = walk_feed_archives(
            client, base + "/p0", window("2024-08-01", "2024-08-31"), max_documents=5
        )
    assert len(walk.fetches) == 5 and walk.stopped == "max_documents"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    graph=st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(
                    ["prev-archive", "next", "previous", "prev", "next-archive", "current"]
                ),
                st.integers(0, 7),
            ),
            max_size=4,
        ),
        min_size=1,
        max_size=8,
    ),
    months=st.lists(st.integers(1, 12), min_size=8, max_size=8),
)
def test_any_link_graph_ends_with_each_document_fetched_once(client, graph, months) -> None:
    """Whatever the links (cycles, self-links, dangling ones), the walk ends quickly."""
    routes: dict[str, Reply] = {}
    for n, links in enumerate(graph):
        # Links must be unique per rel for Atom; the last one of a rel wins in the parser.
        rels = {rel: f"/d{target}" for rel, target in links}
        stamp = f"2024-{months[n]:02d}-15T12:00:00Z"
        routes[f"/d{n}"] = Reply(body=atom_archive([stamp], rels), headers=ATOM)
    with serve(routes) as base:
        walk = walk_feed_archives(client, base + "/d0", window("2024-06-01", "2024-06-30"))
        seen = paths_seen(base)
    assert all(count == 1 for count in seen.values())
    assert len(walk.fetches) == sum(seen.values()) <= 8
    assert {item.published_at.month for item in walk.items} <= {6}
