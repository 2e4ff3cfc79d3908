"""Near-duplicate detection: fingerprints, and linking copies in the warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from dedup_support import article, claim, load, open_db

from claimwire.config import DedupSettings
from claimwire.transform.derive import minhash as neardup
from claimwire.warehouse.db import migrate

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "seeds"
T = neardup.DEFAULT_THRESHOLD

PORT_STRIKE = """Dock workers at the port of Valmora walked off the job on Tuesday morning,
halting container traffic at the country's second largest harbour for the first time in
eleven years. The union representing about 4,200 crane operators, lashers and pilots said
the strike would continue until the port authority withdrew its plan to automate two of the
five terminals by 2027.
Ships began queuing outside the breakwater within hours. By evening the harbour master's
office listed nineteen vessels waiting at anchor, most of them carrying grain, fertiliser and
refrigerated fruit bound for inland distributors.
The port authority called the walkout unlawful because the union had given only two days of
notice instead of the seven required by the collective agreement. Its chief executive, Ines
Marrow, said the automation plan would create more skilled jobs than it removed and that
nobody would be dismissed before the end of the decade.
Union leaders disputed those figures. They pointed to a consultancy report commissioned by
the authority itself, which estimated that the two automated terminals would need roughly a
third of the current workforce once fully running.
Retailers warned of empty shelves within a fortnight if the dispute dragged on. A spokesman
for the national food distributors' federation said supermarkets in the north of the country
depended on Valmora for almost half of their imported fresh produce.
The transport ministry said mediators would meet both sides on Thursday. Talks broke down in
March after the authority refused to publish its full investment schedule."""

PORT_OTHER = """Container ships piled up off Valmora on Tuesday as a strike by port workers
over automation entered its first day, and the government scrambled to bring the two sides
back to the table.
Ines Marrow, who runs the port authority, told reporters the stoppage broke the notice rules
in the collective agreement and urged crews to return to work. The dockers' union insists the
automation of two terminals planned for 2027 would wipe out most of their jobs.
Nineteen vessels were waiting at anchor by nightfall, according to the harbour master. Food
distributors said fresh produce for northern supermarkets was at risk if the strike lasted
beyond two weeks, while the transport ministry announced that mediators would meet union and
authority representatives on Thursday. Previous negotiations collapsed in March."""

MUSEUM = """The city museum reopened its east wing on Saturday after a three year renovation
that replaced the roof, restored the original mosaic floors and added climate control for the
textile collection. Curators chose a first exhibition of eighteenth century tapestries lent by
four private collections, several of them shown in public for the first time. Visitors queued
around the block before the doors opened, and the museum extended its opening hours for the
whole month to cope with demand. Admission remains free on the first Sunday of every month."""

NAV = "Home | World | Business | Sport | Culture | Opinion | Video | Newsletters | Sign in\n"
FOOTER = (
    "\nRead more: Five things to know before the markets open. Share this article on Facebook, "
    "X or by email. Copyright 2026 Example Media Group. All rights reserved. Terms of use. "
    "Privacy policy. Cookie settings. Advertise with us."
)


def with_furniture(text: str) -> str:
    return NAV + text + FOOTER


def with_headline(text: str) -> str:
    return "Port standstill: strike over robots hits Valmora harbour\n" + text


def with_credit(text: str) -> str:
    return "VALMORA (Wire Service) - " + text + "\nReporting by A. Writer; editing by B. Editor."


def with_edits(text: str) -> str:
    return (
        text.replace("walked off the job on Tuesday morning", "went on strike early on Tuesday")
        .replace("Retailers warned of empty shelves", "Shop owners cautioned about bare shelves")
    )


def everything(text: str) -> str:
    return with_furniture(with_credit(with_headline(with_edits(text))))


VARIANTS = [with_furniture, with_headline, with_credit, with_edits, everything]


def sim(a: str, b: str) -> float:
    return neardup.estimate_similarity(neardup.signature(a), neardup.signature(b))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda f: f.__name__)
def test_syndicated_copies_are_near_duplicates(variant):
    copy = variant(PORT_STRIKE)
    assert sim(PORT_STRIKE, copy) >= T
    shared = set(neardup.band_keys(neardup.signature(PORT_STRIKE))) & set(
        neardup.band_keys(neardup.signature(copy))
    )
    assert shared, "a copy must share at least one LSH band with its original"


def test_different_articles_on_one_event_are_not_duplicates():
    assert sim(PORT_STRIKE, PORT_OTHER) < 0.2
    assert sim(PORT_STRIKE, MUSEUM) < 0.05


def test_estimate_tracks_exact_jaccard():
    a = set(neardup.shingle_hashes(PORT_STRIKE).tolist())
    b = set(neardup.shingle_hashes(everything(PORT_STRIKE)).tolist())
    exact = len(a & b) / len(a | b)
    assert abs(sim(PORT_STRIKE, everything(PORT_STRIKE)) - exact) < 0.12


def test_lsh_bands_catch_pairs_at_the_threshold():
    params = neardup.lsh_params(T, 128)
    assert params.used_perm <= 128
    recall = 1 - (1 - T**params.rows) ** params.bands
    assert recall >= 0.95
    assert 1 - (1 - 0.15**params.rows) ** params.bands < 0.2


def test_empty_text_has_no_band_keys():
    assert neardup.band_keys(neardup.signature("")) == []
    assert neardup.estimate_similarity(neardup.signature(""), neardup.signature("")) == 0.0


def test_fingerprints_are_the_same_in_another_process():
    code = (
        "import json,sys; from claimwire.transform.derive import minhash as n; "
        "s = n.signature(sys.stdin.read()); "
        "print(json.dumps([s.tolist(), n.band_keys(s)]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], input=PORT_STRIKE, capture_output=True, text=True,
        check=True, env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout
    sig, keys = json.loads(out)
    here = neardup.signature(PORT_STRIKE)
    assert sig == here.tolist()
    assert keys == neardup.band_keys(here)


# --- in the warehouse -------------------------------------------------------------

DAY1 = datetime(2026, 3, 3, 8, 0)
DAY2 = datetime(2026, 3, 3, 15, 0)


def _dup_of(con, article_id):
    return con.execute(
        "SELECT duplicate_of FROM articles WHERE article_id = ?", [article_id]
    ).fetchone()[0]


def test_copy_in_a_later_load_is_linked_and_loses_its_claims(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    original = article("https://a.example/port", PORT_STRIKE, published=DAY1)
    load(con, tmp_path / "st", [original],
         [claim(original["article_id"], 1, "Ines Marrow", "assert", "the walkout is unlawful")])
    copies = [
        article(f"https://copy{i}.example/x", variant(PORT_STRIKE), published=DAY2)
        for i, variant in enumerate(VARIANTS)
    ]
    copy_claims = [claim(c["article_id"], 1, "Ines Marrow", "assert", "the walkout is unlawful")
                   for c in copies]
    counts = load(con, tmp_path / "st", copies, copy_claims)
    assert counts.near_duplicates == len(copies)
    for c in copies:
        assert _dup_of(con, c["article_id"]) == original["article_id"]
    rows = con.execute(
        "SELECT article_id, duplicate_of, similarity, method FROM article_duplicates"
    ).fetchall()
    assert {r[0] for r in rows} == {c["article_id"] for c in copies}
    assert all(r[1] == original["article_id"] and r[2] >= T and r[3] == "minhash" for r in rows)
    claim_articles = {r[0] for r in con.execute("SELECT article_id FROM claims").fetchall()}
    assert claim_articles == {original["article_id"]}
    # Copies share the original's story.
    stories = {r[0] for r in con.execute("SELECT story_id FROM articles").fetchall()}
    assert len(stories) == 1 and None not in stories


def test_copies_are_looked_for_among_articles_of_the_window_of_days(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    original = article("https://a.example/port", PORT_STRIKE, published=DAY1)
    load(con, tmp_path / "st", [original])
    near = article("https://b.example/copy", with_credit(PORT_STRIKE),
                   published=DAY1 + timedelta(days=89))
    far = article("https://c.example/copy", with_furniture(PORT_STRIKE),
                  published=DAY1 + timedelta(days=200))
    assert load(con, tmp_path / "st", [near, far]).near_duplicates == 1
    assert _dup_of(con, near["article_id"]) == original["article_id"]
    assert _dup_of(con, far["article_id"]) is None
    # A wider window (a setting) reaches the original from a later copy, and
    # the copy 200 days out joins the group through it.
    later = article("https://d.example/copy", with_credit(PORT_STRIKE),
                    published=DAY1 + timedelta(days=300))
    wide = DedupSettings(window_days=400)
    assert load(con, tmp_path / "st", [later], dedup=wide).near_duplicates == 2
    assert _dup_of(con, later["article_id"]) == original["article_id"]
    assert _dup_of(con, far["article_id"]) == original["article_id"]


def test_band_keys_stored_before_their_days_get_them_by_migration(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    original = article("https://a.example/port", PORT_STRIKE, published=DAY1)
    undated = article("https://b.example/other", MUSEUM, seen=DAY2)
    load(con, tmp_path / "st", [original, undated])
    con.execute("UPDATE article_band_keys SET day = NULL")
    con.execute("DELETE FROM schema_migrations WHERE version = '2026-12-05-18-band-key-days'")
    assert migrate(con) == ["2026-12-05-18-band-key-days"]
    days = dict(con.execute("SELECT article_id, any_value(day) FROM article_band_keys "
                            "GROUP BY 1").fetchall())
    epoch = datetime(1970, 1, 1)
    assert days == {original["article_id"]: (DAY1 - epoch).days,
                    undated["article_id"]: (DAY2 - epoch).days}
    copy = article("https://c.example/copy", with_credit(PORT_STRIKE), published=DAY2)
    load(con, tmp_path / "st", [copy])
    assert _dup_of(con, copy["article_id"]) == original["article_id"]


def test_older_original_arriving_later_takes_the_group_over(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    late_copy = article("https://b.example/copy", with_credit(PORT_STRIKE), published=DAY2)
    load(con, tmp_path / "st", [late_copy],
         [claim(late_copy["article_id"], 1, "Ines Marrow", "assert", "nobody will be dismissed")])
    first = article("https://a.example/port", PORT_STRIKE, published=DAY1, seen=DAY2)
    second_copy = article("https://c.example/copy", with_furniture(PORT_STRIKE), published=DAY2)
    load(con, tmp_path / "st", [first, second_copy])
    assert _dup_of(con, first["article_id"]) is None
    assert _dup_of(con, late_copy["article_id"]) == first["article_id"]
    assert _dup_of(con, second_copy["article_id"]) == first["article_id"]
    assert con.execute("SELECT count(*) FROM claims").fetchone()[0] == 0


def test_copies_in_one_load_point_at_the_earliest(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    a = article("https://a.example/1", PORT_STRIKE, published=DAY1)
    b = article("https://b.example/1", with_edits(PORT_STRIKE), published=DAY2)
    c = article("https://c.example/1", with_headline(PORT_STRIKE), published=DAY2)
    load(con, tmp_path / "st", [c, b, a])
    assert _dup_of(con, a["article_id"]) is None
    assert _dup_of(con, b["article_id"]) == a["article_id"]
    assert _dup_of(con, c["article_id"]) == a["article_id"]


def test_distinct_articles_stay_distinct_and_reloading_changes_nothing(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    batch = [
        article("https://a.example/1", PORT_STRIKE, published=DAY1),
        article("https://b.example/2", PORT_OTHER, published=DAY2),
        article("https://c.example/3", MUSEUM, published=DAY2),
    ]
    for _ in range(2):
        load(con, tmp_path / "st", batch)
        assert con.execute(
            "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"
        ).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM article_duplicates").fetchone()[0] == 0
    # Two write-ups of one strike form a story; the museum is another.
    story = dict(con.execute("SELECT url, story_id FROM articles").fetchall())
    assert story["https://a.example/1"] == story["https://b.example/2"]
    assert story["https://c.example/3"] != story["https://a.example/1"]
    keys = con.execute("SELECT count(*) FROM article_band_keys").fetchone()[0]
    assert keys == 3 * neardup.lsh_params(T, 128).bands


def test_the_five_seed_articles_are_distinct_and_one_story(tmp_path):
    if not SEEDS.is_dir():
        pytest.skip(f"seed articles not present at {SEEDS}")
    con = open_db(tmp_path / "wh.duckdb")
    seeds = sorted(SEEDS.glob("*.txt"))
    assert len(seeds) == 5
    batch = [
        article(f"https://seed.example/{p.stem}", p.read_text(encoding="utf-8"),
                published=datetime(2024, 10, 20 + 2 * i))
        for i, p in enumerate(seeds)
    ]
    load(con, tmp_path / "st", batch)
    assert con.execute(
        "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL"
    ).fetchone()[0] == 0
    assert con.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone()[0] == 1
    # An unrelated article does not join the story.
    load(con, tmp_path / "st",
         [article("https://m.example/x", MUSEUM, published=datetime(2024, 10, 24))])
    assert con.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone()[0] == 2


def test_reprocessed_copy_that_changed_is_unlinked(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    original = article("https://a.example/port", PORT_STRIKE, published=DAY1)
    copy = article("https://b.example/copy", with_credit(PORT_STRIKE), published=DAY2)
    load(con, tmp_path / "st", [original, copy])
    assert _dup_of(con, copy["article_id"]) == original["article_id"]
    rewritten = dict(copy, text=MUSEUM, content_hash="changed")
    load(con, tmp_path / "st", [rewritten])
    assert _dup_of(con, copy["article_id"]) is None
    assert con.execute("SELECT count(*) FROM article_duplicates").fetchone()[0] == 0


def test_changed_settings_reindex_older_articles(tmp_path):
    from claimwire.config import DedupSettings

    con = open_db(tmp_path / "wh.duckdb")
    original = article("https://a.example/port", PORT_STRIKE, published=DAY1)
    load(con, tmp_path / "st", [original])
    changed = DedupSettings(near_duplicate_threshold=0.6, num_perm=64)
    copy = article("https://b.example/copy", with_furniture(PORT_STRIKE), published=DAY2)
    load(con, tmp_path / "st", [copy], dedup=changed)
    assert _dup_of(con, copy["article_id"]) == original["article_id"]
    params = neardup.lsh_params(0.6, 64)
    assert con.execute(
        "SELECT DISTINCT num_perm, bands, rows FROM article_signatures"
    ).fetchall() == [(64, params.bands, params.rows)]
