"""Common Crawl's news archive (CC-NEWS): which WARC files to read, and for which sites.

CC-NEWS publishes, per month, `crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz`: one
relative path per line, each a WARC file named by the moment its crawler
began writing it (`CC-NEWS-YYYYMMDDhhmmss-NNNNN.warc.gz`, numbered on across
months). One crawler writes one file after another, so a file holds the
captures from its own timestamp until the next file's.

A page is captured after it is published, usually within hours, sometimes
days later. So for a publication window [start, end) the files worth reading
are those whose capture span overlaps [start, end + margin): the file that was
open when the window began (listed in the month before when the window starts
on the 1st), every file begun inside the window, and those begun in the margin
after it. Pages captured later than that are lost to this backfill; a wider
margin finds them at the price of reading more files.

Sites are chosen by domain: a domain matches itself and its subdomains
(`example.com` matches `www.example.com` and `news.example.com`).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from claimwire.errors import SourceUnavailable
from claimwire.ingest.http import HttpClient
from claimwire.window import Window

CC_NEWS_BASE = "https://data.commoncrawl.org/"
# The first month CC-NEWS has; listings before it do not exist.
FIRST_MONTH = (2016, 8)
LISTING_PREFIX = "crawl-data/CC-NEWS/"
# A WARC file is written in an hour or two; one day before the window is a
# generous bound for the start of the file that was open when it began.
LEAD = timedelta(days=1)
# A month's listing is ~100 KB of text; a bigger answer is not a listing.
MAX_LISTING_BYTES = 16 * 1024 * 1024

_NAME = re.compile(r"CC-NEWS-(\d{14})-(\d+)\.warc(?:\.gz)?$")
_DOMAIN = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$")
# Labels that name a feed server rather than the publisher: stripped when a
# feed's host becomes a default domain (feeds.example.com -> example.com).
_FEED_HOST_LABELS = ("www", "feeds", "feed", "rss")


class CCNewsUnavailable(SourceUnavailable):
    """A month listing could not be read; the file selection would be incomplete."""


def is_transient(error: str) -> bool:
    """Would the same request likely succeed later? (A `FetchResult.error` string.)

    Not a file that outlasted its whole time budget: it would again.
    """
    if error.startswith("timeout: total"):
        return False
    if error.startswith(("read_error", "timeout", "connect_error", "network_error")):
        return True
    status = error.removeprefix("http_status: ")
    return status.isdigit() and (status == "429" or status.startswith("5"))


@dataclass(frozen=True, order=True)
class CCNewsFile:
    """One WARC file of CC-NEWS, ordered by when its crawler began writing it."""

    crawled_at: datetime  # aware UTC, from the file name
    path: str  # relative to the base URL, as listed

    @classmethod
    def parse(cls, path: str) -> CCNewsFile | None:
        """The file a listing line names; None when the name carries no crawl time."""
        match = _NAME.search(path.strip())
        if match is None:
            return None
        try:
            moment = datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            return None
        return cls(moment, path.strip().lstrip("/"))

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def short(self) -> str:
        """The path without the common prefix, e.g. `2024/10/CC-NEWS-...warc.gz`."""
        return self.path.removeprefix(LISTING_PREFIX)


def months_to_list(window: Window, margin: timedelta) -> list[tuple[int, int]]:
    """(year, month) of every listing that can name a file holding pages of the window."""
    first = window.start - LEAD
    last = window.end + margin - timedelta(microseconds=1)
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        if (year, month) >= FIRST_MONTH:
            months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def listing_url(base: str, year: int, month: int) -> str:
    return f"{base.rstrip('/')}/{LISTING_PREFIX}{year:04d}/{month:02d}/warc.paths.gz"


def file_url(base: str, path: str) -> str:
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


def parse_listing(data: bytes) -> list[str]:
    """The paths of a `warc.paths.gz` (or of its text, when a server already unzipped it)."""
    if data[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(data, MAX_LISTING_BYTES + 1)
        except zlib.error as exc:
            raise ValueError(f"not a gzip listing: {exc}") from None
        if len(data) > MAX_LISTING_BYTES:
            raise ValueError(f"listing over {MAX_LISTING_BYTES} bytes")
    text = data.decode("utf-8", "replace")
    return [line.strip() for line in text.splitlines() if line.strip()]


def select_files(paths: Iterable[str], window: Window, margin: timedelta) -> list[CCNewsFile]:
    """The files whose capture span overlaps [window.start, window.end + margin), in order.

    A file's span runs from its own time stamp to the next file's; the last one
    listed is taken to run on. Paths whose names carry no time stamp are ignored.
    """
    files = sorted({f for f in (CCNewsFile.parse(p) for p in paths) if f is not None})
    horizon = window.end + margin
    chosen = []
    for index, current in enumerate(files):
        if current.crawled_at >= horizon:
            break
        following = files[index + 1] if index + 1 < len(files) else None
        if following is not None and following.crawled_at <= window.start:
            continue  # closed before the window began
        chosen.append(current)
    return chosen


@dataclass
class CCNewsListing:
    """What the month listings offered for a window."""

    files: list[CCNewsFile]
    months: list[tuple[int, int]]  # listings read
    missing: list[tuple[int, int]] = field(default_factory=list)  # not published (404)
    listed: int = 0  # WARC files in the listings read

    def describe(self) -> str:
        months = ", ".join(f"{y:04d}-{m:02d}" for y, m in self.months) or "none"
        line = (f"{len(self.files):,} of {self.listed:,} WARC file(s) listed in "
                f"{len(self.months)} month(s) ({months}) can hold pages of the range")
        if self.missing:
            line += "; not published: " + ", ".join(f"{y:04d}-{m:02d}" for y, m in self.missing)
        return line


def list_cc_news(
    client: HttpClient, base: str, window: Window, margin: timedelta
) -> CCNewsListing:
    """Read the month listings for the window and select its files.

    A listing that does not exist (404: a month not crawled yet, or before
    CC-NEWS began) lists nothing; any other failure raises CCNewsUnavailable,
    since going on would silently leave files out.
    """
    listing = CCNewsListing(files=[], months=[])
    paths: list[str] = []
    for year, month in months_to_list(window, margin):
        url = listing_url(base, year, month)
        result = client.get(url, accept="any")
        if result.status in (404, 410):
            listing.missing.append((year, month))
            continue
        if not result.ok or result.body is None:
            raise CCNewsUnavailable(f"cannot read the CC-NEWS listing {url}: {result.error}")
        try:
            month_paths = parse_listing(result.body)
        except ValueError as exc:
            raise CCNewsUnavailable(f"cannot read the CC-NEWS listing {url}: {exc}") from None
        listing.months.append((year, month))
        listing.listed += sum(1 for p in month_paths if CCNewsFile.parse(p) is not None)
        paths += month_paths
    listing.files = select_files(paths, window, margin)
    return listing


# ------------------------------------------------------------------ domains


def normalise_domain(text: str) -> str | None:
    """`example.com` from `Example.COM.`, `*.example.com` or `https://example.com/x`.

    None when the text names no domain.
    """
    text = text.strip().lower()
    if "://" in text:
        try:
            text = urlsplit(text).hostname or ""
        except ValueError:
            return None
    text = text.split("/", 1)[0]
    if text.count(":") == 1:  # host:port (an IPv6 literal has more and fails the check)
        text = text.split(":", 1)[0]
    text = text.removeprefix("*.").strip(".")
    text = _ascii_host(text)
    return text if text and _DOMAIN.match(text) else None


def feed_domain(feed_url: str) -> str | None:
    """The publisher's domain a feed URL suggests: its host without a leading
    `www.`, `feeds.`, `feed.` or `rss.` (feeds.example.com -> example.com)."""
    domain = normalise_domain(feed_url)
    if domain is None:
        return None
    first, _, rest = domain.partition(".")
    if first in _FEED_HOST_LABELS and "." in rest:
        return rest
    return domain


def _ascii_host(host: str) -> str:
    # WARC target URIs carry IDNs as punycode mostly, but not always: compare
    # both sides in their ASCII form.
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


class DomainFilter:
    """Is a URL on one of the domains (or a subdomain of one)?"""

    def __init__(self, domains: Iterable[str]) -> None:
        wanted = set()
        for raw in domains:
            domain = normalise_domain(raw)
            if domain is None:
                raise ValueError(f"not a domain: {raw!r}")
            wanted.add(domain)
        self.domains: tuple[str, ...] = tuple(sorted(wanted))
        self._set = frozenset(wanted)

    def __bool__(self) -> bool:
        return bool(self._set)

    def host_matches(self, host: str) -> bool:
        host = _ascii_host(host.lower().strip("."))
        # Every suffix of the host at a label boundary: O(labels), however many domains.
        while host:
            if host in self._set:
                return True
            _, dot, host = host.partition(".")
            if not dot:
                return False
        return False

    def __call__(self, url: str) -> bool:
        try:
            host = urlsplit(url.strip()).hostname
        except ValueError:
            return False
        return bool(host) and self.host_matches(host or "")
