"""Staged batches on an object store: the same layout as a local batch
directory (one Arrow IPC object per table, `manifest.json`), under
`<staging URL>/<batch name>/`.

Complete-or-invisible without a rename: the table objects are written first,
the manifest (with each table's size and SHA-256) last, and only a prefix
with a manifest is a batch. Removal deletes the manifest first, so a removal
cut short leaves an incomplete batch (ignored), never one that looks damaged.
`warehouse.staging` hands every URL location here; local folders stay there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc

from claimwire import storage

MANIFEST = "manifest.json"
QUARANTINE = "quarantine"
REASON = "quarantine.json"
# Prefixes of the staging area that hold no batches.
NOT_BATCHES = (QUARANTINE, "plans", "checkpoints")


def table_bytes(data: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, data.schema) as writer:
        writer.write_table(data)
    return sink.getvalue().to_pybytes()


def write_batch(
    final: str,
    tables: Mapping[str, pa.Table],
    manifest: Callable[[dict[str, Any]], bytes],
) -> str:
    """Write the table objects of batch `final` (a URL), then its manifest
    (`manifest(files)` gives its bytes); return `final`."""
    files: dict[str, Any] = {}
    for name, data in tables.items():
        payload = table_bytes(data)
        storage.write_bytes(storage.join(final, f"{name}.arrow"), payload)
        files[f"{name}.arrow"] = {"bytes": len(payload),
                                  "sha256": hashlib.sha256(payload).hexdigest()}
    storage.write_bytes(storage.join(final, MANIFEST), manifest(files))
    return final


def read_manifest(batch: str) -> dict[str, Any] | None:
    try:
        manifest = json.loads(storage.read_bytes(storage.join(batch, MANIFEST)))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return None
    return manifest if isinstance(manifest, dict) and "kind" in manifest else None


def verify_batch(batch: str) -> str | None:
    """Why a batch with a manifest cannot be trusted, or None (sound, or no manifest)."""
    manifest = read_manifest(batch)
    if manifest is None:
        if storage.exists(storage.join(batch, MANIFEST)):
            return "manifest.json is unreadable"
        return None
    files = manifest.get("files")
    if not isinstance(files, dict):
        return "manifest.json lists no files"
    for name, expected in sorted(files.items()):
        try:
            data = storage.read_bytes(storage.join(batch, name))
        except FileNotFoundError:
            return f"{name} is missing"
        if len(data) != expected.get("bytes"):
            return f"{name} has {len(data)} bytes, the manifest says {expected.get('bytes')}"
        if hashlib.sha256(data).hexdigest() != expected.get("sha256"):
            return f"{name} does not match its checksum"
    return None


def read_table(batch: str, name: str) -> pa.Table | None:
    try:
        data = storage.read_bytes(storage.join(batch, f"{name}.arrow"))
    except FileNotFoundError:
        return None
    return ipc.open_file(pa.BufferReader(data)).read_all()


def complete_batches(root: str, kind: str | None = None) -> list[str]:
    dirs, _ = storage.list_children(root)
    found = []
    for batch in dirs:
        if storage.name(batch) in NOT_BATCHES:
            continue
        manifest = read_manifest(batch)
        if manifest and (kind is None or manifest.get("kind") == kind):
            found.append(batch)
    return found


def staged_batches(root: str) -> list[str]:
    """Batches with a manifest object, readable or not."""
    dirs, _ = storage.list_children(root)
    return [b for b in dirs if storage.name(b) not in NOT_BATCHES
            and storage.exists(storage.join(b, MANIFEST))]


def remove_batch(batch: str) -> None:
    storage.delete(storage.join(batch, MANIFEST))
    storage.delete_prefix(batch)


def quarantine_batch(root: str, batch: str, reason: str) -> str:
    """Copy a batch under `quarantine/` with its reason, then remove it; where it went."""
    target = storage.join(root, QUARANTINE, storage.name(batch))
    prefix = str(batch).rstrip("/") + "/"
    entries = storage.list_objects(batch)
    for entry in entries:
        relative = entry.location[len(prefix):]
        if relative != MANIFEST:
            storage.write_bytes(storage.join(target, relative),
                                storage.read_bytes(entry.location))
    reason_doc = {"reason": reason, "quarantined_at": _now(), "from": batch}
    storage.write_bytes(storage.join(target, REASON), json.dumps(reason_doc).encode())
    manifest = storage.join(batch, MANIFEST)
    if storage.exists(manifest):
        storage.write_bytes(storage.join(target, MANIFEST), storage.read_bytes(manifest))
    remove_batch(batch)
    return str(target)


def quarantined_batches(root: str) -> list[tuple[str, str]]:
    dirs, _ = storage.list_children(storage.join(root, QUARANTINE))
    found = []
    for entry in dirs:
        try:
            reason = json.loads(storage.read_bytes(storage.join(entry, REASON))).get("reason", "")
        except (OSError, ValueError, AttributeError):
            reason = "(reason not recorded)"
        found.append((entry, str(reason)))
    return found


def remove_stale(root: str, max_age: float) -> int:
    """Remove batches whose writer died before the manifest, and plan objects,
    older than `max_age` seconds. Returns how many."""
    cutoff = datetime.now(UTC).timestamp() - max_age
    removed = 0
    dirs, _ = storage.list_children(root)
    for batch in dirs:
        if storage.name(batch) in NOT_BATCHES or storage.exists(storage.join(batch, MANIFEST)):
            continue
        entries = storage.list_objects(batch)
        if entries and max(e.modified.timestamp() for e in entries) < cutoff:
            storage.delete_prefix(batch)
            removed += 1
    for entry in storage.list_objects(storage.join(root, "plans")):
        if entry.modified.timestamp() < cutoff:
            storage.delete(entry.location)
            removed += 1
    return removed


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat()
