"""A fast, tidy command line: --help without heavy imports, tables fitted to the
terminal with plain numbers, CSV unchanged, DuckDB's hints kept, --quiet quiet,
clear messages on an empty warehouse, progress with rate and ETA."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import duckdb
from conftest import write_config

from claimwire.cli import main
from claimwire.cli_progress import ProgressReporter
from claimwire.output import format_rows

try:
    from servers import Reply, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, serve

HEAVY = ("duckdb", "rich", "feedparser", "lxml", "pyarrow", "spacy", "httpx", "trafilatura",
         "sqlalchemy", "numpy")


def test_help_is_fast_and_imports_nothing_heavy():
    probe = ("import sys\nfrom claimwire.cli import main\n"
             "for argv in (['--help'], ['ingest', '--help'], ['feeds', 'add', '--help']):\n"
             "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
             f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    best = float("inf")
    for _ in range(3):  # the best of three: the machine is shared
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "claimwire.cli", "--help"], check=True,
                       capture_output=True)
        best = min(best, time.perf_counter() - start)
    assert best < 0.5, best


def test_tables_fit_the_terminal_and_numbers_are_plain(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    rows = [("https://example.org/" + "very-long-path/" * 8, 12345.678, 1.5e-7, 10**12),
            ("short", 0.5, 2.0, 3)]
    text = format_rows(["url", "big", "tiny", "int"], rows)
    assert all(len(line) <= 60 for line in text.splitlines()), text
    assert "…" in text and "12345.68" in text and "0.00000015" in text
    assert "1000000000000" in text and "e+" not in text and "e-" not in text
    # too many columns for the width: one record per row, nothing dropped
    wide = format_rows([f"column_{i}" for i in range(12)], [tuple(range(12))])
    assert all(len(line) <= 60 for line in wide.splitlines())
    assert all(f"column_{i}:" in wide for i in range(12))
    # CSV and JSON stay as scripts expect them
    assert format_rows(["a", "b"], [(12345.678, None)], "csv") == "a,b\n12345.678,"
    assert json.loads(format_rows(["a"], [(12345.678,)], "json")) == [{"a": 12345.678}]


def _warehouse(tmp_path, db_path):
    cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[])
    assert main(["feeds", "add", "http://127.0.0.1:9/a.xml", "--config", str(cfg)]) == 0
    return cfg


def test_sql_errors_keep_duckdbs_hint(tmp_path, db_path, capsys):
    cfg = _warehouse(tmp_path, db_path)
    capsys.readouterr()
    assert main(["sql", "SELECT * FROM feds", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert 'Did you mean "feeds"' in err and "LINE 1" in err


def test_search_and_status_on_an_empty_warehouse_file_say_so(tmp_path, capsys):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    cfg = write_config(tmp_path / "c.toml", db=db, feeds=[])
    for argv in (["search", "anything"], ["status"], ["failures"], ["claims"]):
        assert main([*argv, "--config", str(cfg)]) == 1, argv
        err = capsys.readouterr().err
        assert "is empty (no claimwire tables yet)" in err and "Catalog" not in err
    # a warehouse with its tables but no articles: an answer, not an error
    db_path = tmp_path / "wh" / "w.duckdb"
    cfg = _warehouse(tmp_path, db_path)
    capsys.readouterr()
    assert main(["search", "anything", "--config", str(cfg)]) == 0
    assert "no articles match" in capsys.readouterr().out


def test_quiet_prints_no_banner_and_no_progress(tmp_path, db_path, capsys):
    cfg = _warehouse(tmp_path, db_path)
    capsys.readouterr()
    argv = ["backfill", "--from", "2024-10-01", "--to", "2024-10-02", "--replay"]
    assert main(["--quiet", *argv, "--config", str(cfg)]) == 0
    assert capsys.readouterr().err == ""
    assert main([*argv, "--config", str(cfg)]) == 0
    assert "backfill of items published" in capsys.readouterr().err


def test_progress_lines_carry_rate_and_eta(monkeypatch):
    clock = iter([100.0, 101.0, 102.0, 104.0])
    monkeypatch.setattr("claimwire.cli_progress.time.monotonic", lambda: next(clock))
    out = io.StringIO()
    say = ProgressReporter(out, terminal=False)
    for done in (1, 2, 3):
        say(f"[poll {done}/10] http://x/{done}: new_items")
    say("a plain line")
    say("[derive 5/5 articles] near duplicates")
    lines = out.getvalue().splitlines()
    assert lines[0] == "[poll 1/10] http://x/1: new_items"
    assert lines[1] == "[poll 2/10] http://x/2: new_items (1.0/s, ETA 8 s)"
    assert lines[2] == "[poll 3/10] http://x/3: new_items (1.0/s, ETA 7 s)"
    assert lines[3] == "a plain line"
    assert lines[4].startswith("[derive 5/5 articles] near duplicates")


def test_progress_bar_on_a_terminal():
    out = io.StringIO()
    say = ProgressReporter(out, terminal=True)
    for done in range(1, 4):
        say(f"[transform {done}/3 shards]")
    say("between the bars")
    say.close()
    text = out.getvalue()
    assert "transform" in text and "3/3" in text and "between the bars" in text


def test_ingest_reports_progress_with_a_rate(tmp_path, db_path, capsys):
    rss = ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
           "</channel></rss>")
    routes = {f"/f{i}.xml": Reply(body=rss, headers={"Content-Type": "application/rss+xml"})
              for i in range(3)}
    with serve(routes) as base:
        cfg = write_config(tmp_path / "c.toml", db=db_path,
                           feeds=[f"{base}/f{i}.xml" for i in range(3)], allow=["127.0.0.1/32"])
        assert main(["ingest", "--config", str(cfg)]) == 0
    err = capsys.readouterr().err
    assert "[poll 3/3]" in err and "/s)" in err
