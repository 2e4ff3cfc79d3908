"""A small programmable HTTP server for tests, bound to loopback only.

Usage::

    from servers import Reply, redirect, serve  # or tests.servers

    routes = {
        "/": Reply(body="<html><body>hi</body></html>", headers={"Content-Type": "text/html"}),
        "/old": redirect("/"),  # 302 by default
        "/flaky": [Reply(status=503, headers={"Retry-After": "1"}), Reply(body=b"ok")],
        "/slow": Reply(body=drip(b"abc", interval=1.0)),  # streamed, chunked
        "/dyn": lambda seen: Reply(status=304 if seen.headers.get("if-none-match") else 200),
    }
    with serve(routes) as base_url:  # "http://127.0.0.1:PORT", a str
        ...
        base_url.requests     # [Seen(method, path, headers, time, client), ...]
        base_url.connections  # TCP connections accepted, even ones never sending a request

A route value is one of:

* `Reply`: the same answer every time;
* a list of `Reply`: answered in order, the last one repeating;
* a callable taking the `Seen` request and returning a `Reply`.

Paths are matched with the query string first ("/a?x=1"), then without it;
unknown paths get a 404. The route table is read on every request, so a test
may change it while the server runs.

`Reply.body` may be bytes, str (UTF-8) or an iterable of bytes. Bytes get a
Content-Length unless the headers already carry one (so tests can lie about
it); an iterable is sent chunked, or raw until the connection closes when the
headers give a Content-Length or `chunked=False`. A client that hangs up
mid-body ends the generator quietly. `delay` sleeps before the status line;
`chunk_delay` sleeps between body pieces.

Bind to any 127.0.0.x address (Linux routes all of 127/8 to loopback) with
`serve(routes, host="127.0.0.2")`, e.g. to stand in for a second host.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass
class Reply:
    status: int = 200
    headers: Headers = field(default_factory=dict)
    body: bytes | str | Iterable[bytes] | None = b""
    delay: float = 0.0  # seconds before the status line is sent
    chunk_delay: float = 0.0  # seconds between pieces of an iterable body
    chunked: bool | None = None  # None: chunked for iterables without Content-Length
    close: bool = False  # close the connection after this reply


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-cased names
    time: float  # time.monotonic() when the request line was read
    client: tuple[str, int]


Route = Reply | list[Reply] | Callable[[Seen], Reply]


class ServerURL(str):
    """The base URL (no trailing slash) plus what the server saw."""

    requests: list[Seen]
    server: _Server

    @property
    def connections(self) -> int:
        return self.server.connection_count

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/") -> str:
        return self + path


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


def drip(data: bytes, interval: float) -> Iterator[bytes]:
    """Yield `data` one byte at a time, `interval` seconds apart."""
    for i in range(len(data)):
        if i:
            time.sleep(interval)
        yield data[i : i + 1]


def endless(piece: bytes = b"x" * 65536) -> Iterator[bytes]:
    """Yield `piece` forever (the client has to stop reading)."""
    while True:
        yield piece


def gzipped(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def gzip_stream(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """gzip-compress an iterable lazily: a 1 GB bomb never exists in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    for piece in pieces:
        out = compressor.compress(piece)
        if out:
            yield out
    yield compressor.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], routes: dict[str, Route]) -> None:
        super().__init__(address, _Handler)
        self.routes = routes
        self.seen: list[Seen] = []
        self.connection_count = 0
        self.lock = threading.Lock()
        self.cursors: dict[str, int] = {}

    def verify_request(self, request: Any, client_address: Any) -> bool:
        with self.lock:
            self.connection_count += 1
        return True

    def reply_for(self, seen: Seen) -> Reply:
        bare = seen.path.split("?", 1)[0]
        key = seen.path if seen.path in self.routes else bare
        route = self.routes.get(key)
        if route is None:
            return Reply(status=404, body=b"not found", headers={"Content-Type": "text/plain"})
        if isinstance(route, Reply):
            return route
        if isinstance(route, list):
            with self.lock:
                index = self.cursors.get(key, 0)
                self.cursors[key] = index + 1
            return route[min(index, len(route) - 1)]
        return route(seen)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    # Headers and body go out in separate writes; without this, Nagle plus
    # delayed ACKs add ~40 ms to every response.
    disable_nagle_algorithm = True
    # Idle keep-alive connections end after this, so handler threads do not pile up.
    timeout = 10

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._respond(with_body=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        self._respond(with_body=False)

    def _respond(self, with_body: bool) -> None:
        seen = Seen(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            time=time.monotonic(),
            client=self.client_address[:2],
        )
        with self.server.lock:
            self.server.seen.append(seen)
        reply = self.server.reply_for(seen)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self._send(reply, with_body)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True  # the client gave up; that is often the point

    def _send(self, reply: Reply, with_body: bool) -> None:
        items = list(reply.headers.items() if isinstance(reply.headers, Mapping) else reply.headers)
        names = {name.lower() for name, _ in items}
        body = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        streamed = body is not None and not isinstance(body, bytes | bytearray)
        chunked = streamed and "content-length" not in names and reply.chunked is not False
        if isinstance(body, bytes | bytearray) and "content-length" not in names:
            items.append(("Content-Length", str(len(body))))
        if body is None and "content-length" not in names and reply.status not in (204, 304):
            items.append(("Content-Length", "0"))
        if chunked:
            items.append(("Transfer-Encoding", "chunked"))
        close = reply.close or (streamed and not chunked and "content-length" not in names)
        if close:
            items.append(("Connection", "close"))
            self.close_connection = True
        self.send_response_only(reply.status)
        for name, value in items:
            self.send_header(name, value)
        self.end_headers()
        if not with_body or body is None:
            return
        if isinstance(body, bytes | bytearray):
            self.wfile.write(body)
            return
        first = True
        for piece in body:
            if reply.chunk_delay and not first:
                time.sleep(reply.chunk_delay)
            first = False
            if not piece:
                continue
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


@contextmanager
def serve(routes: dict[str, Route], host: str = "127.0.0.1", port: int = 0) -> Iterator[ServerURL]:
    """Run a server for the block; yields its base URL with `.requests` and `.connections`."""
    if not host.startswith("127."):
        raise ValueError("test servers bind to loopback (127.0.0.x) only")
    server = _Server((host, port), routes)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    base = ServerURL(f"http://{host}:{server.server_address[1]}")
    base.requests = server.seen
    base.server = server
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
