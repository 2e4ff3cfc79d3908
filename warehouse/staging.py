"""Staged batches: what a parallel task hands to the one loader, as files.

A batch is a directory holding one Arrow IPC file per table and a
`manifest.json` written last; a batch without a manifest is incomplete (its
writer died) and is ignored and later removed. Arrow schemas come from the
SQLAlchemy tables, so the staged columns are the warehouse's columns.

Durability: every file, the batch directory and its entry in the staging
area are fsynced before `write` returns, and the manifest records each
table file's size and SHA-256, so a batch an OS crash damaged is recognised
(`verify_batch`) rather than loaded. A batch that cannot be loaded is moved
to `quarantine/` with its reason (`quarantine_batch`); its manifest lists
what to undo so its items can be fetched again (`records`, `feed_urls`).

A staging area addressed by URL (an object store, `[storage] url`) keeps the
same layout through `claimwire.storage.batches`; every function here takes
either a folder or a URL.

The files are uncompressed Arrow IPC rather than Parquet: a batch lives for
minutes and is read once, by the loader, which maps it without decoding
(reading Parquet was a third of the load's time). Parquet batches left by an
older version are still read.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from sqlalchemy import ARRAY, BigInteger, Boolean, Date, DateTime, Double, Integer, Table

from claimwire import storage
from claimwire.files import atomic_write, fsync_dir, make_dirs
from claimwire.storage import batches as remote

MANIFEST = "manifest.json"
QUARANTINE = "quarantine"
REASON = "quarantine.json"
# Left-overs of writers that died (temporary batch directories) and plan
# files older than this are removed; a live writer or a queued Airflow task
# never takes this long.
STALE_AFTER_SECONDS = 24 * 3600


def arrow_type(column: Any) -> pa.DataType:
    kind = column.type
    if isinstance(kind, ARRAY):
        return pa.list_(pa.string())
    if isinstance(kind, Boolean):
        return pa.bool_()
    if isinstance(kind, BigInteger):
        return pa.int64()
    if isinstance(kind, Integer):
        return pa.int32()
    if isinstance(kind, Double):
        return pa.float64()
    if isinstance(kind, DateTime):
        return pa.timestamp("us")
    if isinstance(kind, Date):
        return pa.date32()
    return pa.string()


def arrow_schema(table: Table, extra: Mapping[str, pa.DataType] | None = None) -> pa.Schema:
    fields = [pa.field(c.name, arrow_type(c)) for c in table.columns]
    fields += [pa.field(name, kind) for name, kind in (extra or {}).items()]
    return pa.schema(fields)


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def rows_to_arrow(
    table: Table, rows: Iterable[Mapping[str, Any] | Any],
    extra: Mapping[str, pa.DataType] | None = None,
) -> pa.Table:
    """Rows (dicts, or the dataclasses of `claimwire.records`) as an Arrow table
    with `table`'s columns (and `extra` ones); missing values are NULL."""
    schema = arrow_schema(table, extra)
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for row in rows:
        get = row.get if isinstance(row, Mapping) else (lambda n, r=row: getattr(r, n, None))
        for name in schema.names:
            columns[name].append(_naive_utc(get(name)))
    return pa.table(columns, schema=schema)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class BatchWriter:
    """Collects Arrow tables and writes them as one complete batch."""

    def __init__(self, staging_root: storage.Location, kind: str, run_id: str):
        self.staging_root = staging_root if storage.is_url(staging_root) else Path(staging_root)
        self.kind = kind
        self.run_id = run_id
        self.tables: dict[str, pa.Table] = {}
        self.info: dict[str, Any] = {}
        # What loading this batch settles elsewhere, undone if it cannot be
        # loaded: raw-archive record keys marking its items known, and the
        # feeds whose state it carries.
        self.records: list[str] = []
        self.feed_urls: list[str] = []

    def add(self, name: str, data: pa.Table) -> None:
        if name in self.tables:
            self.tables[name] = pa.concat_tables([self.tables[name], data])
        else:
            self.tables[name] = data

    def write(self) -> str:
        """Write the batch; when this returns it survives an OS crash whole."""
        batch_name = f"{self.kind}-{_safe(self.run_id)}-{uuid.uuid4().hex[:12]}"
        if storage.is_url(self.staging_root):
            final = str(storage.join(self.staging_root, batch_name))
            return remote.write_batch(final, self.tables, lambda files: json.dumps(
                self._manifest(files), default=_json_default).encode("utf-8"))
        make_dirs(self.staging_root)
        final = self.staging_root / batch_name
        tmp = Path(tempfile.mkdtemp(dir=self.staging_root, prefix=".tmp-"))
        try:
            files = {}
            for name, data in self.tables.items():
                path = tmp / f"{name}.arrow"
                with pa.OSFile(str(path), "wb") as sink, \
                        ipc.new_file(sink, data.schema) as writer:
                    writer.write_table(data)
                files[path.name] = _fsynced_digest(path)
            manifest = self._manifest(files)
            with open(tmp / MANIFEST, "w") as handle:
                handle.write(json.dumps(manifest, default=_json_default))
                handle.flush()
                os.fsync(handle.fileno())
            fsync_dir(tmp)
            os.replace(tmp, final)
            fsync_dir(self.staging_root)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return str(final)

    def _manifest(self, files: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "run_id": self.run_id,
            "tables": sorted(self.tables),
            "rows": {name: data.num_rows for name, data in self.tables.items()},
            "files": files,
            "records": self.records,
            "feed_urls": self.feed_urls,
            "info": self.info,
            "written_at": utcnow().isoformat(),
        }


def _fsynced_digest(path: Path) -> dict[str, Any]:
    """{"bytes", "sha256"} of a file just written, after making it durable."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:60]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_manifest(batch_dir: str | Path) -> dict[str, Any] | None:
    if storage.is_url(batch_dir):
        return remote.read_manifest(str(batch_dir))
    try:
        manifest = json.loads((Path(batch_dir) / MANIFEST).read_text())
    except (FileNotFoundError, NotADirectoryError, ValueError, UnicodeDecodeError):
        return None
    return manifest if isinstance(manifest, dict) and "kind" in manifest else None


def verify_batch(batch_dir: str | Path) -> str | None:
    """Why a batch with a manifest cannot be trusted (a table file missing,
    cut short or changed), or None when it is sound, or has no manifest
    (incomplete or already loaded: the loader skips it)."""
    if storage.is_url(batch_dir):
        return remote.verify_batch(str(batch_dir))
    batch = Path(batch_dir)
    manifest = read_manifest(batch)
    if manifest is None:
        if (batch / MANIFEST).exists():
            return "manifest.json is unreadable"
        return None
    files = manifest.get("files")
    if not isinstance(files, dict):
        # Written by a version that recorded no checksums: the tables must at least be there.
        missing = [name for name in manifest.get("tables") or []
                   if not (batch / f"{name}.arrow").exists()
                   and not (batch / f"{name}.parquet").exists()]
        return f"table file(s) missing: {', '.join(missing)}" if missing else None
    for name, expected in sorted(files.items()):
        path = batch / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return f"{name} is missing"
        if size != expected.get("bytes"):
            return f"{name} has {size} bytes, the manifest says {expected.get('bytes')}"
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        if digest.hexdigest() != expected.get("sha256"):
            return f"{name} does not match its checksum"
    return None


def quarantine_batch(
    staging_root: storage.Location, batch_dir: str | Path, reason: str
) -> storage.Location:
    """Move a batch that cannot be loaded aside, with its reason; return where it went."""
    if storage.is_url(batch_dir):
        return remote.quarantine_batch(str(staging_root), str(batch_dir), reason)
    batch = Path(batch_dir)
    target_root = Path(staging_root) / QUARANTINE
    make_dirs(target_root)
    target = target_root / batch.name
    if target.exists():
        target = target_root / f"{batch.name}-{uuid.uuid4().hex[:6]}"
    os.replace(batch, target)
    fsync_dir(target_root)
    fsync_dir(batch.parent)
    atomic_write(target / REASON, json.dumps(
        {"reason": reason, "quarantined_at": utcnow().isoformat(),
         "from": str(batch)}).encode("utf-8"))
    return target


def quarantined_batches(staging_root: storage.Location) -> list[tuple[storage.Location, str]]:
    """(directory, reason) of every quarantined batch, oldest name first."""
    if storage.is_url(staging_root):
        return list(remote.quarantined_batches(str(staging_root)))
    root = Path(staging_root) / QUARANTINE
    if not root.is_dir():
        return []
    found = []
    for entry in sorted(root.iterdir()):
        try:
            reason = json.loads((entry / REASON).read_text()).get("reason", "")
        except (OSError, ValueError, AttributeError):
            reason = "(reason not recorded)"
        found.append((entry, str(reason)))
    return found


def remove_stale(staging_root: storage.Location, max_age: float = STALE_AFTER_SECONDS) -> int:
    """Remove what dead writers and killed runs left behind: temporary batch
    directories and plan files older than `max_age` seconds. Returns how many."""
    if storage.is_url(staging_root):
        return remote.remove_stale(str(staging_root), max_age)
    root = Path(staging_root)
    cutoff = time.time() - max_age
    removed = 0
    candidates = [e for e in root.glob(".tmp-*")] if root.is_dir() else []
    plans = root / "plans"
    candidates += [*plans.glob("*.json"), *plans.glob(".tmp-*")] if plans.is_dir() else []
    for entry in candidates:
        try:
            if entry.lstat().st_mtime >= cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed


def read_table(batch_dir: str | Path, name: str) -> pa.Table | None:
    if storage.is_url(batch_dir):
        return remote.read_table(str(batch_dir), name)
    path = Path(batch_dir) / f"{name}.arrow"
    if path.exists():
        with pa.memory_map(str(path)) as source:
            return ipc.open_file(source).read_all()
    legacy = path.with_suffix(".parquet")
    return pq.read_table(legacy) if legacy.exists() else None


def complete_batches(staging_root: storage.Location, kind: str | None = None) -> list[str]:
    """Complete batches left in the staging area (e.g. by a run that died before loading)."""
    if storage.is_url(staging_root):
        return remote.complete_batches(str(staging_root), kind)
    if not Path(staging_root).is_dir():
        return []
    found = []
    for entry in sorted(Path(staging_root).iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        manifest = read_manifest(entry)
        if manifest and (kind is None or manifest.get("kind") == kind):
            found.append(str(entry))
    return found


def remove_batch(batch_dir: str | Path) -> None:
    if storage.is_url(batch_dir):
        remote.remove_batch(str(batch_dir))
        return
    # The manifest first: a removal cut short leaves an incomplete batch
    # (ignored), never one that looks damaged.
    (Path(batch_dir) / MANIFEST).unlink(missing_ok=True)
    shutil.rmtree(batch_dir, ignore_errors=True)


def write_json_atomic(path: storage.Location, payload: Any) -> None:
    data = json.dumps(payload, default=_json_default).encode("utf-8")
    if storage.is_url(path):
        storage.write_bytes(path, data)
    else:
        atomic_write(Path(path), data)
