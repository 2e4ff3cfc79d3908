"""Every setting is checked for type and range when the config is read: a bad
one is exit status 2 and one line naming it, before anything runs."""

from __future__ import annotations

import pytest

from claimwire.cli import main
from claimwire.config import ConfigError, load_config

FEED = '[[feeds]]\nurl = "http://example.com/feed"\n'

BAD = [
    # (toml, the words the message must name)
    ('[warehouse]\nworkers = "many"\n', "[warehouse] workers"),
    ("[warehouse]\nworkers = -2\n", "[warehouse] workers"),
    ('[warehouse]\nlock_timeout = "long"\n', "[warehouse] lock_timeout"),
    ("[warehouse]\npath = 5\n", "[warehouse] path"),
    ('[dedup]\nnear_duplicate_threshold = "high"\n', "[dedup] near_duplicate_threshold"),
    ("[dedup]\nnear_duplicate_threshold = 0\n", "[dedup] near_duplicate_threshold"),
    ("[dedup]\nnear_duplicate_threshold = 1.5\n", "[dedup] near_duplicate_threshold"),
    ("[dedup]\nshingle_size = 0\n", "[dedup] shingle_size"),
    ("[dedup]\nnum_perm = 1.5\n", "[dedup] num_perm"),
    ('[http]\nrespect_robots = "no"\n', "[http] respect_robots"),
    ("[http]\nrespect_robots = 0\n", "[http] respect_robots"),
    ("[http]\ntotal_timeout = 0\n", "[http] total_timeout"),
    ("[http]\ntotal_timeout = nan\n", "[http] total_timeout"),
    ("[http]\nper_host_delay = -1\n", "[http] per_host_delay"),
    ("[http]\nretries = true\n", "[http] retries"),
    ("[http]\nmax_bytes = 1e9\n", "[http] max_bytes"),
    ('[http]\nuser_agent = ""\n', "[http] user_agent"),
    ('[http]\nallow_networks = ["10.0.0.0/33"]\n', "[http] allow_networks"),
    ('[http]\nallow_networks = "10.0.0.0/8"\n', "[http] allow_networks"),
    ("[polling]\nmax_items_per_feed = -1\n", "[polling] max_items_per_feed"),
    ("[polling]\nparse_timeout = 0\n", "[polling] parse_timeout"),
    ("[polling]\nfetch_budget = -5\n", "[polling] fetch_budget"),
    ("[claims]\nmax_text_chars = 0\n", "[claims] max_text_chars"),
    ('[claims]\ntime_budget = "1m"\n', "[claims] time_budget"),
    ("[airflow]\nschedule = 5\n", "[airflow] schedule"),
    ("[airflow]\ncatchup = 1\n", "[airflow] catchup"),
    ("[limits]\nx = 1\n", "unknown section(s): limits"),
    ("wokers = 2\n", "unknown section(s): wokers"),
    ("[http]\ntimeout = 2\n", "unknown setting(s) in [http]: timeout"),
    ('[[feeds]]\nurl = "http://example.com/f"\ntag = "x"\n', "feed #1: unknown key(s): tag"),
    ('[[feeds]]\nurl = "ftp://example.com/f"\n', "feed #1: url"),
    ('[[feeds]]\nurl = "http://example.com/f"\ntags = [1, 2]\n', "feed #1: tags"),
    ('[[feeds]]\nurl = "http://example.com/f"\nname = 3\n', "feed #1: name"),
]


@pytest.mark.parametrize(("text", "names"), BAD, ids=[n for _, n in BAD])
def test_bad_setting_is_exit_2_and_one_line_naming_it(text, names, tmp_path, capsys):
    cfg = tmp_path / "claimwire.toml"
    cfg.write_text(text + ("" if "[[feeds]]" in text else FEED))
    assert main(["ingest", "--config", str(cfg), "--quiet"]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("claimwire: error: ") and len(err.strip().splitlines()) == 1, err
    assert names in err
    assert not (tmp_path / "claimwire.duckdb").exists()  # refused before anything ran


def test_good_settings_are_read_with_their_types(tmp_path):
    cfg = tmp_path / "claimwire.toml"
    cfg.write_text(
        "[warehouse]\nworkers = 2\nlock_timeout = 30\n"
        "[http]\ntotal_timeout = 30\nrespect_robots = false\n"
        'allow_networks = ["10.0.0.0/8"]\n'
        "[dedup]\nnear_duplicate_threshold = 1\nshingle_size = 3\n"
        "[claims]\nmax_text_chars = 5000\ntime_budget = 2\n"
        '[[feeds]]\nurl = "https://example.com/feed"\ntags = "world"\n')
    config = load_config(cfg)
    assert config.workers == 2 and config.lock_timeout == 30.0
    assert config.http.total_timeout == 30.0 and isinstance(config.http.total_timeout, float)
    assert config.http.respect_robots is False
    assert config.dedup.near_duplicate_threshold == 1.0 and config.dedup.shingle_size == 3
    assert config.claims.time_budget == 2.0
    assert config.feeds[0].tags == ("world",)


def test_defaults_pass_their_own_checks(tmp_path):
    cfg = tmp_path / "claimwire.toml"
    cfg.write_text("")
    assert load_config(cfg).http.total_timeout == 60.0
    with pytest.raises(ConfigError):
        cfg.write_text("[http]\nmax_redirects = 51\n")
        load_config(cfg)
