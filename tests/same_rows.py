"""Same input, same rows: build a demo and a backfill warehouse and dump them.

A refactoring must not change what lands in the warehouse. This script runs
the `claimwire` command line (the interface every version shares) over fixed
inputs served on fixed loopback ports, then dumps every table's rows, minus
the columns that differ from run to run by nature (times, run ids), as JSON:

    python tests/same_rows.py dump before.json     # with the old code installed
    python tests/same_rows.py dump after.json      # with the new code
    python tests/same_rows.py compare before.json after.json [--ignore W.TABLE.COLUMN ...]

`compare` prints the tables whose rows differ and exits 1 if any do. Columns
that only one side has are reported and left out of the comparison, as are
the columns named with `--ignore` (a change meant to alter them: say so in
the commit).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))

from newsgen import page, rss  # noqa: E402
from servers import Reply, serve  # noqa: E402

SITE_PORT = 18765
SYNTH_PORT = 18766
DAY0 = datetime(2024, 9, 1, 12, 0, tzinfo=UTC)
# Differ between two runs of the same input by their nature.
VOLATILE = {
    "fetched_at", "first_seen_at", "processed_at", "detected_at", "added_at",
    "last_polled_at", "queued_at", "started_at", "ended_at", "applied_at", "elapsed_s",
    "fetch_id", "run_id", "written_at", "updated_at",
}
SKIPPED_TABLES = {"runs", "schema_migrations"}


def _config(path: Path, db: Path, feeds: list[str]) -> Path:
    lines = ["[warehouse]", f'path = "{db}"', "", "[http]", 'allow_networks = ["127.0.0.1/32"]',
             "per_host_delay = 0.0", "retries = 0", "respect_robots = false", ""]
    for url in feeds:
        lines += ["[[feeds]]", f'url = "{url}"', ""]
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(*args: str) -> None:
    from claimwire.cli import main

    code = main([*args, "--quiet"] if args[0] in ("ingest", "backfill") else list(args))
    if code != 0:
        raise SystemExit(f"claimwire {' '.join(args)} exited {code}")


def _synthetic_routes(base: str) -> dict:
    routes: dict = {}
    items = []
    for day in range(60):
        published = DAY0 + timedelta(days=day)
        title = f"Day {day:02d} report"
        routes[f"/a/{day}"] = page(title, published, day)
        items.append((title, f"{base}/a/{day}", published))
    routes["/feed"] = rss(items[40:], links={"prev-archive": base + "/archive/2"})
    routes["/archive/2"] = rss(items[20:40], links={"prev-archive": base + "/archive/1"})
    routes["/archive/1"] = rss(items[:20])
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    urls = "".join(f"<url><loc>{link}</loc><lastmod>{when.date().isoformat()}</lastmod></url>"
                   for _, link, when in items)
    routes["/sitemap.xml"] = Reply(body=f"<?xml version='1.0'?><urlset {ns}>{urls}</urlset>",
                                   headers={"Content-Type": "application/xml"})
    return routes


def build(root: Path) -> dict[str, Path]:
    """Run the fixed scenarios under `root`; return the warehouses they made."""
    from claimwire.sample_site import serve_sample_site

    demo_db, backfill_db = root / "demo.duckdb", root / "backfill.duckdb"
    warc_db = root / "warc.duckdb"
    os.environ["CLAIMWIRE_DB"] = str(demo_db)
    try:
        _run("demo", "--port", str(SITE_PORT))
    finally:
        del os.environ["CLAIMWIRE_DB"]
    with serve_sample_site(port=SITE_PORT) as site, \
            serve(_synthetic_routes(f"http://127.0.0.1:{SYNTH_PORT}"), port=SYNTH_PORT) as base:
        cfg = _config(root / "backfill.toml", backfill_db, [base + "/feed"])
        _run("backfill", "--from", "2024-09-05", "--to", "2024-09-07", "--config", str(cfg))
        _run("backfill", "--from", "2024-09-25", "--to", "2024-09-28", "--sitemap",
             base + "/sitemap.xml", "--config", str(cfg))
        _run("backfill", "--from", "2024-10-01", "--to", "2024-10-31", "--feed", site.rss_url,
             "--config", str(cfg))
        _run("backfill", "--from", "2024-09-06", "--to", "2024-09-06", "--replay",
             "--config", str(cfg))
        _run("ingest", "--config", str(cfg))
    warc = root / "export.warc.gz"
    _run("export-warc", str(warc), "--config", str(cfg))
    cfg2 = _config(root / "warc.toml", warc_db, [])
    _run("backfill", "--from", "2024-09-01", "--to", "2024-10-31", "--warc", str(warc),
         "--config", str(cfg2))
    return {"demo": demo_db, "backfill": backfill_db, "warc": warc_db}


def _value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def dump_warehouse(path: Path) -> dict[str, dict]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return dump_connection(con)
    finally:
        con.close()


def dump_connection(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """Every table's rows on an open warehouse (a DuckDB file or a DuckLake)."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
        "AND database_name = current_database() AND NOT temporary ORDER BY 1").fetchall()]
    out = {}
    for table in tables:
        if table in SKIPPED_TABLES:
            continue
        columns = [r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
            "AND schema_name = 'main' AND database_name = current_database() "
            "ORDER BY column_index", [table]).fetchall()]
        kept = [c for c in columns if c not in VOLATILE]
        rows = con.execute(f"SELECT {', '.join(kept)} FROM {table}").fetchall()
        out[table] = {
            "columns": kept,
            "rows": sorted(json.dumps([_value(v) for v in row], sort_keys=True)
                           for row in rows),
        }
    return out


def column_sets(dump: dict, table: str, key: str, column: str) -> dict:
    """{key: sorted values} of a list column whose order carries no meaning
    (it follows the order rows were scanned in), from one warehouse's dump."""
    columns = dump[table]["columns"]
    k, c = columns.index(key), columns.index(column)
    return {row[k]: sorted(row[c] or []) for row in map(json.loads, dump[table]["rows"])}


def compare(before: dict, after: dict, ignored: frozenset[str] = frozenset()) -> list[str]:
    problems = []
    for name in sorted(set(before) | set(after)):
        for table in sorted(set(before.get(name, {})) | set(after.get(name, {}))):
            a, b = before.get(name, {}).get(table), after.get(name, {}).get(table)
            if a is None or b is None:
                problems.append(f"{name}.{table}: only {'after' if a is None else 'before'}")
                continue
            common = [c for c in a["columns"]
                      if c in b["columns"] and f"{name}.{table}.{c}" not in ignored]
            extra = set(a["columns"]) ^ set(b["columns"])
            if extra:
                print(f"note: {name}.{table}: columns on one side only: {sorted(extra)}")

            def project(side: dict, keep: list[str] = common) -> list[str]:
                index = [side["columns"].index(c) for c in keep]
                return sorted(json.dumps([json.loads(r)[i] for i in index]) for r in side["rows"])

            rows_a, rows_b = project(a), project(b)
            if rows_a != rows_b:
                only_a = sorted(set(rows_a) - set(rows_b))[:3]
                only_b = sorted(set(rows_b) - set(rows_a))[:3]
                problems.append(f"{name}.{table}: {len(rows_a)} vs {len(rows_b)} rows; "
                                f"before only {only_a}; after only {only_b}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "dump":
        with tempfile.TemporaryDirectory(prefix="same-rows-") as tmp:
            root = Path(tmp)
            os.chdir(root)
            made = build(root)
            dumped = {name: dump_warehouse(path) for name, path in made.items()}
        Path(argv[1]).write_text(json.dumps(dumped, indent=0, sort_keys=True))
        counts = {n: {t: len(v["rows"]) for t, v in d.items()} for n, d in dumped.items()}
        print(json.dumps(counts))
        return 0
    if len(argv) >= 3 and argv[0] == "compare":
        ignored = frozenset(argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--ignore")
        problems = compare(json.loads(Path(argv[1]).read_text()),
                           json.loads(Path(argv[2]).read_text()), ignored)
        for line in problems:
            print(line)
        print("same rows" if not problems else f"{len(problems)} table(s) differ")
        return 1 if problems else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
