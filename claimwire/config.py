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
from typing import Any

from claimwire import __version__

DEFAULT_CONFIG_NAME = "claimwire.toml"
DEFAULT_WAREHOUSE = "claimwire.duckdb"
DEFAULT_USER_AGENT = (
    f"claimwire/{__version__} (+https://github.com/claimwire/claimwire; news claims research)"
)


class ConfigError(ValueError):
    """A configuration problem the user must fix; its message is one line."""


@dataclass(frozen=True)
class HttpSettings:
    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    # Wall-clock budget for one request including the body: defeats drip feeds.
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_decompressed_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5
    allow_networks: tuple[str, ...] = ()
    max_connections: int = 16
    per_host_connections: int = 2
    per_host_delay: float = 0.5
    retries: int = 2
    backoff_base: float = 1.0
    backoff_max: float = 60.0
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
    max_items_per_feed: int = 500
    # Consecutive failures before a feed is disabled (Media Cloud does the same).
    max_failures: int = 10
    # After 3 consecutive failures a feed waits base * 2**(failures-3) hours
    # (at most a week) before its next poll, so a dead server is not hammered.
    failure_backoff_hours: float = 1.0


@dataclass(frozen=True)
class ClaimSettings:
    model: str = "en_core_web_sm"
    prefilter: bool = True


@dataclass(frozen=True)
class DedupSettings:
    # Word 5-shingle Jaccard: copies with furniture, headline, credit line and
    # edits all changed measured 0.55-0.85; distinct articles on one story at
    # most 0.01, unrelated ones at most 0.14 (see the closing note of issue 5).
    near_duplicate_threshold: float = 0.45
    num_perm: int = 128
    shingle_size: int = 5


@dataclass(frozen=True)
class AirflowSettings:
    schedule: str = "0 2 * * *"
    feeds_per_shard: int = 50
    catchup: bool = False


@dataclass(frozen=True)
class BackfillSettings:
    """Backfills from Common Crawl's news archive (CC-NEWS); see ingest/ccnews.py."""

    # Airflow backfill runs also acquire their interval from CC-NEWS (the CLI
    # asks with --cc-news).
    cc_news: bool = False
    # Publishers to keep (each with its subdomains); () = the configured feeds' domains.
    domains: tuple[str, ...] = ()
    cc_base: str = "https://data.commoncrawl.org/"
    # Pages are captured after publication: WARC files begun up to this long
    # after the range are read too.
    cc_margin_days: float = 3.0
    # One WARC file is ~1 GB: its own caps, far above a page's.
    cc_max_bytes: int = 2 * 1024 * 1024 * 1024
    cc_total_timeout: float = 3600.0


@dataclass(frozen=True)
class Config:
    warehouse_path: Path = Path(DEFAULT_WAREHOUSE)
    archive_dir: Path | None = None
    staging_dir: Path | None = None
    workers: int = 0
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
    def worker_count(self) -> int:
        if self.workers > 0:
            return self.workers
        return max(1, min(4, os.cpu_count() or 1))

    def with_extra_networks(self, cidrs: list[str] | tuple[str, ...]) -> Config:
        for cidr in cidrs:
            _check_cidr(cidr)
        merged = tuple(dict.fromkeys((*self.http.allow_networks, *cidrs)))
        return replace(self, http=replace(self.http, allow_networks=merged))


def _check_cidr(cidr: str) -> None:
    try:
        ipaddress.ip_network(cidr, strict=False)
    except ValueError as exc:
        raise ConfigError(f"not a network in CIDR form: {cidr!r}") from exc


def _section(raw: dict[str, Any], name: str, cls: type, path: Path | None) -> Any:
    values = raw.get(name, {})
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    known = {f for f in cls.__dataclass_fields__}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) in [{name}]: {', '.join(unknown)}")
    converted = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    try:
        return cls(**converted)
    except TypeError as exc:
        raise ConfigError(f"{path}: [{name}]: {exc}") from exc


def _feeds(raw: dict[str, Any], path: Path | None) -> tuple[FeedConfig, ...]:
    entries = raw.get("feeds", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: feeds must be an array of tables ([[feeds]])")
    feeds = []
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise ConfigError(f"{path}: feed #{index} needs a url")
        tags = entry.get("tags", [])
        if isinstance(tags, str):
            tags = [tags]
        feeds.append(FeedConfig(url=entry["url"].strip(), name=entry.get("name"), tags=tuple(tags)))
    return tuple(feeds)


def _backfill(raw: dict[str, Any], path: Path | None) -> BackfillSettings:
    settings: BackfillSettings = _section(raw, "backfill", BackfillSettings, path)
    if not settings.cc_base.startswith(("http://", "https://")):
        raise ConfigError(f"{path}: [backfill] cc_base must be an http(s) URL")
    if settings.cc_margin_days < 0 or settings.cc_max_bytes <= 0 or settings.cc_total_timeout <= 0:
        raise ConfigError(f"{path}: [backfill] cc_margin_days must be >= 0, cc_max_bytes and "
                          "cc_total_timeout > 0")
    if isinstance(settings.domains, str):
        raise ConfigError(f"{path}: [backfill] domains must be a list")
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

    warehouse = raw.get("warehouse", {})
    if not isinstance(warehouse, dict):
        raise ConfigError(f"{path}: [warehouse] must be a table")
    known_wh = {"path", "archive_dir", "staging_dir", "workers"}
    unknown = sorted(set(warehouse) - known_wh)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) in [warehouse]: {', '.join(unknown)}")

    def _path(value: Any) -> Path | None:
        if value is None:
            return None
        p = Path(os.path.expanduser(str(value)))
        return p if p.is_absolute() else base_dir / p

    warehouse_path = _path(warehouse.get("path")) or Path(DEFAULT_WAREHOUSE)
    env_db = os.environ.get("CLAIMWIRE_DB")
    if env_db:
        warehouse_path = Path(os.path.expanduser(env_db))

    http = _section(raw, "http", HttpSettings, path)
    for cidr in http.allow_networks:
        _check_cidr(cidr)
    config = Config(
        warehouse_path=warehouse_path,
        archive_dir=_path(warehouse.get("archive_dir")),
        staging_dir=_path(warehouse.get("staging_dir")),
        workers=int(warehouse.get("workers", 0)),
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
