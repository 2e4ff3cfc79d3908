"""`claimwire feeds add/remove/disable/enable/list` and `ingest --feed` against a
feed server on 127.0.0.1: what is polled follows the list, and only the list."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from conftest import rows, write_config

from claimwire.cli import build_parser, main

try:
    from servers import Reply, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, serve

RSS = {"Content-Type": "application/rss+xml"}


def _rss(base: str, *paths: str) -> str:
    items = "".join(f"<item><title>{p}</title><link>{base}{p}</link><guid>{p}</guid></item>"
                    for p in paths)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}' \
           "</channel></rss>"


def _site() -> dict[str, Reply]:
    return {"/a.xml": Reply(body="", headers=RSS), "/b.xml": Reply(body="", headers=RSS)}


def _polled(base, path: str) -> int:
    return sum(1 for s in base.requests if s.path == path)


def _listing(cfg: Path, capsys) -> dict[str, dict[str, str]]:
    capsys.readouterr()
    assert main(["feeds", "list", "--format", "csv", "--config", str(cfg)]) == 0
    return {r["feed_url"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}


def test_add_disable_enable_remove_change_what_ingest_polls(tmp_path, db_path, capsys):
    routes = _site()
    with serve(routes) as base:
        routes["/a.xml"] = Reply(body=_rss(base), headers=RSS)
        routes["/b.xml"] = Reply(body=_rss(base), headers=RSS)
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[base + "/a.xml"],
                           allow=["127.0.0.1/32"])
        assert main(["feeds", "add", base + "/b.xml", "--name", "Bee", "--tag", "x",
                     "--tag", "y", "--config", str(cfg)]) == 0
        listed = _listing(cfg, capsys)
        assert listed[base + "/a.xml"]["origin"] == "config"
        assert listed[base + "/b.xml"]["origin"] == "warehouse"
        assert listed[base + "/b.xml"]["name"] == "Bee" and listed[base + "/b.xml"]["tags"] == "x,y"
        assert listed[base + "/b.xml"]["last_result"] == "never polled"

        assert main(["ingest", "--quiet", "--config", str(cfg)]) == 0
        assert _polled(base, "/a.xml") == 1 and _polled(base, "/b.xml") == 1
        listed = _listing(cfg, capsys)
        assert listed[base + "/b.xml"]["last_status"] == "200"
        assert listed[base + "/b.xml"]["last_result"] == "empty"
        assert listed[base + "/b.xml"]["next_due"] == "next run"

        assert main(["feeds", "disable", base + "/b.xml", "--config", str(cfg)]) == 0
        assert _listing(cfg, capsys)[base + "/b.xml"]["state"].startswith("disabled")
        assert main(["ingest", "--quiet", "--config", str(cfg)]) == 0
        assert _polled(base, "/b.xml") == 1  # not polled while disabled

        assert main(["feeds", "enable", base + "/b.xml", "--config", str(cfg)]) == 0
        assert main(["ingest", "--quiet", "--config", str(cfg)]) == 0
        assert _polled(base, "/b.xml") == 2

        assert main(["feeds", "remove", base + "/b.xml", "--config", str(cfg)]) == 0
        assert base + "/b.xml" not in _listing(cfg, capsys)
        assert main(["ingest", "--quiet", "--config", str(cfg)]) == 0
        assert _polled(base, "/b.xml") == 2 and _polled(base, "/a.xml") == 4
        # its history stays
        assert rows(db_path, f"SELECT listed FROM feeds WHERE feed_url = '{base}/b.xml'") == [
            (False,)]


def test_config_feed_cannot_be_removed_here_and_unknown_feeds_are_refused(
        tmp_path, db_path, capsys):
    cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=["http://127.0.0.1:9/a.xml"])
    assert main(["feeds", "remove", "http://127.0.0.1:9/a.xml", "--config", str(cfg)]) == 2
    assert "remove it there" in capsys.readouterr().err
    assert main(["feeds", "disable", "http://127.0.0.1:9/other", "--config", str(cfg)]) == 2
    assert "not in the feed list" in capsys.readouterr().err
    assert main(["feeds", "add", "ftp://x/y", "--config", str(cfg)]) == 2


def test_ingest_feed_polls_once_without_listing_it(tmp_path, db_path, capsys):
    routes = _site()
    with serve(routes) as base:
        routes["/a.xml"] = Reply(body=_rss(base), headers=RSS)
        cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=[], allow=["127.0.0.1/32"])
        assert main(["ingest", "--quiet", "--feed", base + "/a.xml", "--config", str(cfg)]) == 0
        assert _polled(base, "/a.xml") == 1
        assert _listing(cfg, capsys) == {}
        # a plain ingest has nothing to poll: the one-off feed was not listed
        assert main(["ingest", "--quiet", "--config", str(cfg)]) == 2
        assert "no feeds" in capsys.readouterr().err
        assert _polled(base, "/a.xml") == 1


def test_ingest_help_says_feed_is_not_listed():
    text = build_parser()._subparsers._group_actions[0].choices["ingest"].format_help()
    assert "not added to the feed" in " ".join(text.split())


def test_global_options_before_or_after_the_command(tmp_path, db_path, capsys):
    cfg = write_config(tmp_path / "c.toml", db=db_path, feeds=["http://127.0.0.1:9/a.xml"])
    for argv in (["--config", str(cfg), "feeds", "list", "--format", "csv"],
                 ["feeds", "--config", str(cfg), "list", "--format", "csv"],
                 ["feeds", "list", "--format", "csv", "--config", str(cfg)],
                 ["--quiet", "feeds", "list", "--config", str(cfg), "--format", "csv"]):
        capsys.readouterr()
        assert main(argv) == 0, argv
        assert "http://127.0.0.1:9/a.xml,config" in capsys.readouterr().out
