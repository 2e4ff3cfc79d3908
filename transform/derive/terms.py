"""Content terms: the words that carry meaning, reduced to a comparable stem.

Shared by story grouping and claim clustering, which both compare bags of
content words and must not be thrown by plurals, tenses, demonyms
("Russian" vs "Russia") or function words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import duckdb
import pyarrow as pa

from claimwire.transform.normalize import hash_key_text
from claimwire.warehouse.backends import upsert
from claimwire.warehouse.idsets import registered, rows_with

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


@dataclass(frozen=True)
class TermIndex:
    """The stems of articles (or claims) kept for finding candidate pairs: a
    list per key (`<kind>_term_lists`), a count per stem (`<kind>_terms_df`),
    and (stem, key) rows for the stems held by at most `ceiling` keys
    (`<kind>_rare_terms`), the only ones that propose candidates. A stem that
    passes the ceiling loses its rows for good (it never proposes again),
    so the rare rows stay bounded whatever the warehouse holds."""

    kind: str
    key: str
    ceiling: int

    @property
    def lists(self) -> str:
        return f"{self.kind}_term_lists"

    @property
    def df(self) -> str:
        return f"{self.kind}_terms_df"

    @property
    def rare(self) -> str:
        return f"{self.kind}_rare_terms"

    def add(self, con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
        """Index keys given as rows (key, terms list, day); keys indexed before are
        replaced. Call inside the derive transaction."""
        if rows.num_rows == 0:
            return
        self.remove(con, rows[self.key].to_pylist())
        with registered(con, "ti_new", rows):
            con.execute(f"INSERT INTO {self.lists} BY NAME SELECT * FROM ti_new")
            con.execute("""
                CREATE OR REPLACE TEMP TABLE ti_counts AS
                SELECT term, count(*) AS n FROM (SELECT unnest(terms) AS term FROM ti_new)
                GROUP BY term""")
        upsert(con, self.df, "ti_counts", ["term"], {"n": f"{self.df}.n + excluded.n"})
        # A stem that passes the ceiling gets no more rows; those it has stay,
        # unused (queries take only stems under the ceiling), so a stem never
        # holds more than the ceiling and one pass's keys.
        with registered(con, "ti_new", rows):
            con.execute(f"""
                INSERT INTO {self.rare} BY NAME
                SELECT t.term, t.{self.key}, t.day
                FROM (SELECT {self.key}, day, unnest(terms) AS term FROM ti_new) t
                JOIN {self.df} d ON d.term = t.term
                WHERE d.n <= {self.ceiling} AND t.term IN (SELECT term FROM ti_counts)
                ORDER BY t.day, t.term""")
        con.execute("DROP TABLE ti_counts")

    def remove(self, con: duckdb.DuckDBPyConnection, keys: list[str]) -> None:
        """Take these keys out of the index."""
        if not keys:
            return
        of_keys = rows_with(con, self.lists, self.key, keys)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE ti_gone AS SELECT {self.key}, terms, day
            FROM {self.lists} WHERE {of_keys}""")
        found, dated, lo, hi = con.execute(
            "SELECT count(*), count(day), min(day), max(day) FROM ti_gone").fetchone()
        if found:
            con.execute(f"""
                UPDATE {self.df} SET n = {self.df}.n - g.c FROM
                (SELECT term, count(*) AS c FROM (SELECT unnest(terms) AS term FROM ti_gone)
                 GROUP BY term) g
                WHERE {self.df}.term = g.term""")
            # The rows are in day order: the day bounds skip the rest unread
            # (an `OR day IS NULL` beside them would read every row group).
            days = [f"day BETWEEN {lo} AND {hi}"] if dated else []
            days += ["day IS NULL"] if dated < found else []
            con.execute(f"DELETE FROM {self.rare} WHERE ({' OR '.join(days)}) AND {self.key} IN "
                        f"(SELECT {self.key} FROM ti_gone)")
            con.execute(f"DELETE FROM {self.lists} WHERE {of_keys}")
        con.execute("DROP TABLE ti_gone")


def term_limit(total: int, floor: int, share: float, ceiling: int) -> int:
    """How many rows may hold a term that still proposes pairs: a share of the
    table, at least `floor` (small warehouses skip nothing) and at most
    `ceiling` (so a night's candidate pairs stay bounded however large the
    warehouse grows)."""
    return min(ceiling, max(floor, int(total * share)))
