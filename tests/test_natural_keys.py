"""Natural keys without an index: unique by their writers, and older
warehouses whose tables had a primary key migrate to them."""

from __future__ import annotations

import pyarrow as pa

from claimwire.warehouse import schema
from claimwire.warehouse.db import connect, migrate
from claimwire.warehouse.idsets import insert_arrow


def _indexed(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
    ).fetchall()}


def test_growing_tables_have_no_key_index_and_small_ones_keep_theirs(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    migrate(con)
    natural = {t.name for t in schema.metadata.sorted_tables
               if any(c.info.get("natural_key") for c in t.columns)}
    assert {"articles", "claims", "documents", "claim_mentions", "claim_term_lists"} <= natural
    assert not natural & _indexed(con)
    assert {"feeds", "runs", "derive_queue"} <= _indexed(con)


def test_ignore_keeps_the_stored_row_and_replace_the_batchs_last(tmp_path):
    con = connect(tmp_path / "wh.duckdb")
    migrate(con)
    rows = pa.table({"claim_id": ["a", "a", "b"], "seq": [1, 1, 2], "text": ["x", "y", "z"]})
    assert insert_arrow(con, "claim_mentions", rows, "IGNORE") == 2
    assert insert_arrow(con, "claim_mentions", rows, "IGNORE") == 0
    assert con.execute("SELECT claim_id, seq, text FROM claim_mentions ORDER BY 1").fetchall() \
        == [("a", 1, "x"), ("b", 2, "z")]
    insert_arrow(con, "claim_mentions", rows, "REPLACE")
    assert con.execute("SELECT claim_id, seq, text FROM claim_mentions ORDER BY 1").fetchall() \
        == [("a", 1, "y"), ("b", 2, "z")]


def test_a_warehouse_whose_tables_had_primary_keys_migrates_with_its_rows(tmp_path):
    path = tmp_path / "wh.duckdb"
    con = connect(path)
    migrate(con)
    # The claims table as the first versions made it, with rows.
    con.execute("DROP TABLE claims")
    con.execute("CREATE TABLE claims (claim_id VARCHAR PRIMARY KEY, article_id VARCHAR NOT NULL, "
                "seq INTEGER, content VARCHAR)")
    con.execute("INSERT INTO claims VALUES ('c2', 'a', 1, 'two'), ('c1', 'a', 0, 'one')")
    con.execute("DELETE FROM schema_migrations WHERE version = '2026-12-05-06-unindexed-keys'")
    con.close()
    con = connect(path)
    assert migrate(con) == ["2026-12-05-06-unindexed-keys"]
    assert "claims" not in _indexed(con)
    assert con.execute("SELECT claim_id, content, speaker FROM claims").fetchall() == [
        ("c2", "two", None), ("c1", "one", None)]
