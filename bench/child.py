"""Measurements that need a fresh interpreter (`python -m bench.child ...`).

A cold process pays what a real run pays (spaCy model load, imports in the
workers), and its process tree holds nothing but the measured work.
The answer is one JSON line on stdout.

    python -m bench.child transform ROOT WORKERS [PER_WORKER]  # transform stage only
    python -m bench.child transform-load ROOT [NAME=VALUE ...]  # transform + load + derive

transform-load's experiments: story_chunk=N (new articles per story-pairing
query, `stories.CHUNK`) and memory_limit=SIZE (DuckDB's, `db.MEMORY_LIMIT`),
both for the loader process only.

The optional arguments are experiments, not the shipped behaviour.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bench.stages import bench_config, drop_batches, set_phase, transform_stage, with_workers
from claimwire import pipeline


def main(argv: list[str]) -> int:
    command, root = argv[0], Path(argv[1])
    config = bench_config(root)
    if command == "transform":
        config = with_workers(config, int(argv[2]))
        if len(argv) > 3:
            _shards_per_worker(int(argv[3]))
        seconds, batches = transform_stage(config)
        drop_batches(batches)
        answer = {"seconds": seconds, "batches": len(batches)}
    elif command == "transform-load":
        _loader_settings(argv[2:])
        start = time.perf_counter()
        seconds, batches = transform_stage(config)
        # On stderr, so a run stopped during the load still shows how far it got.
        print(f"  [child] transform stage finished in {seconds:.1f} s; loading", file=sys.stderr,
              flush=True)
        # load_staged's own derive split off (same work), to tell the phases apart.
        set_phase("load")
        counts = pipeline.load_staged(config, batches, run_id="bench-memory", derive_after=False)
        set_phase("derive")
        counts.add(pipeline.derive_staged(config))
        set_phase("done")
        answer = {"seconds": time.perf_counter() - start, "batches": len(batches),
                  "articles_loaded": counts.articles_loaded,
                  "claims_loaded": counts.claims_loaded}
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    print(json.dumps(answer))
    return 0


def _loader_settings(settings: list[str]) -> None:
    """Experiment (not the shipped behaviour): loader settings as NAME=VALUE."""
    from claimwire.transform.derive import stories
    from claimwire.warehouse import db

    for setting in settings:
        name, _, value = setting.partition("=")
        if name == "story_chunk":
            stories.CHUNK = int(value)
        elif name == "memory_limit":
            db.MEMORY_LIMIT = value
        else:
            raise SystemExit(f"unknown experiment {setting!r}")


def _shards_per_worker(count: int) -> None:
    """Experiment (not the shipped behaviour): plan `count` shards per worker
    instead of one, so a worker that finishes early takes another shard."""
    import math

    from claimwire.pipeline import planning

    def shard_size(total: int, workers: int) -> int:
        return max(1, min(planning.TRANSFORM_SHARD_SIZE, math.ceil(total / (workers * count))))

    planning.transform_shard_size = shard_size  # type: ignore[assignment]


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
