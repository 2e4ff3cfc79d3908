"""`claimwire serve` and `claimwire chart`: what the CLI calls (cli.py stays thin)."""

from __future__ import annotations

import ipaddress
import logging
import sys
from pathlib import Path

from claimwire.config import Config
from claimwire.errors import UsageError, WarehouseError

EXTRA_HINT = "pip install 'claimwire[explorer]'"


def _require(*modules: str) -> None:
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"the explorer needs {', '.join(missing)}: {EXTRA_HINT}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(config: Config, *, host: str, port: int) -> int:
    _require("starlette", "jinja2", "uvicorn")
    import uvicorn

    from claimwire.explorer.app import ExplorerSettings, create_app

    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535, not {port}")
    path = Path(config.warehouse_path)
    if not path.exists():
        raise WarehouseError(f"no warehouse at {path} yet: run `claimwire ingest` or "
                             "`claimwire demo` first")
    if not _loopback(host):
        print(f"claimwire: warning: serving on {host}: anyone who can reach this address can "
              "read the whole warehouse (there is no login)", file=sys.stderr)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                                                   "%(message)s")
    app = create_app(ExplorerSettings(warehouse=path, archive_dir=config.raw_archive_dir))
    shown = f"[{host}]" if ":" in host else host
    print(f"claimwire explorer on http://{shown}:{port}/  (warehouse {path}, read-only; "
          "Ctrl-C stops)", file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False,
                proxy_headers=False)
    return 0


def chart_timeline(config: Config, *, speaker: str, out: Path, fmt: str | None) -> int:
    from claimwire.explorer import charts, queries
    from claimwire.explorer.params import Paging
    from claimwire.warehouse.db import reading

    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in charts.FORMATS:
        raise UsageError(f"--out must end in .svg, .png or .html (or give --format): {out}")
    with reading(config.warehouse_path) as con:
        who = queries.speaker(con, speaker) or _one_speaker(queries.speakers_named(con, speaker),
                                                            speaker)
        found = queries.speaker_claims(con, who["speaker_id"], Paging(size=1))
        rows, total = found.chart, found.total
        labels = queries.story_labels(con, [r["story_id"] for r in rows])
        urls = dict(con.execute(
            "SELECT article_id, url FROM articles WHERE article_id = ANY(?)",
            [sorted({r["article_id"] for r in rows})]).fetchall())
    if not rows:
        raise UsageError(f"{who['canonical']} has no dated claims to draw")
    points = [charts.Point(day=r["day"], row=labels.get(r["story_id"], "(no story)"),
                           stance=r["stance"], description=f'{r["day"]} {r["stance"]}: '
                                                           f'{r["content"]}',
                           href=_web_link(urls.get(r["article_id"])))
              for r in rows]
    if fmt == "png":
        _require("vl_convert")
    title = f"{who['canonical']}: claims over time"
    svg = charts.timeline_svg(points, row_title="story", title=title)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(charts.render(svg, fmt, title))
    drawn = f"{len(rows)} claim(s)" + (f" of {total}" if total > len(rows) else "")
    print(f"wrote {out} ({fmt}): {who['canonical']}, {drawn}")
    return 0


def _web_link(url: str | None) -> str | None:
    # Marks link to the article itself; only web links (no javascript: and the like).
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _one_speaker(found: list[dict], name: str) -> dict:
    if not found:
        raise UsageError(f"no speaker matches {name!r}")
    first = found[0]
    exact = name.casefold() in {first["canonical"].casefold(),
                                *(a.casefold() for a in first["aliases"] or [])}
    if len(found) > 1 and not exact:
        names = "; ".join(f"{s['canonical']} ({s['speaker_id']})" for s in found[:10])
        raise UsageError(f"{name!r} matches several speakers, name one exactly or by id: "
                         f"{names}")
    return first
