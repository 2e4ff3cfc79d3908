"""Resume support for long backfills: which units of a backfill job are finished.

A unit is a string naming one piece of work that, once handled, need not be
redone: an archived-feed document ("feed-archive:<url>"), a leaf sitemap
("sitemap:<url>"), a WARC file ("warc:<path>"). Each job (one window, one set
of sources) has its own small JSON file, named by `checkpoint_key`, so a rerun
of the same backfill skips what the crashed one finished while a different
window starts from scratch.

A unit may carry a little JSON data (an archive document's onward links), so
a resumed walk can pass a finished document without fetching it again.

Marks are atomic (temp file + rename) and merged under a file lock, so mapped
tasks on one host can share a checkpoint without losing each other's marks.
A checkpoint is only an optimisation: losing it (or finding it damaged) means
redoing work, which the idempotent loads make harmless.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from claimwire.files import atomic_write

log = logging.getLogger(__name__)

_FORMAT = 1


class _HasWindow(Protocol):
    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


def checkpoint_key(window: _HasWindow, sources: Iterable[str]) -> str:
    """Stable key of a backfill job: its window and its sources (order does not matter)."""
    parts = [window.start.isoformat(), window.end.isoformat(), *sorted(set(sources))]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:24]


class BackfillCheckpoint:
    """The finished units of one backfill job, persisted in `<dir>/backfill-<key>.json`."""

    def __init__(self, path: Path, key: str, units: dict[str, Any] | None = None) -> None:
        self.path = path
        self.key = key
        self._units: dict[str, Any] = dict(units or {})

    @classmethod
    def load(cls, directory: Path | str, key: str) -> BackfillCheckpoint:
        if not key or any(c in key for c in "/\\\0") or key.startswith("."):
            raise ValueError(f"bad checkpoint key: {key!r}")
        path = Path(directory) / f"backfill-{key}.json"
        return cls(path, key, _read_units(path))

    def done(self, unit: str) -> bool:
        return unit in self._units

    def data(self, unit: str) -> Any:
        """What `mark` stored with the unit (None when nothing or not done)."""
        return self._units.get(unit)

    @property
    def units(self) -> frozenset[str]:
        return frozenset(self._units)

    def mark(self, unit: str, data: Any = None) -> None:
        """Record `unit` as finished, durably, before returning; `data` must be JSON-able."""
        json.dumps(data)  # fail here, not halfway through a write
        with self._locked():
            # Another process may have marked units since we loaded: merge, don't overwrite.
            merged = _read_units(self.path)
            merged.update(self._units)
            merged[unit] = data
            _write_atomic(
                self.path,
                {
                    "format": _FORMAT,
                    "key": self.key,
                    "updated_at": datetime.now(UTC).isoformat(),
                    "units": merged,
                },
            )
            self._units = merged

    def clear(self) -> None:
        """Forget everything (after the job completed, or to force a full rerun)."""
        with self._locked():
            self.path.unlink(missing_ok=True)
            self._units = {}
        # The lock file stays: unlinking it while another process waits on it
        # would let a third process lock a fresh file and break the exclusion.

    @property
    def _lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_units(path: Path) -> dict[str, Any]:
    try:
        payload = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        # Redoing work is safe; refusing to run because of a bad cache is not useful.
        log.warning("ignoring unreadable backfill checkpoint %s: %s", path, exc)
        return {}
    units = payload.get("units") if isinstance(payload, dict) else None
    return dict(units) if isinstance(units, dict) else {}


def _write_atomic(path: Path, payload: dict[str, Any]) -> None:
    atomic_write(path, json.dumps(payload, sort_keys=True).encode("utf-8"))
