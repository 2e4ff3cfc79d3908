"""The one writer: staged batches -> warehouse, in one short transaction.

Everything is keyed by natural keys, so loading the same batch twice, or
re-processing the same documents, leaves the same rows. Arrow tables are
inserted with DuckDB's own `INSERT ... BY NAME SELECT` path, never row by row.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from claimwire.counts import RunCounts
from claimwire.failpoints import failpoint
from claimwire.warehouse import schema
from claimwire.warehouse.backends import upsert
from claimwire.warehouse.db import rollback
from claimwire.warehouse.feed_edits import apply_feed_edits
from claimwire.warehouse.idsets import id_table, insert_arrow, registered
from claimwire.warehouse.page_retries import load_page_retries
from claimwire.warehouse.staging import arrow_schema, read_manifest, read_table, utcnow

# Columns of `articles` that a re-processing run replaces; the others
# (first sighting, duplicate links, story) belong to the article's history.
ARTICLE_DERIVED = (
    "doc_id", "url", "feed_url", "site", "title", "author", "authors", "published_at",
    "published_precision", "language", "language_markup", "language_detected", "body_source",
    "extract_error", "claims_skipped", "text", "content_hash", "raw_sha256", "extractor_version",
)
# What a poll updates; whether a feed is listed changes only through feed edits.
FEED_STATE = tuple(c.name for c in schema.feeds.columns
                   if c.name not in ("feed_url", "added_at", "listed"))




def _upsert_feeds(con: duckdb.DuckDBPyConnection, data: pa.Table) -> None:
    if data is None or data.num_rows == 0:
        return
    with registered(con, "staged_feeds", data):
        upsert(con, "feeds", "staged_feeds", ["feed_url"],
               {c: f"excluded.{c}" for c in FEED_STATE})


def load_poll_batch(con: duckdb.DuckDBPyConnection, batch_dir: str, counts: RunCounts) -> None:
    _upsert_feeds(con, read_table(batch_dir, "feeds"))
    def new_rows(table: str) -> int:
        return insert_arrow(con, table, read_table(batch_dir, table), "IGNORE")

    counts.feed_items_new += new_rows("feed_items")
    counts.fetches += new_rows("fetches")
    counts.documents_new += new_rows("documents")
    load_page_retries(con, read_table(batch_dir, "page_retries"),
                      read_table(batch_dir, "documents"))


def _lookup(
    con: duckdb.DuckDBPyConnection, sql: str, keys: list[str]
) -> dict[str, str]:
    """Run `sql`, whose `{keys}` stands for the set of keys, as a {key: value} dict."""
    keys = [k for k in set(keys) if k]
    if not keys:
        return {}
    with id_table(con, "lookup_keys", keys) as name:
        return dict(con.execute(sql.format(keys=f"(SELECT id FROM {name})")).fetchall())


_KEY_COLUMNS = ("article_id", "doc_id", "canonical_url", "doc_url", "content_hash",
                "published_at")


@dataclass
class Resolution:
    """What exact dedup decided for a table of article candidates."""

    write: list[int]  # rows to write (replacing stored rows of the same article)
    url_rows: list[tuple[int, str, str]]  # (candidate row, URL, article it maps to)
    merged: dict[str, str]  # candidate article_id -> article it is a copy of


def resolve_articles(con: duckdb.DuckDBPyConnection, staged: pa.Table) -> Resolution:
    """Exact dedup of candidates against the warehouse and each other.

    Only the key columns are read into Python; the texts stay in Arrow.
    """
    keys = {name: staged.column(name).to_pylist() for name in _KEY_COLUMNS
            if name != "published_at"}
    # Microseconds since the epoch sort like the timestamps, without making
    # 10,000 datetime objects.
    published = pc.cast(staged.column("published_at"), pa.int64()).to_pylist()
    by_url = _lookup(
        con, "SELECT canonical_url, article_id FROM article_urls WHERE canonical_url IN {keys}",
        keys["canonical_url"] + keys["doc_url"],
    )
    by_hash = _lookup(
        con,
        "SELECT content_hash, min(article_id) FROM articles WHERE content_hash IN {keys} "
        "AND duplicate_of IS NULL GROUP BY content_hash",
        keys["content_hash"],
    )
    existing = set(
        _lookup(con, "SELECT article_id, article_id FROM articles WHERE article_id IN {keys}",
                keys["article_id"])
    )
    result = Resolution(write=[], url_rows=[], merged={})
    # Oldest first, so the first-published copy is the one that stays.
    ordered = sorted(
        range(staged.num_rows),
        key=lambda i: (published[i] is None, published[i] or 0, keys["doc_id"][i]),
    )
    for i in ordered:
        aid, chash = keys["article_id"][i], keys["content_hash"][i]
        canonical, doc_url = keys["canonical_url"][i], keys["doc_url"][i]
        target = None
        if aid not in existing:
            target = by_url.get(canonical) or by_url.get(doc_url)
            if target is None and chash:
                target = by_hash.get(chash)
        if target is not None and target != aid:
            result.merged[aid] = target
        else:
            result.write.append(i)
            existing.add(aid)
            target = aid
            if chash:
                by_hash.setdefault(chash, aid)
        for url in (canonical, doc_url) if canonical != doc_url else (canonical,):
            if url and url not in by_url:
                by_url[url] = target
                result.url_rows.append((i, url, target))
    return result


TRANSFORM_TABLES = ("articles", "claims", "claim_mentions", "doc_status")


def _unique(table: pa.Table, columns: list[str]) -> bool:
    if table.num_rows < 2:
        return True
    if len(columns) == 1:
        return pc.count_distinct(table[columns[0]]).as_py() == table.num_rows
    return table.group_by(columns).aggregate([]).num_rows == table.num_rows


def _first_rows(table: pa.Table, columns: list[str], *, last: bool = False) -> pa.Table:
    """One row per key: the first (or last) occurrence, in table order."""
    if _unique(table, columns):
        return table
    keys = list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
    positions = range(len(keys)) if last else reversed(range(len(keys)))
    chosen = {keys[i]: i for i in positions}
    return table.take(pa.array(sorted(chosen.values()), pa.int64()))


def _latest_doc_filter(loaded: list[dict[str, pa.Table | None]]) -> list[pa.Array | None]:
    """Per batch, the doc_ids whose latest rows it holds, or None when that
    is all of them (no document was processed in two of these batches)."""
    per_batch = []
    for tables in loaded:
        ids = [t.column("doc_id") for name in ("doc_status", "articles")
               if (t := tables[name]) is not None]
        per_batch.append(pc.unique(pa.chunked_array(ids, pa.string())) if ids
                         else pa.array([], pa.string()))
    everything = pa.chunked_array(per_batch, pa.string())
    if pc.count_distinct(everything).as_py() == len(everything):
        return [None] * len(loaded)
    last_batch = {doc: index for index, ids in enumerate(per_batch) for doc in ids.to_pylist()}
    return [pa.array([d for d, i in last_batch.items() if i == index], pa.string())
            for index in range(len(loaded))]


def combine_transform_batches(batch_dirs: list[str]) -> dict[str, pa.Table]:
    """All transform batches of one load as one set of tables, resolved and
    inserted once (per-batch statements cost more than the rows).

    A document processed in two batches (a leftover and a re-run) keeps the
    later batch's rows; one article reached from two documents keeps one row.
    """
    loaded = [{name: read_table(d, name) for name in TRANSFORM_TABLES} for d in batch_dirs]
    parts: dict[str, list[pa.Table]] = {name: [] for name in TRANSFORM_TABLES}
    for tables, mine in zip(loaded, _latest_doc_filter(loaded), strict=True):
        status, articles = tables["doc_status"], tables["articles"]
        if status is not None:
            if mine is not None:
                status = status.filter(pc.is_in(status["doc_id"], value_set=mine))
            parts["doc_status"].append(status)
        if articles is None:
            continue
        claims, mentions = tables["claims"], tables["claim_mentions"]
        if mine is not None:
            articles = articles.filter(pc.is_in(articles["doc_id"], value_set=mine))
            if claims is not None:
                claims = claims.filter(pc.is_in(claims["article_id"],
                                                value_set=articles["article_id"]))
                if mentions is not None:
                    mentions = mentions.filter(pc.is_in(mentions["claim_id"],
                                                        value_set=claims["claim_id"]))
        parts["articles"].append(articles)
        if claims is not None:
            parts["claims"].append(claims)
            if mentions is not None:
                parts["claim_mentions"].append(mentions)
    combined = {name: pa.concat_tables(t, promote_options="default")
                for name, t in parts.items() if t}
    if "articles" in combined:
        # The same article from two documents: the last candidate stands.
        combined["articles"] = _first_rows(combined["articles"], ["article_id"], last=True)
    for name, key in (("claims", ["claim_id"]), ("claim_mentions", ["claim_id", "seq"])):
        if name in combined:
            combined[name] = _first_rows(combined[name], key)
    return combined


def _article_columns(staged: pa.Table) -> pa.Table:
    """The staged candidates cut to the `articles` table's columns and types."""
    target = arrow_schema(schema.articles)
    names = [f.name for f in target if f.name in staged.column_names]
    return staged.select(names).cast(pa.schema([target.field(n) for n in names]))


def _url_table(staged: pa.Table, url_rows: list[tuple[int, str, str]]) -> pa.Table:
    rows = pa.array([r[0] for r in url_rows], pa.int64())
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "canonical_url": pa.array([r[1] for r in url_rows], pa.string()),
        "article_id": pa.array([r[2] for r in url_rows], pa.string()),
    }
    for name in ("url", "feed_url", "guid", "first_seen_at"):
        if name in staged.column_names:
            columns[name] = staged.column(name).take(rows)
    return pa.table(columns)


def load_transform_batch(
    con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], counts: RunCounts
) -> list[str]:
    staged = tables.get("articles")
    status = tables.get("doc_status")
    written_ids: list[str] = []
    if staged is not None and staged.num_rows:
        resolved = resolve_articles(con, staged)
        counts.exact_duplicates += len(resolved.merged)
        # Usually nothing merged: every candidate is written, and copying the
        # texts (and claims) to drop none of them would be the load's largest cost.
        everything = len(resolved.write) == staged.num_rows
        written = staged if everything else staged.take(pa.array(resolved.write, pa.int64()))
        written_ids = written.column("article_id").to_pylist()
        if written_ids:
            _write_articles(con, _article_columns(written), counts)
            _queue_for_derive(con, written)
        insert_arrow(con, "article_urls", _url_table(staged, resolved.url_rows), "IGNORE")
        claims = tables.get("claims")
        mentions = tables.get("claim_mentions")
        if claims is not None and claims.num_rows and written_ids:
            if not everything:
                claims = claims.filter(pc.is_in(claims["article_id"],
                                                value_set=written["article_id"]))
                if mentions is not None:
                    mentions = mentions.filter(pc.is_in(mentions["claim_id"],
                                                        value_set=claims["claim_id"]))
            counts.claims_loaded += insert_arrow(con, "claims", claims, "IGNORE")
            if mentions is not None and mentions.num_rows:
                insert_arrow(con, "claim_mentions", mentions, "IGNORE")
    if status is not None and status.num_rows:
        with registered(con, "staged_status", status):
            con.execute(
                "UPDATE documents SET status = s.status, error = s.error, "
                "processed_at = s.processed_at FROM staged_status s "
                "WHERE documents.doc_id = s.doc_id"
            )
        counts.documents_failed += pc.sum(pc.equal(status["status"], "failed")).as_py() or 0
    return written_ids


def _write_articles(con: duckdb.DuckDBPyConnection, articles: pa.Table, counts: RunCounts) -> None:
    """Insert new articles; replace the derived columns of stored ones, and
    their claims, which the new rows bring again."""
    with registered(con, "staged_articles", articles):
        stored = con.execute(
            "SELECT count(*) FROM articles WHERE article_id IN "
            "(SELECT article_id FROM staged_articles)"
        ).fetchone()[0]
        if stored == 0:
            # A plain insert: the common case, and much cheaper than an upsert.
            con.execute("INSERT INTO articles BY NAME SELECT * FROM staged_articles")
        else:
            sets = ", ".join(f"{c} = s.{c}" for c in ARTICLE_DERIVED)
            con.execute(f"UPDATE articles SET {sets} FROM staged_articles s "
                        "WHERE articles.article_id = s.article_id")
            con.execute("INSERT INTO articles BY NAME SELECT * FROM staged_articles WHERE "
                        "article_id NOT IN (SELECT article_id FROM articles WHERE article_id IN "
                        "(SELECT article_id FROM staged_articles))")
            of_stored = "SELECT article_id FROM staged_articles"
            replaced = [r[0] for r in con.execute(
                f"SELECT claim_id FROM claims WHERE article_id IN ({of_stored})").fetchall()]
            con.execute(
                "DELETE FROM claim_mentions WHERE claim_id IN (SELECT claim_id FROM claims "
                f"WHERE article_id IN ({of_stored}))"
            )
            con.execute(f"DELETE FROM claims WHERE article_id IN ({of_stored})")
            # Deferred: the derive stage imports the warehouse, not the reverse.
            from claimwire.transform.derive.clusters import forget_claims

            forget_claims(con, replaced)
    counts.articles_loaded += articles.num_rows - stored
    counts.articles_replaced += stored


def _queue_for_derive(con: duckdb.DuckDBPyConnection, written: pa.Table) -> None:
    """Queue written articles for the derive step (`transform.derive`), with the
    MinHash signature the transform workers made, if any."""
    columns = {"article_id": written["article_id"]}
    for name in ("minhash", "minhash_shingle_size"):
        if name in written.column_names:
            columns[name] = written[name]
    rows = pa.table(columns).append_column(
        "queued_at", pa.array([utcnow()] * written.num_rows, pa.timestamp("us")))
    insert_arrow(con, "derive_queue", rows)


def load_batches(con: duckdb.DuckDBPyConnection, batch_dirs: list[str]) -> RunCounts:
    """Load complete batches in one transaction; incomplete ones are skipped.

    Batch kinds: "poll" (feed states, items, fetches, documents), "transform"
    (articles, claims, document statuses), "feeds" (feeds added to the list),
    "feed_edits" (feeds added, removed, disabled, enabled: `warehouse.feed_edits`),
    "run" (a run's record). Loaded articles are queued for the derive step
    (`transform.derive.runner.derive_pending`), which the caller runs after
    this commits.
    """
    counts = RunCounts()
    transform_dirs: list[str] = []
    con.execute("BEGIN TRANSACTION")
    try:
        for batch_dir in batch_dirs:
            manifest = read_manifest(batch_dir)
            if manifest is None:
                counts.batches_incomplete += 1
                continue
            if manifest["kind"] == "poll":
                load_poll_batch(con, batch_dir, counts)
            elif manifest["kind"] == "transform":
                transform_dirs.append(batch_dir)
            elif manifest["kind"] == "feeds":
                counts.feeds_added += insert_arrow(
                    con, "feeds", read_table(batch_dir, "feeds"), "IGNORE")
            elif manifest["kind"] == "feed_edits":
                counts.feeds_added += apply_feed_edits(con, read_table(batch_dir, "feeds"))
            elif manifest["kind"] == "run":
                insert_arrow(con, "runs", read_table(batch_dir, "runs"))
            counts.batches += 1
        if transform_dirs:
            load_transform_batch(con, combine_transform_batches(transform_dirs), counts)
        failpoint("load_in_transaction")
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    return counts
