"""Speakers: one identity per source across the warehouse ("Zelensky", "Zelenskyy",
"Volodymyr Zelenskyy" are one person); the SQL that keeps `speakers` current.

The rule is `transform.claims.identity`: a new mention meets only the stored
identities that share one of its name keys (folded surname, organisation word
bag, acronym), so a derive pass costs what its own claims cost, whatever the
warehouse holds. Each claim gets its identity's id, and `speaker_canonical`
becomes the identity's name, so the views and `claimwire claims --speaker`
see every spelling together; the article's own wording stays in `speaker`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import duckdb
import pyarrow as pa

from claimwire.transform.claims.identity import (
    Identity,
    IdentityStore,
    SpeakerMention,
    mention_keys,
    resolve_identities,
)
from claimwire.transform.derive.clusters import touch_clusters
from claimwire.warehouse.idsets import (
    id_table,
    insert_arrow,
    literal_list,
    rows_with,
    update_column,
)
from claimwire.warehouse.staging import utcnow


class _StoredIdentities:
    """`lookup` for the rule: stored identities by key, fetched in one query for
    a whole pass, and again only for keys the rule asks about later."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._store = IdentityStore()
        self._asked: set[str] = set()

    def fetch(self, keys: Iterable[str]) -> None:
        wanted = set(keys) - self._asked
        if not wanted:
            return
        self._asked |= wanted
        with id_table(self._con, "sp_keys", wanted):
            rows = self._con.execute(
                "SELECT DISTINCT s.speaker_id, s.canonical, s.type, s.aliases "
                "FROM speaker_keys k JOIN speakers s USING (speaker_id) "
                "WHERE k.key IN (SELECT id FROM sp_keys)"
            ).fetchall()
        self._store.add(Identity(sid, name, kind, tuple(aliases or ()))
                        for sid, name, kind, aliases in rows)

    def lookup(self, keys: set[str]) -> list[Identity]:
        self.fetch(keys)
        return self._store.lookup(keys)

    def renamed(self, identities: Iterable[Identity]) -> list[str]:
        """The ids of those stored identities whose name these versions change."""
        out = []
        for ident in identities:
            try:
                if self._store[ident.id].canonical != ident.canonical:
                    out.append(ident.id)
            except KeyError:
                continue
        return out


def assign_speakers(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> int:
    """Give the claims of these (original) articles their speaker identity;
    return how many identities were created or changed."""
    rows = con.execute(
        "SELECT c.claim_id, c.speaker, c.speaker_canonical, c.speaker_type, "
        "       c.speaker_aliases, c.article_id, a.story_id "
        "FROM claims c JOIN articles a USING (article_id) "
        f"WHERE {rows_with(con, 'claims', 'article_id', article_ids, 'c')} "
        f"AND {rows_with(con, 'articles', 'article_id', article_ids, 'a')} "
        "AND a.duplicate_of IS NULL ORDER BY c.claim_id"
    ).fetchall()
    mentions = [
        SpeakerMention(cid, canonical or speaker or "", kind or "organization", aid, story,
                       tuple(x for x in (speaker, *(aliases or ())) if x and x != canonical))
        for cid, speaker, canonical, kind, aliases, aid, story in rows
    ]
    if not mentions:
        return 0
    stored = _StoredIdentities(con)
    stored.fetch(key for m in mentions for key in mention_keys(m))
    batch = resolve_identities(mentions, stored.lookup,
                               story_identities=_quoted_in(con, mentions))
    _store(con, batch.identities, batch.keys)
    assigned = {key: sid for key, sid in batch.mapping.items() if sid}
    update_column(con, "claims", "claim_id", "speaker_id", assigned)
    # The new claims take their identity's name; an identity renamed (a surname
    # that met its full name) renames its older claims too. The pass's own
    # claims are found within their rowid range; only a rename reads them all.
    _rename_claims(con, rows_with(con, "claims", "claim_id", assigned, "c"))
    renamed = stored.renamed(batch.identities)
    if renamed:
        with id_table(con, "sp_renamed", renamed):
            _rename_claims(con, "c.speaker_id IN (SELECT id FROM sp_renamed)")
    return len(batch.identities)


def _rename_claims(con: duckdb.DuckDBPyConnection, which: str) -> None:
    """Give the claims matching `which` (a condition on `claims c`) their
    identity's name, and note the clusters whose summaries that changes."""
    differs = (f"FROM claims c JOIN speakers s USING (speaker_id) WHERE {which} "
               "AND c.speaker_canonical IS DISTINCT FROM s.canonical")
    touch_clusters(con, f"SELECT c.claim_cluster_id {differs}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE sp_names AS "
                f"SELECT c.claim_id, s.canonical {differs}")
    con.execute("UPDATE claims AS c SET speaker_canonical = n.canonical FROM sp_names n "
                f"WHERE c.claim_id = n.claim_id AND {which}")
    con.execute("DROP TABLE sp_names")


def _quoted_in(
    con: duckdb.DuckDBPyConnection, mentions: list[SpeakerMention]
) -> dict[str, set[str]]:
    """Stored identities already quoted in the mentions' stories and articles: they
    settle a bare surname that more than one stored person could have."""
    places = {p for m in mentions for p in (m.story_id, m.article_id) if p}
    out: dict[str, set[str]] = defaultdict(set)
    # The places' articles first, then their claims: two narrow scans, where
    # joining claims with articles would hash a whole table.
    with id_table(con, "sp_places", places):
        located = con.execute(
            "SELECT article_id, story_id FROM articles WHERE story_id IN "
            "(SELECT id FROM sp_places) OR article_id IN (SELECT id FROM sp_places)").fetchall()
    story_of = dict(located)
    if not story_of:
        return {}
    for article, sid in con.execute(
        f"SELECT article_id, speaker_id FROM claims WHERE article_id IN "
        f"({literal_list(story_of)}) AND speaker_id IS NOT NULL"
    ).fetchall():
        for place in (story_of[article], article):
            if place in places:
                out[place].add(sid)
    return dict(out)


def _store(
    con: duckdb.DuckDBPyConnection,
    identities: tuple[Identity, ...],
    keys: dict[str, frozenset[str]],
) -> None:
    if not identities:
        return
    now = utcnow()
    insert_arrow(con, "speakers", pa.table({
        "speaker_id": pa.array([i.id for i in identities], pa.string()),
        "canonical": pa.array([i.canonical for i in identities], pa.string()),
        "type": pa.array([i.type for i in identities], pa.string()),
        "aliases": pa.array([list(i.aliases) for i in identities], pa.list_(pa.string())),
        "updated_at": pa.array([now] * len(identities), pa.timestamp("us")),
    }))
    with id_table(con, "sp_ids", [i.id for i in identities]):
        con.execute("DELETE FROM speaker_keys WHERE speaker_id IN (SELECT id FROM sp_ids)")
    pairs = [(key, sid) for sid, ks in keys.items() for key in sorted(ks)]
    insert_arrow(con, "speaker_keys", pa.table({
        "key": pa.array([k for k, _ in pairs], pa.string()),
        "speaker_id": pa.array([s for _, s in pairs], pa.string()),
    }), "IGNORE")
