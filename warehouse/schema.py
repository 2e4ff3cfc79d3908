"""The one place that knows the warehouse schema (SQLAlchemy Core).

Tables are defined here and nowhere else; `warehouse.db` turns them into DDL
for DuckDB, loaders insert by column name. Natural keys (URLs, content
hashes, deterministic ids) make every load idempotent: small tables declare
them as primary keys; the tables that grow with the warehouse mark them
with `natural_key` instead and the loaders insert only the keys not stored
(`warehouse.idsets.insert_new`). DuckDB rewrites a table's whole key index
at every checkpoint (duckdb issue 24848), so on those tables a primary key
made each night's commit cost grow with everything stored.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

metadata = MetaData()


def natural_key(name: str, kind: type = String, **kwargs: object) -> Column:
    """A column of a table's unique key, kept unique by its writers, with no index."""
    return Column(name, kind, nullable=False, info={"natural_key": True}, **kwargs)


def key_of(table: Table) -> tuple[str, ...]:
    """The names of a table's key columns (primary or natural)."""
    key = tuple(c.name for c in table.columns if c.primary_key or c.info.get("natural_key"))
    if not key:
        raise ValueError(f"{table.name} has no key")
    return key


def _ts(name: str, **kwargs: object) -> Column:
    # TIMESTAMPTZ would make every query depend on the session time zone;
    # all timestamps are stored as naive UTC instead.
    return Column(name, DateTime(timezone=False), **kwargs)


feeds = Table(
    "feeds",
    metadata,
    Column("feed_url", String, primary_key=True),
    Column("name", String),
    Column("tags", String, doc="comma-separated tags from the feed list"),
    Column("title", String),
    Column("kind", String, doc="rss20, atom10, jsonfeed1.1, ..."),
    Column("etag", String),
    Column("last_modified", String),
    Column("body_sha256", String),
    _ts("last_polled_at"),
    Column("last_status", Integer),
    Column("last_result", String, doc="new_items, unchanged, not_modified, failed"),
    Column("last_error", String),
    Column("items_seen", Integer),
    Column("consecutive_failures", Integer),
    Column("disabled", Boolean),
    Column("disabled_reason", String),
    Column("moved_to", String, doc="new URL after a permanent redirect"),
    _ts("added_at"),
    # migration 2026-12-05-17-feed-list
    Column("listed", Boolean, doc="in the warehouse's feed list (added or imported); "
           "feeds polled once with `ingest --feed` or listed in claimwire.toml are not"),
)

page_retries = Table(
    "page_retries",
    metadata,
    # Item pages whose fetch failed, fetched again by later polls of their
    # feed (even when the feed answers 304) until they succeed or give up.
    Column("canonical_url", String, primary_key=True),
    Column("feed_url", String, nullable=False),
    Column("guid", String),
    Column("link", String),
    Column("title", String),
    _ts("published_at"),
    Column("summary", Text),
    Column("author", String),
    Column("attempts", Integer, doc="failed fetches so far"),
    Column("last_error", String),
    _ts("last_attempt_at"),
    _ts("next_attempt_at", doc="not retried before; NULL once given up"),
)

feed_items = Table(
    "feed_items",
    metadata,
    natural_key("item_id", doc="hash of feed_url and guid"),
    Column("feed_url", String, nullable=False),
    Column("guid", String, nullable=False),
    Column("link", String),
    Column("canonical_url", String),
    Column("title", String),
    _ts("published_at"),
    Column("summary", Text),
    Column("author", String),
    _ts("first_seen_at"),
)

fetches = Table(
    "fetches",
    metadata,
    natural_key("fetch_id"),
    Column("run_id", String),
    Column("kind", String, doc="feed or page"),
    Column("url", String, nullable=False),
    Column("final_url", String),
    Column("status", Integer),
    Column("content_type", String),
    Column("bytes", BigInteger),
    Column("sha256", String),
    _ts("fetched_at"),
    Column("elapsed_s", Double),
    Column("error", String, doc="NULL on success, else a reason"),
)

documents = Table(
    "documents",
    metadata,
    natural_key("doc_id", doc="hash of the canonical item URL"),
    Column("url", String, nullable=False),
    Column("canonical_url", String, nullable=False),
    Column("final_url", String),
    Column("feed_url", String),
    Column("guid", String),
    Column("raw_sha256", String),
    Column("content_type", String),
    Column("charset", String),
    _ts("published_at", doc="from the feed item; the window key of backfills"),
    Column("item_title", String),
    _ts("fetched_at"),
    Column("status", String, doc="pending, processed, failed"),
    Column("error", String),
    _ts("processed_at"),
)

articles = Table(
    "articles",
    metadata,
    natural_key("article_id"),
    Column("doc_id", String),
    Column("url", String, nullable=False),
    Column("canonical_url", String, nullable=False),
    Column("feed_url", String),
    Column("site", String),
    Column("title", String),
    Column("author", String),
    _ts("published_at"),
    Column("language", String),
    Column("text", Text),
    Column("content_hash", String),
    Column("raw_sha256", String),
    _ts("first_seen_at"),
    Column("duplicate_of", String),
    Column("story_id", String),
    Column("extractor_version", String),
    # migration 2026-12-05-01-article-metadata
    Column("authors", ARRAY(String), doc="people (and credited agencies), page order"),
    Column("published_precision", String, doc="day, minute or second"),
    Column("language_markup", String, doc="ISO 639-1 code the page declares"),
    Column("language_detected", String, doc="ISO 639-1 code detected in the text"),
    Column("body_source", String, doc="trafilatura, trafilatura-trimmed, json-ld or readability"),
    Column("extract_error", String, doc="why there is no text; metadata kept"),
    Column("claims_skipped", String, doc="why the claim stage did not run, e.g. language:de"),
)

article_urls = Table(
    "article_urls",
    metadata,
    natural_key("canonical_url"),
    Column("article_id", String, nullable=False),
    Column("url", String),
    Column("feed_url", String),
    Column("guid", String),
    _ts("first_seen_at"),
)

claims = Table(
    "claims",
    metadata,
    natural_key("claim_id"),
    Column("article_id", String, nullable=False),
    Column("seq", Integer),
    Column("speaker", String),
    Column("speaker_canonical", String),
    Column("speaker_role", String),
    Column("speaker_type", String),
    Column("cue", String),
    Column("content", Text),
    Column("quote_type", String),
    Column("stance", String),
    Column("claimed_on", Date),
    Column("via", String),
    Column("char_start", Integer),
    Column("char_end", Integer),
    Column("extractor_version", String),
    Column("claim_cluster_id", String),
    # migration 2026-12-05-02-speakers
    Column("speaker_id", String, doc="the speaker's identity across the warehouse"),
    Column("speaker_aliases", ARRAY(String), doc="other names the article uses"),
    Column("date_note", String, doc="how claimed_on was found, or why there is none"),
)

claim_mentions = Table(
    "claim_mentions",
    metadata,
    natural_key("claim_id"),
    natural_key("seq", Integer),
    Column("kind", String, doc="person, organization, place, number"),
    Column("text", String),
    Column("value", Double),
    Column("unit", String),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String, primary_key=True),
    Column("kind", String),
    _ts("started_at"),
    _ts("ended_at"),
    Column("status", String),
    _ts("window_start"),
    _ts("window_end"),
    Column("feeds_polled", Integer),
    Column("feeds_not_modified", Integer),
    Column("feeds_failed", Integer),
    Column("items_new", Integer),
    Column("pages_fetched", Integer),
    Column("pages_failed", Integer),
    Column("articles_loaded", Integer),
    Column("duplicates", Integer),
    Column("claims_loaded", Integer),
    Column("errors", Integer),
    Column("message", String),
)

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", String, primary_key=True),
    _ts("applied_at"),
)


# --- near duplicates, stories, claim clusters (migration 2026-11-23-02-dedup) ---

article_signatures = Table(
    "article_signatures",
    metadata,
    natural_key("article_id"),
    Column("signature", LargeBinary, doc="MinHash minima, uint32 little-endian"),
    Column("num_perm", Integer),
    Column("shingle_size", Integer),
    Column("bands", Integer, doc="LSH bands x rows its band keys were made with"),
    Column("rows", Integer),
)

article_band_keys = Table(
    "article_band_keys",
    metadata,
    # No key: the LSH index is a plain posting list, joined on band_key.
    Column("band_key", BigInteger, nullable=False),
    Column("article_id", String, nullable=False),
    # Days since 1970 of the article's publication (else first sighting): the
    # near-duplicate window. Rows are written a pass at a time, so each row
    # group holds few days and zone maps skip those outside the window.
    Column("day", Integer),
)

article_duplicates = Table(
    "article_duplicates",
    metadata,
    natural_key("article_id"),
    Column("duplicate_of", String, nullable=False),
    Column("similarity", Double, doc="estimated Jaccard of word shingles"),
    Column("method", String, doc="minhash"),
    _ts("detected_at"),
)

# Superseded by the term index below (migration 2026-12-05-03), which drops
# them: kept only so that the migrations before it can run.
legacy = MetaData()
article_terms = Table(
    "article_terms",
    legacy,
    Column("article_id", String, nullable=False),
    Column("term", String, nullable=False),
    Column("count", Integer),
    PrimaryKeyConstraint("article_id", "term"),
)

derive_queue = Table(
    "derive_queue",
    metadata,
    # Articles loaded but not yet through the derive step (near duplicates,
    # stories, claim clusters, search index); see `transform.derive`.
    Column("article_id", String, primary_key=True),
    Column("minhash", LargeBinary, doc="signature from the transform workers, if any"),
    Column("minhash_shingle_size", Integer),
    _ts("queued_at"),
    # migration 2026-12-05-03-incremental-derive
    Column("attempts", Integer, doc="derive passes that failed on this article"),
    Column("last_error", String),
    _ts("set_aside_at", doc="failed too often; retried by `claimwire derive --retry`"),
)

claim_terms = Table(
    "claim_terms",
    legacy,
    Column("claim_id", String, nullable=False),
    Column("term", String, nullable=False),
    PrimaryKeyConstraint("claim_id", "term"),
)


# --- term index of stories and claim clusters (migration 2026-12-05-03) ---
# For each kind (articles, claims): every key's stems as one list, how many
# keys hold each stem, and the (stem, key) rows of the stems held by few keys,
# the only ones that propose candidate pairs. The rare rows are bounded: a
# stem stops having them once it is held by more keys than the ceiling, so
# finding candidates never reads a table that grows with the warehouse.

def _term_index(kind: str, key: str, *extra: Column) -> tuple[Table, Table, Table]:
    day = [Column("day", Integer, doc="days since 1970 of the (claim's) article's time")]
    lists = Table(
        f"{kind}_term_lists",
        metadata,
        natural_key(key),
        Column("terms", ARRAY(String), nullable=False),
        *[Column(c.name, c.type, doc=c.doc) for c in day],
        *extra,
    )
    frequencies = Table(
        f"{kind}_terms_df",
        metadata,
        Column("term", String, primary_key=True),
        Column("n", Integer, nullable=False),
    )
    rare = Table(
        f"{kind}_rare_terms",
        metadata,
        Column("term", String, nullable=False),
        Column(key, String, nullable=False),
        *[Column(c.name, c.type) for c in day],
    )
    return lists, frequencies, rare


article_term_lists, article_terms_df, article_rare_terms = _term_index(
    "article", "article_id")
claim_term_lists, claim_terms_df, claim_rare_terms = _term_index(
    "claim", "claim_id",
    # The claim's cluster, as in `claims`: candidates' clusters are read here,
    # in the days around a pass, instead of from the whole claims table.
    Column("cluster_id", String))


# --- one speaker, one identity (migration 2026-12-05-02-speakers) ---

speakers = Table(
    "speakers",
    metadata,
    Column("speaker_id", String, primary_key=True),
    Column("canonical", String, nullable=False),
    Column("type", String, nullable=False, doc="person, organization, country, anonymous"),
    Column("aliases", ARRAY(String)),
    _ts("updated_at"),
)

speaker_keys = Table(
    "speaker_keys",
    metadata,
    # Normalised name keys (folded surnames, acronyms, ...) a new mention is
    # looked up by; see `transform.claims.identity`.
    Column("key", String, nullable=False),
    Column("speaker_id", String, nullable=False),
    PrimaryKeyConstraint("key", "speaker_id"),
)


# --- full-text search index (migration 2026-12-05-04-search-index); see
# `transform.derive.search`. No keys: ids are given out by `search_stats`.

search_stopwords = Table("search_stopwords", metadata, Column("sw", String, nullable=False))

search_terms = Table(
    "search_terms",
    metadata,
    Column("termid", Integer, nullable=False),
    Column("term", String, nullable=False),
    Column("df", Integer, nullable=False, doc="indexed articles holding the term"),
)

search_docs = Table(
    "search_docs",
    metadata,
    Column("docid", Integer, nullable=False),
    Column("article_id", String, nullable=False),
    Column("len", Integer, nullable=False, doc="tokens of title and text, stopwords out"),
    Column("is_copy", Boolean, nullable=False),
)

SEARCH_POSTING_PARTS = 16
search_postings = [
    Table(
        f"search_postings_{part:02d}",
        metadata,
        Column("termid", Integer, nullable=False),
        Column("docid", Integer, nullable=False),
        Column("tf", Integer, nullable=False),
    )
    for part in range(SEARCH_POSTING_PARTS)
]

search_stats = Table(
    "search_stats",
    metadata,
    Column("num_docs", BigInteger, nullable=False),
    Column("sum_len", BigInteger, nullable=False),
    Column("next_docid", Integer, nullable=False),
    Column("next_termid", Integer, nullable=False),
)


# --- cluster summaries (migration 2026-12-05-05-cluster-stats): kept by the
# derive step for the clusters it touched, so that the views need not
# aggregate every claim on every query. The view `claim_clusters` reads it.

claim_cluster_stats = Table(
    "claim_cluster_stats",
    metadata,
    natural_key("cluster_id"),
    Column("label", Text, doc="the earliest claim's wording"),
    Column("claims", Integer),
    Column("speakers", Integer),
    Column("articles", Integer),
    Column("stances", ARRAY(String)),
    Column("contradicted", Boolean, doc="one source asserts what another denies"),
    Column("first_day", Date),
    Column("last_day", Date),
)

# --- the two sides of contradicted clusters (migration 2026-12-05-07): the
# asserting and denying claims of the clusters whose summary says
# `contradicted`, kept with those summaries, so that the view `contradictions`
# pairs a few thousand rows instead of every claim of the warehouse.

contradiction_sides = Table(
    "contradiction_sides",
    metadata,
    natural_key("claim_id"),
    Column("cluster_id", String, nullable=False),
    Column("article_id", String, nullable=False),
    Column("speaker", String),
    Column("stance", String, doc="assert or deny"),
    Column("day", Date),
    Column("content", Text),
)
