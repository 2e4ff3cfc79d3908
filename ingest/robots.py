"""robots.txt rules per origin, fetched through the caller's guarded client and cached.

Failure policy (RFC 9309 section 2.3.1 for 4xx; a deliberate leniency for 5xx):

* 2xx: the file is parsed with `protego` and obeyed: RFC 9309 longest-match
  rules with `*` and `$` wildcards, and `Crawl-delay`, which the client uses
  as the host's delay between requests when it is longer than its own.
* 4xx, including 401/403: no rules, everything is allowed (RFC 9309 says
  "unavailable" means allow; the stdlib's own `read()` disallows on 401/403,
  which is why the fetch is not left to it).
* 5xx, network errors, timeouts, refused addresses: allowed. RFC 9309 asks
  for "complete disallow" here, but a nightly news poll that skips a site for
  a flaky robots.txt loses that night's articles, and the page fetch that
  follows gets the same politeness limits anyway. Failures are cached only
  briefly so a recovered robots.txt is picked up in the same run.

The file is always fetched by the caller's guarded client, never by the parser.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from protego import Protego

# RFC 9309 asks crawlers to read at least 500 KiB; more is ignored.
ROBOTS_MAX_BYTES = 512 * 1024


@dataclass(frozen=True)
class RobotsResponse:
    """What the fetcher saw; status None means no HTTP response at all."""

    status: int | None
    body: bytes | None


# origin URL of robots.txt -> response; must not raise for network problems.
RobotsFetcher = Callable[[str], RobotsResponse]


@dataclass
class _Entry:
    parser: Protego | None  # None: allow everything
    expires: float


class RobotsCache:
    def __init__(
        self,
        fetch: RobotsFetcher,
        user_agent: str,
        *,
        ttl: float = 24 * 3600.0,
        failure_ttl: float = 600.0,
        max_entries: int = 20_000,
    ) -> None:
        self._fetch = fetch
        self._agent = user_agent
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._max = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        # One lock per origin so concurrent page fetches to a new site cause
        # one robots.txt request, not one each.
        self._origin_locks: dict[str, threading.Lock] = {}

    def allowed(self, origin: str, url: str) -> bool:
        """May `url` (on `origin`, e.g. "https://example.org") be fetched?"""
        entry = self._entry(origin)
        if entry.parser is None:
            return True
        try:
            return entry.parser.can_fetch(url, self._agent)
        except Exception:  # a parser quirk must not stop the crawl
            return True

    def crawl_delay(self, origin: str) -> float | None:
        """The `Crawl-delay` (seconds) robots.txt of `origin` asks of our agent, if any."""
        entry = self._entry(origin)
        if entry.parser is None:
            return None
        try:
            delay = entry.parser.crawl_delay(self._agent)
        except Exception:
            return None
        return float(delay) if delay is not None and float(delay) > 0 else None

    def _cached(self, origin: str) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(origin)
            if entry is None or entry.expires < time.monotonic():
                return None
            self._entries.move_to_end(origin)
            return entry

    def _entry(self, origin: str) -> _Entry:
        entry = self._cached(origin)
        if entry is not None:
            return entry
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:
            entry = self._cached(origin)  # another thread may have fetched it
            if entry is None:
                entry = self._load(origin)
                with self._lock:
                    self._entries[origin] = entry
                    self._entries.move_to_end(origin)
                    while len(self._entries) > self._max:
                        old, _ = self._entries.popitem(last=False)
                        self._origin_locks.pop(old, None)
        return entry

    def _load(self, origin: str) -> _Entry:
        now = time.monotonic()
        response = self._fetch(origin + "/robots.txt")
        status = response.status
        if status is not None and 200 <= status < 300 and response.body is not None:
            text = response.body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace")
            try:
                parser = Protego.parse(text)
            except Exception:  # unparsable rules mean no rules
                return _Entry(None, now + self._ttl)
            return _Entry(parser, now + self._ttl)
        if status is not None and 400 <= status < 500:
            return _Entry(None, now + self._ttl)
        return _Entry(None, now + self._failure_ttl)
