"""The one source of settings: `claimwire.toml`, environment overrides, defaults.

Lookup order for the file: an explicit path (`--config`), then the
`CLAIMWIRE_CONFIG` environment variable, then `./claimwire.toml` when it
exists; with none of them the built-in defaults apply. `CLAIMWIRE_DB`
overrides the warehouse path whatever the file says.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit

from claimwire import __version__

DEFAULT_CONFIG_NAME = "claimwire.toml"
DEFAULT_WAREHOUSE = "claimwire.duckdb"
DEFAULT_USER_AGENT = (
    f"claimwire/{__version__} (+https://github.com/claimwire/claimwire; news claims research)"
)


class ConfigError(ValueError):
    """A configuration problem the user must fix; its message is one line."""


def setting(
    default: Any,
    *,
    minimum: float | None = None,
    above: float | None = None,
    maximum: float | None = None,
    nonempty: bool = False,
) -> Any:
    """A dataclass field with the range `load_config` checks: `minimum` <= v,
    `above` < v, v <= `maximum`; `nonempty` for text."""
    limits = {"minimum": minimum, "above": above, "maximum": maximum, "nonempty": nonempty}
    return field(default=default, metadata={"limits": limits})


@dataclass(frozen=True)
class HttpSettings:
    user_agent: str = setting(DEFAULT_USER_AGENT, nonempty=True)
    connect_timeout: float = setting(10.0, above=0)
    read_timeout: float = setting(20.0, above=0)
    # Wall-clock budget for everything one URL takes: every redirect hop, every
    # retry and the waits between them. Defeats drip feeds and slow chains.
    total_timeout: float = setting(60.0, above=0)
    max_bytes: int = setting(10 * 1024 * 1024, minimum=1)
    max_decompressed_bytes: int = setting(50 * 1024 * 1024, minimum=1)
    max_redirects: int = setting(5, minimum=0, maximum=50)
    allow_networks: tuple[str, ...] = ()
    max_connections: int = setting(16, minimum=1, maximum=1024)
    per_host_connections: int = setting(2, minimum=1, maximum=1024)
    per_host_delay: float = setting(0.5, minimum=0)
    retries: int = setting(2, minimum=0, maximum=20)
    backoff_base: float = setting(1.0, minimum=0)
    # Also the longest Retry-After honoured: a server asking for more is not retried.
    backoff_max: float = setting(60.0, minimum=0)
    respect_robots: bool = True

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(cidr, strict=False) for cidr in self.allow_networks]


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedPollSettings:
    max_items_per_feed: int = setting(500, minimum=1)
    # Consecutive failures before a feed is disabled (Media Cloud does the same).
    max_failures: int = setting(10, minimum=1)
    # After 3 consecutive failures a feed waits base * 2**(failures-3) hours
    # (at most a week) before its next poll, so a dead server is not hammered.
    failure_backoff_hours: float = setting(1.0, minimum=0)
    # Seconds one feed document may take to parse (in a helper process that
    # is killed past it); parsing is linear, 1 MB of hostile markup takes ~1 s.
    parse_timeout: float = setting(20.0, above=0)
    # Seconds of network time per run (per poll shard under Airflow): feed
    # polls and page fetches not started by then wait for the next run.
    fetch_budget: float = setting(3600.0, above=0)


@dataclass(frozen=True)
class ClaimSettings:
    model: str = setting("en_core_web_sm", nonempty=True)
    prefilter: bool = True
    # An article longer than this is loaded without claims (documents.error
    # says why): 100,000 characters of dense quotes take ~20 s to parse.
    max_text_chars: int = setting(200_000, minimum=1)
    # Seconds the claim stage may spend on one article before it gives up on it.
    time_budget: float = setting(60.0, above=0)


@dataclass(frozen=True)
class DedupSettings:
    # Word 5-shingle Jaccard: copies with furniture, headline, credit line and
    # edits all changed measured 0.55-0.85; distinct articles on one story at
    # most 0.01, unrelated ones at most 0.14 (see the closing note of issue 5).
    near_duplicate_threshold: float = setting(0.45, above=0, maximum=1)
    num_perm: int = setting(128, minimum=8, maximum=4096)
    shingle_size: int = setting(5, minimum=1, maximum=50)
    # Copies are looked for among articles published within this many days.
    window_days: int = setting(90, minimum=1, maximum=36500)


@dataclass(frozen=True)
class AirflowSettings:
    schedule: str = setting("0 2 * * *", nonempty=True)
    feeds_per_shard: int = setting(50, minimum=1)
    catchup: bool = False


@dataclass(frozen=True)
class WarehouseSettings:
    """The `[warehouse]` table as written; `Config` holds the resolved paths."""

    path: str | None = None
    archive_dir: str | None = None
    staging_dir: str | None = None
    workers: int = setting(0, minimum=0, maximum=256)
    # Seconds a run waits for another process to let go of the warehouse file
    # (a reader holding it, another run loading); queries wait a minute.
    lock_timeout: float = setting(900.0, minimum=0)
    # "duckdb" (one file, the embedded default) or "ducklake" (catalog in
    # PostgreSQL, Parquet data under `data_path`: several writers at once).
    backend: str = setting("duckdb", nonempty=True)
    # DuckLake's catalog, e.g. "postgres:dbname=claimwire host=127.0.0.1".
    catalog: str | None = None
    # Where DuckLake keeps its Parquet files: a folder or an s3:// URL.
    data_path: str | None = None


@dataclass(frozen=True)
class StorageSettings:
    """Where the raw archive, staged batches and plan files live."""

    # None: local folders beside the warehouse. "s3://bucket/prefix": an object store.
    url: str | None = None
    # An S3-compatible endpoint (MinIO, Ceph, a test server), e.g. "http://127.0.0.1:9000".
    endpoint: str | None = None


@dataclass(frozen=True)
class BackfillSettings:
    """Backfills from Common Crawl's news archive (CC-NEWS); see ingest/ccnews.py."""

    # Airflow backfill runs also acquire their interval from CC-NEWS (the CLI
    # asks with --cc-news).
    cc_news: bool = False
    # Publishers to keep (each with its subdomains); () = the configured feeds' domains.
    domains: tuple[str, ...] = ()
    cc_base: str = setting("https://data.commoncrawl.org/", nonempty=True)
    # Pages are captured after publication: WARC files begun up to this long
    # after the range are read too.
    cc_margin_days: float = setting(3.0, minimum=0)
    # One WARC file is ~1 GB: its own caps, far above a page's.
    cc_max_bytes: int = setting(2 * 1024 * 1024 * 1024, minimum=1)
    cc_total_timeout: float = setting(3600.0, above=0)


@dataclass(frozen=True)
class Config:
    warehouse_path: Path = Path(DEFAULT_WAREHOUSE)
    archive_dir: Path | None = None
    staging_dir: Path | None = None
    workers: int = 0
    lock_timeout: float = 900.0
    backend: str = "duckdb"
    catalog: str | None = None
    data_path: str | None = None
    storage_url: str | None = None
    storage_endpoint: str | None = None
    http: HttpSettings = field(default_factory=HttpSettings)
    polling: FeedPollSettings = field(default_factory=FeedPollSettings)
    claims: ClaimSettings = field(default_factory=ClaimSettings)
    dedup: DedupSettings = field(default_factory=DedupSettings)
    airflow: AirflowSettings = field(default_factory=AirflowSettings)
    backfill: BackfillSettings = field(default_factory=BackfillSettings)
    feeds: tuple[FeedConfig, ...] = ()
    source: Path | None = None

    @property
    def raw_archive_dir(self) -> Path:
        """Raw archive: beside the warehouse unless configured."""
        if self.archive_dir is not None:
            return self.archive_dir
        return self.warehouse_path.parent / (self.warehouse_path.stem + "-raw")

    @property
    def staging_path(self) -> Path:
        if self.staging_dir is not None:
            return self.staging_dir
        return self.warehouse_path.parent / (self.warehouse_path.stem + "-staging")

    @property
    def raw_archive_location(self) -> Path | str:
        """The raw archive: `raw_archive_dir`, or `raw/` under `[storage] url`."""
        if self.storage_url:
            return _under(self.storage_url, "raw")
        return self.raw_archive_dir

    @property
    def staging_location(self) -> Path | str:
        """Staged batches and plans: `staging_path`, or `staging/` under `[storage] url`."""
        if self.storage_url:
            return _under(self.storage_url, "staging")
        return self.staging_path

    @property
    def warehouse(self) -> Any:
        """What `warehouse.db` opens: the DuckDB file, or the DuckLake to attach."""
        if self.backend == "ducklake":
            from claimwire.warehouse.backends import DuckLake

            return DuckLake(catalog=str(self.catalog), data_path=str(self.data_path),
                            endpoint=self.storage_endpoint)
        return self.warehouse_path

    @property
    def worker_count(self) -> int:
        if self.workers > 0:
            return self.workers
        return max(1, min(4, os.cpu_count() or 1))

    def with_extra_networks(self, cidrs: list[str] | tuple[str, ...]) -> Config:
        for cidr in cidrs:
            _check_cidr(cidr)
        merged = tuple(dict.fromkeys((*self.http.allow_networks, *cidrs)))
        return replace(self, http=replace(self.http, allow_networks=merged))


SECTIONS = ("warehouse", "storage", "http", "polling", "claims", "dedup", "airflow", "backfill",
            "feeds")
BACKENDS = ("duckdb", "ducklake")


def _under(url: str, name: str) -> Path | str:
    from claimwire import storage

    if storage.is_url(url):
        return str(storage.join(url, name))
    return Path(os.path.expanduser(url)) / name
FEED_KEYS = ("url", "name", "tags")


def _check_cidr(cidr: str) -> None:
    try:
        ipaddress.ip_network(cidr, strict=False)
    except ValueError as exc:
        raise ConfigError(f"not a network in CIDR form: {cidr!r}") from exc


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _typed(kind: Any, value: Any, where: str) -> Any:
    """`value` as the field type `kind` (TOML gives int for 1 where a float is
    meant, lists for tuples); ConfigError naming `where` when it is not one."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: must be true or false, not {_shown(value)}")
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: must be a whole number, not {_shown(value)}")
    if kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if value != value or value in (float("inf"), float("-inf")):
                raise ConfigError(f"{where}: must be a finite number, not {_shown(value)}")
            return float(value)
        raise ConfigError(f"{where}: must be a number, not {_shown(value)}")
    if kind in (str, str | None):
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: must be text, not {_shown(value)}")
    if kind == tuple[str, ...]:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(f"{where}: must be a list of text, not {_shown(value)}")
    raise TypeError(f"no check for settings of type {kind}")  # a new field needs one


def _in_range(value: Any, limits: dict[str, Any], where: str) -> None:
    if limits.get("nonempty") and not str(value).strip():
        raise ConfigError(f"{where}: must not be empty")
    low, above, high = limits.get("minimum"), limits.get("above"), limits.get("maximum")
    if low is not None and value < low:
        raise ConfigError(f"{where}: must be at least {low:g}, not {_shown(value)}")
    if above is not None and value <= above:
        raise ConfigError(f"{where}: must be more than {above:g}, not {_shown(value)}")
    if high is not None and value > high:
        raise ConfigError(f"{where}: must be at most {high:g}, not {_shown(value)}")


def _section(raw: dict[str, Any], name: str, cls: type, path: Path | None) -> Any:
    """The `[name]` table as a `cls`, every value checked for type and range."""
    values = raw.get(name, {})
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    known = cls.__dataclass_fields__
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) in [{name}]: {', '.join(unknown)}")
    hints = get_type_hints(cls)
    converted = {}
    for key, value in values.items():
        where = f"{path}: [{name}] {key}"
        converted[key] = _typed(hints[key], value, where)
        if converted[key] is not None:
            _in_range(converted[key], known[key].metadata.get("limits", {}), where)
    return cls(**converted)


def _feeds(raw: dict[str, Any], path: Path | None) -> tuple[FeedConfig, ...]:
    entries = raw.get("feeds", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: feeds must be an array of tables ([[feeds]])")
    feeds = []
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise ConfigError(f"{path}: feed #{index} needs a url")
        unknown = sorted(set(entry) - set(FEED_KEYS))
        if unknown:
            raise ConfigError(f"{path}: feed #{index}: unknown key(s): {', '.join(unknown)}")
        url = entry["url"].strip()
        if urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).netloc:
            raise ConfigError(f"{path}: feed #{index}: url must be an http(s) URL, "
                              f"not {_shown(url)}")
        name = entry.get("name")
        if name is not None and not isinstance(name, str):
            raise ConfigError(f"{path}: feed #{index}: name must be text, not {_shown(name)}")
        tags = entry.get("tags", [])
        if isinstance(tags, str):
            tags = [tags]
        tags = _typed(tuple[str, ...], tags, f"{path}: feed #{index}: tags")
        feeds.append(FeedConfig(url=url, name=name, tags=tags))
    return tuple(feeds)


def _backfill(raw: dict[str, Any], path: Path | None) -> BackfillSettings:
    settings: BackfillSettings = _section(raw, "backfill", BackfillSettings, path)
    if not settings.cc_base.startswith(("http://", "https://")):
        raise ConfigError(f"{path}: [backfill] cc_base must be an http(s) URL")
    return settings


def resolve_config_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("CLAIMWIRE_CONFIG")
    if from_env:
        return Path(from_env)
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.exists() else None


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Read the configuration; raise ConfigError with a one-line reason on problems."""
    path = resolve_config_path(explicit)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    base_dir = path.parent if path is not None else Path(".")
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{path}: unknown section(s): {', '.join(unknown)}")
    warehouse = _section(raw, "warehouse", WarehouseSettings, path)

    def _path(value: str | None) -> Path | None:
        if value is None:
            return None
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else base_dir / p

    warehouse_path = _path(warehouse.path) or Path(DEFAULT_WAREHOUSE)
    env_db = os.environ.get("CLAIMWIRE_DB")
    if env_db:
        warehouse_path = Path(os.path.expanduser(env_db))

    if warehouse.backend not in BACKENDS:
        raise ConfigError(f"{path}: [warehouse] backend must be one of "
                          f"{', '.join(BACKENDS)}, not {_shown(warehouse.backend)}")
    if warehouse.backend == "ducklake" and not (warehouse.catalog and warehouse.data_path):
        raise ConfigError(f"{path}: [warehouse] backend = \"ducklake\" needs catalog "
                          "and data_path")
    stored = _section(raw, "storage", StorageSettings, path)
    storage_url = stored.url
    if storage_url and "://" not in storage_url:
        storage_url = str(_path(storage_url))
    if stored.url and "://" in stored.url and not stored.url.startswith("s3://"):
        raise ConfigError(f"{path}: [storage] url must be a folder or an s3:// URL, "
                          f"not {_shown(stored.url)}")
    data_path = warehouse.data_path
    if data_path and "://" not in data_path:
        data_path = str(_path(data_path))
    for url in (storage_url, data_path):
        if url and url.startswith("s3://") and stored.endpoint:
            from claimwire import storage

            storage.register_endpoint(url, stored.endpoint)

    http = _section(raw, "http", HttpSettings, path)
    for cidr in http.allow_networks:
        try:
            _check_cidr(cidr)
        except ConfigError as exc:
            raise ConfigError(f"{path}: [http] allow_networks: {exc}") from None
    config = Config(
        warehouse_path=warehouse_path,
        archive_dir=_path(warehouse.archive_dir),
        staging_dir=_path(warehouse.staging_dir),
        workers=warehouse.workers,
        lock_timeout=warehouse.lock_timeout,
        backend=warehouse.backend,
        catalog=warehouse.catalog,
        data_path=data_path,
        storage_url=storage_url,
        storage_endpoint=stored.endpoint,
        http=http,
        polling=_section(raw, "polling", FeedPollSettings, path),
        claims=_section(raw, "claims", ClaimSettings, path),
        dedup=_section(raw, "dedup", DedupSettings, path),
        airflow=_section(raw, "airflow", AirflowSettings, path),
        backfill=_backfill(raw, path),
        feeds=_feeds(raw, path),
        source=path,
    )
    return config
