"""The ASGI app: routes, templates, security headers and error pages.

Every page handler runs inside `page_errors`, which turns what a person can
act on into a page (400 bad parameter, 404 unknown id, 503 warehouse busy or
missing) and anything unexpected into a plain 500 page, logged here with its
traceback and never shown to the browser.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from claimwire.explorer import urls
from claimwire.explorer.db import RETRY_AFTER_SECONDS, WarehouseBusy, WarehouseMissing
from claimwire.explorer.params import BadRequest, NotFound

log = logging.getLogger("claimwire.explorer")

# Nothing remote, nothing inline that runs: pages are HTML + one stylesheet +
# inline SVG, so even markup that slipped past escaping could not load or run anything.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


@dataclass(frozen=True)
class ExplorerSettings:
    warehouse: Path
    archive_dir: Path


class SecurityHeaders:
    """Adds the security headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _format_day(value: object) -> str:
    if value is None:
        return "undated"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return _format_day(value)
    return str(value)


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("claimwire.explorer", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = _format_day
    env.filters["cell"] = _format_cell
    # Only web addresses become links: a javascript: or data: URL in the data stays text.
    env.tests["weblink"] = lambda url: isinstance(url, str) and url.lower().startswith(
        ("http://", "https://"))
    env.globals["urls"] = urls
    env.globals["stances"] = ("assert", "deny", "uncertain")
    return env


TEMPLATES = _environment()


def render(template: str, status_code: int = 200, headers: dict[str, str] | None = None,
           **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def error_page(status_code: int, title: str, message: str,
               headers: dict[str, str] | None = None) -> HTMLResponse:
    return render("error.html", status_code=status_code, headers=headers,
                  status=status_code, title=title, message=message)


def busy_page() -> HTMLResponse:
    return error_page(
        503, "The warehouse is being updated",
        f"A load is writing to the warehouse right now. Retry in a moment "
        f"(about {RETRY_AFTER_SECONDS} seconds).",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


Handler = Callable[[Request], Response]


def page_errors(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Run a (blocking) page handler in a worker thread; errors become pages."""
    from starlette.concurrency import run_in_threadpool

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await run_in_threadpool(handler, request)
        except BadRequest as exc:
            return error_page(400, "Bad request", str(exc))
        except NotFound as exc:
            return error_page(404, "Not found", str(exc))
        except WarehouseBusy:
            return busy_page()
        except WarehouseMissing as exc:
            log.warning("warehouse unavailable: %s", exc)
            return error_page(503, "No warehouse", str(exc),
                              headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        except Exception:
            log.exception("error in %s %s", request.method, request.url.path)
            return error_page(500, "Something went wrong",
                              "The explorer met an unexpected error; it has been logged.")

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    titles = {404: "Not found", 405: "Method not allowed"}
    messages = {404: "There is no page here.", 405: "The explorer only reads: use GET."}
    headers = {"Allow": "GET, HEAD"} if code == 405 else None
    return error_page(code, titles.get(code, "Error"),
                      messages.get(code, "The request could not be served."), headers=headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    # Only reached when something failed outside a page handler.
    return error_page(500, "Something went wrong",
                      "The explorer met an unexpected error; it has been logged.")


def create_app(settings: ExplorerSettings) -> ASGIApp:
    from claimwire.explorer import routes

    def get(path: str, handler: Handler, name: str) -> Route:
        return Route(path, page_errors(handler), methods=["GET"], name=name)

    app = Starlette(
        debug=False,
        routes=[
            get("/", routes.home, "home"),
            get("/search", routes.search, "search"),
            get("/speaker/{speaker_id}", routes.speaker, "speaker"),
            get("/story/{story_id}", routes.story, "story"),
            get("/article/{article_id}", routes.article, "article"),
            get("/article/{article_id}/raw", routes.raw, "raw"),
            get("/status", routes.status, "status"),
            Mount("/static", StaticFiles(packages=[("claimwire.explorer", "static")]),
                  name="static"),
        ],
        exception_handlers={HTTPException: _http_error, 500: _server_error},
    )
    app.state.settings = settings
    return SecurityHeaders(app)
