"""Airflow on Celery with 1 and then 2 workers: feeds/hour and articles/hour.

    python -m bench.celery_scale                 # 24 feeds x 10 articles
    python -m bench.celery_scale --feeds 40 --items 10

Each round starts the one-machine topology of `scripts/airflow-celery.sh`
(API server, scheduler, DAG processor, N Celery workers each in a directory of
its own; Redis broker, PostgreSQL metadata DB), with storage on a loopback S3
server (moto) and a DuckLake warehouse on the local PostgreSQL, both fresh,
and lets the scheduler run `claimwire_poll` and then `claimwire_transform`
over a synthetic site on loopback: `--feeds` RSS feeds of `--items` articles,
each article six paragraphs with an attributed quote in each (so the claim
stage does its real work). Poll shards hold 4 feeds.

Figures, from the DAG runs' own start and end times in the metadata DB:
feeds/hour = feeds / poll run; articles/hour = articles / (poll start ->
transform end). Needs the services (PostgreSQL, Redis) and the dev extras.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from celery_cluster import celery_cluster  # noqa: E402
from newsgen import article_text, rss  # noqa: E402
from pg_support import fresh_database  # noqa: E402
from s3_server import running_s3  # noqa: E402
from servers import Reply, serve  # noqa: E402

SPEAKERS = ("Minister Anna Berg", "Mayor Tom Reed", "the union", "Professor Lena Okafor",
            "the harbour authority", "Senator Paul Vance")


def _page(index: int) -> Reply:
    paras = []
    for n, text in enumerate(article_text(index)):
        speaker = SPEAKERS[(index + n) % len(SPEAKERS)]
        paras.append(f"<p>{text} \u201cThe {text.split()[0].lower()} plan will go ahead in "
                     f"{2025 + n},\u201d said {speaker}.</p>")
    published = datetime(2024, 10, 1, tzinfo=UTC) + timedelta(hours=index)
    html = (f'<html lang="en"><head><title>Report {index}</title>'
            f'<meta property="article:published_time" content="{published.isoformat()}">'
            f"</head><body><article><h1>Report {index}</h1>{''.join(paras)}</article>"
            "</body></html>")
    return Reply(body=html, headers={"Content-Type": "text/html; charset=utf-8"})


def _routes(base: str, feeds: int, items: int) -> dict:
    routes: dict = {}
    for f in range(feeds):
        entries = []
        for i in range(f * items, (f + 1) * items):
            routes[f"/a/{i}"] = _page(i)
            when = datetime(2024, 10, 1, tzinfo=UTC) + timedelta(hours=i)
            entries.append((f"Report {i}", f"{base}/a/{i}", when))
        routes[f"/feed/{f}.xml"] = rss(entries)
    return routes


def _toml(s3, dsn: str, bucket: str, feeds: list[str]) -> str:
    lines = [
        "[warehouse]", 'backend = "ducklake"', f'catalog = "postgres:{dsn}"',
        f'data_path = "s3://{bucket}/lake/"', "",
        "[storage]", f'url = "s3://{bucket}/claimwire"', f'endpoint = "{s3.endpoint}"', "",
        "[http]", 'allow_networks = ["127.0.0.1/32"]', "per_host_delay = 0.0", "retries = 0",
        "respect_robots = false", "per_host_connections = 4", "",
        "[airflow]", "feeds_per_shard = 4", "",
    ]
    for url in feeds:
        lines += ["[[feeds]]", f'url = "{url}"', ""]
    return "\n".join(lines)


def _round(workers: int, feeds: int, items: int, base: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="celery-scale-") as tmp, running_s3() as s3, \
            fresh_database("cw_bench") as dsn:
        bucket = s3.new_bucket()
        toml = _toml(s3, dsn, bucket, [f"{base}/feed/{f}.xml" for f in range(feeds)])
        with celery_cluster(Path(tmp) / "cluster", toml, workers=workers) as cluster:
            cluster.wait_for("the poll run", lambda: any(
                s == "success" for _, s in cluster.dag_runs("claimwire_poll")), timeout=1800)
            cluster.wait_for("the transform run", lambda: any(
                s == "success" for _, s in cluster.dag_runs("claimwire_transform")),
                timeout=3600)
            (poll_start, poll_end), = cluster.query(
                "SELECT start_date, end_date FROM dag_run WHERE dag_id = 'claimwire_poll'")
            (_, transform_end), = cluster.query(
                "SELECT start_date, end_date FROM dag_run WHERE dag_id = 'claimwire_transform'")
            shards = cluster.query(
                "SELECT task_id, count(*) FROM task_instance WHERE task_id LIKE '%%shard' "
                "GROUP BY task_id ORDER BY task_id")
    poll_s = (poll_end - poll_start).total_seconds()
    total_s = (transform_end - poll_start).total_seconds()
    articles = feeds * items
    return {"workers": workers, "poll_s": poll_s, "total_s": total_s,
            "feeds_per_hour": feeds / poll_s * 3600, "articles_per_hour": articles / total_s * 3600,
            "shards": dict(shards)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=24)
    parser.add_argument("--items", type=int, default=10)
    args = parser.parse_args(argv)
    with serve({}) as base:
        base.server.routes.update(_routes(base, args.feeds, args.items))
        results = [_round(n, args.feeds, args.items, base) for n in (1, 2)]
    print(f"{args.feeds} feeds x {args.items} articles; poll shards of 4 feeds")
    print("workers  poll run  poll->transform end  feeds/hour  articles/hour  shards")
    for r in results:
        print(f"{r['workers']:>7}  {r['poll_s']:>7.0f}s  {r['total_s']:>18.0f}s  "
              f"{r['feeds_per_hour']:>10,.0f}  {r['articles_per_hour']:>13,.0f}  {r['shards']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
