"""The one home of web-format knowledge: charsets, media types, dates, page metadata;
and the charset an HTTP response declared reaching the stored article text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import lxml.html
from conftest import rows, write_config
from servers import Reply, serve

from claimwire.cli import main
from claimwire.formats.charset import decode, detect_charset
from claimwire.formats.dates import (
    not_in_future,
    parse_datetime,
    parse_w3c_datetime,
    retry_after_seconds,
)
from claimwire.formats.htmlmeta import canonical_url, page_published_at
from claimwire.formats.media import media_type, sniff_feed, sniff_html


def test_decode_honours_bom_and_xml_declaration() -> None:
    assert decode("<p>é</p>".encode("utf-8-sig")) == "<p>é</p>"
    assert decode("<p>é</p>".encode("utf-16")) == "<p>é</p>"
    xml = '<?xml version="1.0" encoding="windows-1251"?><html><p>Рютте</p></html>'
    assert "Рютте" in decode(xml.encode("windows-1251"))


def test_transport_charset_decides_an_undeclared_legacy_page() -> None:
    page = "<html><body><p>Voilà le café à côté.</p></body></html>".encode("cp1252")
    assert detect_charset(page, "windows-1252") == "cp1252"
    assert "Voilà le café à côté" in decode(page, "windows-1252")
    # without the header a guess is all there is (and a wrong one is possible)
    assert detect_charset(page, None) is not None


def test_detect_charset_sources() -> None:
    assert detect_charset(b"\xef\xbb\xbf<html>", "iso-8859-1") == "utf-8"
    assert detect_charset("<p>x</p>".encode("utf-16"), None) == "utf-16"
    assert detect_charset(b"<html>caf\xe9</html>", "latin-1") == "cp1252"
    http_equiv = b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>\xf0'
    assert detect_charset(http_equiv, None) == "koi8-r"
    assert detect_charset(b'<?xml version="1.0" encoding="ISO-8859-5"?><rss>\xb0', None) == (
        "iso8859-5"
    )
    assert detect_charset(b"<html>plain ascii</html>", None) == "utf-8"
    assert detect_charset(b"<html>x</html>", "no-such-charset") == "utf-8"
    # a declaration the bytes contradict is skipped; a UTF-16 label without a BOM is a lie
    assert detect_charset("<meta charset=ascii><p>ü</p>".encode(), None) == "utf-8"
    assert detect_charset(b'<meta charset="utf-16"><p>\xe9</p>', None) != "utf-16"


def test_media_types_and_sniffing() -> None:
    assert media_type('Text/HTML; Charset="ISO-8859-1"') == ("text/html", {"charset": "ISO-8859-1"})
    assert media_type(None) == ("", {})
    assert sniff_html(b"\xef\xbb\xbf  <!DOCTYPE html><html>")
    assert not sniff_html(b"%PDF-1.4 <html>")
    assert sniff_feed(b'<?xml version="1.0"?><rss version="2.0">') == "application/xml"
    assert sniff_feed(b'{"version": "https://jsonfeed.org/version/1.1"}') == "application/json"
    assert sniff_feed(b"<html>") is None


def test_parse_datetime_normalises_to_utc() -> None:
    expected = datetime(2024, 10, 30, 13, 20, tzinfo=UTC)
    assert parse_datetime("2024-10-30T14:20:00+01:00") == expected
    assert parse_datetime("2024-10-30T14:20:00+0100") == expected
    assert parse_datetime("2024-10-30T13:20:00Z") == expected
    assert parse_datetime("Wed, 30 Oct 2024 13:20:00 GMT") == expected
    assert parse_datetime("2024-10-30") == datetime(2024, 10, 30, tzinfo=UTC)
    assert parse_datetime("yesterday") is None
    assert parse_datetime("") is None
    assert parse_datetime("1970-01-01T00:00:00Z") is None  # a placeholder, not news
    assert parse_w3c_datetime("2024-10") == datetime(2024, 10, 1, tzinfo=UTC)
    assert parse_w3c_datetime("2024") == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_w3c_datetime("2024-13") is None
    now = datetime(2024, 10, 30, tzinfo=UTC)
    assert not_in_future(now + timedelta(days=1), now) is not None
    assert not_in_future(now + timedelta(days=3), now) is None


def test_retry_after_parsing() -> None:
    now = datetime(2024, 10, 1, 10, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_canonical_url_is_absolute_or_none() -> None:
    relative = lxml.html.fromstring('<html><head><link rel="canonical" href="/a/b.html"></head>')
    assert canonical_url(relative, "https://news.example/x?y=1") == "https://news.example/a/b.html"
    assert canonical_url(relative) is None
    og = lxml.html.fromstring(
        '<html><head><meta property="og:url" content="https://news.example/og"></head>'
    )
    assert canonical_url(og) == "https://news.example/og"


def test_page_published_at_reads_the_page_in_its_transport_charset() -> None:
    page = ('<html><head><meta property="article:published_time" '
            'content="2024-10-28T16:40:00-04:00"></head><body>é</body></html>').encode("cp1252")
    assert page_published_at(page, "cp1252") == datetime(2024, 10, 28, 20, 40, tzinfo=UTC)
    assert page_published_at(b"\x00\x01garbage") is None


# Mostly English with a few accents: too little for a charset guess to get right
# (charset_normalizer reads these bytes as mac_roman: "Voil‡").
PROSE = ("The minister said the plan would go ahead next week despite objections "
         "from the opposition and several regional governments. ")
ACCENTED = "Voilà, à la carte. Déjà vu, said the naïve chef of the café."


def test_windows_1252_page_declared_only_in_the_header_keeps_its_accents(tmp_path, db_path):
    body = ("<html><head><title>Voilà</title></head><body><article><h1>Voilà</h1>"
            + "".join(f"<p>{PROSE * 3} Paragraph {i}.</p>" for i in range(6))
            + f"<p>{ACCENTED}</p></article></body></html>").encode("cp1252")
    page = Reply(body=body, headers={"Content-Type": "text/html; charset=windows-1252"})
    routes: dict = {"/a": page}
    with serve(routes) as base:
        routes["/feed"] = Reply(
            body=(f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
                  f"<item><title>a</title><link>{base}/a</link></item></channel></rss>"),
            headers={"Content-Type": "application/rss+xml"})
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/feed"],
                           allow=["127.0.0.1/32"])
        assert main(["ingest", "--config", str(cfg), "--quiet"]) == 0
    [(charset, text, title)] = rows(
        db_path,
        "SELECT d.charset, a.text, a.title FROM articles a JOIN documents d USING (doc_id)")
    assert charset == "cp1252"
    assert ACCENTED in text
    assert title == "Voilà"
