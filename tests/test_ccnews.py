"""CC-NEWS pieces on their own: which months and files a window needs, which sites
match, the WARC reader on a stream, progress arithmetic, the [backfill] settings."""

from __future__ import annotations

import gzip
import io
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import write_config
from servers import Reply, serve
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from claimwire.config import ConfigError, HttpSettings, load_config
from claimwire.errors import UsageError
from claimwire.ingest.ccnews import (
    CCNewsFile,
    CCNewsUnavailable,
    DomainFilter,
    feed_domain,
    is_transient,
    list_cc_news,
    listing_url,
    months_to_list,
    normalise_domain,
    parse_listing,
    select_files,
)
from claimwire.ingest.http import HttpClient
from claimwire.ingest.warc import WarcStats, read_warc_pages
from claimwire.pipeline.ccnews import cc_news_options
from claimwire.pipeline.progress import FileProgress
from claimwire.window import Window

DAYS3 = timedelta(days=3)


def days(first: str, last: str) -> Window:
    return Window.from_dates(date.fromisoformat(first), date.fromisoformat(last))


def name(stamp: str, number: int = 0) -> str:
    return f"crawl-data/CC-NEWS/{stamp[:4]}/{stamp[4:6]}/CC-NEWS-{stamp}-{number:05d}.warc.gz"


def every(hours: int, start: datetime, end: datetime) -> list[str]:
    """Files begun every `hours` from `start` until `end`, numbered on."""
    paths, moment, number = [], start, 0
    while moment < end:
        paths.append(name(f"{moment:%Y%m%d%H%M%S}", number))
        moment += timedelta(hours=hours)
        number += 1
    return paths


def stamps(files: list[CCNewsFile]) -> list[str]:
    return [f"{f.crawled_at:%Y-%m-%d %H:%M}" for f in files]


# ------------------------------------------------------------------ month listings


def test_months_listed_span_the_window_the_day_before_and_the_margin() -> None:
    # Mid-month, no margin: that month only.
    assert months_to_list(days("2024-10-10", "2024-10-20"), timedelta(0)) == [(2024, 10)]
    # Starting on the 1st: the file open at midnight was begun the month before.
    assert months_to_list(days("2024-10-01", "2024-10-31"), DAYS3) == [
        (2024, 9), (2024, 10), (2024, 11)]
    # Ending on the last day without a margin: not the next month.
    assert months_to_list(days("2024-10-10", "2024-10-31"), timedelta(0)) == [(2024, 10)]
    # A margin reaching into the next month lists it.
    assert months_to_list(days("2024-10-10", "2024-10-29"), DAYS3) == [(2024, 10), (2024, 11)]


def test_months_listed_across_year_boundaries() -> None:
    assert months_to_list(days("2024-12-30", "2024-12-31"), DAYS3) == [(2024, 12), (2025, 1)]
    assert months_to_list(days("2025-01-01", "2025-01-02"), DAYS3) == [(2024, 12), (2025, 1)]
    assert months_to_list(days("2023-11-15", "2024-02-10"), timedelta(0)) == [
        (2023, 11), (2023, 12), (2024, 1), (2024, 2)]


def test_no_listing_before_cc_news_began() -> None:
    assert months_to_list(days("2016-08-01", "2016-08-02"), DAYS3) == [(2016, 8)]
    assert months_to_list(days("2015-01-01", "2015-01-02"), DAYS3) == []


def test_listing_urls_and_file_names() -> None:
    assert listing_url("https://data.commoncrawl.org/", 2024, 3) == (
        "https://data.commoncrawl.org/crawl-data/CC-NEWS/2024/03/warc.paths.gz")
    assert listing_url("http://mirror.test/cc", 2024, 3) == (
        "http://mirror.test/cc/crawl-data/CC-NEWS/2024/03/warc.paths.gz")
    f = CCNewsFile.parse(" crawl-data/CC-NEWS/2024/10/CC-NEWS-20241028123456-01234.warc.gz\n")
    assert f is not None
    assert f.crawled_at == datetime(2024, 10, 28, 12, 34, 56, tzinfo=UTC)
    assert f.name == "CC-NEWS-20241028123456-01234.warc.gz"
    assert f.short == "2024/10/CC-NEWS-20241028123456-01234.warc.gz"
    assert CCNewsFile.parse("crawl-data/CC-NEWS/2024/10/CC-NEWS-20241332123456-1.warc.gz") is None
    assert CCNewsFile.parse("crawl-data/CC-NEWS/2024/10/index.html") is None


def test_parse_listing_gzip_plain_and_oversized() -> None:
    lines = [name("20241001001500", 1), name("20241001021500", 2)]
    text = ("\n".join(lines) + "\n\n").encode()
    assert parse_listing(gzip.compress(text)) == lines
    assert parse_listing(text) == lines  # a server that unzipped it on the way
    with pytest.raises(ValueError):
        parse_listing(gzip.compress(b"x" * (17 * 1024 * 1024)))
    with pytest.raises(ValueError):
        parse_listing(b"\x1f\x8bnot really gzip")


# ------------------------------------------------------------------ file selection


def test_selection_takes_the_open_file_the_range_and_the_margin() -> None:
    paths = every(2, datetime(2024, 10, 9, 1, tzinfo=UTC), datetime(2024, 10, 20, tzinfo=UTC))
    chosen = select_files(paths, days("2024-10-12", "2024-10-13"), DAYS3)
    # The file begun at 23:00 on the 11th was still being written at midnight.
    assert stamps(chosen)[0] == "2024-10-11 23:00"
    # The last one begun before the 13th ends, plus 3 days.
    assert stamps(chosen)[-1] == "2024-10-16 23:00"
    assert len(chosen) == 1 + 12 * 5
    assert chosen == sorted(chosen)


def test_selection_edges_are_half_open() -> None:
    window = days("2024-10-12", "2024-10-12")
    paths = [
        name("20241011220000", 1),  # closed when the next began, exactly at the start: out
        name("20241012000000", 2),  # begun at the start: in
        name("20241015235959", 3),  # begun a second before end + margin: in
        name("20241016000000", 4),  # begun at end + margin: out
    ]
    assert [f.path for f in select_files(paths, window, DAYS3)] == paths[1:3]
    # No margin: only what was written during the day itself.
    assert [f.path for f in select_files(paths, window, timedelta(0))] == paths[1:2]


def test_selection_ignores_order_duplicates_and_junk() -> None:
    paths = every(6, datetime(2024, 10, 11, tzinfo=UTC), datetime(2024, 10, 14, tzinfo=UTC))
    shuffled = [*reversed(paths), paths[3], "crawl-data/CC-NEWS/2024/10/README.txt", ""]
    assert select_files(shuffled, days("2024-10-12", "2024-10-12"), timedelta(0)) == (
        select_files(paths, days("2024-10-12", "2024-10-12"), timedelta(0)))


def test_selection_across_month_and_year_boundaries() -> None:
    # Two months' listings as read for a range starting on January 1st.
    december = every(3, datetime(2024, 12, 30, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC))
    january = every(3, datetime(2025, 1, 1, 2, tzinfo=UTC), datetime(2025, 1, 8, tzinfo=UTC))
    chosen = select_files(december + january, days("2025-01-01", "2025-01-01"), DAYS3)
    assert stamps(chosen)[0] == "2024-12-31 22:00"  # open at midnight, listed in December
    assert stamps(chosen)[1] == "2025-01-01 02:00"
    assert stamps(chosen)[-1] == "2025-01-04 23:00"
    # A range ending on December 31st reaches into January through the margin.
    chosen = select_files(december + january, days("2024-12-31", "2024-12-31"), DAYS3)
    assert stamps(chosen)[0] == "2024-12-30 22:00"
    assert stamps(chosen)[-1] == "2025-01-03 23:00"


def test_the_last_file_listed_is_taken_to_run_on() -> None:
    # The month after is not published yet: the last file may hold the range.
    paths = [name("20241030120000", 1), name("20241031220000", 2)]
    chosen = select_files(paths, days("2024-11-01", "2024-11-01"), DAYS3)
    assert [f.path for f in chosen] == paths[1:]


def test_listing_from_a_server(tmp_path: Path) -> None:
    october = [name("20241030000000", 1), name("20241031000000", 2)]
    routes = {
        "/crawl-data/CC-NEWS/2024/10/warc.paths.gz": Reply(
            body=gzip.compress("\n".join(october).encode())),
        # November: not published yet (404)
    }
    settings = HttpSettings(allow_networks=("127.0.0.1/32",), per_host_delay=0.0, retries=0)
    with serve(routes) as base, HttpClient(settings) as client:
        listing = list_cc_news(client, base + "/", days("2024-10-31", "2024-10-31"), DAYS3)
        assert [f.path for f in listing.files] == october[1:]
        assert listing.months == [(2024, 10)] and listing.missing == [(2024, 11)]
        assert "1 of 2 WARC file(s) listed in 1 month(s) (2024-10)" in listing.describe()
        assert "not published: 2024-11" in listing.describe()
        routes["/crawl-data/CC-NEWS/2024/11/warc.paths.gz"] = Reply(status=500)
        with pytest.raises(CCNewsUnavailable, match="500"):
            list_cc_news(client, base, days("2024-10-31", "2024-10-31"), DAYS3)


def test_transient_errors() -> None:
    for error in ("read_error: RemoteProtocolError: x", "timeout: read", "connect_error: x",
                  "http_status: 503", "http_status: 429", "network_error: OSError: x"):
        assert is_transient(error), error
    # A file over its size or time cap would be again: recorded as failed, not retried.
    for error in ("http_status: 404", "http_status: 403", "blocked_address: x",
                  "too_large: body over 5 bytes", "bad_url: x", "timeout: total"):
        assert not is_transient(error), error


# ------------------------------------------------------------------ domains


def test_a_domain_matches_itself_and_its_subdomains_only() -> None:
    wanted = DomainFilter(["Example.com", "news.test."])
    assert wanted.domains == ("example.com", "news.test")
    for url in ("https://example.com/a", "https://www.example.com/a",
                "http://a.b.example.com:8080/x?y", "https://EXAMPLE.COM./z",
                "https://news.test/", "https://live.news.test/a"):
        assert wanted(url), url
    for url in ("https://notexample.com/a", "https://example.com.evil.org/a",
                "https://example.org/", "https://test/", "mailto:x@example.com",
                "not a url", "https://[::1/"):
        assert not wanted(url), url


def test_international_domains_match_in_either_spelling() -> None:
    assert DomainFilter(["bücher.example"])("https://www.xn--bcher-kva.example/a")
    assert DomainFilter(["xn--bcher-kva.example"])("https://bücher.example/a")


def test_domain_spellings_and_feed_domains() -> None:
    assert normalise_domain("https://www.Example.com/rss") == "www.example.com"
    assert normalise_domain("*.example.com") == "example.com"
    assert normalise_domain("example.com:443") == "example.com"
    assert normalise_domain("example.com/path") == "example.com"
    assert normalise_domain("not a domain!") is None
    assert normalise_domain("") is None
    with pytest.raises(ValueError):
        DomainFilter(["example.com", "bad domain"])
    assert feed_domain("https://www.example.com/rss.xml") == "example.com"
    assert feed_domain("https://feeds.bbci.co.uk/news/rss.xml") == "bbci.co.uk"
    assert feed_domain("https://rss.example.org/") == "example.org"
    assert feed_domain("https://rss.com/feed") == "rss.com"  # the publisher itself
    assert feed_domain("https://blog.example.com/feed") == "blog.example.com"


def test_which_domains_a_backfill_keeps(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    cfg = load_config(write_config(tmp_path / "c.toml", db=db, feeds=[
        "https://www.example.com/rss", "https://feeds.daily.test/all"]))
    assert cc_news_options(cfg).domains == ("daily.test", "example.com")
    assert cc_news_options(cfg, ["other.org"]).domains == ("other.org",)
    configured = replace(cfg, backfill=replace(cfg.backfill, domains=("set.test",)))
    assert cc_news_options(configured).domains == ("set.test",)
    options = cc_news_options(cfg, base="http://mirror.test/")
    assert options.base == "http://mirror.test/" and options.margin == DAYS3
    assert cc_news_options(cfg).base == "https://data.commoncrawl.org/"
    bare = load_config(write_config(tmp_path / "d.toml", db=db, feeds=[]))
    with pytest.raises(UsageError):
        cc_news_options(bare)


# ------------------------------------------------------------------ the reader on a stream


class OneWay(io.RawIOBase):
    """A network-like stream: no seeking, small reads."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        piece = self._data.read(min(len(buffer), 700))
        buffer[: len(piece)] = piece
        return len(piece)


def test_warc_pages_from_a_stream_with_a_domain_filter() -> None:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)  # uncompressed: the end check cannot seek
    for url in ("https://www.example.com/a", "https://elsewhere.org/b", "https://example.com/c"):
        body = f"<html><head><title>{url}</title></head><body><p>x</p></body></html>".encode()
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), http_headers=http,
            warc_headers_dict={"WARC-Date": "2024-10-12T10:00:00Z"}))
    stream = OneWay(out.getvalue())
    stats = WarcStats()
    pages = list(read_warc_pages([stream], days("2024-10-12", "2024-10-12"), stats=stats,
                                 want=DomainFilter(["example.com"])))
    assert [p.url for p in pages] == ["https://www.example.com/a", "https://example.com/c"]
    assert (stats.files, stats.records, stats.unwanted, stats.damaged) == (1, 3, 1, 0)
    assert not stream.closed  # the caller's to close


# ------------------------------------------------------------------ progress


def test_progress_rate_and_eta() -> None:
    run = FileProgress(total=10, durations=[100.0, 100.0])
    meter = run.begin(position=4)
    meter.started = time.monotonic() - 50  # half of this file took 50 s
    meter.bytes_read, meter.length = 500_000_000, 1_000_000_000
    line = meter.line("123 records read")
    assert line.startswith("file 4/10: 123 records read, 500 MB of 1,000 MB at 10.0 MB/s")
    # 50 s for the rest of this file, then 6 more files at 100 s each.
    assert line.endswith("ETA 50 s for this file, 11 min for all")
    done = meter.finish("all read")
    assert done.startswith("file 4/10 done: all read; 500 MB in 50 s (10.0 MB/s)")
    assert done.endswith("ETA 8 min for the 6 file(s) left")  # 6 x mean(100, 100, 50)
    last = FileProgress(total=1).begin(position=1)
    assert "ETA" not in last.finish("x")


# ------------------------------------------------------------------ settings


def test_backfill_settings(tmp_path: Path) -> None:
    cfg = load_config(write_config(tmp_path / "c.toml", db=tmp_path / "x.duckdb", feeds=[]))
    assert cfg.backfill.cc_news is False and cfg.backfill.cc_margin_days == 3.0
    assert cfg.backfill.cc_base == "https://data.commoncrawl.org/"
    assert cfg.backfill.cc_max_bytes == 2 * 1024**3 and cfg.backfill.cc_total_timeout == 3600
    extra = ('[backfill]\ncc_news = true\ndomains = ["a.test", "b.test"]\n'
             'cc_base = "http://mirror.test/"\ncc_margin_days = 1.5\n')
    cfg = load_config(write_config(tmp_path / "d.toml", db=tmp_path / "x.duckdb", feeds=[],
                                   extra=extra))
    assert cfg.backfill.cc_news is True and cfg.backfill.domains == ("a.test", "b.test")
    assert cfg.backfill.cc_base == "http://mirror.test/" and cfg.backfill.cc_margin_days == 1.5
    for bad in ('[backfill]\ncc_margin = 3\n', '[backfill]\ncc_base = "ftp://x/"\n',
                '[backfill]\ncc_margin_days = -1\n', '[backfill]\ndomains = "a.test"\n'):
        with pytest.raises(ConfigError):
            load_config(write_config(tmp_path / "e.toml", db=tmp_path / "x.duckdb", feeds=[],
                                     extra=bad))
