"""One speaker, one identity across the warehouse: the derive step links every
spelling of a source to one `speakers` row, incrementally, night after night."""

from __future__ import annotations

from datetime import datetime, timedelta

from dedup_support import article, claim, load, open_db

from claimwire.warehouse.queries import ClaimFilter, find_claims

DAY = datetime(2024, 10, 20, 9)
TEXTS = [
    "Kyiv reported heavy shelling along the eastern front overnight, officials said.",
    "A grain corridor deal was discussed in Istanbul by delegations of several countries.",
    "The parliament in Kyiv debated a new mobilisation law late into the evening.",
    "Power outages hit several regions after a wave of drone strikes on the grid.",
    "Farmers in the south reported a late harvest because of the dry summer months.",
]


def _claim(aid: str, seq: int, speaker: str, kind: str = "person") -> dict:
    row = claim(aid, seq, speaker, "assert", f"statement number {seq} about the war")
    row["speaker_type"] = kind
    return row


def test_spellings_of_one_person_share_one_identity_across_nights(tmp_path):
    con = open_db(tmp_path / "wh.duckdb")
    arts = [article(f"https://n{i}.example/a", TEXTS[i], published=DAY + timedelta(days=i))
            for i in range(4)]
    first = [
        _claim(arts[0]["article_id"], 0, "Volodymyr Zelenskyy"),
        _claim(arts[1]["article_id"], 0, "Zelensky"),
        _claim(arts[2]["article_id"], 0, "Vladimir Zelensky"),
        _claim(arts[3]["article_id"], 0, "Defense Department", "organization"),
        _claim(arts[3]["article_id"], 1, "Department of Defense", "organization"),
    ]
    counts = load(con, tmp_path / "st1", arts, first)
    assert counts.speakers_changed >= 2
    ids = dict(con.execute("SELECT speaker, speaker_id FROM claims").fetchall())
    assert ids["Volodymyr Zelenskyy"] == ids["Zelensky"] == ids["Vladimir Zelensky"]
    assert ids["Defense Department"] == ids["Department of Defense"]
    assert ids["Zelensky"] != ids["Defense Department"]
    names = {n for (n,) in con.execute(
        "SELECT DISTINCT speaker_canonical FROM claims WHERE speaker_id = ?",
        [ids["Zelensky"]]).fetchall()}
    assert len(names) == 1  # the views see one speaker
    [(canonical, kind)] = con.execute("SELECT canonical, type FROM speakers WHERE speaker_id = ?",
                                      [ids["Zelensky"]]).fetchall()
    assert kind == "person" and "Zelensk" in canonical

    # A later night: a new spelling joins the stored identity, nothing is renamed.
    later = article("https://n9.example/a", TEXTS[4], published=DAY + timedelta(days=9))
    load(con, tmp_path / "st2", [later], [_claim(later["article_id"], 0, "Zelenskiy")])
    [(sid,)] = con.execute("SELECT speaker_id FROM claims WHERE speaker = 'Zelenskiy'").fetchall()
    assert sid == ids["Zelensky"]
    assert con.execute("SELECT count(*) FROM speakers WHERE type = 'person'").fetchone()[0] == 1

    columns, rows = find_claims(con, ClaimFilter(speaker="Zelenskiy"))
    assert len(rows) == 4  # every spelling, found by any of them


def test_an_identitys_aliases_are_the_same_list_in_every_process():
    import subprocess
    import sys

    # Forms that fold alike ("NATO ..." and "Nato ...") once kept set order,
    # which Python's string hashing changes from process to process.
    code = (
        "from claimwire.transform.claims.identity import SpeakerMention, resolve_identities\n"
        "names = ['Nato Secretary General Mark Rutte', 'NATO Secretary General Mark Rutte',\n"
        "         'Mark Rutte', 'NATO secretary general Mark Rutte']\n"
        "batch = resolve_identities([SpeakerMention(f'c{i}', n, 'person', f'a{i}', None, ())\n"
        "                            for i, n in enumerate(names)])\n"
        "print(sorted((i.canonical, i.aliases) for i in batch.identities))\n"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": str(seed), "PATH": ""}).stdout
        for seed in range(6)
    }
    assert len(outputs) == 1
    assert "NATO Secretary General Mark Rutte" in outputs.pop()
