"""Building staged transform batches by hand, for the dedup/cluster/search tests."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from claimwire.config import DedupSettings
from claimwire.counts import RunCounts
from claimwire.transform.derive.runner import derive_pending
from claimwire.transform.normalize import content_hash
from claimwire.warehouse import schema
from claimwire.warehouse.db import connect, migrate
from claimwire.warehouse.load import load_batches
from claimwire.warehouse.staging import BatchWriter, rows_to_arrow

CANDIDATE_EXTRA = {"doc_url": None, "guid": None}


def article(url: str, text: str, *, title: str | None = None,
            published: datetime | None = None, seen: datetime | None = None) -> dict[str, Any]:
    aid = hashlib.sha256(url.encode()).hexdigest()[:20]
    return {
        "article_id": aid, "doc_id": aid, "url": url, "canonical_url": url, "doc_url": url,
        "site": url.split("/")[2], "title": title, "text": text,
        "content_hash": content_hash(text), "published_at": published,
        "first_seen_at": seen or published, "language": "en",
    }


def claim(article_id: str, seq: int, speaker: str, stance: str, content: str,
          claimed_on: date | None = None) -> dict[str, Any]:
    return {
        "claim_id": f"{article_id}-{seq}", "article_id": article_id, "seq": seq,
        "speaker": speaker, "speaker_canonical": speaker, "stance": stance, "content": content,
        "claimed_on": claimed_on, "quote_type": "indirect", "cue": "say",
    }


def stage(root: Path, articles: list[dict[str, Any]],
          claims: list[dict[str, Any]] | None = None) -> str:
    import pyarrow as pa

    writer = BatchWriter(root, "transform", "test")
    extra = {name: pa.string() for name in CANDIDATE_EXTRA}
    writer.add("articles", rows_to_arrow(schema.articles, articles, extra))
    if claims:
        writer.add("claims", rows_to_arrow(schema.claims, claims))
    return writer.write()


def open_db(path: Path) -> duckdb.DuckDBPyConnection:
    con = connect(path)
    migrate(con)
    return con


def load(con: duckdb.DuckDBPyConnection, root: Path, articles: list[dict[str, Any]],
         claims: list[dict[str, Any]] | None = None,
         dedup: DedupSettings | None = None) -> RunCounts:
    """Load, then derive (as `pipeline.load_staged` does); the counts of both."""
    return load_batches(con, [stage(root, articles, claims)]).add(derive_pending(con, dedup))
