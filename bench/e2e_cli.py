"""The user's protocol of issue #20: `claimwire ingest` timed as a whole command.

    python -m bench.e2e_cli [--rounds N] [--pages N] [--busy]
    python -m bench.e2e_cli --variants     # what each setting costs
    python -m bench.run --only e2e-cli

The dev pages of the extraction benchmark (unchanged bytes) are served by ten
loopback hosts, 127.0.0.2 to 127.0.0.11, each its own `http.server` thread in
one server process (so serving never shares the measured processes' GIL);
page n lives on host n % 10, and one RSS feed on the first host lists them
all. No robots.txt (404, as `python -m http.server` answers). The command is

    claimwire ingest --feed URL --allow-network 127.0.0.0/8

run as a subprocess in a fresh directory (so a fresh warehouse, no config
file: the default configuration, politeness included), timed from before the
process starts to its exit. The baseline, in the same run: the bare
single-process loop of `bench.run.bare_loop` (`trafilatura.extract` of each
page read from disk, then the project's spaCy model, loaded fresh, over the
texts with `nlp.pipe`). Rounds alternate which goes first and keep the best
time of each; the CPU seconds each side used (the ingest's as its time line
reports them: main process and transform workers) are printed beside, a
figure other load disturbs less. With `--busy` a
process spins on one core throughout (the issue's "one core busy" case).
The run's own stage breakdown (the summary's `time` line) is printed beside
the figures, with the load average.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import corpus

HOSTS = tuple(f"127.0.0.{n}" for n in range(2, 12))
ALLOW = "127.0.0.0/8"
TARGET_QUIET = 1.5
TARGET_BUSY = 1.0


def say(message: str) -> None:
    print(message, flush=True)


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# ------------------------------------------------------------ the ten hosts


def _serve_forever(root: Path) -> None:
    """Child process: one threaded server per host, ports printed as JSON."""
    from bench.server import _Server

    servers = [_Server(root, host) for host in HOSTS]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({host: s.server_address[1] for host, s in zip(HOSTS, servers, strict=True)}),
          flush=True)
    threading.Event().wait()


@contextmanager
def serve_hosts(root: Path) -> Iterator[dict[str, str]]:
    """Serve `root` from every host; yield {host: base URL}."""
    proc = subprocess.Popen([sys.executable, "-m", "bench.e2e_cli", "--serve", str(root)],
                            stdout=subprocess.PIPE, text=True, cwd=corpus.REPO)
    try:
        assert proc.stdout is not None
        ports = json.loads(proc.stdout.readline())
        yield {host: f"http://{host}:{port}" for host, port in ports.items()}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def write_site(root: Path, pages: list[corpus.BenchmarkPage], bases: dict[str, str]) -> str:
    """The pages under /news/ and one feed listing each on its host; the feed's URL."""
    files: dict[str, bytes] = {}
    items: list[tuple[str, str]] = []
    for n, page in enumerate(pages):
        path = f"/news/{page.id[:16]}.html"
        files[path] = page.html
        items.append((bases[HOSTS[n % len(HOSTS)]] + path, page.id))
    first = bases[HOSTS[0]]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    files["/feed.xml"] = corpus.rss("Ten hosts", "", items, start)
    corpus.write_site(root, files)
    return first + "/feed.xml"


# ------------------------------------------------------------ the two sides


def claimwire_command() -> list[str]:
    script = Path(sys.executable).parent / "claimwire"
    return [str(script)] if script.exists() else [sys.executable, "-c",
                                                   "import sys; from claimwire.cli import main; "
                                                   "sys.exit(main())"]


def ingest_once(feed_url: str, config: str = "") -> tuple[float, str]:
    """The whole command in a fresh directory (with `config` as its
    claimwire.toml, if given); (seconds, its summary on stdout)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMWIRE_")}
    with tempfile.TemporaryDirectory(prefix="bench-e2e-cli-") as work:
        if config:
            Path(work, "claimwire.toml").write_text(config)
        command = [*claimwire_command(), "ingest", "--feed", feed_url, "--allow-network", ALLOW]
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"claimwire ingest exited {proc.returncode}: {proc.stderr[-2000:]}")
    return seconds, proc.stdout


def run_cpu(summary: str) -> str:
    """The CPU seconds a run's time line reports ("?" without one)."""
    found = re.search(r"\bCPU (\d+(?:\.\d+)?)", summary)
    return f"{found.group(1)} s" if found else "?"


def _spin() -> None:
    while True:
        pass


@contextmanager
def busy_core(busy: bool) -> Iterator[None]:
    """One core kept busy by a spinning process, when `busy`."""
    if not busy:
        yield
        return
    proc = multiprocessing.get_context("spawn").Process(target=_spin, daemon=True)
    proc.start()
    try:
        yield
    finally:
        proc.terminate()
        proc.join()


# ------------------------------------------------------------ what each setting costs

# (name, claimwire.toml): one setting changed from the default at a time, then
# the HTTP settings the `e2e` section uses.
VARIANTS = (
    ("default", ""),
    ("no per-host delay", "[http]\nper_host_delay = 0.0\n"),
    ("no robots.txt", "[http]\nrespect_robots = false\n"),
    ("one worker", "[warehouse]\nworkers = 1\n"),
    ("e2e section's HTTP settings (no delay, no robots.txt, no retries)",
     "[http]\nper_host_delay = 0.0\nrespect_robots = false\nretries = 0\n"),
)


def variants(dev_dir: Path, *, pages: int | None = None) -> None:
    """One whole-command run per variant, each with its stage breakdown."""
    chosen = corpus.dev_pages(dev_dir)[:pages]
    with tempfile.TemporaryDirectory(prefix="bench-hosts-") as site, \
            serve_hosts(Path(site)) as bases:
        feed_url = write_site(Path(site), chosen, bases)
        for name, config in VARIANTS:
            seconds, summary = ingest_once(feed_url, config)
            line = next((x.strip() for x in summary.splitlines()
                         if x.strip().startswith("time ")), "")
            say(f"  {name}: {seconds:.2f} s, load average {load_average()}\n    {line}")


# ------------------------------------------------------------ the section


def measure(dev_dir: Path, *, rounds: int, pages: int | None = None,
            busy: bool = False) -> tuple[float, float, float, str]:
    """(ratio bare/ingest, best bare seconds, best ingest seconds, best run's summary)."""
    from bench.run import bare_loop
    from claimwire.config import Config

    chosen = corpus.dev_pages(dev_dir)[:pages]
    model = Config().claims.model
    bare_times: list[float] = []
    runs: list[tuple[float, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-hosts-") as site, \
            serve_hosts(Path(site)) as bases, busy_core(busy):
        feed_url = write_site(Path(site), chosen, bases)
        say(f"  {len(chosen)} pages on {len(HOSTS)} hosts, feed {feed_url}"
            f"{', one core kept busy' if busy else ''}")
        for round_ in range(rounds):
            order = ("bare", "ingest") if round_ % 2 == 0 else ("ingest", "bare")
            for which in order:
                if which == "bare":
                    cpu = time.process_time()
                    seconds, model_load = bare_loop(dev_dir, [p.id for p in chosen], model)
                    bare_times.append(seconds)
                    detail = (f"(spaCy load {model_load:.2f} s), CPU "
                              f"{time.process_time() - cpu:.1f} s")
                else:
                    seconds, summary = ingest_once(feed_url)
                    runs.append((seconds, summary))
                    detail = f"CPU {run_cpu(summary)} (its own figure: main and workers)"
                say(f"  round {round_ + 1}: {which:<6} {seconds:7.2f} s {detail} "
                    f"load average {load_average()}")
    bare = min(bare_times)
    ingest, summary = min(runs)
    return bare / ingest, bare, ingest, summary


def section(dev_dir: Path, *, rounds: int, busy: bool = False,
            pages: int | None = None) -> tuple[str, str, bool]:
    """Runs `measure` and prints it; (figure, target, met) for bench.run's report."""
    if not (dev_dir / "ground-truth.json").is_file():
        say(f"  skipped: the extraction benchmark's dev pages are not at {dev_dir}")
        return "skipped (no dev pages)", "", True
    ratio, bare, ingest, summary = measure(dev_dir, rounds=rounds, pages=pages, busy=busy)
    say("  the best ingest run's summary:")
    for line in summary.rstrip().splitlines():
        say(f"    {line}")
    target = TARGET_BUSY if busy else TARGET_QUIET
    say(f"  bare loop {bare:.2f} s, claimwire ingest {ingest:.2f} s: ratio {ratio:.2f} "
        f"(target >= {target}), load average {load_average()}")
    return (f"{ratio:.2f} (bare {bare:.1f} s, ingest {ingest:.1f} s)", f">= {target}",
            ratio >= target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e_cli",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--dev", type=Path, default=corpus.DEV_DIR)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pages", type=int, default=None, help="first N dev pages (all)")
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument("--variants", action="store_true",
                        help="instead: one run per setting changed (delay, robots.txt, workers)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve_forever(args.serve)
        return 0
    say(f"e2e-cli: {os.cpu_count()} cores, load average {load_average()}")
    if args.variants:
        variants(args.dev, pages=args.pages)
        return 0
    section(args.dev, rounds=args.rounds, busy=args.busy, pages=args.pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
