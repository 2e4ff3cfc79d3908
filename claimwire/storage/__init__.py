"""Storage addressed by URL: a local folder (the embedded default) or a bucket.

The raw archive, staged batches and plan files live at a *location*: a
`Path` for a local folder, or a URL (`s3://bucket/prefix/...`) on any
S3-compatible object store, reached through obstore. The functions here
take either and do the same thing on both, so callers never ask which.

Settings: `[storage] url` and `endpoint` (see `claimwire.config`); the
credentials come from the standard `AWS_ACCESS_KEY_ID` /
`AWS_SECRET_ACCESS_KEY` (and `AWS_REGION`) variables. An endpoint given for
a bucket is remembered for the process (`register_endpoint`), so a batch URL
handed over by another task (an Airflow XCom) opens the same store;
`AWS_ENDPOINT_URL` serves when none was registered.

Object stores have no rename: a write is one PUT, whole or absent, which is
what a local file's write-then-rename gives. Batches stay complete-or-
invisible by writing their manifest last (see `claimwire.storage.batches`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from claimwire.files import atomic_write

Location = Path | str

SCHEMES = ("s3",)

_endpoints: dict[str, str] = {}
_stores: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


class StorageError(OSError):
    """A storage location that cannot be used (unknown scheme, missing package)."""


def is_url(location: Location) -> bool:
    """True for an object-store URL (`s3://...`), False for a local path."""
    return isinstance(location, str) and urlsplit(location).scheme in SCHEMES


def join(location: Location, *parts: str) -> Location:
    """`location` / parts, for a path or a URL."""
    if is_url(location):
        base = str(location).rstrip("/")
        return "/".join([base, *(p.strip("/") for p in parts)])
    return Path(location).joinpath(*parts)


def name(location: Location) -> str:
    """The last part of a location (a batch's name)."""
    if is_url(location):
        return str(location).rstrip("/").rsplit("/", 1)[-1]
    return Path(location).name


def parent(location: Location) -> Location:
    if is_url(location):
        return str(location).rstrip("/").rsplit("/", 1)[0]
    return Path(location).parent


def bucket_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def register_endpoint(url: str, endpoint: str | None) -> None:
    """Use `endpoint` (an S3-compatible server) for the bucket of `url` in this process."""
    if endpoint:
        with _lock:
            _endpoints[bucket_of(url)] = endpoint.rstrip("/")


def registered_endpoint(url: str) -> str | None:
    return _endpoints.get(bucket_of(url))


def _store(url: str) -> tuple[Any, str]:
    """(obstore store of the URL's bucket, key inside it)."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise StorageError(f"unsupported storage URL (only s3:// is): {url}")
    try:
        from obstore.store import S3Store
    except ImportError as exc:  # pragma: no cover - the scale extra is missing
        raise StorageError("object storage needs obstore: pip install 'claimwire[scale]'") \
            from exc
    bucket = bucket_of(url)
    endpoint = _endpoints.get(bucket) or os.environ.get("AWS_ENDPOINT_URL", "")
    with _lock:
        store = _stores.get((bucket, endpoint))
        if store is None:
            config: dict[str, Any] = {}
            options: dict[str, Any] = {"timeout": "120s", "connect_timeout": "10s"}
            if endpoint:
                config["aws_endpoint"] = endpoint
                # Path-style requests: MinIO, Ceph and test servers serve those.
                config["aws_virtual_hosted_style_request"] = False
                if endpoint.startswith("http://"):
                    options["allow_http"] = True
            if not (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
                config["aws_region"] = "us-east-1"
            store = S3Store(parts.netloc, config=config, client_options=options)
            _stores[(bucket, endpoint)] = store
    return store, parts.path.lstrip("/")


def read_bytes(location: Location) -> bytes:
    """The object's bytes; FileNotFoundError when there is none."""
    if not is_url(location):
        return Path(location).read_bytes()
    import obstore

    store, key = _store(str(location))
    return bytes(obstore.get(store, key).bytes())


def write_bytes(location: Location, data: bytes) -> None:
    """Write whole: a reader sees the old content or the new, never half."""
    if not is_url(location):
        atomic_write(Path(location), data)
        return
    import obstore

    store, key = _store(str(location))
    obstore.put(store, key, data)


def exists(location: Location) -> bool:
    if not is_url(location):
        return Path(location).exists()
    import obstore

    store, key = _store(str(location))
    try:
        obstore.head(store, key)
    except FileNotFoundError:
        return False
    return True


def delete(location: Location) -> bool:
    """Remove one object (or file); False when there was none."""
    if not is_url(location):
        try:
            Path(location).unlink()
        except FileNotFoundError:
            return False
        return True
    import obstore

    store, key = _store(str(location))
    if not exists(location):
        return False
    obstore.delete(store, key)
    return True


@dataclass(frozen=True)
class Entry:
    location: str
    size: int
    modified: datetime


def list_objects(prefix: str) -> list[Entry]:
    """Every object under the URL `prefix` (recursively), by name."""
    import obstore

    store, key = _store(prefix)
    key = key.rstrip("/") + "/" if key else ""
    base = bucket_of(prefix)
    found = []
    for chunk in obstore.list(store, key or None):
        for meta in chunk:
            found.append(Entry(f"{base}/{meta['path']}", int(meta["size"]),
                               meta["last_modified"]))
    return sorted(found, key=lambda e: e.location)


def list_children(prefix: str) -> tuple[list[str], list[Entry]]:
    """(sub-prefixes as URLs, objects) directly under the URL `prefix`."""
    import obstore

    store, key = _store(prefix)
    key = key.rstrip("/")
    base = bucket_of(prefix)
    listing = obstore.list_with_delimiter(store, key or None)
    dirs = sorted(f"{base}/{p.rstrip('/')}" for p in listing["common_prefixes"])
    objects = [Entry(f"{base}/{m['path']}", int(m["size"]), m["last_modified"])
               for m in listing["objects"]]
    return dirs, sorted(objects, key=lambda e: e.location)


def delete_prefix(prefix: str) -> int:
    """Remove every object under the URL `prefix`; how many."""
    import obstore

    entries = list_objects(prefix)
    for entry in entries:
        store, key = _store(entry.location)
        obstore.delete(store, key)
    return len(entries)
