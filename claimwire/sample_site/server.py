"""Serve the sample news site over real HTTP on a local port.

`claimwire demo` runs the genuine ingest against this server rather than reading
files, so the whole path (feed polling, conditional GET, page fetch, extraction)
is exercised. Everything is rendered once at start-up, because links and feeds
must carry the actual base URL, which is known only after the port is bound.
"""

from __future__ import annotations

import hashlib
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from claimwire.sample_site.catalog import PACKAGE_DIR, SampleArticle, outlet_prefix, sample_articles
from claimwire.sample_site.feeds import render_atom, render_rss
from claimwire.sample_site.render import render_article, render_index

RSS_PATH = "/feeds/rss.xml"
ATOM_PATH = "/feeds/atom.xml"
SITE_TITLE = "Claimwire sample news"
# The site's files were "deployed" after the newest article: a fixed date keeps
# Last-Modified stable across runs, so conditional GETs behave like a real site.
DEPLOYED = datetime(2024, 10, 31, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class SampleSite:
    base_url: str
    rss_url: str
    atom_url: str
    articles: list[SampleArticle]


@dataclass(frozen=True)
class Resource:
    body: bytes
    content_type: str
    last_modified: datetime

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


def build_resources(base_url: str) -> dict[str, Resource]:
    """Every servable path of the site, rendered for `base_url`."""
    articles = sample_articles(base_url)
    newest = max(a.published for a in articles)
    html = "text/html; charset=utf-8"
    resources: dict[str, Resource] = {
        "/": Resource(render_index(articles, SITE_TITLE, base_url).encode(), html, newest),
        RSS_PATH: Resource(
            render_rss(articles, base_url).encode(), "application/rss+xml; charset=utf-8", newest
        ),
        ATOM_PATH: Resource(
            render_atom(articles, base_url).encode(), "application/atom+xml; charset=utf-8", newest
        ),
        "/robots.txt": Resource(
            f"User-agent: *\nAllow: /\n\nSitemap: {base_url}/feeds/rss.xml\n".encode(),
            "text/plain; charset=utf-8",
            DEPLOYED,
        ),
        "/static/site.css": Resource(
            (PACKAGE_DIR / "static" / "site.css").read_bytes(), "text/css; charset=utf-8", DEPLOYED
        ),
    }
    for article in articles:
        others = [other for other in articles if other.id != article.id]
        page = render_article(article, others, base_url).encode()
        resources[article.path] = Resource(page, html, article.published)
        front = [a for a in articles if a.outlet == article.outlet]
        resources[f"/{outlet_prefix(article.outlet)}/"] = Resource(
            render_index(front, article.site_name, base_url).encode(), html, article.published
        )
    return resources


def _etag_matches(header: str, etag: str) -> bool:
    # Weak comparison (RFC 9110 13.1.2): a W/ prefix does not matter for GET.
    candidates = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in candidates or etag in candidates


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


class _Handler(BaseHTTPRequestHandler):
    server_version = "claimwire-sample-site/1"
    protocol_version = "HTTP/1.1"
    resources: dict[str, Resource] = {}

    def do_GET(self) -> None:  # the name http.server dispatches to
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        # Query strings (e.g. utm_* tracking) do not change what is served.
        resource = self.resources.get(urlsplit(self.path).path)
        if resource is None:
            body = b"<!DOCTYPE html><html lang=en><title>Not found</title><h1>Not found</h1>"
            self._send(HTTPStatus.NOT_FOUND, body, "text/html; charset=utf-8", {}, send_body)
            return
        validators = {
            "ETag": resource.etag,
            "Last-Modified": format_datetime(resource.last_modified.astimezone(UTC), usegmt=True),
            "Cache-Control": "no-cache",
        }
        if_none_match = self.headers.get("If-None-Match")
        if_modified_since = self.headers.get("If-Modified-Since")
        # If-None-Match takes precedence; If-Modified-Since counts only without it.
        if if_none_match is not None:
            not_modified = _etag_matches(if_none_match, resource.etag)
        else:
            not_modified = bool(if_modified_since) and _not_modified_since(
                if_modified_since, resource.last_modified
            )
        if not_modified:
            self.send_response(HTTPStatus.NOT_MODIFIED)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self._send(HTTPStatus.OK, resource.body, resource.content_type, validators, send_body)

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        headers: dict[str, str],
        send_body: bool,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # Quiet: the demo's own output is what the user reads.
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hanging up mid-response are normal: no traceback for those.
        # Anything else is a bug in this module and should be seen.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


@contextmanager
def serve_sample_site(
    host: str = "127.0.0.1", port: int = 0, base_url: str | None = None
) -> Iterator[SampleSite]:
    """Serve the site on `host:port` (port 0: a free one) until the block exits.

    `base_url` is the address other machines use (e.g. a container's service
    name); by default the bound host and port.
    """
    server_class = _Server6 if ":" in host else _Server
    handler = type("SampleSiteHandler", (_Handler,), {"resources": {}})
    server = server_class((host, port), handler)
    bound_port = server.server_address[1]
    url_host = f"[{host}]" if ":" in host else host
    base_url = (base_url or f"http://{url_host}:{bound_port}").rstrip("/")
    handler.resources = build_resources(base_url)
    thread = threading.Thread(target=server.serve_forever, name="sample-site", daemon=True)
    thread.start()
    try:
        yield SampleSite(
            base_url=base_url,
            rss_url=base_url + RSS_PATH,
            atom_url=base_url + ATOM_PATH,
            articles=sample_articles(base_url),
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
