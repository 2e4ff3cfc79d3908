"""Staged batches: what a parallel task hands to the one loader, as files.

A batch is a directory holding one Arrow IPC file per table and a
`manifest.json` written last; a batch without a manifest is incomplete (its
writer died) and is ignored and later removed. Arrow schemas come from the
SQLAlchemy tables, so the staged columns are the warehouse's columns.

The files are uncompressed Arrow IPC rather than Parquet: a batch lives for
minutes and is read once, by the loader, which maps it without decoding
(reading Parquet was a third of the load's time). Parquet batches left by an
older version are still read.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
from sqlalchemy import ARRAY, BigInteger, Boolean, Date, DateTime, Double, Integer, Table

from claimwire.files import atomic_write

MANIFEST = "manifest.json"


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

    def __init__(self, staging_root: Path, kind: str, run_id: str):
        self.staging_root = Path(staging_root)
        self.kind = kind
        self.run_id = run_id
        self.tables: dict[str, pa.Table] = {}
        self.info: dict[str, Any] = {}

    def add(self, name: str, data: pa.Table) -> None:
        if name in self.tables:
            self.tables[name] = pa.concat_tables([self.tables[name], data])
        else:
            self.tables[name] = data

    def write(self) -> str:
        self.staging_root.mkdir(parents=True, exist_ok=True)
        final = self.staging_root / f"{self.kind}-{_safe(self.run_id)}-{uuid.uuid4().hex[:12]}"
        tmp = Path(tempfile.mkdtemp(dir=self.staging_root, prefix=".tmp-"))
        try:
            for name, data in self.tables.items():
                with pa.OSFile(str(tmp / f"{name}.arrow"), "wb") as sink, \
                        ipc.new_file(sink, data.schema) as writer:
                    writer.write_table(data)
            manifest = {
                "kind": self.kind,
                "run_id": self.run_id,
                "tables": sorted(self.tables),
                "rows": {name: data.num_rows for name, data in self.tables.items()},
                "info": self.info,
                "written_at": utcnow().isoformat(),
            }
            (tmp / MANIFEST).write_text(json.dumps(manifest, default=_json_default))
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return str(final)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:60]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def read_manifest(batch_dir: str | Path) -> dict[str, Any] | None:
    try:
        return json.loads((Path(batch_dir) / MANIFEST).read_text())
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None


def read_table(batch_dir: str | Path, name: str) -> pa.Table | None:
    path = Path(batch_dir) / f"{name}.arrow"
    if path.exists():
        with pa.memory_map(str(path)) as source:
            return ipc.open_file(source).read_all()
    legacy = path.with_suffix(".parquet")
    return pq.read_table(legacy) if legacy.exists() else None


def complete_batches(staging_root: Path, kind: str | None = None) -> list[str]:
    """Complete batches left in the staging area (e.g. by a run that died before loading)."""
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
    shutil.rmtree(batch_dir, ignore_errors=True)


def write_json_atomic(path: Path, payload: Any) -> None:
    atomic_write(path, json.dumps(payload, default=_json_default).encode("utf-8"))
