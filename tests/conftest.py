"""Shared fixtures: temporary configs and warehouses, the shared data folder."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A developer's own settings must never leak into a test.
    for name in ("CLAIMWIRE_CONFIG", "CLAIMWIRE_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def shared_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path


def write_config(path: Path, *, db: Path, feeds: list[str], allow: list[str] | None = None,
                 extra: str = "") -> Path:
    lines = ["[warehouse]", f'path = "{db}"', "", "[http]"]
    lines.append("allow_networks = [" + ", ".join(f'"{c}"' for c in (allow or [])) + "]")
    lines += ["per_host_delay = 0.0", "retries = 0", "respect_robots = false", ""]
    for url in feeds:
        lines += ["[[feeds]]", f'url = "{url}"', ""]
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def rows(db: Path, sql: str) -> list[tuple]:
    """Query a warehouse file read-only, as a user would between runs."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "wh" / "claimwire.duckdb"


os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
