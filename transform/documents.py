"""Raw documents -> staged article candidates, claims and document statuses.

Pure CPU work over the raw archive: no network, no warehouse. Every document
ends as `processed` (with an article candidate) or `failed` with a reason.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from claimwire.config import Config
from claimwire.counts import RunCounts
from claimwire.ingest.archive import RawArchive
from claimwire.ingest.urls import canonicalize_url, host_of, url_key
from claimwire.records import PendingDocument
from claimwire.transform.derive import minhash
from claimwire.transform.extract import Extracted, extract_article
from claimwire.transform.language import claims_skip_reason
from claimwire.transform.normalize import clean_article_text, content_hash
from claimwire.warehouse import schema
from claimwire.warehouse.staging import rows_to_arrow, utcnow

# Staged article candidates carry the URL of the document they came from,
# which the loader needs for exact dedup but the table does not keep, and
# their MinHash signature, computed here in the worker processes so the
# near-duplicate step in the single loader process only compares.
CANDIDATE_EXTRA = {
    "doc_url": pa.string(),
    "guid": pa.string(),
    "minhash": pa.binary(),
    "minhash_shingle_size": pa.int32(),
}
DOC_STATUS_SCHEMA = pa.schema(
    [("doc_id", pa.string()), ("status", pa.string()), ("error", pa.string()),
     ("processed_at", pa.timestamp("us"))]
)


@dataclass
class TransformResult:
    tables: dict[str, pa.Table] = field(default_factory=dict)
    counts: RunCounts = field(default_factory=RunCounts)
    # Seconds this process spent: "extract" (pages to candidates), "claims".
    seconds: dict[str, float] = field(default_factory=dict)


def claim_id(article_id: str, seq: int, start: int, end: int) -> str:
    return hashlib.sha256(f"{article_id}|{seq}|{start}|{end}".encode()).hexdigest()[:24]


def _naive(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def extractor_version() -> str:
    import trafilatura

    from claimwire.transform.claims import EXTRACTOR_VERSION
    from claimwire.transform.extract import EXTRACTION_VERSION

    return f"trafilatura-{trafilatura.__version__}+{EXTRACTION_VERSION}+{EXTRACTOR_VERSION}"


def transform_documents(config: Config, docs: list[PendingDocument]) -> TransformResult:
    """Extract, sign, hash and find claims for each document; stage-ready tables."""
    archive = RawArchive(config.raw_archive_location)
    version = extractor_version()
    now = utcnow()
    candidates: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    started = time.perf_counter()
    for doc in docs:
        try:
            raw = archive.get(doc.raw_sha256)
        except KeyError as exc:
            statuses.append(_status(doc, "failed", f"raw_missing: {exc}", now))
            continue
        extracted = extract_article(raw, doc.final_url or doc.url, doc.charset)
        text = clean_article_text(extracted.text or "") if not extracted.error else ""
        failure = extracted.error or (None if text else "no article text found")
        if failure and not _has_metadata(extracted):
            statuses.append(_status(doc, "failed", f"extract: {failure}", now))
            continue
        candidates.append(_candidate(config, doc, extracted, text, failure, version, now))
        # A page without a body still lands with its metadata; the document
        # is done, and the reason stays on it and on the article.
        statuses.append(_status(doc, "processed", f"extract: {failure}" if failure else None,
                                now))
    extracted_at = time.perf_counter()
    claims_rows, mention_rows, skipped = _claims(config, candidates, version)
    seconds = {"extract": extracted_at - started, "claims": time.perf_counter() - extracted_at}
    for status in statuses:
        if status["doc_id"] in skipped and not status["error"]:
            # The article loads with its text; only its claims are missing, and why.
            status["error"] = f"claims_skipped: {skipped[status['doc_id']]}"
    result = TransformResult(seconds=seconds)
    result.tables["articles"] = rows_to_arrow(schema.articles, candidates, CANDIDATE_EXTRA)
    result.tables["claims"] = rows_to_arrow(schema.claims, claims_rows)
    result.tables["claim_mentions"] = rows_to_arrow(schema.claim_mentions, mention_rows)
    result.tables["doc_status"] = pa.Table.from_pylist(statuses, schema=DOC_STATUS_SCHEMA)
    result.counts = RunCounts(
        documents_transformed=len(docs),
        articles_extracted=sum(1 for c in candidates if c["text"]),
        extraction_failed=sum(1 for s in statuses if s["error"]),
        claims_found=len(claims_rows),
        claims_skipped=len(skipped),
    )
    return result


def _has_metadata(extracted: Extracted) -> bool:
    return bool(extracted.title or extracted.published or extracted.authors)


def _candidate(
    config: Config,
    doc: PendingDocument,
    extracted: Extracted,
    text: str,
    failure: str | None,
    version: str,
    now: datetime,
) -> dict[str, Any]:
    """The staged `articles` row of one extracted page (and what the loader needs besides)."""
    canonical = doc.canonical_url
    if extracted.canonical_url:
        page_canonical = canonicalize_url(extracted.canonical_url)
        if page_canonical.startswith(("http://", "https://")):
            canonical = page_canonical
    skipped = "no text" if not text else claims_skip_reason(extracted.language)
    return {
        "article_id": url_key(canonical),
        "doc_id": doc.doc_id,
        "url": doc.final_url or doc.url,
        "canonical_url": canonical,
        "doc_url": doc.canonical_url,
        "guid": doc.guid,
        "feed_url": doc.feed_url,
        "site": extracted.site_name or host_of(canonical),
        "title": extracted.title or doc.item_title,
        "author": extracted.author,
        "authors": list(extracted.authors),
        "published_at": _naive(extracted.published) or _naive(doc.published_at),
        "published_precision": extracted.published_precision if extracted.published else None,
        "language": extracted.language,
        "language_markup": extracted.language_markup,
        "language_detected": extracted.language_detected,
        "body_source": extracted.body_source,
        "extract_error": failure,
        "claims_skipped": skipped,
        "text": text,
        "content_hash": content_hash(text),
        "raw_sha256": doc.raw_sha256,
        "first_seen_at": _naive(doc.fetched_at) or now,
        "extractor_version": version,
        "minhash": minhash.signature_bytes(text, config.dedup.num_perm, config.dedup.shingle_size),
        "minhash_shingle_size": config.dedup.shingle_size,
    }


def _status(doc: PendingDocument, status: str, error: str | None, now: datetime) -> dict[str, Any]:
    return {"doc_id": doc.doc_id, "status": status, "error": error, "processed_at": now}


def _claims(
    config: Config, candidates: list[dict[str, Any]], version: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """Claim and mention rows of the candidates, and {doc_id: reason} of those
    whose claims were skipped for their size (`[claims] max_text_chars`) or
    time (`[claims] time_budget`); the reason also goes to their
    `claims_skipped`."""
    from claimwire.budget import OutOfTime, time_limit
    from claimwire.transform.claims import extract_claims_many
    from claimwire.transform.claims.pubdate import publication_date
    from claimwire.transform.nlp import load_nlp

    # Copies with the same text inside one shard are parsed once; articles the
    # claim stage cannot read (no text, a language its model is not for) not at all.
    firsts: dict[str, dict[str, Any]] = {}
    for cand in candidates:
        if not cand["claims_skipped"]:
            firsts.setdefault(cand["content_hash"] or cand["article_id"], cand)
    unique = list(firsts.values())
    if not unique:
        return [], [], {}
    nlp = load_nlp(config.claims.model)
    # Relative dates ("on Monday") need the article's date; an undated page
    # may still carry it in its URL or dateline.
    inputs = [
        (c["text"], c["published_at"].date() if c["published_at"]
         else publication_date({"url": c["canonical_url"]}, c["text"]))
        for c in unique
    ]
    claim_rows: list[dict[str, Any]] = []
    mention_rows: list[dict[str, Any]] = []
    skipped_keys: dict[str, str] = {}
    limits = config.claims
    # One article per call (as fast as batching them, measured), each under its
    # own time limit, so a pathological page costs its budget and no more.
    for cand, item in zip(unique, inputs, strict=True):
        key = cand["content_hash"] or cand["article_id"]
        if len(cand["text"]) > limits.max_text_chars:
            skipped_keys[key] = (f"text of {len(cand['text'])} characters is over "
                                 f"max_text_chars ({limits.max_text_chars})")
            continue
        try:
            with time_limit(limits.time_budget):
                found = next(extract_claims_many([item], nlp=nlp, prefilter=limits.prefilter))
        except OutOfTime as exc:
            skipped_keys[key] = str(exc)
            continue
        for seq, claim in enumerate(found):
            cid = claim_id(cand["article_id"], seq, claim.char_start, claim.char_end)
            claim_rows.append(
                {
                    "claim_id": cid,
                    "article_id": cand["article_id"],
                    "seq": seq,
                    "speaker": claim.speaker,
                    "speaker_canonical": claim.speaker_canonical,
                    "speaker_role": claim.speaker_role,
                    "speaker_type": claim.speaker_type,
                    "cue": claim.cue,
                    "content": claim.content,
                    "quote_type": claim.quote_type,
                    "stance": claim.stance,
                    "claimed_on": claim.claimed_on,
                    "via": claim.via,
                    "date_note": claim.date_note,
                    "speaker_aliases": list(claim.speaker_aliases),
                    "char_start": claim.char_start,
                    "char_end": claim.char_end,
                    "extractor_version": version,
                }
            )
            for mseq, mention in enumerate(claim.mentions):
                mention_rows.append(
                    {
                        "claim_id": cid,
                        "seq": mseq,
                        "kind": mention.kind,
                        "text": mention.text,
                        "value": mention.value,
                        "unit": mention.unit,
                    }
                )
    skipped: dict[str, str] = {}
    for cand in candidates:
        reason = None if cand["claims_skipped"] else skipped_keys.get(
            cand["content_hash"] or cand["article_id"])
        if reason:
            cand["claims_skipped"] = reason
            skipped[cand["doc_id"]] = reason
    return claim_rows, mention_rows, skipped
