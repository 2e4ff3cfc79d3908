"""The raw archive (bronze layer): gzip files named by the SHA-256 of their bytes.

Content addressing makes writes idempotent and safe from any number of
processes or hosts: the same bytes always land at the same name, a file is
written under a temporary name and renamed into place, so a reader never sees
half a document and a crash leaves at most a stray temporary file.

The root may be a URL (`[storage] url`, an object store): the same names under
it, each object written whole by one PUT, so every worker sees every other's
documents and URL records.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

from claimwire import storage
from claimwire.files import atomic_write


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RawArchive:
    def __init__(self, root: storage.Location):
        self.remote = storage.is_url(root)
        self.root: storage.Location = root if self.remote else Path(root)

    def path_for(self, digest: str) -> storage.Location:
        return storage.join(self.root, "objects", digest[:2], f"{digest}.gz")

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        target = self.path_for(digest)
        if not storage.exists(target):
            packed = gzip.compress(data, compresslevel=6, mtime=0)
            if self.remote:
                storage.write_bytes(target, packed)
            else:
                atomic_write(Path(target), packed)
        return digest

    def has(self, digest: str) -> bool:
        return storage.exists(self.path_for(digest))

    def get(self, digest: str) -> bytes:
        """The stored bytes; raise KeyError when missing or damaged."""
        try:
            data = gzip.decompress(storage.read_bytes(self.path_for(digest)))
        except FileNotFoundError as exc:
            raise KeyError(f"raw document {digest} is not in the archive") from exc
        except (OSError, EOFError) as exc:
            raise KeyError(f"raw document {digest} is damaged: {exc}") from exc
        if sha256_hex(data) != digest:
            raise KeyError(f"raw document {digest} is damaged: checksum mismatch")
        return data

    # A record of each URL fetched, so that any process can tell a new item
    # from a known one without opening the warehouse.
    def _url_record_path(self, key: str) -> storage.Location:
        return storage.join(self.root, "urls", key[:2], f"{key}.json")

    def record_url(self, key: str, record: dict[str, Any]) -> None:
        storage.write_bytes(self._url_record_path(key),
                            json.dumps(record, sort_keys=True).encode())

    def forget_url(self, key: str) -> bool:
        """Remove a URL's record, so its item counts as new again; True if there was one."""
        return storage.delete(self._url_record_path(key))

    def url_record(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads(storage.read_bytes(self._url_record_path(key)))
        except (FileNotFoundError, ValueError):
            return None
