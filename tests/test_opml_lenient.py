"""OPML import as real exports write it: raw "&" in titles, HTML entities, folders as
tags, counts of imported and skipped feeds; still no DTD, no entity expansion."""

from __future__ import annotations

import csv
import io

from conftest import rows, write_config

from claimwire.cli import main
from claimwire.ingest.opml import read_opml_lenient

try:
    from servers import Reply, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, serve

RSS = {"Content-Type": "application/rss+xml"}
EMPTY_RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


def _opml(base: str) -> str:
    # Like popular public OPML collections: raw "&" in titles and in a URL's
    # query, an HTML entity, nested folders, a non-http feed and a duplicate.
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
<head><title>News & Views export</title></head>
<body>
  <outline text="World & Politics" title="World & Politics">
    <outline text="Europe">
      <outline type="rss" text="Caf&eacute; & Co" xmlUrl="{base}/a.xml?x=1&y=2"/>
    </outline>
    <outline type="rss" text="B & B" xmlUrl="{base}/b.xml" category="/Tech,Science"/>
  </outline>
  <outline type="rss" text="Again B" xmlUrl="{base}/b.xml"/>
  <outline type="rss" text="Gopher" xmlUrl="gopher://example.org/feed"/>
  <outline type="rss" text="No URL"/>
</body>
</opml>
"""


def test_raw_ampersands_entities_and_folders_are_read(tmp_path):
    path = tmp_path / "list.opml"
    path.write_text(_opml("http://127.0.0.1:9"))
    result = read_opml_lenient(path)
    feeds = {f.url: f for f in result.feeds}
    assert list(feeds) == ["http://127.0.0.1:9/a.xml?x=1&y=2", "http://127.0.0.1:9/b.xml"]
    a = feeds["http://127.0.0.1:9/a.xml?x=1&y=2"]
    assert a.name == "Café & Co" and a.tags == ("World & Politics", "Europe")
    assert feeds["http://127.0.0.1:9/b.xml"].tags == ("World & Politics", "Tech", "Science")
    assert sorted(why for _, why in result.skipped) == [
        "listed twice in the file", "no xmlUrl", "not an http(s) URL"]


def test_no_dtd_and_no_entity_expansion(tmp_path):
    path = tmp_path / "bomb.opml"
    path.write_text("""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body>
<outline text="&b;&ext;" xmlUrl="http://127.0.0.1:9/f.xml"/>
</body></opml>""")
    (feed,) = read_opml_lenient(path).feeds
    assert "aaaaaaaaaa" not in (feed.name or "") and "root:" not in (feed.name or "")


def test_import_counts_then_ingest_polls_the_imported_feeds(tmp_path, db_path, capsys):
    routes = {"/a.xml": Reply(body=EMPTY_RSS, headers=RSS),
              "/b.xml": Reply(body=EMPTY_RSS, headers=RSS)}
    with serve(routes) as base:
        opml = tmp_path / "list.opml"
        opml.write_text(_opml(base))
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[], allow=["127.0.0.1/32"])
        assert main(["feeds", "import", str(opml), "--config", str(cfg)]) == 0
        out = capsys.readouterr().out
        assert "imported 2 new feed(s)" in out and "3 skipped" in out
        assert "gopher://example.org/feed: not an http(s) URL" in out
        assert main(["feeds", "import", str(opml), "--config", str(cfg)]) == 0
        again = capsys.readouterr().out
        assert "imported 0 new feed(s)" in again and "2 already listed" in again
        assert main(["ingest", "--quiet", "--config", str(cfg)]) == 0
        polled = sorted(s.path for s in base.requests)
    assert polled == ["/a.xml?x=1&y=2", "/b.xml"]
    capsys.readouterr()
    assert main(["feeds", "list", "--format", "csv", "--config", str(cfg)]) == 0
    listed = {r["feed_url"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert listed[base + "/a.xml?x=1&y=2"]["name"] == "Café & Co"
    assert listed[base + "/a.xml?x=1&y=2"]["tags"] == "World & Politics,Europe"
    assert rows(db_path, "SELECT count(*) FROM feeds WHERE listed")[0][0] == 2


def test_not_opml_is_one_line_exit_2(tmp_path, db_path, capsys):
    path = tmp_path / "x.opml"
    path.write_text("<html><body>hello</body></html>")
    cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[])
    assert main(["feeds", "import", str(path), "--config", str(cfg)]) == 2
    assert "not an OPML document" in capsys.readouterr().err
