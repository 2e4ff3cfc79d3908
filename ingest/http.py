"""The one HTTP client of claimwire: guarded, bounded, polite GETs for feeds and pages.

Every fetch goes through `HttpClient.get` (or `get_many` for a batch) and comes
back as a `FetchResult`; network, HTTP and policy problems never raise, they
fill `FetchResult.error` with "<reason>: <detail>".

What it guarantees, all limits coming from `HttpSettings`:

* Addresses: each hop's host is resolved and vetted by `netguard.GuardedBackend`
  at connect time, and the socket goes to the vetted address (no rebinding gap).
  Redirects are followed here, one checked hop at a time.
* Time: connect and read timeouts per socket operation, plus `total_timeout`
  of wall clock for everything one URL takes (every redirect hop, every retry
  and the back-off between them), enforced inside every socket read so a
  drip-feeding server or a chain of slow hops cannot outlast it. A retry whose
  wait (`Retry-After`, at most `backoff_max`) does not fit in what is left is
  not made; a host whose last answers were all failures worth a retry gets
  no more retries until it answers properly, so hundreds of pages answering
  `503 Retry-After: 15` cost one attempt each. `get_many(deadline=...)` starts
  no request after the caller's deadline.
* Size: `max_bytes` on the wire (early from Content-Length, then counted while
  streaming) and `max_decompressed_bytes` while inflating, so a gzip bomb
  stops at the cap with a bounded buffer.
* Politeness: `max_connections` in flight overall, `per_host_connections` and
  `per_host_delay` between request starts per host name, robots.txt for pages.

The charset is reported in `charset` (see `claimwire.formats.charset` for the
precedence); the body stays raw bytes.
"""

from __future__ import annotations

import functools
import logging
import random
import ssl
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import httpcore
import httpx

from claimwire.config import HttpSettings
from claimwire.formats.charset import detect_charset
from claimwire.formats.dates import retry_after_seconds
from claimwire.formats.media import (
    GENERIC_TYPES,
    PAGE_TYPES,
    is_feed_type,
    media_type,
    sniff_feed,
    sniff_html,
)
from claimwire.ingest import netguard
from claimwire.ingest.robots import ROBOTS_MAX_BYTES, RobotsCache, RobotsResponse

if TYPE_CHECKING:
    from claimwire.ingest.http_stream import BodyStream

log = logging.getLogger(__name__)

Accept = Literal["page", "feed", "any"]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers a caller may have meant for one site only; dropped when a redirect leaves it.
_ORIGIN_BOUND_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
# Small error bodies are read so the connection can be reused; bigger ones are dropped.
_DRAIN_LIMIT = 64 * 1024
# Answers of one host in a row that called for a retry (429, 5xx, refused
# connections) before it gets no more retries; every URL still gets one
# attempt, and any other answer resets the count.
STRUGGLING_AFTER = 3
# Longest robots.txt Crawl-delay honoured (seconds); a site asking for an hour gets this.
MAX_CRAWL_DELAY = 30.0
# The error of a URL `get_many` did not start because its deadline passed.
DEFERRED = "deferred: fetch budget spent before this URL was started"

_ACCEPT_HEADERS: dict[str, str] = {
    "page": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "feed": (
        "application/rss+xml,application/atom+xml,application/feed+json,"
        "application/rdf+xml;q=0.9,application/xml;q=0.9,text/xml;q=0.9,"
        "application/json;q=0.8,*/*;q=0.1"
    ),
    "any": "*/*",
}


@dataclass
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects (the last URL tried on failure)
    status: int | None  # None when no response arrived
    headers: dict[str, str]  # lower-cased names, repeated headers joined with ", "
    content_type: str | None  # media type only; the sniffed one when undeclared/generic
    charset: str | None  # Python codec name, declared or detected
    body: bytes | None  # decompressed bytes; None on failure and on 304
    error: str | None  # "<reason>: <detail>", None on success
    fetched_at: datetime  # UTC, when the fetch started
    elapsed: float  # seconds, including redirects, retries and politeness waits
    redirects: list[str] = field(default_factory=list)
    not_modified: bool = False  # True on 304
    # Where a chain of only permanent redirects (301/308) from the start led:
    # a feed that moved for good is stored under its new URL.
    permanent_url: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _Failure(Exception):
    """Internal: ends an exchange with a FetchResult error string."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# ------------------------------------------------------------------ URLs


def _parse_url(raw: str) -> httpx.URL:
    text = raw.strip()
    try:
        url = httpx.URL(text)
    except Exception as exc:  # any parser complaint about a stranger's string is bad input
        raise _Failure(f"bad_url: {_short(exc)}") from None
    if url.scheme not in ("http", "https"):
        raise _Failure(f"bad_scheme: {url.scheme or 'none'}")
    if not url.raw_host:
        raise _Failure("bad_url: no host")
    return url.copy_with(fragment=None)


def _host_key(url: httpx.URL) -> str:
    # Politeness is per machine name: two ports on one host are one server.
    return url.host.lower()


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _hop_headers(headers: dict[str, str], url: httpx.URL, first_origin: str) -> dict[str, str]:
    """The request headers for a hop to `url`: credentials stay with the first origin."""
    if _origin(url) == first_origin:
        return headers
    return {k: v for k, v in headers.items() if k.lower() not in _ORIGIN_BOUND_HEADERS}


def _redirect_target(
    current: httpx.URL,
    status: int,
    location: str,
    seen: set[str],
    followed: int,
    max_redirects: int,
) -> httpx.URL:
    """Where a redirect from `current` leads, checked; the target is added to `seen`.

    `location` is the stripped Location header and `followed` how many
    redirects were followed before this one. Raises `_Failure` with
    bad_redirect (no or unusable Location), redirect_loop (a URL seen before)
    or too_many_redirects (`max_redirects` already followed).
    """
    if not location:
        raise _Failure(f"bad_redirect: {status} without Location")
    try:
        target = _parse_url(str(current.join(location)))
    except _Failure:
        raise
    except Exception as exc:  # join() on a hostile Location
        raise _Failure(f"bad_redirect: {_short(exc)}") from None
    if str(target) in seen:
        raise _Failure(f"redirect_loop: back to {target}")
    if followed >= max_redirects:
        raise _Failure(f"too_many_redirects: over {max_redirects}")
    seen.add(str(target))
    return target


# ------------------------------------------------------------- politeness


class _HostState:
    __slots__ = ("delay", "lock", "next_start", "slots")

    def __init__(self, slots: int, delay: float) -> None:
        self.slots = threading.BoundedSemaphore(slots)
        self.lock = threading.Lock()
        self.next_start = 0.0
        self.delay = delay


class _Politeness:
    """Global and per-host concurrency plus a minimum gap between starts per host."""

    def __init__(self, max_connections: int, per_host: int, delay: float) -> None:
        self._global = threading.BoundedSemaphore(max(1, max_connections))
        self._per_host = max(1, per_host)
        self._delay = max(0.0, delay)
        self._hosts: dict[str, _HostState] = {}
        self._lock = threading.Lock()

    def _state(self, host: str) -> _HostState:
        with self._lock:
            state = self._hosts.get(host)
            if state is None:
                state = self._hosts[host] = _HostState(self._per_host, self._delay)
            return state

    def at_least(self, host: str, delay: float | None) -> None:
        """Space requests to `host` at least `delay` seconds apart (a robots.txt
        Crawl-delay), when that is longer than the configured delay; capped."""
        if delay:
            state = self._state(host)
            with state.lock:
                state.delay = max(state.delay, min(float(delay), MAX_CRAWL_DELAY))

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        state = self._state(host)
        with state.slots:
            # Sleep off the gap before taking a global slot so a waiting
            # request does not idle one; re-check under the lock afterwards
            # because another thread for the same host may have started.
            while True:
                with state.lock:
                    wait_for = state.next_start - time.monotonic()
                if wait_for > 0:
                    time.sleep(wait_for)
                self._global.acquire()
                with state.lock:
                    now = time.monotonic()
                    if now >= state.next_start:
                        state.next_start = now + state.delay
                        break
                self._global.release()
            try:
                yield
            finally:
                self._global.release()


# ---------------------------------------------------------- decompression


class _ZlibStage:
    """Incremental gzip/deflate inflater that never produces more than `cap` bytes."""

    def __init__(self, coding: str, cap: int) -> None:
        self._coding = coding
        # gzip: 32+ lets zlib accept gzip or zlib framing; deflate: zlib framing
        # first, raw deflate as fallback since some servers send that.
        self._wbits = 32 + zlib.MAX_WBITS if coding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._d = zlib.decompressobj(self._wbits)
        self._cap = cap
        self._produced = 0
        self._seen_output = False

    def _inflate(self, data: bytes) -> bytes:
        # max_length of one byte over the allowance: overflow shows without
        # ever holding more than cap + 1 bytes. (0 would mean "no limit", but
        # the allowance is at least 1 here because we raise past the cap.)
        room = self._cap - self._produced + 1
        try:
            out = self._d.decompress(data, room)
        except zlib.error as exc:
            if self._coding != "deflate" or self._seen_output or self._wbits < 0:
                raise _Failure(f"bad_encoding: {self._coding}: {exc}") from None
            self._wbits = -zlib.MAX_WBITS
            self._d = zlib.decompressobj(self._wbits)
            try:
                out = self._d.decompress(data, room)
            except zlib.error as exc2:
                raise _Failure(f"bad_encoding: {self._coding}: {exc2}") from None
        self._produced += len(out)
        if self._produced > self._cap:
            raise _Failure(f"decompressed_too_large: over {self._cap} bytes")
        if out:
            self._seen_output = True
        return out

    def feed(self, data: bytes) -> bytes:
        parts: list[bytes] = []
        while True:
            parts.append(self._inflate(data))
            if self._d.eof:
                rest = self._d.unused_data
                # Concatenated gzip members are legal; anything else after
                # the stream end is trailing junk and ignored.
                if self._wbits > zlib.MAX_WBITS and rest.startswith(b"\x1f\x8b"):
                    self._d = zlib.decompressobj(self._wbits)
                    data = rest
                    continue
                break
            # Input left over means the output allowance was reached; an
            # output buffer that was not filled means zlib holds nothing more.
            data = self._d.unconsumed_tail
            if not data:
                break
        return b"".join(parts)

    def finish(self) -> bytes:
        return self.feed(b"")


class _Decoder:
    """Undoes Content-Encoding layers, each capped at `cap` output bytes."""

    def __init__(self, content_encoding: str | None, cap: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        self._stages: list[_ZlibStage] = []
        for coding in reversed(codings):  # the last applied is undone first
            if coding == "identity":
                continue
            if coding not in ("gzip", "x-gzip", "deflate"):
                raise _Failure(f"bad_encoding: {coding}")
            self._stages.append(_ZlibStage(coding, cap))

    def feed(self, data: bytes) -> bytes:
        for stage in self._stages:
            data = stage.feed(data)
        return data

    def finish(self) -> bytes:
        data = b""
        for stage in self._stages:
            data = stage.feed(data) + stage.finish()
        return data


# ------------------------------------------------------ content type


def _precheck_type(kind: str, accept: Accept) -> None:
    """Refuse from the headers alone when no sniffing could change the answer."""
    if accept == "page":
        # XML types may carry XHTML, so they are sniffed rather than refused.
        maybe = PAGE_TYPES | GENERIC_TYPES | {"application/xml", "text/xml"}
    elif accept == "feed":
        # Feeds served as text/html are common enough to deserve a sniff.
        maybe = GENERIC_TYPES | {"text/html"}
        if is_feed_type(kind):
            return
    else:
        return
    if kind not in maybe:
        raise _Failure(f"bad_content_type: {kind}")


def _effective_type(kind: str, body: bytes, accept: Accept) -> str | None:
    """The media type to report, raising bad_content_type when the body does not fit."""
    if accept == "any":
        return kind or None
    if accept == "page":
        if kind in PAGE_TYPES:
            return kind
        if sniff_html(body):
            xml = kind in ("application/xml", "text/xml")
            return "application/xhtml+xml" if xml else "text/html"
        raise _Failure(f"bad_content_type: {kind or 'missing'}")
    if is_feed_type(kind):
        return kind
    sniffed = sniff_feed(body)
    if sniffed is None:
        raise _Failure(f"bad_content_type: {kind or 'missing'}")
    return sniffed


# ----------------------------------------------------------------- client


@dataclass
class _Hop:
    """Outcome of one request/response exchange."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    content_type: str | None = None
    charset: str | None = None
    error: str | None = None


@functools.lru_cache(maxsize=1)
def _default_ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~30 ms; a poll makes one client per shard
    # (20 for 1,000 feeds), which made it a quarter of an unchanged re-poll.
    # The context is read-only once made, and SSLContext is thread-safe.
    return httpx.create_ssl_context(trust_env=False)


class HttpClient:
    """Thread-safe; share one per process so limits and caches are shared too."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        resolver: netguard.Resolver | None = None,
    ) -> None:
        """`resolver(host, port) -> [address, ...]` replaces DNS, for tests."""
        self.settings = settings
        self._policy = netguard.AddressPolicy(settings.networks())
        self._backend = netguard.GuardedBackend(
            self._policy, resolver, resolver_threads=max(4, settings.max_connections)
        )
        self._pool = httpcore.ConnectionPool(
            ssl_context=_default_ssl_context(),
            # Our semaphores bound concurrency; the pool only needs room for it.
            max_connections=max(1, settings.max_connections) + 4,
            max_keepalive_connections=max(1, settings.max_connections),
            keepalive_expiry=30.0,
            network_backend=self._backend,
        )
        self._polite = _Politeness(
            settings.max_connections, settings.per_host_connections, settings.per_host_delay
        )
        self._robots = RobotsCache(self._fetch_robots, settings.user_agent)
        self._closed = False
        self._failures_in_a_row: dict[str, int] = {}
        self._failures_lock = threading.Lock()

    # -- lifecycle

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.close()
            self._backend.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- public API

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        accept: Accept = "page",
        conditional: tuple[str | None, str | None] | None = None,
    ) -> FetchResult:
        """Fetch `url`; never raises for network, HTTP or policy problems."""
        if accept not in _ACCEPT_HEADERS:
            raise ValueError(f"accept must be 'page', 'feed' or 'any', not {accept!r}")
        extra = dict(headers or {})
        if conditional is not None:
            etag, last_modified = conditional
            if etag:
                extra["If-None-Match"] = etag
            if last_modified:
                extra["If-Modified-Since"] = last_modified
        return self._get(
            url,
            extra,
            accept,
            check_robots=accept == "page" and self.settings.respect_robots,
            retries=self.settings.retries,
            truncate=None,
        )

    def get_many(
        self,
        urls: Iterable[str],
        *,
        accept: Accept = "page",
        max_workers: int | None = None,
        deadline: float | None = None,
    ) -> Iterator[FetchResult]:
        """Fetch concurrently, yielding results as they complete (match them by `.url`).

        Work is handed out round-robin across hosts with at most
        `per_host_connections` per host in flight, so one big site cannot
        occupy every worker while they wait out its per-host delay. No
        request starts after `deadline` (a `time.monotonic()` value): the
        URLs left are yielded with the error `DEFERRED`, unfetched.
        """
        workers = max(1, max_workers or self.settings.max_connections)
        per_host = max(1, self.settings.per_host_connections)
        queues: dict[str, deque[str]] = {}
        for url in urls:
            try:
                key = _host_key(_parse_url(url))
            except _Failure:
                key = ""  # fails fast inside get()
            queues.setdefault(key, deque()).append(url)
        ready: deque[str] = deque(queues)
        queued = set(ready)
        in_flight: dict[str, int] = dict.fromkeys(queues, 0)
        pending: dict[Future[FetchResult], tuple[str, str]] = {}
        pool = ThreadPoolExecutor(workers, thread_name_prefix="claimwire-http")

        def submit() -> None:
            if deadline is not None and time.monotonic() >= deadline:
                return
            while ready and len(pending) < workers:
                host = ready.popleft()
                queued.discard(host)
                url = queues[host].popleft()
                in_flight[host] += 1
                pending[pool.submit(self.get, url, accept=accept)] = (host, url)
                if queues[host] and in_flight[host] < per_host:
                    ready.append(host)
                    queued.add(host)

        try:
            submit()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    host, url = pending.pop(future)
                    in_flight[host] -= 1
                    if queues[host] and host not in queued:
                        ready.append(host)
                        queued.add(host)
                    yield self._result_of(future, url)
                submit()
            for host in queues:
                while queues[host]:
                    yield _unfetched(queues[host].popleft(), DEFERRED)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def stream(
        self,
        url: str,
        *,
        max_bytes: int,
        total_timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> AbstractContextManager[BodyStream]:
        """GET `url` and read its body as a binary file, never holding it whole.

        For files far larger than a page (a 1 GB WARC file): the guard,
        redirect checks, timeouts, retries and politeness of `get`, with the
        caller's `max_bytes` and `total_timeout` for the whole transfer; a
        broken connection resumes by Range. Read inside the `with` block, in
        this thread. Raises `http_stream.StreamError`; see `http_stream`.
        """
        from claimwire.ingest.http_stream import open_stream

        return open_stream(self, url, max_bytes=max_bytes, total_timeout=total_timeout,
                           headers=headers)

    # -- internals

    @staticmethod
    def _result_of(future: Future[FetchResult], url: str) -> FetchResult:
        try:
            return future.result()
        except Exception as exc:
            # A bug on one URL must not sink a nightly batch of thousands.
            log.exception("internal error fetching %s", url)
            return FetchResult(
                url=url, final_url=url, status=None, headers={}, content_type=None,
                charset=None, body=None, error=f"internal_error: {type(exc).__name__}: "
                f"{_short(exc)}", fetched_at=datetime.now(UTC), elapsed=0.0,
            )  # fmt: skip

    def _fetch_robots(self, robots_url: str) -> RobotsResponse:
        result = self._get(
            robots_url, {}, "any", check_robots=False, retries=0, truncate=ROBOTS_MAX_BYTES
        )
        if result.error and result.error.startswith("http_status"):
            return RobotsResponse(result.status, None)
        return RobotsResponse(result.status if result.ok else None, result.body)

    def _get(
        self,
        url: str,
        headers: dict[str, str],
        accept: Accept,
        *,
        check_robots: bool,
        retries: int,
        truncate: int | None,
    ) -> FetchResult:
        started = time.monotonic()
        result = FetchResult(
            url=url, final_url=url, status=None, headers={}, content_type=None, charset=None,
            body=None, error=None, fetched_at=datetime.now(UTC), elapsed=0.0,
        )  # fmt: skip
        try:
            # One budget for the URL: every hop, retry and wait below takes from it.
            with netguard.deadline(self.settings.total_timeout):
                self._follow(result, headers, accept, check_robots, retries, truncate)
        except _Failure as failure:
            result.error = failure.error
            result.body = None
        result.elapsed = time.monotonic() - started
        return result

    def _follow(
        self,
        result: FetchResult,
        headers: dict[str, str],
        accept: Accept,
        check_robots: bool,
        retries: int,
        truncate: int | None,
    ) -> None:
        if self._closed:
            raise _Failure("closed: client is closed")
        current = _parse_url(result.url)
        first_origin = _origin(current)
        seen = {str(current)}
        result.final_url = str(current)
        only_permanent = True
        while True:
            if check_robots:
                if not self._robots.allowed(_origin(current), str(current)):
                    raise _Failure("robots_disallowed")
                self._polite.at_least(_host_key(current),
                                      self._robots.crawl_delay(_origin(current)))
            hop_headers = _hop_headers(headers, current, first_origin)
            hop = self._with_retries(current, hop_headers, accept, retries, truncate)
            result.status, result.headers = hop.status, hop.headers
            if hop.error:
                raise _Failure(hop.error)
            status = hop.status or 0
            if status in REDIRECT_STATUSES:
                location = hop.headers.get("location", "").strip()
                target = _redirect_target(
                    current, status, location, seen, len(result.redirects),
                    self.settings.max_redirects,
                )
                result.redirects.append(str(target))
                result.final_url = str(target)
                only_permanent = only_permanent and status in (301, 308)
                if only_permanent:
                    result.permanent_url = str(target)
                current = target
                continue
            if status == 304:
                result.not_modified = True
                return
            if not 200 <= status < 300:
                raise _Failure(f"http_status: {status}")
            result.body = hop.body
            result.content_type = hop.content_type
            result.charset = hop.charset
            return

    def _with_retries(
        self,
        url: httpx.URL,
        headers: dict[str, str],
        accept: Accept,
        retries: int,
        truncate: int | None,
    ) -> _Hop:
        host = _host_key(url)
        attempt = 0
        while True:
            hop = self._exchange(url, headers, accept, truncate)
            if not self._retryable(hop):
                self._note_outcome(host, failed=False)
                return hop
            struggling = self._note_outcome(host, failed=True)
            delay = self._retry_delay(hop, attempt) if attempt < retries else None
            left = netguard.remaining()
            if struggling or delay is None or (left is not None and delay >= left):
                # Out of retries, a host that keeps failing, or a wait that
                # would outlast the budget.
                return hop
            log.debug("retrying %s in %.1fs after %s", url, delay, hop.error or hop.status)
            time.sleep(delay)
            attempt += 1

    def _note_outcome(self, host: str, *, failed: bool) -> bool:
        """Count the host's answer; True when it has failed STRUGGLING_AFTER times in a row."""
        with self._failures_lock:
            count = self._failures_in_a_row.get(host, 0) + 1 if failed else 0
            self._failures_in_a_row[host] = count
        return count >= STRUGGLING_AFTER

    @staticmethod
    def _retryable(hop: _Hop) -> bool:
        if hop.error is not None:
            # Refused connections can be a restart; timeouts would just burn
            # the budget again and policy refusals will not change.
            return hop.error.startswith("connect_error")
        status = hop.status or 0
        return status == 429 or 500 <= status < 600

    def _retry_delay(self, hop: _Hop, attempt: int) -> float | None:
        """Seconds to wait before the next attempt; None when the server asks
        for longer than `backoff_max` (it will not be ready within this run)."""
        cap = max(0.0, self.settings.backoff_max)
        if hop.status in (429, 503):
            asked = retry_after_seconds(hop.headers.get("retry-after"))
            if asked is not None:
                return asked if asked <= cap else None
        # Exponential with jitter so many clients retrying do not sync up.
        base = self.settings.backoff_base * (2**attempt)
        return min(cap, base * random.uniform(0.5, 1.0))

    def _request_headers(
        self, url: httpx.URL, extra: dict[str, str], accept: Accept
    ) -> list[tuple[bytes, bytes]]:
        merged: dict[str, tuple[str, str]] = {}

        def put(name: str, value: str) -> None:
            merged[name.lower()] = (name, value)

        put("Host", url.netloc.decode("ascii"))
        put("Accept", _ACCEPT_HEADERS[accept])
        put("Accept-Encoding", "gzip, deflate")
        for name, value in extra.items():
            if name.lower() != "host":
                put(name, value)
        put("User-Agent", self.settings.user_agent)  # always ours: sites deserve to know
        return [(n.encode("latin-1"), v.encode("latin-1", "replace")) for n, v in merged.values()]

    def _exchange(
        self,
        url: httpx.URL,
        extra_headers: dict[str, str],
        accept: Accept,
        truncate: int | None,
    ) -> _Hop:
        s = self.settings
        hop = _Hop()
        timeouts = {
            "connect": s.connect_timeout,
            "read": s.read_timeout,
            "write": s.read_timeout,
            "pool": s.connect_timeout,
        }
        try:
            request = httpcore.Request(
                "GET",
                httpcore.URL(
                    scheme=url.raw_scheme,
                    host=url.raw_host,
                    port=url.port,
                    target=url.raw_path,
                ),
                headers=self._request_headers(url, extra_headers, accept),
                extensions={"timeout": timeouts},
            )
        except (UnicodeError, TypeError, ValueError) as exc:
            hop.error = f"bad_request: {_short(exc)}"
            return hop
        with self._polite.slot(_host_key(url)), netguard.deadline(s.total_timeout):
            try:
                self._send(request, hop, accept, truncate)
            except _Failure as failure:
                hop.error = failure.error
            except netguard.BlockedAddressError as exc:
                hop.error = f"blocked_address: {exc}"
            except httpcore.TimeoutException as exc:
                hop.error = f"timeout: {self._timeout_kind(exc)}"
            except httpcore.ConnectError as exc:
                hop.error = f"connect_error: {_short(exc)}"
            except (httpcore.ReadError, httpcore.WriteError, httpcore.RemoteProtocolError) as exc:
                hop.error = f"read_error: {type(exc).__name__}: {_short(exc)}"
            except (httpcore.LocalProtocolError, httpcore.UnsupportedProtocol) as exc:
                hop.error = f"bad_request: {_short(exc)}"
            except (httpcore.NetworkError, httpcore.ProtocolError, OSError) as exc:
                hop.error = f"network_error: {type(exc).__name__}: {_short(exc)}"
        if hop.error:
            hop.body = None
        return hop

    @staticmethod
    def _timeout_kind(exc: httpcore.TimeoutException) -> str:
        if netguard.deadline_passed():
            return "total"
        return {
            httpcore.ConnectTimeout: "connect",
            httpcore.ReadTimeout: "read",
            httpcore.WriteTimeout: "write",
            httpcore.PoolTimeout: "pool",
        }.get(type(exc), "unknown")

    def _send(
        self, request: httpcore.Request, hop: _Hop, accept: Accept, truncate: int | None
    ) -> None:
        s = self.settings
        response = self._pool.handle_request(request)
        try:
            hop.status = response.status
            headers: dict[str, str] = {}
            for raw_name, raw_value in response.headers:
                name = raw_name.decode("latin-1").lower()
                value = raw_value.decode("latin-1")
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
            hop.headers = headers
            length = _content_length(headers)
            if not 200 <= response.status < 300:
                if length is not None and length <= _DRAIN_LIMIT:
                    self._drain(response)
                return
            if length is not None and length > s.max_bytes and truncate is None:
                raise _Failure(f"too_large: body over {s.max_bytes} bytes (Content-Length)")
            kind, params = media_type(headers.get("content-type"))
            _precheck_type(kind, accept)
            decoder = _Decoder(headers.get("content-encoding"), s.max_decompressed_bytes)
            body = self._read(response, decoder, s.max_bytes, truncate)
            hop.content_type = _effective_type(kind, body, accept)
            hop.charset = detect_charset(body, params.get("charset")) if body else None
            hop.body = body
        finally:
            response.close()

    @staticmethod
    def _drain(response: httpcore.Response) -> None:
        """Read a small unwanted body so the connection can be reused; failures don't matter."""
        quiet = (_Failure, httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError)
        with suppress(*quiet):
            HttpClient._read(response, _Decoder(None, _DRAIN_LIMIT), _DRAIN_LIMIT, None)

    @staticmethod
    def _read(
        response: httpcore.Response, decoder: _Decoder, wire_cap: int, truncate: int | None
    ) -> bytes:
        """Stream the body through `decoder`, enforcing the wire cap and the deadline."""
        parts: list[bytes] = []
        wire = 0
        size = 0
        for chunk in response.iter_stream():
            wire += len(chunk)
            if wire > wire_cap and truncate is None:
                raise _Failure(f"too_large: body over {wire_cap} bytes")
            data = decoder.feed(chunk)
            parts.append(data)
            size += len(data)
            if truncate is not None and (size >= truncate or wire > wire_cap):
                return b"".join(parts)[:truncate]
            # The socket reads are clamped to the deadline too; this catches
            # a server that keeps sending just fast enough between checks.
            if netguard.deadline_passed():
                raise httpcore.ReadTimeout("total time budget spent while reading the body")
        parts.append(decoder.finish())
        return b"".join(parts)


def _unfetched(url: str, error: str) -> FetchResult:
    return FetchResult(
        url=url, final_url=url, status=None, headers={}, content_type=None, charset=None,
        body=None, error=error, fetched_at=datetime.now(UTC), elapsed=0.0,
    )  # fmt: skip


def _content_length(headers: dict[str, str]) -> int | None:
    value = headers.get("content-length", "").split(",")[0].strip()
    return int(value) if value.isdigit() else None
