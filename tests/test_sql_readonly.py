"""`claimwire sql` reads the warehouse and nothing else: every write and every
file access is refused with one line (exit 2), and leaves every file as it was."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from conftest import rows, write_config

from claimwire.cli import main
from claimwire.sample_site import serve_sample_site


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sql")
    db = root / "wh.duckdb"
    with serve_sample_site(port=0) as site:
        cfg = write_config(root / "c.toml", db=db, feeds=[site.rss_url], allow=["127.0.0.1/32"])
        assert main(["ingest", "--config", str(cfg), "--quiet"]) == 0
    return db, cfg


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sql(cfg: Path, query: str, capsys) -> tuple[int, str, str]:
    code = main(["sql", query, "--config", str(cfg), "--format", "csv"])
    out, err = capsys.readouterr()
    return code, out, err


def _refused(cfg: Path, query: str, capsys) -> str:
    code, out, err = _sql(cfg, query, capsys)
    assert code == 2, (query, out, err)
    assert out == ""
    # One message, no traceback; DuckDB's own text is kept whole (its hint and
    # LINE marker follow the first line).
    assert err.startswith("claimwire: error: ") and err.count("claimwire: error:") == 1, err
    assert "Traceback" not in err, err
    return err


def test_reading_works_views_and_search_index_included(warehouse, capsys):
    db, cfg = warehouse
    code, out, _ = _sql(cfg, "SELECT count(*) AS n FROM articles", capsys)
    assert code == 0 and out.split() == ["n", "5"]
    code, out, _ = _sql(cfg, "SELECT count(*) AS n FROM claim_clusters", capsys)
    assert code == 0 and int(out.split()[1]) > 0
    code, out, _ = _sql(cfg, "DESCRIBE claims", capsys)
    assert code == 0 and "speaker_canonical" in out
    code, out, err = _sql(cfg, "SELECT count(*) AS n FROM speaker_stance_changes", capsys)
    assert code == 0, err


@pytest.mark.parametrize("template", [
    "COPY (SELECT 'x') TO '{db}'",
    "COPY (SELECT 'x') TO '{db}' (FORMAT csv, USE_TMP_FILE false)",
    "COPY (SELECT 'x') TO '{db}.wal' (FORMAT csv)",
    "COPY claims TO '{out}'",
    "EXPORT DATABASE '{outdir}'",
    "ATTACH '{other}' AS o (READ_WRITE)",
    "ATTACH '{link}' AS h (READ_WRITE); DELETE FROM h.claims",
    "SELECT 1; COPY claims TO '{out}'",
    "EXPLAIN ANALYZE COPY claims TO '{out}'",
    "CREATE TABLE t AS SELECT 1",
    "INSERT INTO runs (run_id) VALUES ('x')",
    "SET enable_external_access = true",
    "LOAD '{other}'",
    "INSTALL fts",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM read_blob('{link}')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM query('COPY claims TO ''{out}''')",
    "",
    "  ;  -- nothing",
])
def test_writes_and_file_access_are_refused(template, warehouse, tmp_path, capsys):
    db, cfg = warehouse
    other = tmp_path / "other.duckdb"
    import duckdb

    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t AS SELECT 1 AS a")
    con.close()
    link = tmp_path / "hardlink.duckdb"
    os.link(db, link)
    before = {p: _digest(p) for p in (db, other)}
    claims = rows(db, "SELECT count(*) FROM claims")
    query = template.format(db=db, out=tmp_path / "out.csv", outdir=tmp_path / "export",
                            other=other, link=link)
    _refused(cfg, query, capsys)
    assert {p: _digest(p) for p in (db, other)} == before
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "export").exists()
    assert not Path(f"{db}.wal").exists()
    assert rows(db, "SELECT count(*) FROM claims") == claims
