"""Near-duplicate detection at scale: 10,000 and 100,000 synthetic articles.

Articles are random word sequences from a fixed vocabulary; a fraction are
near-copies of an earlier article (a few words changed, a credit line and
page furniture added). They go through the real loader (`load_batches`) in
batches of 1,000 into a temporary DuckDB file, and after each load only the
near-duplicate part of the derive step runs, timed on its own: signatures
(computed from the text here, as these batches carry none), band-key lookup
against everything loaded before, verification, marking.

    python -m bench.dedup_scale            # both sizes, each in its own process
    python -m bench.dedup_scale --n 10000  # one size
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from claimwire.transform.derive.near_duplicates import NearDupSettings, mark_near_duplicates
from claimwire.transform.normalize import content_hash
from claimwire.warehouse import load, schema
from claimwire.warehouse.db import connect, migrate
from claimwire.warehouse.staging import BatchWriter, rows_to_arrow

BATCH = 1000
COPY_FRACTION = 0.1
VOCAB = 30_000
WORDS = (150, 450)
FURNITURE = "Home World Business Sport Share this article Copyright All rights reserved"


def _vocabulary(rng: np.random.Generator) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(3, 10, size=VOCAB)
    return np.array(["".join(rng.choice(letters, size=n)) for n in lengths])


def _articles(n: int, seed: int = 7):
    """Yield (row, original index or None) in arrival order."""
    rng = np.random.default_rng(seed)
    vocab = _vocabulary(rng)
    # Zipf-like word frequencies, as in real text.
    weights = 1.0 / np.arange(1, VOCAB + 1) ** 0.9
    weights /= weights.sum()
    start = datetime(2026, 1, 1)
    # Bodies are kept as word numbers (not strings) so the generator's own
    # memory does not swamp the figure being measured.
    bodies: list[np.ndarray] = []
    for i in range(n):
        source = None
        if i > 10 and rng.random() < COPY_FRACTION:
            source = int(rng.integers(0, i))
            words = bodies[source].copy()
            edits = rng.integers(0, len(words), size=max(1, len(words) // 40))
            words[edits] = rng.choice(VOCAB, size=len(edits), p=weights)
            text = "Wire credit line " + " ".join(vocab[words]) + " " + FURNITURE
        else:
            words = rng.choice(VOCAB, size=int(rng.integers(*WORDS)), p=weights).astype(np.int32)
            text = " ".join(vocab[words])
        bodies.append(words)
        url = f"https://site{i % 97}.example/{i}"
        aid = hashlib.sha256(url.encode()).hexdigest()[:20]
        when = start + timedelta(minutes=7 * i)
        yield {
            "article_id": aid, "doc_id": aid, "url": url, "canonical_url": url, "doc_url": url,
            "text": text, "content_hash": content_hash(text), "published_at": when,
            "first_seen_at": when,
        }, source


def _near_duplicates(con: duckdb.DuckDBPyConnection, timed: dict[str, float]) -> int:
    """The derive step's near-duplicate part only, over what the load queued."""
    ids = [r[0] for r in con.execute("SELECT article_id FROM derive_queue").fetchall()]
    t0 = time.perf_counter()
    found = mark_near_duplicates(con, ids, NearDupSettings())
    timed["dedup"] += time.perf_counter() - t0
    con.execute("DELETE FROM derive_queue")
    return found


def run(n: int) -> dict[str, float]:
    timed = {"dedup": 0.0}
    extra = {"doc_url": pa.string(), "guid": pa.string()}
    planted: dict[str, str] = {}
    ids: list[str] = []
    found = 0
    generate = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        migrate(con)
        t_all = time.perf_counter()
        rows: list[dict] = []
        t_gen = time.perf_counter()
        for row, source in _articles(n):
            ids.append(row["article_id"])
            if source is not None:
                planted[row["article_id"]] = ids[source]
            rows.append(row)
            if len(rows) == BATCH:
                generate += time.perf_counter() - t_gen
                writer = BatchWriter(Path(tmp) / "staging", "transform", "bench")
                writer.add("articles", rows_to_arrow(schema.articles, rows, extra))
                load.load_batches(con, [writer.write()])
                found += _near_duplicates(con, timed)
                rows = []
                t_gen = time.perf_counter()
        total = time.perf_counter() - t_all - generate
        linked = dict(
            con.execute("SELECT article_id, duplicate_of FROM articles "
                        "WHERE duplicate_of IS NOT NULL").fetchall()
        )
        con.close()
    # A copy of a copy points at the first article of its chain.
    def root(a: str) -> str:
        while a in planted:
            a = planted[a]
        return a

    hits = sum(1 for a in planted if linked.get(a) == root(a))
    return {
        "articles": n,
        "dedup_s": round(timed["dedup"], 2),
        "load_s": round(total, 2),
        "planted_copies": len(planted),
        "copies_found": hits,
        "false_links": sum(1 for a in linked if a not in planted),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="article count (repeatable)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.n and len(args.n) == 1:
        result = run(args.n[0])
        print(json.dumps(result) if args.json else result)
        return 0
    results = []
    for n in args.n or [10_000, 100_000]:
        # Own process per size, so each peak memory figure is its own.
        out = subprocess.run(
            [sys.executable, "-m", "bench.dedup_scale", "--n", str(n), "--json"],
            capture_output=True, text=True, check=True,
        ).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{'articles':>9} {'dedup s':>8} {'load s':>8} {'copies':>7} {'found':>7} "
          f"{'false':>6} {'peak RSS MB':>12}")
    for r in results:
        print(f"{r['articles']:>9} {r['dedup_s']:>8} {r['load_s']:>8} {r['planted_copies']:>7} "
              f"{r['copies_found']:>7} {r['false_links']:>6} {r['peak_rss_mb']:>12}")
    if len(results) >= 2:
        small, big = results[0], results[-1]
        print(f"time ratio {big['articles']}/{small['articles']}: dedup "
              f"{big['dedup_s'] / small['dedup_s']:.1f}, load {big['load_s'] / small['load_s']:.1f}"
              f" (size ratio {big['articles'] / small['articles']:.0f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
