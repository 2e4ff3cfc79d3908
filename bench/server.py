"""A static file server on 127.0.0.1 with ETag / Last-Modified and 304 answers.

It runs as its own process (`python -m bench.server ROOT`, which prints the
port on its first line of output) so that serving does not compete with the
measured code for the benchmark process's GIL.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Files do not change while a benchmark runs, so one date serves for all.
LAST_MODIFIED = "Thu, 01 Jan 2026 00:00:00 GMT"
_TYPES = {".xml": "application/rss+xml", ".html": "text/html; charset=utf-8"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        found = self.server.lookup(self.path.split("?", 1)[0])
        if found is None:
            self._send(404, b"not found", "text/plain", None)
            return
        body, etag, kind = found
        if self.headers.get("If-None-Match") == etag or (
            self.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            self._send(304, b"", kind, etag)
            return
        self._send(200, body, kind, etag)

    def _send(self, status: int, body: bytes, kind: str, etag: str | None) -> None:
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # thousands of requests; the benchmark reports what matters


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.root = root.resolve()
        self._cache: dict[str, tuple[bytes, str, str] | None] = {}
        self._lock = threading.Lock()

    def lookup(self, path: str) -> tuple[bytes, str, str] | None:
        with self._lock:
            if path in self._cache:
                return self._cache[path]
        target = (self.root / path.lstrip("/")).resolve()
        found = None
        if target.is_relative_to(self.root) and target.is_file():
            body = target.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            found = (body, etag, _TYPES.get(target.suffix, "application/octet-stream"))
        with self._lock:
            self._cache[path] = found
        return found


def main() -> None:
    server = _Server(Path(sys.argv[1]))
    print(server.server_address[1], flush=True)
    server.serve_forever()


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve `root` from a child process; yield the base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.server", str(root)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
