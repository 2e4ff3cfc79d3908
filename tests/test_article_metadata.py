"""What extraction learns about a page reaches the warehouse: author list, date
precision, language (and the claim stage's language gate), and pages whose body
cannot be extracted keep their metadata."""

from __future__ import annotations

from conftest import rows, write_config
from servers import Reply, serve

from claimwire.cli import main

HTML = {"Content-Type": "text/html; charset=utf-8"}

GERMAN = [
    "Der Bürgermeister sagte am Montag, die neue Brücke werde im Frühjahr eröffnet.",
    "Die Opposition erklärte dagegen, die Kosten seien viel zu hoch und der Zeitplan "
    "sei nicht zu halten.",
    "Ein Sprecher des Verkehrsministeriums teilte mit, man prüfe die Pläne noch einmal "
    "gründlich.",
    "Anwohner befürchten mehr Verkehr in ihren Straßen, vor allem am Wochenende.",
    "Der Stadtrat will im Dezember über die Finanzierung der Brücke abstimmen.",
]
ENGLISH = [
    "The mayor said on Monday that the new bridge would open in the spring.",
    "The opposition argued that the costs were far too high and that the schedule "
    "could not be kept.",
    "A spokesman for the transport ministry said the plans would be reviewed once more.",
    "Residents fear more traffic in their streets, above all at weekends.",
    "The city council wants to vote on the bridge's funding in December.",
]


def _article(title: str, prose: list[str], lang: str, author_meta: str) -> str:
    paragraphs = "".join(f"<p>{sentence}</p>" for sentence in prose)
    return (f'<html lang="{lang}"><head><title>{title} | Stadtanzeiger</title>'
            f'<meta property="og:site_name" content="Stadtanzeiger">'
            f'<meta name="author" content="{author_meta}">'
            '<meta property="article:published_time" content="2024-10-28">'
            f"</head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>")


def _feed(base: str, paths: list[str]) -> Reply:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link></item>" for p in paths)
    return Reply(body=f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                      f"{items}</channel></rss>",
                 headers={"Content-Type": "application/rss+xml"})


def test_metadata_language_gate_and_bodiless_pages(tmp_path, db_path):
    routes = {
        "/de": Reply(body=_article("Neue Brücke im Frühjahr", GERMAN, "de",
                                   "Anna Schmidt, Jonas Weber"), headers=HTML),
        # The markup says German, the text is English: the text decides.
        "/en": Reply(body=_article("New bridge in the spring", ENGLISH, "de",
                                   "Mary Jones and Stadtanzeiger"), headers=HTML),
        "/video": Reply(body=(
            '<html lang="en"><head><title>Watch: the bridge opens | Stadtanzeiger</title>'
            '<meta property="og:site_name" content="Stadtanzeiger">'
            '<meta name="author" content="Tom Brown">'
            '<meta property="article:published_time" content="2024-10-29T08:15:00Z">'
            '</head><body><div class="player"><video src="/v.mp4"></video></div>'
            "</body></html>"), headers=HTML),
    }
    with serve(routes) as base:
        routes["/feed"] = _feed(base, ["/de", "/en", "/video"])
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed"],
                           allow=["127.0.0.1/32"])
        assert main(["ingest", "--config", str(cfg), "--quiet"]) == 0
    found = {
        path.rsplit("/", 1)[1]: rest
        for path, *rest in rows(db_path, """
            SELECT url, title, authors, language, language_markup, claims_skipped,
                   published_precision, extract_error, length(text),
                   (SELECT count(*) FROM claims c WHERE c.article_id = a.article_id)
            FROM articles a""")
    }
    title, authors, language, markup, skipped, precision, error, length, claims = found["de"]
    assert title == "Neue Brücke im Frühjahr"  # the site name stripped
    assert authors == ["Anna Schmidt", "Jonas Weber"]
    assert (language, markup, skipped) == ("de", "de", "language:de")
    assert claims == 0 and length > 300  # stored with its text, no English-model claims
    assert precision == "day"

    title, authors, language, markup, skipped, precision, error, length, claims = found["en"]
    assert authors == ["Mary Jones"]  # the publisher is not an author
    assert (language, markup, skipped) == ("en", "de", None)
    assert claims > 0

    title, authors, language, markup, skipped, precision, error, length, claims = found["video"]
    assert title == "Watch: the bridge opens" and authors == ["Tom Brown"]
    assert precision == "second" and error and length == 0 and skipped == "no text"
    [(status, doc_error)] = rows(db_path, "SELECT status, error FROM documents "
                                          "WHERE url LIKE '%/video'")
    assert status == "processed" and doc_error.startswith("extract: ")
