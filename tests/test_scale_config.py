"""The settings for more than one machine: `[storage]` and the DuckLake backend."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from claimwire import storage
from claimwire.config import ConfigError, load_config
from claimwire.warehouse.backends import DuckLake


def _load(tmp_path: Path, text: str):
    path = tmp_path / "claimwire.toml"
    path.write_text(text)
    return load_config(path)


def test_defaults_are_the_single_machine_ones(tmp_path: Path):
    config = _load(tmp_path, "")
    assert config.backend == "duckdb"
    assert config.warehouse == config.warehouse_path
    assert config.raw_archive_location == config.raw_archive_dir
    assert config.staging_location == config.staging_path


def test_storage_url_and_ducklake(tmp_path: Path):
    config = _load(tmp_path, """
[warehouse]
backend = "ducklake"
catalog = "postgres:dbname=cw host=127.0.0.1"
data_path = "lake"

[storage]
url = "s3://bucket/prefix/"
endpoint = "http://127.0.0.1:9000"
""")
    assert config.raw_archive_location == "s3://bucket/prefix/raw"
    assert config.staging_location == "s3://bucket/prefix/staging"
    assert config.warehouse == DuckLake("postgres:dbname=cw host=127.0.0.1",
                                        str(tmp_path / "lake"), "http://127.0.0.1:9000")
    assert storage.registered_endpoint("s3://bucket/x") == "http://127.0.0.1:9000"


def test_a_local_storage_url_is_a_folder(tmp_path: Path):
    config = _load(tmp_path, '[storage]\nurl = "shared"\n')
    assert config.staging_location == tmp_path / "shared" / "staging"
    assert config.raw_archive_location == tmp_path / "shared" / "raw"


@pytest.mark.parametrize(("text", "message"), [
    ('[warehouse]\nbackend = "sqlite"\n', "backend must be one of duckdb, ducklake"),
    ('[warehouse]\nbackend = "ducklake"\n', "needs catalog and data_path"),
    ('[storage]\nurl = "ftp://x/"\n', "must be a folder or an s3:// URL"),
    ('[storage]\nbucket = "x"\n', "unknown setting(s) in [storage]: bucket"),
])
def test_mistakes_are_one_line(tmp_path: Path, text: str, message: str):
    with pytest.raises(ConfigError, match=re.escape(message)):
        _load(tmp_path, text)


def test_locations():
    assert storage.join("s3://b/p/", "staging", "x") == "s3://b/p/staging/x"
    assert storage.join(Path("/tmp/a"), "b") == Path("/tmp/a/b")
    assert storage.is_url("s3://b/k") and not storage.is_url("/tmp/x")
    assert not storage.is_url(Path("s3:/x"))
    assert storage.name("s3://b/p/batch-1/") == "batch-1"
    assert storage.parent("s3://b/p/batch-1") == "s3://b/p"
