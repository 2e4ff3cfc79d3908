"""Content terms: the words that carry meaning, reduced to a comparable stem.

Shared by story grouping and claim clustering, which both compare bags of
content words and must not be thrown by plurals, tenses, demonyms
("Russian" vs "Russia") or function words.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache

import duckdb
import pyarrow as pa

from claimwire.transform.normalize import hash_key_text
from claimwire.warehouse.idsets import insert_arrow, registered

# Function words, auxiliaries, reporting and hedging verbs: they say how
# something was said, not what it is about, so they never make two texts alike.
_STOPWORD_TEXT = """
    a about above after again against ago all almost also although always am among an and
    another any anyone anything are around as at be became because become been before being
    below between both but by can cannot could did do does doing done down during each
    either else etc even ever every few for from further get gets got had has have having he
    her here hers herself him himself his how however i if in into is it its itself just
    last least less like made make makes many may me might mine more most much must my
    myself near neither never new next no nor not now of off often on once one only onto or
    other others our ours ourselves out over own per perhaps quite rather really said same
    say says saying see seen she should since so some something still such than that the
    their theirs them themselves then there these they this those though through thus to
    too toward towards under until up upon us very via was we well were what whatever when
    where whether which while who whom whose why will with within without would yet you
    your yours yourself yourselves told tell tells stated states statement added adding
    according claimed claim claims claiming reported reports report reportedly allegedly
    alleged denied denies deny confirmed confirm confirms believe believes believed think
    thinks warned warns announced announces insisted insists noted notes suggested
    suggests regarding concerning currently already recently today yesterday monday tuesday
    wednesday thursday friday saturday sunday week weeks weekend day days year years mr mrs
    ms dr according whose amid including include includes
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Suffix rules, longest first; demonym endings fold "korean"/"korea" and
# "ukrainian"/"ukraine" onto one stem. Crude by design: it only has to map
# variants of a word together, not produce dictionary stems.
_SUFFIXES = (
    ("ians", ""), ("eans", "e"), ("ings", ""), ("ies", "y"), ("ian", ""), ("ean", "e"),
    ("ing", ""), ("ied", "y"), ("ed", ""), ("es", ""), ("ia", ""), ("ea", "e"), ("s", ""),
    ("e", ""),
)
_MIN_STEM = 3


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    if word.isdigit() or len(word) <= _MIN_STEM:
        return word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) + len(repl) >= _MIN_STEM:
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: len(word) - len(suffix)] + repl
    return word


def content_terms(text: str) -> list[str]:
    """Stemmed content words in text order (repeats kept)."""
    out = []
    for word in hash_key_text(text).split():
        if len(word) < 2 or word in STOPWORDS:
            continue
        out.append(stem(word))
    return out


def term_counts(text: str) -> Counter[str]:
    return Counter(content_terms(text))


def replace_terms(
    con: duckdb.DuckDBPyConnection, table: str, key: str, ids_view: str, rows: pa.Table
) -> None:
    """Replace the term rows of the keys listed in `ids_view` with `rows`, keeping
    the table's document frequencies (`<table>_df`) in step."""
    remove_terms(con, table, key, f"SELECT id FROM {ids_view}")
    insert_arrow(con, table, rows, "IGNORE")
    with registered(con, "new_terms", rows):
        con.execute(
            f"INSERT INTO {table}_df BY NAME SELECT term, count(*) AS n FROM new_terms "
            f"GROUP BY term ON CONFLICT (term) DO UPDATE SET n = {table}_df.n + excluded.n"
        )


def remove_terms(con: duckdb.DuckDBPyConnection, table: str, key: str, keys_sql: str) -> None:
    """Delete the term rows of the keys `keys_sql` selects, and their counts."""
    con.execute(
        f"UPDATE {table}_df SET n = {table}_df.n - d.c FROM "
        f"(SELECT term, count(*) AS c FROM {table} WHERE {key} IN ({keys_sql}) GROUP BY term) d "
        f"WHERE {table}_df.term = d.term"
    )
    con.execute(f"DELETE FROM {table} WHERE {key} IN ({keys_sql})")


@contextlib.contextmanager
def rare_terms(
    con: duckdb.DuckDBPyConnection, table: str, key: str, ids_view: str, limit: int
) -> Iterator[str]:
    """Temp table `<table>_rare` of the terms of the keys in `ids_view` held by at
    most `limit` keys of the whole table: the terms that propose candidate
    pairs. Very common terms would pair nearly every row with every other. The
    frequencies come from `<table>_df`, so this costs what the new keys cost."""
    name = f"{table}_rare"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT DISTINCT t.term FROM {table} t "
        f"JOIN {table}_df d ON d.term = t.term "
        f"WHERE t.{key} IN (SELECT id FROM {ids_view}) AND d.n <= ?",
        [limit],
    )
    yield name
    # Not in a finally: after an error the transaction is aborted, the rollback
    # drops the table, and a DROP here would hide the error that matters.
    con.execute(f"DROP TABLE IF EXISTS {name}")


def term_limit(total: int, floor: int, share: float, ceiling: int) -> int:
    """How many rows may hold a term that still proposes pairs: a share of the
    table, at least `floor` (small warehouses skip nothing) and at most
    `ceiling` (so a night's candidate pairs stay bounded however large the
    warehouse grows)."""
    return min(ceiling, max(floor, int(total * share)))
