"""The pages. Each handler checks its parameters, reads what it shows inside one
short-lived read-only connection, closes it, and only then renders (charts
included), so a load waiting for the lock waits as little as possible."""

from __future__ import annotations

import codecs
import re
from collections import defaultdict
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from claimwire.explorer import charts, fulltext, params, queries, urls
from claimwire.explorer.app import ExplorerSettings, render
from claimwire.explorer.db import reader
from claimwire.explorer.highlight import highlight, valid_spans
from claimwire.explorer.params import NotFound

SHA256 = re.compile(r"[0-9a-f]{64}")
CHARSET = re.compile(r"[A-Za-z0-9._-]{1,40}")


def _settings(request: Request) -> ExplorerSettings:
    return request.app.state.settings


def home(request: Request) -> Response:
    return search(request)


def search(request: Request) -> Response:
    p = params.search_params(request.query_params)
    message = None
    capped = False
    claims_page = None
    article_rows: list[dict[str, Any]] = []
    has_next = False
    with reader(_settings(request).warehouse) as con:
        site_names = queries.sites(con)
        if p.kind == "claims":
            claims_page = queries.search_claims(con, p)
            has_next = claims_page.has_next
            story_ids = [r["story_id"] for r in claims_page.rows]
        elif p.q:
            try:
                found = fulltext.search_articles(con, p)
            except fulltext.SearchUnavailable as exc:
                message = f"Full-text search is not available: {exc}"
            else:
                extras = queries.articles_by_id(con, [h.article_id for h in found.hits])
                article_rows = [{**extras.get(h.article_id, {}), "article_id": h.article_id,
                                 "title": h.title, "site": h.site, "url": h.url,
                                 "published_at": h.published_at, "score": h.score,
                                 "claim_hits": h.claims} for h in found.hits]
                has_next, capped = found.has_next, found.capped
            story_ids = [r.get("story_id") for r in article_rows]
        else:
            browsed = queries.browse_articles(con, p)
            article_rows, has_next = browsed.rows, browsed.has_next
            story_ids = [r["story_id"] for r in article_rows]
        labels = queries.story_labels(con, [*story_ids, p.story])
    return render(
        "search.html", p=p, sites=site_names, claims=claims_page.rows if claims_page else [],
        articles=article_rows, has_next=has_next, capped=capped, message=message,
        labels=labels, candidates=fulltext.CANDIDATES,
        page_url=lambda page: urls.search(p.query_items(page=page)),
        tab_url=lambda kind: urls.search(p.query_items(**{"in": kind, "page": 1})),
    )


def _chart(rows: list[dict[str, Any]], row_of: Any, row_title: str, describe: Any) -> str:
    points = [charts.Point(day=r["day"], row=row_of(r), stance=r["stance"],
                           description=describe(r),
                           href=urls.article(r["article_id"], r["claim_id"]))
              for r in rows]
    # Markup: the drawing escapes every label and tooltip itself.
    return Markup(charts.timeline_svg(points, row_title=row_title)) if points else ""


def speaker(request: Request) -> Response:
    speaker_id = params.identifier(request.path_params["speaker_id"], "speaker")
    paging = params.paging(request.query_params)
    with reader(_settings(request).warehouse) as con:
        who = queries.speaker(con, speaker_id)
        if who is None:
            raise NotFound(f"no speaker {speaker_id!r}")
        claims = queries.speaker_claims(con, speaker_id, paging)
        changes = queries.stance_changes(con, claims, who["canonical"])
        labels = queries.story_labels(
            con, [r["story_id"] for r in claims.chart + claims.page.rows])
    svg = _chart(claims.chart, lambda r: labels.get(r["story_id"], "(no story)"),
                 "story", lambda r: f'{r["day"]} {r["stance"]}: {r["content"]}')
    return render("speaker.html", who=who, total=claims.total, chart=svg,
                  charted=len(claims.chart), claims=claims.page, changes=changes,
                  labels=labels,
                  page_url=lambda page: urls.with_page([], urls.speaker(speaker_id), page))


def story(request: Request) -> Response:
    story_id = params.identifier(request.path_params["story_id"], "story")
    paging = params.paging(request.query_params)
    with reader(_settings(request).warehouse) as con:
        articles = queries.story_articles(con, story_id)
        if not articles:
            raise NotFound(f"no story {story_id!r}")
        claims = queries.story_claims(con, story_id, paging)
        contradictions = queries.contradictions(con, queries.clusters_of(claims))
        label = queries.story_labels(con, [story_id]).get(story_id, story_id)
    outlets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in articles:
        outlets[a["site"] or "(unknown outlet)"].append(a)
    titles = {a["article_id"]: a["title"] for a in articles}
    svg = _chart(claims.chart, lambda r: r["speaker"] or "(unknown)", "speaker",
                 lambda r: f'{r["day"]} {r["speaker"]} ({r["stance"]}): {r["content"]}')
    return render(
        "story.html", story_id=story_id, label=label, articles=articles,
        outlets=sorted(outlets.items()), titles=titles, total=claims.total, chart=svg,
        charted=len(claims.chart), claims=claims.page,
        contradictions=contradictions[: queries.CONTRADICTION_LIMIT],
        more_contradictions=len(contradictions) > queries.CONTRADICTION_LIMIT,
        page_url=lambda page: urls.with_page([], urls.story(story_id), page))


def article(request: Request) -> Response:
    article_id = params.identifier(request.path_params["article_id"], "article")
    with reader(_settings(request).warehouse) as con:
        row = queries.article(con, article_id)
        if row is None:
            raise NotFound(f"no article {article_id!r}")
        claims = queries.article_claims(con, row)
        copies = queries.article_copies(con, article_id)
        original = (queries.article_title(con, row["duplicate_of"])
                    if row["duplicate_of"] else None)
        story_label = (queries.story_labels(con, [row["story_id"]]).get(row["story_id"])
                       if row["story_id"] else None)
    text = row["text"] or ""
    spans = valid_spans(claims, len(text))
    marked = {s.claim_id for s in spans}
    return render("article.html", a=row, claims=claims, copies=copies, original=original,
                  story_label=story_label, body=highlight(text, spans), marked=marked)


def raw(request: Request) -> Response:
    """The archived bytes as fetched: text/plain or a download, never HTML, so a
    hostile page cannot run anything in the explorer's origin."""
    from claimwire.ingest.archive import RawArchive

    article_id = params.identifier(request.path_params["article_id"], "article")
    download = params.choice(request.query_params, "download", ("0", "1")) == "1"
    with reader(_settings(request).warehouse) as con:
        row = queries.raw_document(con, article_id)
    if row is None:
        raise NotFound(f"no article {article_id!r}")
    digest = row["raw_sha256"] or ""
    if not SHA256.fullmatch(digest):
        raise NotFound(f"article {article_id!r} has no archived raw document")
    try:
        body = RawArchive(_settings(request).archive_dir).get(digest)
    except KeyError as exc:
        raise NotFound(str(exc).strip("'\"")) from None
    if download:
        media_type = "application/octet-stream"
        disposition = f'attachment; filename="{digest}.raw"'
    else:
        media_type = "text/plain" + _charset(row["charset"])
        disposition = "inline"
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": disposition,
        # Even a browser that ignored the type could run nothing here.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })


def _charset(name: str | None) -> str:
    if not name or not CHARSET.fullmatch(name):
        return ""
    try:
        codecs.lookup(name)
    except LookupError:
        return ""
    return f"; charset={name}"


def status(request: Request) -> Response:
    from claimwire.warehouse.queries import derive_queue_size, feed_status, last_runs, table_counts

    with reader(_settings(request).warehouse) as con:
        counts = table_counts(con)
        feeds = feed_status(con)
        runs = last_runs(con, limit=20)
        queue = derive_queue_size(con)
        failures = queries.recent_failures(con)
    return render("status.html", warehouse=str(_settings(request).warehouse), counts=counts,
                  feeds=feeds, runs=runs, queue=queue, failures=failures)
