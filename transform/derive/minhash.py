"""Near-duplicate fingerprints: MinHash over word shingles, LSH band keys.

Pure functions only, also used by the transform workers, which sign each
article; `near_duplicates` keeps the index in the warehouse. Everything here
is deterministic across processes and machines (fixed seed, no use of
Python's salted `hash()`), because signatures and band keys are stored and
compared with ones computed in other runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from claimwire.transform.normalize import hash_key_text

SEED = 0x636C61696D77  # fixed: stored signatures must stay comparable forever
DEFAULT_NUM_PERM = 128
DEFAULT_SHINGLE_SIZE = 5
DEFAULT_THRESHOLD = 0.45
DEFAULT_RECALL = 0.95

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_SHIFT32 = np.uint64(32)
# Odd multiplier of the polynomial that folds word hashes into shingle hashes.
_SHINGLE_MULT = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.uint32(0xFFFFFFFF)


@dataclass(frozen=True)
class LshParams:
    num_perm: int
    bands: int
    rows: int
    threshold: float

    @property
    def used_perm(self) -> int:
        return self.bands * self.rows


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    # Multiply-shift hashing: h -> (a*h + b) mod 2^64, top 32 bits. `a` odd.
    rng = np.random.Generator(np.random.PCG64(SEED))
    a = rng.integers(1, 2**63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    return a, b


@lru_cache(maxsize=1 << 18)
def _word_hash(word: str) -> int:
    # Words repeat across articles; caching the stable hash keeps this cheap.
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def shingle_hashes(text: str, shingle_size: int = DEFAULT_SHINGLE_SIZE) -> np.ndarray:
    """64-bit hashes of the distinct word k-grams of the normalised text."""
    words = hash_key_text(text).split()
    if not words:
        return np.empty(0, dtype=np.uint64)
    word_ids = np.fromiter((_word_hash(w) for w in words), dtype=np.uint64, count=len(words))
    k = min(shingle_size, len(words))
    count = len(words) - k + 1
    acc = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(k):
            acc = acc * _SHINGLE_MULT + word_ids[offset : offset + count]
    return np.unique(acc)


def signature(
    text: str, num_perm: int = DEFAULT_NUM_PERM, shingle_size: int = DEFAULT_SHINGLE_SIZE
) -> np.ndarray:
    """MinHash signature (uint32[num_perm]); all-max for a text without words."""
    hashes = shingle_hashes(text, shingle_size)
    if hashes.size == 0:
        return np.full(num_perm, _EMPTY, dtype=np.uint32)
    a, b = _permutations(num_perm)
    with np.errstate(over="ignore"):
        # (shingles x perms) in chunks so a very long text stays small in memory.
        mins = np.full(num_perm, _MASK64, dtype=np.uint64)
        for start in range(0, hashes.size, 2048):
            block = hashes[start : start + 2048, None] * a[None, :] + b[None, :]
            np.minimum(mins, (block >> _SHIFT32).min(axis=0), out=mins)
    return mins.astype(np.uint32)


def signature_bytes(
    text: str, num_perm: int = DEFAULT_NUM_PERM, shingle_size: int = DEFAULT_SHINGLE_SIZE
) -> bytes:
    """The signature as stored: uint32 little-endian."""
    return signature(text, num_perm, shingle_size).astype("<u4").tobytes()


def signature_from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")


def empty_rows(matrix: np.ndarray) -> np.ndarray:
    """Which signatures (rows) are of texts without words."""
    return np.all(matrix == _EMPTY, axis=1)


def similarities(matrix: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of many pairs at once: rows `left[i]` and `right[i]` of
    `matrix` (one signature per row); 0 where either text had no words."""
    out = np.empty(left.size, dtype=np.float64)
    if left.size == 0:
        return out
    empty = empty_rows(matrix)
    step = max(1, (1 << 22) // max(1, matrix.shape[1]))  # pairs per block: bounded memory
    for start in range(0, left.size, step):
        a, b = left[start : start + step], right[start : start + step]
        same = np.count_nonzero(matrix[a] == matrix[b], axis=1) / matrix.shape[1]
        same[empty[a] | empty[b]] = 0.0
        out[start : start + step] = same
    return out


def band_keys_many(matrix: np.ndarray, params: LshParams) -> np.ndarray:
    """`band_keys` of every row of `matrix` at once: int64 (rows x bands).
    Rows of texts without words get keys too; callers drop them (`empty_rows`)."""
    count = matrix.shape[0]
    rows = matrix[:, : params.used_perm].astype(np.uint64).reshape(
        count, params.bands, params.rows)
    acc = np.broadcast_to(
        np.arange(1, params.bands + 1, dtype=np.uint64) * np.uint64(0xD6E8FEB86659FD93),
        (count, params.bands)).copy()
    with np.errstate(over="ignore"):
        for col in range(params.rows):
            acc = (acc ^ rows[:, :, col]) * np.uint64(0x100000001B3)
            acc ^= acc >> _SHIFT32
    return acc.view(np.int64)


def estimate_similarity(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    if sig_a.shape != sig_b.shape:
        raise ValueError("signatures of different lengths are not comparable")
    pair = np.arange(1)
    return float(similarities(np.stack([sig_a, sig_b]), pair, pair + 1)[0])


def _collision_probability(s: np.ndarray, bands: int, rows: int) -> np.ndarray:
    return 1.0 - (1.0 - s**rows) ** bands


def _area(xs: np.ndarray, ys: np.ndarray) -> float:
    # Trapezoid rule; enough for comparing candidate (bands, rows) pairs.
    return float(np.sum((ys[1:] + ys[:-1]) * 0.5 * np.diff(xs)))


@lru_cache(maxsize=32)
def lsh_params(
    threshold: float = DEFAULT_THRESHOLD,
    num_perm: int = DEFAULT_NUM_PERM,
    recall_at_threshold: float = DEFAULT_RECALL,
) -> LshParams:
    """Bands x rows that make a pair exactly at the threshold a candidate with
    probability >= `recall_at_threshold`, with the fewest needless candidates.

    Recall is fixed first because a missed copy is lost for good, while a
    needless candidate only costs one signature comparison; the needless
    candidates are measured as the area under the collision curve below
    the threshold.
    """
    below = np.linspace(0.0, threshold, 201)
    best: tuple[float, int, int] | None = None
    fallback: tuple[float, int, int] = (-1.0, 1, 1)
    for rows in range(1, num_perm + 1):
        for bands in range(1, num_perm // rows + 1):
            recall = float(_collision_probability(np.array(threshold), bands, rows))
            if recall > fallback[0]:
                fallback = (recall, bands, rows)
            if recall < recall_at_threshold:
                continue
            fp = _area(below, _collision_probability(below, bands, rows))
            if best is None or fp < best[0]:
                best = (fp, bands, rows)
            break  # more bands of this width only add needless candidates
    _, bands, rows = best if best is not None else fallback
    return LshParams(num_perm=num_perm, bands=bands, rows=rows, threshold=threshold)


def band_keys(sig: np.ndarray, params: LshParams | None = None) -> list[int]:
    """One signed 64-bit key per band (band index mixed in), for a BIGINT column."""
    params = params or lsh_params(DEFAULT_THRESHOLD, sig.size)
    if np.all(sig == _EMPTY):
        return []  # a text without words is nobody's near-duplicate
    return band_keys_many(sig[None, :], params)[0].tolist()
