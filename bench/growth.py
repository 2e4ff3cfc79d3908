"""Growth: the same night of 1,000 new articles added to warehouses of 10,000,
100,000 and 1,000,000 articles (`python -m bench.run --only growth`, or
`python -m bench.growth [--sizes 10000,100000] [--cache DIR]`).

A night here is what depends on the warehouse's size: the load of the
night's staged transform batch (`load_staged`) and the derive step (near
duplicates, stories, claim clusters, speakers, search index). Extraction and
claims run on the night's pages alone and cost the same at any size, so the
night's batch is made synthetically (`bench/synthetic.py` texts, claims with
speakers from a shared pool, 10% near copies of recent stored articles,
claims restating recent stories' propositions) instead of by spaCy.

The base warehouses are generated in bulk, every table the pipeline keeps
(articles, URLs, documents, claims and their terms, stories, clusters,
speakers and their keys, MinHash signatures and LSH band keys, the search
index), not by running the pipeline a million times; they are cached under
`--cache` (default `bench/.cache/`; 1M takes about 10 GB and 20-40 minutes to
make once). Each night runs on a copy, in a fresh process, whose peak RSS is
the night's memory (everything runs in that one process). After the night
the same process times the user's queries on the grown warehouse.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bench.synthetic import EPOCH, PER_DAY, Corpus

REPO = Path(__file__).resolve().parents[1]
SIZES = (10_000, 100_000, 1_000_000)
NIGHT = 1_000
CHUNK = 10_000
CLAIMS_PER_ARTICLE = 5
STORY_SIZE = 8  # consecutive articles (of about three hours) tell one story
PERSONS, ORGANISATIONS = 20_000, 2_000
COPY_EDIT = 0.2  # share of a copy's MinHash values that differ from its original's
GENERATOR_VERSION = 3  # part of the cache's file names: raise it when the tables change
TARGETS = {"ratio": 1.5, "rss_gb": 2.0, "search": 1.0, "claims": 1.0, "view": 2.0}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- vocabulary


@dataclass
class Vocabulary:
    """Per vocabulary word: its content stem (stories, clusters) and its search term."""

    stem_of: np.ndarray  # word id -> stem id, -1 for stopwords
    stems: np.ndarray  # stem id -> stem (str), sorted: ids order like the strings
    term_of: np.ndarray  # word id -> search term id, -1 for none
    terms: list[str]  # search term id -> term


def vocabulary(con: duckdb.DuckDBPyConnection, gen: Corpus) -> Vocabulary:
    from claimwire.transform.derive import search
    from claimwire.transform.derive.terms import content_terms

    found = [content_terms(w) for w in gen.words]
    stems = np.array(sorted({t[0] for t in found if t}), dtype=object)
    index = {s: i for i, s in enumerate(stems)}
    stem_of = np.array([index[t[0]] if t else -1 for t in found], np.int32)
    rows = con.execute(
        f"SELECT i - 1, list(stem(w, 'porter')) FROM (SELECT i, "
        f"unnest({search._tokens('x')}) AS w FROM unnest(?) WITH ORDINALITY AS v(x, i)) "
        "WHERE w <> '' AND w NOT IN (SELECT sw FROM search_stopwords) GROUP BY i",
        [gen.words]).fetchall()
    terms = sorted({r[1][0] for r in rows})
    position = {t: i for i, t in enumerate(terms)}
    term_of = np.full(len(gen.words), -1, np.int32)
    for i, words in rows:
        term_of[i] = position[words[0]]
    return Vocabulary(stem_of, stems, term_of, terms)


# ---------------------------------------------------------------- speakers


@dataclass
class Speakers:
    ids: np.ndarray
    names: np.ndarray
    kinds: np.ndarray

    def pick(self, rng: np.random.Generator, n: int) -> np.ndarray:
        # A few sources are quoted very often, most rarely (Zipf-like).
        ranks = np.exp(rng.random(n) * np.log(len(self.ids) + 1)) - 1
        return np.minimum(ranks.astype(np.int64), len(self.ids) - 1)


def speaker_pool(gen: Corpus) -> Speakers:
    from claimwire.transform.claims.identity import identity_id

    rng = np.random.default_rng(99)
    given = [w.capitalize() for w in gen.words[2000:6000] if w.isalpha()]
    family = [w.capitalize() for w in gen.words[6000:40000] if w.isalpha() and len(w) > 3]
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < PERSONS:
        name = f"{given[rng.integers(len(given))]} {family[rng.integers(len(family))]}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    bodies = [w.capitalize() for w in gen.words[1000:30000] if w.isalpha()]
    kinds_of = ("Ministry of {}", "{} Council", "{} Institute", "{} Party", "{} Agency")
    orgs = list(dict.fromkeys(kinds_of[i % 5].format(bodies[i]) for i in range(ORGANISATIONS)))
    taken: set[str] = set()
    ids = []
    for name, kind in [(n, "person") for n in names] + [(o, "organization") for o in orgs]:
        sid = identity_id(name, kind, lambda x: x in taken)
        taken.add(sid)
        ids.append(sid)
    return Speakers(np.array(ids, dtype=object), np.array(names + orgs, dtype=object),
                    np.array(["person"] * len(names) + ["organization"] * len(orgs),
                             dtype=object))


# ---------------------------------------------------------------- rows of a batch


def _claim_tokens(gen: Corpus, rng: np.random.Generator, stories: np.ndarray,
                  seqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Content tokens of claims: the first two of a story restate its two
    propositions (8 fixed topic words + 2 of any), the rest are 10 any words."""
    n = len(stories)
    lens = np.full(n, 10, np.int64)
    off = np.concatenate([[0], np.cumsum(lens)])
    tok = gen._zipf(rng, int(off[-1])).astype(np.int64)
    prop = seqs < 2
    position = np.arange(off[-1]) - np.repeat(off[:-1], lens)
    fixed = np.repeat(prop, lens) & (position < 8)
    mix = (np.repeat(stories, lens) * 2 + np.repeat(seqs, lens)) * 8 + position
    mix = (mix.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)
    tok[fixed] = 300 + (mix[fixed] % np.uint64(gen.V - 300)).astype(np.int64)
    return tok.astype(np.int32), off


_UNIX = EPOCH.replace(year=1970, month=1, day=1)


def _term_lists(key: str, keys: np.ndarray, owner: np.ndarray, terms: np.ndarray,
                days: np.ndarray) -> pa.Table:
    """(key, sorted terms, day) rows from (owner index, term) pairs sorted by owner."""
    order = np.lexsort((terms.astype(str), owner))
    owner, terms = owner[order], terms[order]
    present, starts = np.unique(owner, return_index=True)
    offsets = np.append(starts, len(owner)).astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), pa.array(terms.tolist(), pa.string()))
    return pa.table({key: keys[present].tolist(), "terms": lists,
                     "day": days[present].astype(np.int32)})


def _distinct_pairs(owner: np.ndarray, value: np.ndarray, n_values: int
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(owner, value, count) for each distinct pair, sorted by owner then value."""
    keep = value >= 0
    key = owner[keep].astype(np.int64) * n_values + value[keep]
    key, count = np.unique(key, return_counts=True)
    return key // n_values, key % n_values, count


@dataclass
class Batch:
    tables: dict[str, pa.Table]
    claim_term_df: np.ndarray
    article_term_df: np.ndarray
    search_df: np.ndarray
    search_len: int
    search_postings: pa.Table


def make_batch(gen: Corpus, vocab: Vocabulary, pool: Speakers, start: int, k: int,
               *, copies_of: list[tuple[str, str]] | None = None,
               restate_before: int | None = None) -> Batch:
    """Every table's rows for articles start .. start + k - 1. `copies_of`
    (article id, text) makes the first of them near copies of those; with
    `restate_before`, half the articles' first two claims restate the
    propositions of the 20 stories before that article number."""
    from claimwire.transform.derive import minhash

    rng = np.random.default_rng([17, start, k])
    tab, tok, off = gen.batch(start, k, with_tokens=True)
    ids = np.array(tab["article_id"].to_pylist(), dtype=object)
    dup = tab["duplicate_of"].to_pylist()
    text = tab["text"]
    if copies_of:
        m = len(copies_of)
        dup = [aid for aid, _ in copies_of] + dup[m:]
        edited = [t.replace(" the ", " a ", 3) + " Updated." for _, t in copies_of]
        text = pa.concat_arrays([pa.array(edited, text.type), text.combine_chunks().slice(m)])
    is_copy = np.array([d is not None for d in dup])
    index = np.arange(start, start + k)
    story_of = {aid: f"st-{(start + i) // STORY_SIZE:012x}" for i, aid in enumerate(ids)}
    stories = [story_of.get(d) if d is not None else story_of[a] for a, d in zip(ids, dup,
                                                                                  strict=True)]
    published = tab["published_at"]
    site = [f"site{int(h, 16) % 400}.example" for h in ids]
    url = [f"https://www.{s}/news/{a}" for s, a in zip(site, ids, strict=True)]
    tables: dict[str, pa.Table] = {}
    tables["articles"] = pa.table({
        "article_id": ids.tolist(), "doc_id": ids.tolist(), "url": url, "canonical_url": url,
        "feed_url": [f"https://www.{s}/rss" for s in site], "site": site,
        "title": tab["title"], "author": [None] * k, "published_at": published,
        "published_precision": ["second"] * k, "language": ["en"] * k, "text": text,
        "content_hash": [hashlib.sha256(a.encode()).hexdigest() for a in ids],
        "raw_sha256": [hashlib.sha256(b"raw" + a.encode()).hexdigest() for a in ids],
        "first_seen_at": published, "duplicate_of": dup, "story_id": stories,
        "extractor_version": ["bench"] * k,
    })
    tables["article_urls"] = pa.table({"canonical_url": url, "article_id": ids.tolist(),
                                       "url": url, "first_seen_at": published})
    tables["documents"] = pa.table({
        "doc_id": ids.tolist(), "url": url, "canonical_url": url, "final_url": url,
        "raw_sha256": tables["articles"]["raw_sha256"], "content_type": ["text/html"] * k,
        "charset": ["utf-8"] * k, "published_at": published, "fetched_at": published,
        "status": ["processed"] * k})
    copy_rows = np.flatnonzero(is_copy)
    tables["article_duplicates"] = pa.table({
        "article_id": ids[copy_rows].tolist(), "duplicate_of": [dup[i] for i in copy_rows],
        "similarity": np.full(len(copy_rows), 0.8), "method": ["minhash"] * len(copy_rows)})

    # claims of originals
    originals = np.flatnonzero(~is_copy)
    owner = np.repeat(originals, CLAIMS_PER_ARTICLE)
    seq = np.tile(np.arange(CLAIMS_PER_ARTICLE), len(originals))
    story_index = index[owner] // STORY_SIZE
    if restate_before is not None:
        again = (owner % 2 == 0) & (seq < 2)
        story_index = np.where(again, restate_before // STORY_SIZE - 1 - owner % 20, story_index)
    ctok, coff = _claim_tokens(gen, rng, story_index, seq)
    content = gen._render(rng, ctok, coff, sentences=False)
    claim_ids = [f"{ids[o]}-{s}" for o, s in zip(owner, seq, strict=True)]
    who = pool.pick(rng, len(owner))
    cluster = [f"cl-{story_index[i]:x}-{seq[i]}" if seq[i] < 2 else f"cl-{claim_ids[i]}"
               for i in range(len(owner))]
    days = pc.cast(pc.cast(published, pa.timestamp("s")), pa.date32()).take(pa.array(owner))
    tables["claims"] = pa.table({
        "claim_id": claim_ids, "article_id": ids[owner].tolist(), "seq": seq.astype(np.int32),
        "speaker": pool.names[who].tolist(), "speaker_canonical": pool.names[who].tolist(),
        "speaker_id": pool.ids[who].tolist(), "speaker_type": pool.kinds[who].tolist(),
        "cue": ["say"] * len(owner), "content": content,
        "quote_type": np.where(rng.random(len(owner)) < 0.3, "direct", "indirect").tolist(),
        "stance": rng.choice(np.array(["assert", "deny", "uncertain"]), len(owner),
                             p=[0.8, 0.12, 0.08]).tolist(),
        "claimed_on": days, "char_start": np.zeros(len(owner), np.int32),
        "char_end": pc.utf8_length(content).cast(pa.int32()),
        "extractor_version": ["bench"] * len(owner), "claim_cluster_id": cluster,
    })
    n_stems = len(vocab.stems)
    c_owner, c_stem, _ = _distinct_pairs(np.repeat(np.arange(len(owner)), 10),
                                         vocab.stem_of[ctok], n_stems)
    day_of = (index // PER_DAY + (EPOCH - _UNIX).days).astype(np.int32)
    tables["claim_term_lists"] = _term_lists(
        "claim_id", np.array(claim_ids, dtype=object), c_owner, vocab.stems[c_stem],
        day_of[owner])
    tables["claim_term_lists"] = tables["claim_term_lists"].append_column(
        "cluster_id", pa.array(cluster, pa.string()).take(
            pa.array(np.unique(c_owner))))
    claim_df = np.bincount(c_stem, minlength=n_stems)

    # story terms: the 30 most frequent stems of each original (ties by stem)
    doc_of = np.repeat(np.arange(k), np.diff(off))
    d, st, cnt = _distinct_pairs(doc_of, vocab.stem_of[tok], n_stems)
    keep = ~is_copy[d]
    d, st, cnt = d[keep], st[keep], cnt[keep]
    order = np.lexsort((st, -cnt, d))
    d, st, cnt = d[order], st[order], cnt[order]
    first = np.searchsorted(d, d, side="left")
    top = (np.arange(len(d)) - first) < 30
    tables["article_term_lists"] = _term_lists("article_id", ids, d[top], vocab.stems[st[top]],
                                                 day_of)
    article_df = np.bincount(st[top], minlength=n_stems)

    # MinHash: random for originals, 80% shared with the original for copies
    num_perm = minhash.DEFAULT_NUM_PERM
    sig = rng.integers(0, 2**32 - 1, (k, num_perm), dtype=np.uint32)
    position = {a: i for i, a in enumerate(ids)}
    for i in copy_rows:
        source = position.get(dup[i])
        base = sig[source] if source is not None else minhash.signature(copies_of[i][1])
        changed = rng.random(num_perm) < COPY_EDIT
        sig[i] = np.where(changed, sig[i], base)
    params = minhash.lsh_params(minhash.DEFAULT_THRESHOLD, num_perm)
    keys = minhash.band_keys_many(sig, params)
    tables["article_signatures"] = pa.table({
        "article_id": ids.tolist(), "signature": [row.astype("<u4").tobytes() for row in sig],
        "num_perm": np.full(k, num_perm, np.int32),
        "shingle_size": np.full(k, minhash.DEFAULT_SHINGLE_SIZE, np.int32),
        "bands": np.full(k, params.bands, np.int32), "rows": np.full(k, params.rows, np.int32)})
    tables["article_band_keys"] = pa.table({"band_key": keys.reshape(-1),
                                            "article_id": np.repeat(ids, params.bands),
                                            "day": np.repeat(day_of, params.bands)})

    # search index rows
    n_terms = len(vocab.terms)
    sd, sterm, tf = _distinct_pairs(doc_of, vocab.term_of[tok], n_terms)
    lens = np.bincount(sd, weights=tf, minlength=k).astype(np.int64)
    search_df = np.bincount(sterm, minlength=n_terms)
    postings = pa.table({"termid": sterm.astype(np.int32), "docid": (sd + start).astype(np.int32),
                         "tf": tf.astype(np.int32)})
    tables["search_docs"] = pa.table({"docid": index.astype(np.int32), "article_id": ids.tolist(),
                                      "len": lens.astype(np.int32), "is_copy": is_copy})
    return Batch(tables, claim_df, article_df, search_df, int(lens.sum()), postings)


# ---------------------------------------------------------------- the base warehouse


def _append(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    con.register("bench_rows", data)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM bench_rows")
    finally:
        con.unregister("bench_rows")


def build_base(path: Path, n: int) -> None:
    """Generate a warehouse of `n` articles at `path` (written under a temporary
    name and renamed, so a cache file is always complete)."""
    from claimwire.transform.claims.identity import Identity, identity_keys
    from claimwire.transform.derive import search
    from claimwire.warehouse.db import connect, migrate

    tmp = path.with_suffix(".part")
    tmp.unlink(missing_ok=True)
    started = time.perf_counter()
    con = connect(tmp)
    con.execute("SET memory_limit = '1536MB'")
    migrate(con)
    search.ensure_ready(con)
    gen = Corpus()
    vocab = vocabulary(con, gen)
    pool = speaker_pool(gen)
    claim_df = np.zeros(len(vocab.stems), np.int64)
    article_df = np.zeros(len(vocab.stems), np.int64)
    search_df = np.zeros(len(vocab.terms), np.int64)
    sum_len = 0
    for first in range(0, n, CHUNK):
        k = min(CHUNK, n - first)
        batch = make_batch(gen, vocab, pool, first, k)
        con.execute("BEGIN TRANSACTION")
        for name, data in batch.tables.items():
            _append(con, name, data)
        for part, table in enumerate(search.posting_tables()):
            mask = pc.equal(pc.bit_wise_and(batch.search_postings["termid"], 15), part)
            _append(con, table, batch.search_postings.filter(mask))
        con.execute("COMMIT")
        claim_df += batch.claim_term_df
        article_df += batch.article_term_df
        search_df += batch.search_df
        sum_len += batch.search_len
        if (first // CHUNK) % 10 == 9 or first + k == n:
            say(f"  base {n:,}: {first + k:,} articles, {time.perf_counter() - started:.0f} s")
    from claimwire.transform.derive.clusters import CLAIM_TERMS
    from claimwire.transform.derive.stories import ARTICLE_TERMS

    for index, df in ((CLAIM_TERMS, claim_df), (ARTICLE_TERMS, article_df)):
        seen = np.flatnonzero(df)
        _append(con, index.df, pa.table({"term": vocab.stems[seen],
                                         "n": df[seen].astype(np.int32)}))
        con.execute(f"""
            INSERT INTO {index.rare} BY NAME
            SELECT t.term, t.{index.key}, t.day
            FROM (SELECT {index.key}, day, unnest(terms) AS term FROM {index.lists}) t
            JOIN {index.df} d ON d.term = t.term WHERE d.n <= {index.ceiling}
            ORDER BY t.day, t.term""")
    seen = np.flatnonzero(search_df)
    _append(con, "search_terms", pa.table({
        "termid": seen.astype(np.int32), "term": [vocab.terms[i] for i in seen],
        "df": search_df[seen].astype(np.int32)}))
    con.execute("UPDATE search_stats SET num_docs = ?, sum_len = ?, next_docid = ?, "
                "next_termid = ?", [n, sum_len, n, len(vocab.terms)])
    identities = [Identity(i, name, kind) for i, name, kind in
                  zip(pool.ids, pool.names, pool.kinds, strict=True)]
    _append(con, "speakers", pa.table({
        "speaker_id": [i.id for i in identities], "canonical": [i.canonical for i in identities],
        "type": [i.type for i in identities],
        "aliases": pa.array([[] for _ in identities], pa.list_(pa.string()))}))
    pairs = [(key, i.id) for i in identities for key in sorted(identity_keys(i))]
    _append(con, "speaker_keys", pa.table({"key": [p[0] for p in pairs],
                                           "speaker_id": [p[1] for p in pairs]}))
    from claimwire.transform.derive.clusters import summarize_all_clusters
    from claimwire.warehouse import views

    views.create_views(con)
    summarize_all_clusters(con)
    con.execute("CHECKPOINT")
    con.close()
    tmp.rename(path)
    say(f"  base {n:,} built in {time.perf_counter() - started:.0f} s "
        f"({path.stat().st_size / 1e9:.2f} GB)")


def _migrate(base: Path) -> None:
    """Bring a cached base made by an earlier schema up to date, once, outside
    the night's timing."""
    from claimwire.warehouse.db import connect, migrate

    con = connect(base)
    if migrate(con):
        con.execute("CHECKPOINT")
    con.close()


# ---------------------------------------------------------------- the night (child process)


def _peak_rss() -> int:
    """This process's peak RSS in bytes. Not `getrusage`: Linux carries its
    maximum over `exec` from the parent that forked the process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _median_seconds(run: Any, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _config(work: Path) -> Any:
    from claimwire.config import Config, HttpSettings

    return Config(warehouse_path=work, http=HttpSettings())


def stage_night(work: Path, n: int) -> str:
    """The night's transform batch, staged beside the warehouse (as transform
    shards would have left it); its directory."""
    from claimwire.transform.derive import minhash, search
    from claimwire.transform.documents import CANDIDATE_EXTRA
    from claimwire.warehouse import schema
    from claimwire.warehouse.staging import BatchWriter, arrow_schema

    config = _config(work)
    gen = Corpus()
    con = duckdb.connect(str(work))
    search.load_extension(con)
    vocab = vocabulary(con, gen)
    recent = con.execute("SELECT article_id, text FROM articles WHERE duplicate_of IS NULL "
                         "ORDER BY published_at DESC LIMIT ?", [NIGHT // 10]).fetchall()
    # The stored signatures are synthetic, not made from the texts: a copy's
    # signature is its original's with a fifth of the values changed.
    stored_sig = dict(con.execute(
        "SELECT article_id, signature FROM article_signatures WHERE article_id = ANY(?)",
        [[aid for aid, _ in recent]]).fetchall())
    con.close()
    rng = np.random.default_rng(5)
    # As news follows a story: near copies of recent articles, claims restating
    # recent stories' propositions (found by the derive step through their terms).
    batch = make_batch(gen, vocab, speaker_pool(gen), n, NIGHT, copies_of=recent,
                       restate_before=n)
    articles = batch.tables["articles"]
    claims = batch.tables["claims"].drop_columns(["claim_cluster_id", "speaker_id"])
    staged = articles.append_column("doc_url", articles["canonical_url"])
    staged = staged.append_column("guid", articles["url"])
    signatures = [minhash.signature_bytes(t) for t in articles["text"].to_pylist()]
    for i, (aid, _) in enumerate(recent):
        base = np.frombuffer(stored_sig[aid], "<u4")
        fresh = rng.integers(0, 2**32 - 1, base.size, dtype=np.uint32)
        signatures[i] = np.where(rng.random(base.size) < COPY_EDIT, fresh, base).astype(
            "<u4").tobytes()
    staged = staged.append_column("minhash", pa.array(signatures, pa.binary()))
    staged = staged.append_column("minhash_shingle_size",
                                  pa.array([minhash.DEFAULT_SHINGLE_SIZE] * NIGHT, pa.int32()))
    staged = staged.drop_columns(["duplicate_of", "story_id"])
    target = arrow_schema(schema.articles, CANDIDATE_EXTRA)
    staged = pa.table({f.name: (staged[f.name].cast(f.type) if f.name in staged.column_names
                                else pa.nulls(NIGHT, f.type)) for f in target})
    claim_schema = arrow_schema(schema.claims)
    claims = pa.table({f.name: (claims[f.name].cast(f.type) if f.name in claims.column_names
                                else pa.nulls(claims.num_rows, f.type)) for f in claim_schema})
    writer = BatchWriter(config.staging_path, "transform", "bench-night")
    writer.add("articles", staged)
    writer.add("claims", claims)
    return writer.write()


def night(work: Path, n: int, batch_dir: str) -> dict[str, Any]:
    """Load the night's staged batch, derive, then time the queries (the process
    does nothing else, so its peak RSS is the night's)."""
    from claimwire.pipeline import load_staged
    from claimwire.transform.derive import search
    from claimwire.transform.derive.runner import derive_pending
    from claimwire.warehouse.db import open_warehouse
    from claimwire.warehouse.queries import ClaimFilter, find_claims

    config = _config(work)
    started = time.perf_counter()
    loaded = load_staged(config, [batch_dir], run_id="bench-night", derive_after=False)
    load_s = time.perf_counter() - started
    steps: dict[str, float] = {}
    with open_warehouse(work) as con:
        started = time.perf_counter()
        derived = derive_pending(con, config.dedup, step_seconds=steps)
        derive_s = time.perf_counter() - started
        started = time.perf_counter()
        con.execute("CHECKPOINT")
        load_s += time.perf_counter() - started  # what closing the warehouse costs
    rss = _peak_rss()
    gen = Corpus()

    con = duckdb.connect(str(work), read_only=True)
    speaker = con.execute("SELECT speaker_canonical FROM claims GROUP BY 1 "
                          "ORDER BY count(*) DESC LIMIT 1 OFFSET 20").fetchone()[0]
    story = con.execute("SELECT story_id FROM articles WHERE story_id IS NOT NULL "
                        "ORDER BY published_at DESC LIMIT 1").fetchone()[0]
    rng = np.random.default_rng(3)
    words = [gen.words[int(r)] for r in rng.integers(200, 5000, 30)]
    queries = [" ".join(words[i : i + 3]) for i in range(0, 30, 3)]
    latencies = {
        "search": statistics.median(
            _median_seconds(lambda q=q: search.search_articles(con, q), 1) for q in queries),
        "claims": _median_seconds(lambda: find_claims(con, ClaimFilter(speaker=speaker))),
        "claim_timeline": _median_seconds(lambda: con.execute(
            "SELECT * FROM claim_timeline WHERE speaker = ?", [speaker]).fetchall()),
        "claim_timeline_story": _median_seconds(lambda: con.execute(
            "SELECT * FROM claim_timeline WHERE story_id = ?", [story]).fetchall()),
        "speaker_stance_changes": _median_seconds(lambda: con.execute(
            "SELECT * FROM speaker_stance_changes WHERE speaker = ?", [speaker]).fetchall()),
        "contradictions": _median_seconds(lambda: con.execute(
            "SELECT * FROM contradictions WHERE speaker_a = ? OR speaker_b = ? LIMIT 50",
            [speaker, speaker]).fetchall()),
        "contradictions_story": _median_seconds(lambda: con.execute(
            "SELECT * FROM contradictions WHERE story_id_a = ? LIMIT 50", [story]).fetchall()),
    }
    total = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    con.close()
    return {
        "size": n, "load_s": load_s, "derive_s": derive_s, "night_s": load_s + derive_s,
        "steps": steps, "rss": rss, "articles_loaded": loaded.articles_loaded,
        "near_duplicates": derived.near_duplicates, "claims_clustered": derived.claims_clustered,
        "derive_failed": derived.derive_failed, "latencies": latencies,
        "bytes_per_article": work.stat().st_size / max(1, total),
    }


# ---------------------------------------------------------------- the parent


def _settled_copy(base: Path, work: Path) -> None:
    """Copy the base warehouse and flush the copy to disk. A user's warehouse
    has long been written when a night starts; an unflushed 10 GB copy made
    the night's first checkpoint wait for the file system (about 0.9 s of the
    night at 1,000,000 articles, nothing at 10,000)."""
    shutil.copyfile(base, work)
    fd = os.open(work, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run(sizes: tuple[int, ...], cache: Path) -> dict[str, Any]:
    cache.mkdir(parents=True, exist_ok=True)
    results = []
    for n in sizes:
        base = cache / f"growth-v{GENERATOR_VERSION}-{n}.duckdb"
        if not base.exists():
            say(f"building the {n:,}-article warehouse (cached in {cache})")
            build_base(base, n)
        _migrate(base)
        work = cache / f"night-{n}.duckdb"
        _settled_copy(base, work)
        shutil.rmtree(work.with_name(work.stem + "-staging"), ignore_errors=True)
        say(f"night of {NIGHT:,} articles into {n:,}")
        batch_dir = stage_night(work, n)
        proc = subprocess.run([sys.executable, "-m", "bench.growth", "--night", str(work),
                               str(n), batch_dir], cwd=REPO, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"night at {n:,} failed:\n{proc.stderr[-4000:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        work.unlink(missing_ok=True)
        shutil.rmtree(work.with_name(work.stem + "-staging"), ignore_errors=True)
        Path(str(work) + ".wal").unlink(missing_ok=True)
    return report(results)


def report(results: list[dict[str, Any]]) -> dict[str, Any]:
    steps = ("near_duplicates", "stories", "clusters", "speakers", "search_index")
    say("\n  articles   night    load  " + "  ".join(f"{s[:9]:>9}" for s in steps)
        + "   peak RSS  bytes/article")
    for r in results:
        say(f"  {r['size']:>9,} {r['night_s']:6.1f} s {r['load_s']:5.1f} s "
            + "  ".join(f"{r['steps'].get(s, 0):8.2f}s" for s in steps)
            + f"  {r['rss'] / 2**30:6.2f} GiB  {r['bytes_per_article']:9,.0f}"
            + f"   ({r['near_duplicates']} copies, {r['claims_clustered']} claims clustered, "
              f"{r['derive_failed']} failed)")
    names = ("search", "claims", "claim_timeline", "claim_timeline_story",
             "speaker_stance_changes", "contradictions", "contradictions_story")
    say("\n  query latency (s)     " + "".join(f"{r['size']:>12,}" for r in results))
    for name in names:
        say(f"  {name:<22}" + "".join(f"{r['latencies'][name]:12.3f}" for r in results))
    first, last = results[0], results[-1]
    ratio = last["night_s"] / first["night_s"]
    worst_rss = max(r["rss"] for r in results) / 1e9
    lat = last["latencies"]
    view_worst = max(lat[n] for n in names[2:])
    figures = {
        "ratio": ratio, "rss_gb": worst_rss, "search": lat["search"], "claims": lat["claims"],
        "view": view_worst, "sizes": [r["size"] for r in results], "results": results,
    }
    say(f"\n  night({last['size']:,}) / night({first['size']:,}) = {ratio:.2f} "
        f"(target <= {TARGETS['ratio']}); peak RSS {worst_rss:.2f} GB (target <= 2); "
        f"search {lat['search']:.3f} s, claims --speaker {lat['claims']:.3f} s (targets < 1), "
        f"slowest filtered view {view_worst:.3f} s (target < 2) at {last['size']:,}")
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--cache", type=Path, default=REPO / "bench" / ".cache")
    parser.add_argument("--night", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.night:
        print(json.dumps(night(Path(args.night[0]), int(args.night[1]), args.night[2])))
        return 0
    figures = run(tuple(int(s) for s in args.sizes.split(",")), args.cache)
    print(json.dumps({k: v for k, v in figures.items() if k != "results"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
