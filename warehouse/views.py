"""Analytical views over claims: who said what about a proposition, when.

Plain SQL views, so they follow every load without a refresh and stay usable
from any DuckDB client. Duplicate articles are left out everywhere (their
claims are deleted anyway; the filter also covers rows loaded before).
"""

from __future__ import annotations

import duckdb

# One row per claim in a cluster; `day` falls back to the article's date when
# the text does not say when the statement was made.
CLAIM_TIMELINE = """
CREATE OR REPLACE VIEW claim_timeline AS
SELECT
    c.claim_cluster_id AS cluster_id,
    coalesce(c.speaker_canonical, c.speaker) AS speaker,
    c.stance,
    coalesce(c.claimed_on, CAST(a.published_at AS DATE)) AS day,
    c.content,
    c.quote_type,
    c.cue,
    c.claim_id,
    c.article_id,
    a.story_id,
    c.speaker_id,
    a.site,
    a.title AS article_title,
    a.url AS article_url
FROM claims c
JOIN articles a USING (article_id)
WHERE a.duplicate_of IS NULL AND c.claim_cluster_id IS NOT NULL
ORDER BY cluster_id, day NULLS LAST, speaker, c.claim_id
"""

# One row per cluster, from the summaries the derive step keeps
# (`transform.derive.clusters.summarize_clusters`).
CLAIM_CLUSTERS = """
CREATE OR REPLACE VIEW claim_clusters AS
SELECT cluster_id, label, claims, speakers, articles, stances, contradicted, first_day, last_day
FROM claim_cluster_stats
"""

# Consecutive statements of one source on one cluster whose stance differs.
# Undated statements cannot be ordered, so they take no part.
SPEAKER_STANCE_CHANGES = """
CREATE OR REPLACE VIEW speaker_stance_changes AS
WITH ordered AS (
    SELECT
        t.*,
        lag(stance) OVER w AS prev_stance,
        lag(day) OVER w AS prev_day,
        lag(content) OVER w AS prev_content,
        lag(article_id) OVER w AS prev_article_id
    FROM claim_timeline t
    WHERE speaker IS NOT NULL AND stance IS NOT NULL AND day IS NOT NULL
    WINDOW w AS (PARTITION BY cluster_id, speaker ORDER BY day, claim_id)
)
SELECT
    o.cluster_id,
    k.label AS cluster_label,
    o.speaker,
    o.prev_stance AS from_stance,
    o.prev_day AS from_date,
    o.stance AS to_stance,
    o.day AS to_date,
    o.prev_content AS from_content,
    o.content AS to_content,
    o.prev_article_id AS from_article_id,
    o.article_id AS to_article_id
FROM ordered o
JOIN claim_clusters k USING (cluster_id)
WHERE o.prev_stance IS NOT NULL AND o.prev_stance <> o.stance
ORDER BY speaker, to_date, cluster_id
"""

# Every (assert, deny) pair of different sources within one cluster: both
# sides side by side, so a reader sees who disagrees with whom and where. The
# sides come from `contradiction_sides` (kept by the derive step with the
# cluster summaries), the articles' story and site from `articles`.
CONTRADICTIONS = """
CREATE OR REPLACE VIEW contradictions AS
SELECT
    a.cluster_id,
    k.label AS cluster_label,
    a.speaker AS speaker_a,
    a.stance AS stance_a,
    a.content AS content_a,
    a.day AS date_a,
    a.article_id AS article_id_a,
    aa.story_id AS story_id_a,
    aa.site AS site_a,
    d.speaker AS speaker_b,
    d.stance AS stance_b,
    d.content AS content_b,
    d.day AS date_b,
    d.article_id AS article_id_b,
    ad.story_id AS story_id_b,
    ad.site AS site_b
FROM contradiction_sides a
JOIN contradiction_sides d
  ON d.cluster_id = a.cluster_id
 AND a.stance = 'assert' AND d.stance = 'deny'
 AND a.speaker IS DISTINCT FROM d.speaker
JOIN articles aa ON aa.article_id = a.article_id
JOIN articles ad ON ad.article_id = d.article_id
JOIN claim_clusters k ON k.cluster_id = a.cluster_id
ORDER BY a.cluster_id, date_a NULLS LAST, speaker_a, date_b NULLS LAST, speaker_b
"""

VIEWS = (CLAIM_TIMELINE, CLAIM_CLUSTERS, SPEAKER_STANCE_CHANGES, CONTRADICTIONS)


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create every view; safe to call any number of times."""
    for ddl in VIEWS:
        con.execute(ddl)
