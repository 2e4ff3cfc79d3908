"""Streaming one big CC-NEWS-like WARC file: throughput and memory.

    python -m bench.ccnews_stream [--mb 200] [--keep-every 200]

Writes a gzip WARC file of about `--mb` MB (random article pages of many
sites; one response in `--keep-every` is of the wanted site and dated in the
range) laid out as CC-NEWS (`crawl-data/CC-NEWS/2024/10/...` with its
`warc.paths.gz`), serves it with `python -m http.server` in its own process,
and runs the CC-NEWS backfill source over it (listing, selection, streaming
through `HttpClient.stream`, the WARC reader with its domain filter, kept
pages into the raw archive, staged as a poll batch). Prints MB/s, records/s
and how far the process's peak RSS rose above what it was before the run:
the file is never held, so that growth should not depend on the file's size.
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from claimwire.config import Config, HttpSettings
from claimwire.pipeline.ccnews import cc_news_options, cc_news_sources
from claimwire.pipeline.sources import acquire
from claimwire.window import Window

_VOCABULARY = ("council harbour bridge water tariff school orchestra winter cycling library "
               "wind farm coast hospital marathon tram museum ticket flood river budget mayor "
               "minister union strike port ferry airport housing market harvest storm grid "
               "solar factory wages court ruling police election poll debate festival film")
WORDS = _VOCABULARY.split()
PATH = "crawl-data/CC-NEWS/2024/10/CC-NEWS-20241015000000-00001.warc.gz"


def write_warc(path: Path, megabytes: int, keep_every: int) -> tuple[int, int]:
    """(records, wanted) written; stops once the file passes `megabytes`."""
    rng = random.Random(7)
    records = wanted = 0
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        while out.tell() < megabytes * 1_000_000:
            records += 1
            keep = records % keep_every == 0
            wanted += keep
            site = "wanted.example" if keep else f"site{rng.randrange(5000)}.example"
            paras = "".join(
                "<p>" + " ".join(rng.choice(WORDS) for _ in range(60)) + ".</p>"
                for _ in range(8))
            day = 15 if keep else rng.randrange(1, 28)
            body = (f'<html lang="en"><head><title>Story {records}</title><meta property='
                    f'"article:published_time" content="2024-10-{day:02d}T08:00:00Z"></head>'
                    f"<body><article><h1>Story {records}</h1>{paras}</article></body></html>"
                    ).encode()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                f"https://www.{site}/news/{records}", "response", payload=io.BytesIO(body),
                http_headers=http, warc_headers_dict={"WARC-Date": "2024-10-15T09:00:00Z"}))
    return records, wanted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the WARC file (gzip)")
    parser.add_argument("--keep-every", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ccnews-bench-") as tmp:
        root = Path(tmp) / "www"
        warc = root / PATH
        warc.parent.mkdir(parents=True)
        started = time.monotonic()
        records, wanted = write_warc(warc, args.mb, args.keep_every)
        (warc.parent / "warc.paths.gz").write_bytes(
            gzip.compress((PATH + "\n").encode()))
        size = warc.stat().st_size
        print(f"wrote {size / 1e6:.0f} MB, {records:,} records ({wanted:,} wanted) "
              f"in {time.monotonic() - started:.0f} s")
        server = subprocess.Popen(
            [sys.executable, "-u", "-m", "http.server", "--bind", "127.0.0.1", "0",
             "--directory", str(root)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True)
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline().split(" port ")[1].split()[0])
            config = Config(warehouse_path=Path(tmp) / "wh" / "bench.duckdb",
                            http=HttpSettings(allow_networks=("127.0.0.1/32",),
                                              per_host_delay=0.0, retries=0))
            window = Window.from_dates(date(2024, 10, 14), date(2024, 10, 16))
            options = cc_news_options(config, ["wanted.example"], f"http://127.0.0.1:{port}/")
            sources = cc_news_sources(config, window, options, say=print)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.monotonic()
            acquire(config, sources, window, run_id="bench",
                    report=lambda unit, line: print(line))
            seconds = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"streamed {size / 1e6:.0f} MB in {seconds:.1f} s: {size / 1e6 / seconds:.1f} MB/s, "
          f"{records / seconds:,.0f} records/s; peak RSS {before / 1024:.0f} MB before, "
          f"{after / 1024:.0f} MB after (+{(after - before) / 1024:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
