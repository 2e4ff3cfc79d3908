"""Staged batches damaged as an OS crash leaves them (a table file cut short or
lost after its items were marked known), or holding data the warehouse
refuses: the next run quarantines the batch with its reason, says so,
fetches or transforms its items again, and ends with the same rows as a run
that was never interrupted."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest
from conftest import write_config
from test_crash_safety import LOOPBACK, ingest, reference, site, snapshot  # noqa: F401

from claimwire.warehouse.staging import MANIFEST, _fsynced_digest, quarantined_batches


def _staged(root: Path, kind: str) -> Path:
    (batch,) = [p for p in root.iterdir() if p.name.startswith(f"{kind}-")]
    return batch


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _refuse(batch: Path, table: str) -> None:
    """Rewrite a table so that its checksums hold but the warehouse refuses a value."""
    path = batch / f"{table}.arrow"
    # read into memory, not mapped: the file is rewritten below
    data = ipc.open_file(pa.BufferReader(path.read_bytes())).read_all()
    column = data.schema.get_field_index("fetched_at")
    data = data.set_column(column, "fetched_at",
                           pa.array(["not a time"] * data.num_rows, pa.string()))
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, data.schema) as writer:
        writer.write_table(data)
    manifest = json.loads((batch / MANIFEST).read_text())
    manifest["files"][path.name] = _fsynced_digest(path)
    (batch / MANIFEST).write_text(json.dumps(manifest))


CASES = {
    "poll batch, documents cut short": ("records_committed", "poll",
                                        lambda b: _truncate(b / "documents.arrow")),
    "poll batch, documents lost": ("records_committed", "poll",
                                   lambda b: (b / "documents.arrow").unlink()),
    "poll batch, refused by the warehouse": ("records_committed", "poll",
                                             lambda b: _refuse(b, "documents")),
    "transform batch, articles cut short": ("transform_staged", "transform",
                                            lambda b: _truncate(b / "articles.arrow")),
    "transform batch, claims lost": ("transform_staged", "transform",
                                     lambda b: (b / "claims.arrow").unlink()),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_batch_is_quarantined_and_the_run_recovers(case, site, reference, tmp_path):  # noqa: F811
    point, kind, damage = CASES[case]
    db = tmp_path / "crash.duckdb"
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[site.rss_url, site.atom_url],
                       allow=LOOPBACK)
    killed = ingest(cfg, failpoint=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    staging = tmp_path / "crash-staging"
    damage(_staged(staging, kind))

    again = ingest(cfg)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert "quarantined staged batch" in again.stderr
    assert "quarantined       1 staged batch(es)" in again.stdout
    assert snapshot(db) == reference
    ((where, reason),) = quarantined_batches(staging)
    assert where.name.startswith(f"{kind}-") and reason
    status = subprocess.run([sys.executable, "-m", "claimwire.cli", "status", "--config",
                             str(cfg)], capture_output=True, text=True, timeout=120)
    assert "quarantined staged batches" in status.stdout and where.name in status.stdout
    # nothing is left to load, and a further run changes nothing
    assert not [p for p in staging.iterdir() if p.name.startswith(("poll-", "transform-"))]
    assert ingest(cfg).returncode == 0
    assert snapshot(db) == reference
