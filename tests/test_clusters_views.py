"""Claim clusters and the claim views, on claim rows loaded through the loader."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from dedup_support import article, claim, load, open_db

from claimwire.transform.derive import clusters
from claimwire.warehouse.views import create_views

GOLD = Path(__file__).resolve().parents[2] / "shared" / "data" / "claims" / "gold_dev.jsonl"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "seeds"

TEXT_1 = """Ruritania's neighbours traded accusations on Monday as reports spread of
foreign soldiers near the Bordurian frontier. Foreign minister Anna Vogel told a press
conference in the capital
that her government had seen the reports but had no evidence of its own. Farmers in the valley
meanwhile expect a record harvest, the regional farm bureau said."""

TEXT_2 = """Anna Vogel said on Tuesday that Ruritanian units had moved into the border region of
Borduria, reversing her cautious line of last week. Ruritania's defence ministry rejected the
account. Separately, the national energy agency forecast lower fuel prices for the spring
after a mild winter reduced heating demand across the continent."""

CLAIMS_1 = [
    ("Anna Vogel", "uncertain", "Ruritanian troops are stationed in the Borduria border region",
     date(2026, 3, 2)),
    ("Farm Bureau", "assert", "this year's wheat harvest will be the largest in a decade", None),
]
CLAIMS_2 = [
    ("Anna Vogel", "assert", "Ruritanian troops have been deployed to the Borduria border region",
     date(2026, 3, 10)),
    ("Ruritanian Defence Ministry", "deny", "Ruritanian troops are in the Borduria border region",
     date(2026, 3, 10)),
    ("Energy Agency", "assert", "fuel prices will fall in the spring after a mild winter", None),
]


@pytest.fixture
def con(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    a1 = article("https://one.example/a", TEXT_1, published=datetime(2026, 3, 2, 9))
    a2 = article("https://two.example/b", TEXT_2, published=datetime(2026, 3, 10, 9))
    # Two loads: clusters founded in the first must be joined from the second.
    load(con, tmp_path / "st", [a1],
         [claim(a1["article_id"], i, *c) for i, c in enumerate(CLAIMS_1)])
    load(con, tmp_path / "st", [a2],
         [claim(a2["article_id"], i, *c) for i, c in enumerate(CLAIMS_2)])
    return con


def _cluster_of(con, speaker, stance):
    return con.execute(
        "SELECT claim_cluster_id FROM claims WHERE speaker = ? AND stance = ?", [speaker, stance]
    ).fetchone()[0]


def test_same_proposition_shares_a_cluster_across_sources_and_loads(con):
    troops = _cluster_of(con, "Anna Vogel", "uncertain")
    assert troops is not None
    assert _cluster_of(con, "Anna Vogel", "assert") == troops
    assert _cluster_of(con, "Ruritanian Defence Ministry", "deny") == troops
    others = {
        _cluster_of(con, "Farm Bureau", "assert"), _cluster_of(con, "Energy Agency", "assert")
    }
    assert troops not in others and len(others) == 2


def test_stance_change_shows_from_and_to(con):
    rows = con.execute(
        "SELECT speaker, from_stance, from_date, to_stance, to_date FROM speaker_stance_changes"
    ).fetchall()
    assert rows == [("Anna Vogel", "uncertain", date(2026, 3, 2), "assert", date(2026, 3, 10))]


def test_contradictions_show_both_sides(con):
    rows = con.execute(
        "SELECT speaker_a, stance_a, content_a, date_a, article_id_a, "
        "speaker_b, stance_b, content_b, date_b, article_id_b FROM contradictions"
    ).fetchall()
    assert len(rows) == 1
    row = rows[0]
    assert row[0:2] == ("Anna Vogel", "assert") and "deployed" in row[2]
    assert row[5:7] == ("Ruritanian Defence Ministry", "deny")
    assert row[3] == row[8] == date(2026, 3, 10)
    assert row[4] and row[9]
    label, contradicted = con.execute(
        "SELECT label, contradicted FROM claim_clusters WHERE cluster_id = ?",
        [_cluster_of(con, "Anna Vogel", "assert")],
    ).fetchone()
    assert contradicted and label.startswith("Ruritanian troops are stationed")


def test_timeline_lists_each_source_in_date_order(con):
    rows = con.execute(
        "SELECT speaker, stance, day FROM claim_timeline WHERE cluster_id = ? "
        "ORDER BY day, speaker",
        [_cluster_of(con, "Anna Vogel", "assert")],
    ).fetchall()
    assert rows[0] == ("Anna Vogel", "uncertain", date(2026, 3, 2))
    assert len(rows) == 3


def test_views_can_be_recreated(con):
    create_views(con)
    create_views(con)
    assert con.execute("SELECT count(*) FROM contradictions").fetchone()[0] == 1


def test_unrelated_claims_do_not_cluster():
    a = clusters.claim_terms("the central bank will raise interest rates in June")
    b = clusters.claim_terms("the river flooded three villages overnight")
    assert clusters.dice(a, b) == 0.0
    out = clusters.cluster_claims([clusters.ClaimItem("x", a, 1), clusters.ClaimItem("y", b, 2)])
    assert out["x"] != out["y"]


def test_clustering_does_not_depend_on_input_order():
    texts = [c[2] for c in CLAIMS_1 + CLAIMS_2]
    items = [clusters.ClaimItem(f"c{i}", clusters.claim_terms(t), i) for i, t in enumerate(texts)]
    forward = clusters.cluster_claims(items)
    assert clusters.cluster_claims(list(reversed(items))) == forward
    assert forward["c0"] == forward["c2"] == forward["c3"] == clusters.cluster_id("c0")


def test_stored_clusters_are_kept_and_named_by_earliest():
    terms = clusters.claim_terms("Ruritanian troops are stationed in the border region")
    items = [
        clusters.ClaimItem("old", terms, 1, cluster="cl-stored"),
        clusters.ClaimItem("new", terms, 0),
    ]
    assert clusters.cluster_claims(items) == {"old": "cl-stored", "new": "cl-stored"}


def test_gold_claims_of_the_seed_story(tmp_path):
    if not GOLD.is_file() or not SEEDS.is_dir():
        pytest.skip("shared gold claims or seed articles not present")
    gold = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
    con = open_db(tmp_path / "wh.duckdb")
    arts, rows = [], []
    for i, path in enumerate(sorted(SEEDS.glob("*.txt"))):
        art = article(f"https://seed.example/{path.stem}", path.read_text(encoding="utf-8"),
                      published=datetime(2024, 10, 20 + 2 * i))
        arts.append(art)
        mine = [g for g in gold if g["doc"] == path.stem]
        for seq, g in enumerate(mine):
            day = date.fromisoformat(g["claimed_on"]) if g["claimed_on"] else None
            rows.append(claim(art["article_id"], seq, g["speaker"], g["stance"], g["content"], day))
    load(con, tmp_path / "st", arts, rows)
    changes = con.execute(
        "SELECT from_stance, from_date, to_stance, to_date FROM speaker_stance_changes "
        "WHERE speaker = 'Mark Rutte' AND from_stance = 'uncertain' AND to_stance = 'assert'"
    ).fetchall()
    assert (("uncertain", date(2024, 10, 16), "assert", date(2024, 10, 28)) in changes)
    kursk = con.execute(
        "SELECT count(DISTINCT claim_cluster_id) FROM claims WHERE content ILIKE '%Kursk%'"
        " AND content ILIKE '%troops%'"
    ).fetchone()[0]
    assert kursk == 1
    contradicted = con.execute(
        "SELECT count(*) FROM contradictions c JOIN claims k ON k.claim_cluster_id = c.cluster_id "
        "WHERE k.content ILIKE '%Kursk%'"
    ).fetchone()[0]
    assert contradicted > 0
    largest = con.execute(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM claims GROUP BY claim_cluster_id)"
    ).fetchone()[0]
    assert largest <= 12, "the story's claims must not chain into one cluster"


def test_a_proposition_joins_its_cluster_within_the_window_and_starts_anew_after(tmp_path):
    """Restated 100 days later, a proposition joins its cluster; restated after
    a silence longer than the window, it starts a new one (the window bounds
    what a night reads), which a restatement soon after joins."""
    con = open_db(tmp_path / "wh.duckdb")
    wording = "Ruritanian troops crossed the Bordurian frontier near Zelt"
    start = datetime(2024, 1, 1, 9)
    gaps = [0, 100, 100 + clusters.WINDOW_DAYS + 50, 100 + clusters.WINDOW_DAYS + 60]
    arts = [article(f"https://site{i}.example/a", f"Report {i} on the border. " * 20,
                    published=start + timedelta(days=gap)) for i, gap in enumerate(gaps)]
    for i, art in enumerate(arts):  # night by night, as a user runs it
        load(con, tmp_path / f"st{i}", [art],
             [claim(art["article_id"], 0, f"Speaker {i}", "assert", wording)])
    cluster_of = dict(con.execute("SELECT article_id, claim_cluster_id FROM claims").fetchall())
    first, later, silent, after = (cluster_of[a["article_id"]] for a in arts)
    assert first == later
    assert silent != first
    assert after == silent
    sizes = dict(con.execute("SELECT cluster_id, claims FROM claim_cluster_stats").fetchall())
    assert sizes == {first: 2, silent: 2}
    listed = dict(con.execute("SELECT claim_id, cluster_id FROM claim_term_lists").fetchall())
    assert listed == dict(con.execute("SELECT claim_id, claim_cluster_id FROM claims").fetchall())


def test_new_claims_between_two_stored_clusters_merge_them_whole(tmp_path):
    """Two statements further apart than the window are two clusters; restated
    in between, they become one, named after the earliest, and every member
    (in `claims` and in the term index) and the summaries follow."""
    con = open_db(tmp_path / "wh.duckdb")
    wording = "Ruritanian troops crossed the Bordurian frontier near Zelt"
    start = datetime(2024, 1, 1, 9)
    span = clusters.WINDOW_DAYS + 70
    nights = [[0], [span], [span // 2] * 3]
    arts = []
    for n, days in enumerate(nights):
        night = [article(f"https://site{n}-{i}.example/a", f"Report {n} {i} on it. " * 20,
                         published=start + timedelta(days=d)) for i, d in enumerate(days)]
        load(con, tmp_path / f"st{n}", night,
             [claim(a["article_id"], 0, f"Speaker {n}", "assert", wording) for a in night])
        arts.append(night)
        ids = set(dict(con.execute("SELECT claim_cluster_id, 1 FROM claims").fetchall()))
        assert len(ids) == (1 if n == 0 else 2 if n == 1 else 1)
    earliest = clusters.cluster_id(f"{arts[0][0]['article_id']}-0")
    assert {r[0] for r in con.execute("SELECT claim_cluster_id FROM claims").fetchall()} == {
        earliest}
    assert {r[0] for r in con.execute("SELECT cluster_id FROM claim_term_lists").fetchall()} == {
        earliest}
    assert con.execute("SELECT cluster_id, claims FROM claim_cluster_stats").fetchall() == [
        (earliest, 5)]


def test_a_reprocessed_article_takes_its_vanished_claims_out_of_clusters(con, tmp_path):
    troops = _cluster_of(con, "Anna Vogel", "uncertain")
    before = con.execute("SELECT claims, contradicted FROM claim_clusters WHERE cluster_id = ?",
                         [troops]).fetchone()
    assert before == (3, True)
    # Re-processed, the second article keeps only its energy claim (seq 2):
    # the assert and the deny it had are gone from the warehouse.
    a2 = article("https://two.example/b", TEXT_2 + " Updated.",
                 published=datetime(2026, 3, 10, 9))
    load(con, tmp_path / "st2", [a2], [claim(a2["article_id"], 2, *CLAIMS_2[2])])
    assert con.execute("SELECT claims, contradicted FROM claim_clusters WHERE cluster_id = ?",
                       [troops]).fetchone() == (1, False)
    assert con.execute("SELECT count(*) FROM contradictions").fetchone()[0] == 0
    gone = [f"{a2['article_id']}-0", f"{a2['article_id']}-1"]
    assert con.execute("SELECT count(*) FROM claim_term_lists WHERE claim_id IN (?, ?)",
                       gone).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM claim_rare_terms WHERE claim_id IN (?, ?)",
                       gone).fetchone()[0] == 0
    summary = con.execute("SELECT cluster_id, claims FROM claim_clusters ORDER BY 1").fetchall()
    counted = con.execute("SELECT cluster_id, count(*) FROM claim_timeline "
                          "GROUP BY 1 ORDER BY 1").fetchall()
    assert summary == counted


NAIVE_CONTRADICTIONS = """
SELECT a.cluster_id, a.speaker, a.claim_id, d.speaker, d.claim_id, a.story_id, d.site
FROM claim_timeline a JOIN claim_timeline d
  ON d.cluster_id = a.cluster_id AND a.stance = 'assert' AND d.stance = 'deny'
 AND a.speaker IS DISTINCT FROM d.speaker
ORDER BY ALL
"""


def test_contradictions_equal_every_assert_deny_pair_of_the_timeline(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    texts = [TEXT_1, TEXT_2]
    for day in range(4):
        a = article(f"https://s{day}.example/x", texts[day % 2] + f" Day {day}.",
                    published=datetime(2026, 3, 2 + day, 9))
        rows = [claim(a["article_id"], i, f"{c[0]} {day % 3}", c[1], c[2], c[3])
                for i, c in enumerate(CLAIMS_2)]
        load(con, tmp_path / f"st{day}", [a], rows)
    view = con.execute("""
        SELECT cluster_id, speaker_a, c1.claim_id, speaker_b, c2.claim_id, story_id_a, site_b
        FROM contradictions x
        JOIN claims c1 ON c1.article_id = x.article_id_a AND c1.content = x.content_a
        JOIN claims c2 ON c2.article_id = x.article_id_b AND c2.content = x.content_b
        ORDER BY ALL""").fetchall()
    assert len(view) >= 4
    assert view == con.execute(NAIVE_CONTRADICTIONS).fetchall()
