"""Streamed GETs: a body far larger than a page read as a file, never held whole.

`HttpClient.stream` (the entry point) hands out a `BodyStream` for files such
as a 1 GB CC-NEWS WARC. It goes through the client's own connection pool, so
the address guard vets every hop and every connection as for `get`; redirects
are checked the same way, connect and read timeouts and retries on
429/5xx/refused connections are the client's, and the stream holds one
politeness slot of its host while it is open. Only the size and time limits
are the caller's: `max_bytes` (on the wire, and again after any
Content-Encoding) and `total_timeout` for the whole transfer.

A connection that breaks mid-body is resumed where it broke with a `Range`
request (`If-Range` pinning the same file), up to `retries` times, so a reader
decoding gzip members on the fly never notices. A server that cannot resume,
or a file that changed, ends the stream with a `StreamError`.

Kept apart from `http.py` so the page path stays exactly as it is; it shares
that module's helpers and the client's internals.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpcore
import httpx

from claimwire.formats.media import media_type
from claimwire.ingest import netguard
from claimwire.ingest.http import (
    REDIRECT_STATUSES,
    _content_length,
    _Decoder,
    _Failure,
    _Hop,
    _hop_headers,
    _host_key,
    _origin,
    _parse_url,
    _redirect_target,
    _short,
)

if TYPE_CHECKING:
    from claimwire.ingest.http import HttpClient

# Exceptions a transfer can end with, mapped to "<reason>: <detail>" by _error_of.
_TRANSFER_ERRORS = (
    netguard.BlockedAddressError,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    OSError,
)
# Failures a Range request can repair: the connection went, the file did not.
_RESUMABLE = ("read_error", "network_error", "timeout: read")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class StreamError(Exception):
    """A streamed GET failed; `error` reads like `FetchResult.error` ("<reason>: <detail>").

    Deliberately not an OSError: readers that treat OSError as a damaged file
    (the WARC reader does) let it through, so a network failure is never
    mistaken for bad data.
    """

    def __init__(self, error: str, url: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {error}")
        self.error = error
        self.url = url
        self.status = status  # the HTTP status that ended it, if one did


class _StatusFailure(_Failure):
    """A refusal by HTTP status, which the caller may want to record."""

    def __init__(self, status: int) -> None:
        super().__init__(f"http_status: {status}")
        self.status = status


@contextmanager
def open_stream(
    client: HttpClient,
    url: str,
    *,
    max_bytes: int,
    total_timeout: float,
    headers: Mapping[str, str] | None = None,
) -> Iterator[BodyStream]:
    """See `HttpClient.stream`."""
    if client._closed:
        raise StreamError("closed: client is closed", url)
    try:
        start = _parse_url(url)
    except _Failure as failure:
        raise StreamError(failure.error, url) from None
    # Identity: the file's own bytes, so a broken transfer can resume by offset.
    extra = {"Accept-Encoding": "identity", **dict(headers or {})}
    with client._polite.slot(_host_key(start)), netguard.deadline(total_timeout):
        body = BodyStream(client, start, extra, max_bytes)
        try:
            body._open()
            yield body
        finally:
            body.close()


class BodyStream(io.RawIOBase):
    """The body of a streamed GET, read-only and forward-only.

    Reads raise `StreamError` when the transfer fails beyond repair (too
    large, out of time, connection lost and not resumable).
    """

    def __init__(
        self, client: HttpClient, url: httpx.URL, headers: dict[str, str], max_bytes: int
    ) -> None:
        super().__init__()
        self.url = str(url)
        self.name = url.path.rsplit("/", 1)[-1] or self.url  # for readers' messages
        self.final_url = str(url)
        self.status: int | None = None
        self.headers: dict[str, str] = {}
        self.content_type: str | None = None
        self.length: int | None = None  # the whole body, when the server said
        self.bytes_read = 0  # on the wire, across reconnections
        self.resumed = 0  # reconnections made
        self.error: str | None = None
        self._client = client
        self._start = url
        self._headers = headers
        self._max = max_bytes
        self._response: httpcore.Response | None = None
        self._chunks: Iterator[bytes] | None = None
        self._decoder: _Decoder | None = None
        self._validator: str | None = None
        self._identity = True
        self._pending = memoryview(b"")
        self._done = False

    # -- io.RawIOBase

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            if self._done:
                return 0
            self._pending = memoryview(self._next_piece())
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def close(self) -> None:
        self._release()
        super().close()

    # -- transfer

    def _open(self) -> None:
        try:
            response, final = _open_response(self._client, self._start, self._headers)
            self._take(response, final)
        except _Failure as failure:
            self.status = getattr(failure, "status", self.status)
            self._fail(failure.error)

    def _take(self, response: httpcore.Response, final: httpx.URL) -> None:
        headers = _header_dict(response)
        self.status, self.headers, self.final_url = response.status, headers, str(final)
        length = _content_length(headers)
        self.length = length
        if length is not None and length > self._max:
            response.close()
            raise _Failure(f"too_large: body over {self._max} bytes (Content-Length)")
        self.content_type = media_type(headers.get("content-type"))[0] or None
        encoding = headers.get("content-encoding", "").strip().lower()
        self._identity = encoding in ("", "identity")
        self._decoder = _Decoder(encoding or None, self._max)
        etag = headers.get("etag", "")
        # A weak validator cannot pin a byte range (RFC 9110 13.1.5).
        self._validator = etag if etag and not etag.startswith("W/") else (
            headers.get("last-modified") or None)
        self._response, self._chunks = response, response.iter_stream()

    def _next_piece(self) -> bytes:
        if self._chunks is None or self._decoder is None:
            raise ValueError("read from a closed stream")
        try:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self._done = True
                tail = self._decoder.finish()
                self._release()
                return tail
            except _TRANSFER_ERRORS as exc:
                error = _error_of(self._client, exc)
                self._resume(error)
                return b""
            self.bytes_read += len(chunk)
            if self.bytes_read > self._max:
                raise _Failure(f"too_large: body over {self._max} bytes")
            if netguard.deadline_passed():
                raise _Failure("timeout: total")
            return self._decoder.feed(chunk)
        except _Failure as failure:
            self._fail(failure.error)

    def _resume(self, error: str) -> None:
        """Carry on from `bytes_read` on a new connection, or fail with `error`."""
        self._release()
        settings = self._client.settings
        if (not error.startswith(_RESUMABLE) or not self._identity
                or self.resumed >= settings.retries or netguard.deadline_passed()):
            raise _Failure(error)
        time.sleep(self._client._retry_delay(_Hop(), self.resumed))
        self.resumed += 1
        headers = dict(self._headers, Range=f"bytes={self.bytes_read}-")
        if self._validator:
            headers["If-Range"] = self._validator
        try:
            response, final = _open_response(self._client, self._start, headers)
        except _Failure as failure:
            raise _Failure(f"{error}; resuming failed: {failure.error}") from None
        match = _CONTENT_RANGE.match(_header_dict(response).get("content-range", ""))
        if response.status != 206 or match is None or int(match.group(1)) != self.bytes_read:
            response.close()
            raise _Failure(f"{error}; cannot resume: the server answered {response.status} "
                           f"to a range request from byte {self.bytes_read}")
        self.final_url = str(final)
        self._response, self._chunks = response, response.iter_stream()

    def _fail(self, error: str) -> None:
        self.error = error
        self._done = True
        self._release()
        raise StreamError(error, self.url, self.status)

    def _release(self) -> None:
        response, self._response, self._chunks = self._response, None, None
        if response is not None:
            # Mid-body this drops the connection rather than draining a gigabyte.
            response.close()


# ------------------------------------------------------------------ opening


def _open_response(
    client: HttpClient, url: httpx.URL, headers: dict[str, str]
) -> tuple[httpcore.Response, httpx.URL]:
    """A 2xx response with its body unread, redirects followed and checked as `get` does."""
    first_origin = _origin(url)
    seen = {str(url)}
    current = url
    redirects = 0
    while True:
        response = _attempts(client, current, _hop_headers(headers, current, first_origin))
        status = response.status
        if status in REDIRECT_STATUSES:
            location = _header_dict(response).get("location", "").strip()
            response.close()
            current = _redirect_target(
                current, status, location, seen, redirects, client.settings.max_redirects
            )
            redirects += 1
            continue
        if not 200 <= status < 300:
            response.close()
            raise _StatusFailure(status)
        return response, current


def _attempts(client: HttpClient, url: httpx.URL, headers: dict[str, str]) -> httpcore.Response:
    """One exchange's response (body unread), retried as `get` retries."""
    attempt = 0
    while True:
        hop = _Hop()
        response: httpcore.Response | None = None
        try:
            response = client._pool.handle_request(_request(client, url, headers))
            hop.status, hop.headers = response.status, _header_dict(response)
        except _TRANSFER_ERRORS as exc:
            hop.error = _error_of(client, exc)
        # None: the server asks for a longer wait than backoff_max allows, so no retry.
        delay = client._retry_delay(hop, attempt) if client._retryable(hop) else None
        if attempt < client.settings.retries and delay is not None:
            if response is not None:
                response.close()
            time.sleep(delay)
            attempt += 1
            continue
        if hop.error is not None or response is None:
            raise _Failure(hop.error or "network_error: no response")
        return response


def _request(client: HttpClient, url: httpx.URL, headers: dict[str, str]) -> httpcore.Request:
    s = client.settings
    timeouts = {"connect": s.connect_timeout, "read": s.read_timeout,
                "write": s.read_timeout, "pool": s.connect_timeout}
    try:
        return httpcore.Request(
            "GET",
            httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port,
                         target=url.raw_path),
            headers=client._request_headers(url, headers, "any"),
            extensions={"timeout": timeouts},
        )
    except (UnicodeError, TypeError, ValueError) as exc:
        raise _Failure(f"bad_request: {_short(exc)}") from None


def _error_of(client: HttpClient, exc: BaseException) -> str:
    if isinstance(exc, netguard.BlockedAddressError):
        return f"blocked_address: {exc}"
    if isinstance(exc, httpcore.TimeoutException):
        return f"timeout: {client._timeout_kind(exc)}"
    if isinstance(exc, httpcore.ConnectError):
        return f"connect_error: {_short(exc)}"
    if isinstance(exc, httpcore.ReadError | httpcore.WriteError | httpcore.RemoteProtocolError):
        return f"read_error: {type(exc).__name__}: {_short(exc)}"
    if isinstance(exc, httpcore.LocalProtocolError | httpcore.UnsupportedProtocol):
        return f"bad_request: {_short(exc)}"
    return f"network_error: {type(exc).__name__}: {_short(exc)}"


def _header_dict(response: httpcore.Response) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in response.headers:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers

