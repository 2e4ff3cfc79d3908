"""Stories and claim clusters stay bounded in time and memory on a larger load.

3,000 synthetic articles (300 planted stories of 10) and 15,000 claims
(two planted propositions per vocabulary plus unrelated filler) go through the
real loader and its hooks, in two loads so the second has to join stored
stories and clusters. Every article and claim also carries words from a
small shared pool, present in about a third of all articles, which is
what made the old term self-joins grow with the square of the load.
"""

from __future__ import annotations

import random
import resource
import time
from collections import defaultdict
from datetime import datetime, timedelta

from dedup_support import article, claim, load, open_db

N_STORIES = 300
PER_STORY = 10
# Story k and story k + _REUSE share their vocabulary but lie 100 days apart:
# the stories' time window must keep them apart, while their propositions,
# restated within the clusters' window, make one cluster each.
_REUSE = 150
_LETTERS = "bcdfghjklmnpqrtvwxz"  # no vowels or "s": no stemming suffix applies


def _word(prefix: str, n: int) -> str:
    out = []
    for _ in range(4):
        n, r = divmod(n, len(_LETTERS))
        out.append(_LETTERS[r])
    return prefix + "".join(out)


def _build(rng: random.Random):
    common = [_word("kx", i) for i in range(30)]
    background = [_word("bq", i) for i in range(20000)]
    start = datetime(2025, 1, 1, 8)
    arts, claims_by_article, planted = [], {}, {}
    for k in range(N_STORIES):
        vocab_of = k % _REUSE
        vocab = [_word("zv", vocab_of * 20 + i) for i in range(15)]
        props = [[_word("pw", (vocab_of * 2 + p) * 8 + i) for i in range(6)] for p in range(2)]
        day = start + timedelta(days=2 * (k % _REUSE) + 100 * (k // _REUSE))
        for m in range(PER_STORY):
            words = vocab * 3 + rng.sample(common, 10) + rng.sample(background, 40)
            rng.shuffle(words)
            art = article(
                f"https://s{k}.example/{m}",
                " ".join(words),
                title=f"{vocab[0]} {vocab[1]}",
                published=day + timedelta(hours=7 * m),
            )
            planted[art["article_id"]] = k
            rows = []
            for seq in range(5):
                if seq < 2:
                    content = props[seq] + rng.sample(common, 2)
                    label = (vocab_of, seq)
                else:
                    content = rng.sample(background, 5) + rng.sample(common, 2)
                    label = None
                rng.shuffle(content)
                row = claim(art["article_id"], seq, f"Speaker {m}", "assert", " ".join(content))
                rows.append((row, label))
            claims_by_article[art["article_id"]] = rows
            arts.append(art)
    rng.shuffle(arts)
    return arts, claims_by_article, planted


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def test_stories_and_clusters_at_scale(tmp_path):
    rng = random.Random(7)
    arts, claims_by_article, planted = _build(rng)
    con = open_db(tmp_path / "wh.duckdb")
    con.execute("SET threads = 2")
    before = _peak_rss_mb()
    started = time.monotonic()
    cut = 2000
    for part in (arts[:cut], arts[cut:]):
        rows = [row for a in part for row, _ in claims_by_article[a["article_id"]]]
        load(con, tmp_path / "st", part, rows)
    elapsed = time.monotonic() - started
    grown = _peak_rss_mb() - before
    print(f"scale load: {elapsed:.1f} s, peak RSS growth {grown:.0f} MB")
    assert grown < 500, f"peak memory grew by {grown:.0f} MB"
    assert elapsed < 120

    # Stories: every planted story is exactly one stored story, and no two
    # planted stories (not even the ones sharing vocabulary) share one.
    story_of = dict(con.execute("SELECT article_id, story_id FROM articles").fetchall())
    assert len(story_of) == N_STORIES * PER_STORY
    by_planted = defaultdict(set)
    for aid, k in planted.items():
        by_planted[k].add(story_of[aid])
    assert all(len(s) == 1 and None not in s for s in by_planted.values())
    assert len({next(iter(s)) for s in by_planted.values()}) == N_STORIES

    # Claims: each planted proposition is one cluster of its 20 claims (the two
    # stories sharing a vocabulary state the same ones, months apart); filler
    # claims stay alone.
    cluster_of = dict(con.execute("SELECT claim_id, claim_cluster_id FROM claims").fetchall())
    assert len(cluster_of) == N_STORIES * PER_STORY * 5
    assert None not in cluster_of.values()
    by_prop, fillers = defaultdict(set), []
    for rows in claims_by_article.values():
        for row, label in rows:
            if label is None:
                fillers.append(cluster_of[row["claim_id"]])
            else:
                by_prop[label].add(cluster_of[row["claim_id"]])
    assert len(by_prop) == _REUSE * 2
    assert all(len(s) == 1 for s in by_prop.values())
    prop_clusters = [next(iter(s)) for s in by_prop.values()]
    assert len(set(prop_clusters)) == len(prop_clusters)
    assert len(set(fillers)) == len(fillers)
    assert not set(fillers) & set(prop_clusters)
    # The term index carries each claim's cluster (read by later passes).
    listed = dict(con.execute("SELECT claim_id, cluster_id FROM claim_term_lists").fetchall())
    assert listed == cluster_of
