"""The rules of page retries: back-off doubling, giving up, only polled feeds."""

from __future__ import annotations

from datetime import datetime, timedelta

from claimwire.config import FeedPollSettings
from claimwire.ingest.feeds import FeedItem
from claimwire.ingest.fetch import FetchBatch
from claimwire.pipeline.retries import next_attempt, outcome_rows, split_due
from claimwire.records import PageRetry

NOW = datetime(2026, 12, 5, 6, 0)
SETTINGS = FeedPollSettings(failure_backoff_hours=1.0, max_failures=4)


def _item(url: str) -> FeedItem:
    return FeedItem(guid=url, link=url, canonical_url=url, title=None, published_at=None,
                    summary=None, author=None)


def test_back_off_doubles_then_gives_up():
    waits = [next_attempt(n, NOW, SETTINGS) for n in (1, 2, 3, 4)]
    assert [w - NOW for w in waits[:3]] == [timedelta(hours=h) for h in (1, 2, 4)]
    assert waits[3] is None


def test_only_polled_feeds_get_retries_and_fetched_pages_settle():
    before = [PageRetry(canonical_url="http://a/1", feed_url="http://a/feed", attempts=2),
              PageRetry(canonical_url="http://a/2", feed_url="http://a/feed", attempts=1)]
    fetched = FetchBatch(failures=[("http://a/feed", _item("http://a/1"), "http_status: 500"),
                                   ("http://sitemap", _item("http://b/1"), "http_status: 500")])
    rows = outcome_rows(before, fetched, ["http://a/2"], NOW, SETTINGS, {"http://a/feed"})
    assert [(r.canonical_url, r.attempts) for r in rows] == [("http://a/1", 3), ("http://a/2", 0)]
    assert rows[0].next_attempt_at == NOW + timedelta(hours=4)


def test_split_due():
    later = PageRetry(canonical_url="x", feed_url="f", attempts=1,
                      next_attempt_at=NOW + timedelta(hours=1))
    due = PageRetry(canonical_url="y", feed_url="f", attempts=1, next_attempt_at=NOW)
    gone = PageRetry(canonical_url="z", feed_url="f", attempts=9, next_attempt_at=None)
    assert split_due([later, due, gone], NOW) == ([due], {"x"})
