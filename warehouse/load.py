"""The one writer: staged batches -> warehouse, in one short transaction.

Everything is keyed by natural keys, so loading the same batch twice, or
re-processing the same documents, leaves the same rows. Arrow tables are
inserted with DuckDB's own `INSERT ... BY NAME SELECT` path, never row by row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from claimwire.failpoints import failpoint
from claimwire.warehouse import schema
from claimwire.warehouse.idsets import id_table
from claimwire.warehouse.staging import read_manifest, read_table, rows_to_arrow

# Columns of `articles` that a re-processing run replaces; the others
# (first sighting, duplicate links, story) belong to the article's history.
ARTICLE_DERIVED = (
    "doc_id", "url", "feed_url", "site", "title", "author", "published_at", "language",
    "text", "content_hash", "raw_sha256", "extractor_version",
)
FEED_STATE = tuple(c.name for c in schema.feeds.columns if c.name not in ("feed_url", "added_at"))


@dataclass
class LoadCounts:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, value: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + int(value)


# Hooks that run inside the load transaction after articles landed (near
# duplicates, stories, claim clusters); each gets the connection, the ids of
# articles inserted or replaced, and the counts to add to.
PostLoadHook = Callable[[duckdb.DuckDBPyConnection, list[str], LoadCounts], None]
POST_LOAD_HOOKS: list[PostLoadHook] = []


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, data: pa.Table | None, mode: str = "IGNORE"
) -> int:
    if data is None or data.num_rows == 0:
        return 0
    before = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    con.register("staged_rows", data)
    try:
        con.execute(f"INSERT OR {mode} INTO {table} BY NAME SELECT * FROM staged_rows")
    finally:
        con.unregister("staged_rows")
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] - before


def _upsert_feeds(con: duckdb.DuckDBPyConnection, data: pa.Table) -> None:
    if data is None or data.num_rows == 0:
        return
    con.register("staged_feeds", data)
    try:
        sets = ", ".join(f"{c} = excluded.{c}" for c in FEED_STATE)
        con.execute(
            "INSERT INTO feeds BY NAME SELECT * FROM staged_feeds "
            f"ON CONFLICT (feed_url) DO UPDATE SET {sets}"
        )
    finally:
        con.unregister("staged_feeds")


def load_poll_batch(con: duckdb.DuckDBPyConnection, batch_dir: str, counts: LoadCounts) -> None:
    _upsert_feeds(con, read_table(batch_dir, "feeds"))
    counts.add("feed_items_new", _insert(con, "feed_items", read_table(batch_dir, "feed_items")))
    counts.add("fetches", _insert(con, "fetches", read_table(batch_dir, "fetches")))
    counts.add("documents_new", _insert(con, "documents", read_table(batch_dir, "documents")))


def _lookup(
    con: duckdb.DuckDBPyConnection, sql: str, keys: list[str]
) -> dict[str, str]:
    """Run `sql`, whose `{keys}` stands for the set of keys, as a {key: value} dict."""
    keys = [k for k in set(keys) if k]
    if not keys:
        return {}
    with id_table(con, "lookup_keys", keys) as name:
        return dict(con.execute(sql.format(keys=f"(SELECT id FROM {name})")).fetchall())


def resolve_articles(
    con: duckdb.DuckDBPyConnection, candidates: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """Exact dedup of candidates against the warehouse and each other.

    Returns (articles to write, article_urls rows, {candidate article_id:
    article_id it merged into} for candidates that are copies of another).
    """
    urls = [c["canonical_url"] for c in candidates] + [c["doc_url"] for c in candidates]
    by_url = _lookup(
        con, "SELECT canonical_url, article_id FROM article_urls WHERE canonical_url IN {keys}",
        urls
    )
    by_hash = _lookup(
        con,
        "SELECT content_hash, min(article_id) FROM articles WHERE content_hash IN {keys} "
        "AND duplicate_of IS NULL GROUP BY content_hash",
        [c["content_hash"] for c in candidates],
    )
    existing = set(
        _lookup(
            con,
            "SELECT article_id, article_id FROM articles WHERE article_id IN {keys}",
            [c["article_id"] for c in candidates],
        )
    )
    to_write: list[dict[str, Any]] = []
    url_rows: list[dict[str, Any]] = []
    merged: dict[str, str] = {}
    # Oldest first, so the first-published copy is the one that stays.
    ordered = sorted(
        candidates,
        key=lambda c: (c.get("published_at") is None, str(c.get("published_at")), c["doc_id"]),
    )
    for cand in ordered:
        aid = cand["article_id"]
        target = None
        if aid not in existing:
            target = by_url.get(cand["canonical_url"]) or by_url.get(cand["doc_url"])
            if target is None and cand.get("content_hash"):
                target = by_hash.get(cand["content_hash"])
        if target is not None and target != aid:
            merged[aid] = target
        else:
            to_write.append(cand)
            existing.add(aid)
            target = aid
            if cand.get("content_hash"):
                by_hash.setdefault(cand["content_hash"], aid)
        for url in {cand["canonical_url"], cand["doc_url"]}:
            if url and url not in by_url:
                by_url[url] = target
                url_rows.append(
                    {
                        "canonical_url": url,
                        "article_id": target,
                        "url": cand.get("url"),
                        "feed_url": cand.get("feed_url"),
                        "guid": cand.get("guid"),
                        "first_seen_at": cand.get("first_seen_at"),
                    }
                )
    return to_write, url_rows, merged


TRANSFORM_TABLES = ("articles", "claims", "claim_mentions", "doc_status")


def combine_transform_batches(batch_dirs: list[str]) -> dict[str, pa.Table]:
    """All transform batches of one load as one set of tables, resolved and
    inserted once (per-batch statements cost more than the rows).

    A document processed in two batches (a leftover and a re-run) keeps the
    later batch's rows; one article reached from two documents keeps one row.
    """
    loaded = [{name: read_table(d, name) for name in TRANSFORM_TABLES} for d in batch_dirs]
    last_batch_of_doc: dict[str, int] = {}
    for index, tables in enumerate(loaded):
        for name in ("doc_status", "articles"):
            if tables[name] is not None:
                for doc_id in tables[name].column("doc_id").to_pylist():
                    last_batch_of_doc[doc_id] = index
    parts: dict[str, list[pa.Table]] = {name: [] for name in TRANSFORM_TABLES}
    for index, tables in enumerate(loaded):
        mine = pa.array([d for d, i in last_batch_of_doc.items() if i == index], pa.string())
        status, articles = tables["doc_status"], tables["articles"]
        if status is not None:
            parts["doc_status"].append(status.filter(pc.is_in(status["doc_id"], value_set=mine)))
        if articles is None:
            continue
        articles = articles.filter(pc.is_in(articles["doc_id"], value_set=mine))
        parts["articles"].append(articles)
        claims, mentions = tables["claims"], tables["claim_mentions"]
        if claims is not None:
            claims = claims.filter(pc.is_in(claims["article_id"],
                                            value_set=articles["article_id"]))
            parts["claims"].append(claims)
            if mentions is not None:
                parts["claim_mentions"].append(
                    mentions.filter(pc.is_in(mentions["claim_id"], value_set=claims["claim_id"])))
    combined = {name: pa.concat_tables(t, promote_options="default")
                for name, t in parts.items() if t}
    if "articles" in combined:
        # The same article from two documents: the last candidate stands.
        articles = combined["articles"]
        keep = {aid: i for i, aid in enumerate(articles.column("article_id").to_pylist())}
        combined["articles"] = articles.take(pa.array(sorted(keep.values()), pa.int64()))
    for name, key in (("claims", ["claim_id"]), ("claim_mentions", ["claim_id", "seq"])):
        if name in combined:
            table = combined[name]
            keys = list(zip(*(table.column(k).to_pylist() for k in key), strict=True))
            first = {k: i for i, k in reversed(list(enumerate(keys)))}
            combined[name] = table.take(pa.array(sorted(first.values()), pa.int64()))
    return combined


def load_transform_batch(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], counts: LoadCounts
) -> list[str]:
    staged = tables.get("articles")
    status = tables.get("doc_status")
    written_ids: list[str] = []
    if staged is not None and staged.num_rows:
        candidates = staged.to_pylist()
        to_write, url_rows, merged = resolve_articles(con, candidates)
        counts.add("exact_duplicates", len(merged))
        written_ids = [a["article_id"] for a in to_write]
        if to_write:
            data = rows_to_arrow(schema.articles, to_write)
            before = con.execute("SELECT count(*) FROM articles").fetchone()[0]
            con.register("staged_articles", data)
            try:
                sets = ", ".join(f"{c} = excluded.{c}" for c in ARTICLE_DERIVED)
                con.execute(
                    "INSERT INTO articles BY NAME SELECT * FROM staged_articles "
                    f"ON CONFLICT (article_id) DO UPDATE SET {sets}"
                )
            finally:
                con.unregister("staged_articles")
            after = con.execute("SELECT count(*) FROM articles").fetchone()[0]
            counts.add("articles_loaded", after - before)
            counts.add("articles_replaced", len(to_write) - (after - before))
            # Derived rows of a (re)processed article are replaced whole.
            with id_table(con, "replaced_articles", written_ids) as name:
                con.execute(
                    "DELETE FROM claim_mentions WHERE claim_id IN (SELECT claim_id FROM claims "
                    f"WHERE article_id IN (SELECT id FROM {name}))"
                )
                con.execute(f"DELETE FROM claims WHERE article_id IN (SELECT id FROM {name})")
        _insert(con, "article_urls", rows_to_arrow(schema.article_urls, url_rows))
        claims = tables.get("claims")
        mentions = tables.get("claim_mentions")
        if claims is not None and claims.num_rows and written_ids:
            keep = pa.array(written_ids)
            claims = claims.filter(pc.is_in(claims["article_id"], value_set=keep))
            counts.add("claims_loaded", _insert(con, "claims", claims))
            if mentions is not None and mentions.num_rows:
                wanted = claims["claim_id"]
                mentions = mentions.filter(pc.is_in(mentions["claim_id"], value_set=wanted))
                _insert(con, "claim_mentions", mentions)
    if status is not None and status.num_rows:
        con.register("staged_status", status)
        try:
            con.execute(
                "UPDATE documents SET status = s.status, error = s.error, "
                "processed_at = s.processed_at FROM staged_status s "
                "WHERE documents.doc_id = s.doc_id"
            )
        finally:
            con.unregister("staged_status")
        failed = sum(1 for s in status.column("status").to_pylist() if s == "failed")
        counts.add("documents_failed", failed)
    return written_ids


def load_batches(con: duckdb.DuckDBPyConnection, batch_dirs: list[str]) -> dict[str, int]:
    """Load complete batches in one transaction; incomplete ones are skipped."""
    counts = LoadCounts()
    written: list[str] = []
    transform_dirs: list[str] = []
    con.execute("BEGIN TRANSACTION")
    try:
        for batch_dir in batch_dirs:
            manifest = read_manifest(batch_dir)
            if manifest is None:
                counts.add("batches_incomplete", 1)
                continue
            if manifest["kind"] == "poll":
                load_poll_batch(con, batch_dir, counts)
            elif manifest["kind"] == "transform":
                transform_dirs.append(batch_dir)
            elif manifest["kind"] == "run":
                _insert(con, "runs", read_table(batch_dir, "runs"), mode="REPLACE")
            counts.add("batches", 1)
        if transform_dirs:
            written = load_transform_batch(
                con, combine_transform_batches(transform_dirs), counts)
        for hook in POST_LOAD_HOOKS:
            hook(con, written, counts)
        failpoint("load_in_transaction")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return counts.counts


# Near-duplicates, stories, claim clusters, search index and views run inside
# every load transaction (registered last: they import this module).
from claimwire.warehouse import dedup_hooks  # noqa: E402

dedup_hooks.register()
