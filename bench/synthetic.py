"""Synthetic news articles for the benchmarks, fast: numpy, no loop per word.

Texts of ~600 words (normal 600 +- 180, clipped to 80..1500) are drawn from
`bench/data/vocab.txt` (real English words, most frequent first) with a
Zipf-Mandelbrot law p(r) ~ 1 / (r + 2.7), plus burstiness: every article has
8 topic words (drawn from ranks >= 300) that make ~12% of its tokens, so
rare words repeat inside the articles that use them, as in news. Sentences
end with "." (1 in 18 words) and start with a capital; 1 in 12 words takes a
",". Titles are 5..12 words, half of them topic words. ~10% of articles are
near-copies of an earlier original of the same batch (3% of tokens changed,
same or re-worded title) and have `duplicate_of` set to it. 1,000 articles a
day from 2023-01-01.

Each string is one gather from a table of word variants (word x {"", ".",
","} x {capitalised or not} x {space or not}) into a byte buffer that
becomes an Arrow string array without copies. Deterministic: `batch(start,
n)` depends only on (seed, start, n), so a build can be split or resumed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

VOCAB = Path(__file__).resolve().parent / "data" / "vocab.txt"
ZIPF_Q = 2.7
TOPIC_WORDS = 8
TOPIC_SHARE = 0.12
TOPIC_MIN_RANK = 300
COPY_SHARE = 0.10
COPY_EDIT = 0.03
PER_DAY = 1000
EPOCH = datetime(2023, 1, 1)

# variant = ((word * 3 + punct) * 2 + cap) * 2 + last ; punct 0 none 1 "." 2 ","
_PUNCT = ("", ".", ",")


class Corpus:
    def __init__(self, seed: int = 13, vocab: Path = VOCAB):
        self.seed = seed
        self.words = vocab.read_text(encoding="utf-8").split("\n")[:-1]
        self.V = len(self.words)
        # byte table of all variants
        pieces = []
        for w in self.words:
            cap = w[:1].upper() + w[1:]
            for punct in _PUNCT:
                for c in (w, cap):
                    pieces.append((c + punct + " ").encode())
                    pieces.append((c + punct).encode())
        lens = np.fromiter((len(b) for b in pieces), np.int64, len(pieces))
        self.var_len = lens.astype(np.int32)
        self.var_off = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
        self.var_bytes = np.frombuffer(b"".join(pieces), np.uint8)

    # -- sampling -----------------------------------------------------------
    def _zipf(self, rng: np.random.Generator, n: int, lo: int = 0) -> np.ndarray:
        """Ranks lo..V-1 (0-based) with P(r) = ln((r+1+q)/(r+q)) / Z: a
        Zipf-Mandelbrot law (s=1) sampled by its closed-form inverse CDF."""
        a, b = lo + ZIPF_Q, self.V + ZIPF_Q
        r = a * np.exp(rng.random(n) * np.log(b / a)) - ZIPF_Q
        return np.minimum(r.astype(np.int32), self.V - 1)

    def _topic(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self._zipf(rng, n, TOPIC_MIN_RANK)

    def batch(self, start: int, n: int, with_tokens: bool = False):
        """Articles start .. start+n-1 as a pyarrow Table (article_id, title,
        text, published_at, duplicate_of); with_tokens also returns
        (word ids, doc offsets) of title+text for checking tokenizers."""
        rng = np.random.default_rng([self.seed, start, n])
        # body lengths and tokens
        blen = np.clip(rng.normal(600, 180, n), 80, 1500).astype(np.int64)
        tlen = rng.integers(5, 13, n)
        topics = self._topic(rng, n * TOPIC_WORDS).reshape(n, TOPIC_WORDS)
        body_doc = np.repeat(np.arange(n), blen)
        body = self._zipf(rng, len(body_doc))
        is_topic = rng.random(len(body)) < TOPIC_SHARE
        body[is_topic] = topics[body_doc[is_topic], rng.integers(0, TOPIC_WORDS, is_topic.sum())]
        title_doc = np.repeat(np.arange(n), tlen)
        title = self._zipf(rng, len(title_doc))
        is_topic = rng.random(len(title)) < 0.5
        title[is_topic] = topics[title_doc[is_topic], rng.integers(0, TOPIC_WORDS, is_topic.sum())]
        boff = np.concatenate([[0], np.cumsum(blen)])
        toff = np.concatenate([[0], np.cumsum(tlen)])

        # near copies: copy an earlier original of this batch, edit 3% tokens
        dup_of = np.full(n, -1, np.int64)
        is_copy = rng.random(n) < COPY_SHARE
        is_copy[0] = False
        copies = np.flatnonzero(is_copy)
        if len(copies):
            src = (rng.random(len(copies)) * copies).astype(np.int64)  # some earlier index
            src = np.where(is_copy[src], 0, src)  # copy originals only (doc 0 is one)
            dup_of[copies] = src
            body, boff = _replace_docs(body, boff, copies, src)
            edit = rng.random(len(body)) < COPY_EDIT
            edit &= np.repeat(is_copy, np.diff(boff))
            body[edit] = self._zipf(rng, int(edit.sum()))
            same_title = rng.random(len(copies)) < 0.7
            title, toff = _replace_docs(title, toff, copies[same_title], src[same_title])

        text_arr = self._render(rng, body, boff, sentences=True)
        title_arr = self._render(rng, title, toff, sentences=False)
        ids = article_ids(start, n)
        dup_ids = np.where(dup_of >= 0, ids[np.maximum(dup_of, 0)], None)
        day = (start + np.arange(n)) // PER_DAY
        secs = rng.integers(0, 86400, n)
        published = (np.datetime64(EPOCH, "s") + day * 86400 + secs).astype("datetime64[us]")
        table = pa.table({
            "article_id": pa.array(ids.tolist(), pa.string()),
            "title": title_arr,
            "text": text_arr,
            "published_at": pa.array(published),
            "duplicate_of": pa.array(dup_ids.tolist(), pa.string()),
        })
        if not with_tokens:
            return table
        # title then text, per doc: the order the fts index reads them
        tl, bl = np.diff(toff), np.diff(boff)
        lens = tl + bl
        off = np.concatenate([[0], np.cumsum(lens)])
        tok = np.empty(off[-1], np.int32)
        pos_t = np.repeat(off[:-1], tl) + (np.arange(len(title)) - np.repeat(toff[:-1], tl))
        pos_b = np.repeat(off[:-1] + tl, bl) + (np.arange(len(body)) - np.repeat(boff[:-1], bl))
        tok[pos_t] = title
        tok[pos_b] = body
        return table, tok, off

    def _render(self, rng, tok, off, sentences: bool) -> pa.Array:
        m = len(tok)
        doc_len = np.diff(off)
        last = np.zeros(m, bool)
        last[off[1:][doc_len > 0] - 1] = True
        first = np.zeros(m, bool)
        first[off[:-1][doc_len > 0]] = True
        if sentences:
            u = rng.random(m)
            punct = np.where(u < 1 / 18, 1, np.where(u < 1 / 18 + 1 / 12, 2, 0)).astype(np.int64)
            punct[last] = 1
            cap = first.copy()
            cap[1:] |= (punct[:-1] == 1) & ~first[1:]
        else:
            punct = np.zeros(m, np.int64)
            cap = first | (rng.random(m) < 0.5)
        var = ((tok.astype(np.int64) * 3 + punct) * 2 + cap) * 2 + last
        lens = self.var_len[var]
        out_off = np.zeros(m + 1, np.int64)
        np.cumsum(lens, out=out_off[1:])
        total = int(out_off[-1])
        idx = np.repeat(self.var_off[var] - out_off[:-1], lens) + np.arange(total, dtype=np.int64)
        data = self.var_bytes[idx]
        doc_off = out_off[off].astype(np.int32 if total < 2**31 else np.int64)
        typ = pa.string() if total < 2**31 else pa.large_string()
        buffers = [None, pa.py_buffer(doc_off), pa.py_buffer(data)]
        return pa.Array.from_buffers(typ, len(off) - 1, buffers)


def _replace_docs(tok, off, dst, src):
    """Token stream where doc dst[i] gets a copy of doc src[i]'s tokens."""
    lens = np.diff(off).copy()
    take_from = np.arange(len(lens))
    take_from[dst] = src
    new_lens = lens[take_from]
    new_off = np.concatenate([[0], np.cumsum(new_lens)])
    idx = np.repeat(off[:-1][take_from] - new_off[:-1], new_lens) + np.arange(new_off[-1])
    return tok[idx], new_off


def article_ids(start: int, n: int) -> np.ndarray:
    """Deterministic 16-hex ids that look like the project's hash ids."""
    x = np.arange(start, start + n, dtype=np.uint64) + np.uint64(1)
    x *= np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(29)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(32)
    return np.array([f"{v:016x}" for v in x.tolist()], dtype=object)
