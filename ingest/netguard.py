"""Address policy and the guarded network backend the HTTP client connects through.

Feeds and article pages come from strangers, and a redirect or a DNS answer
can point anywhere, including at the machine running the pipeline or its
private network (SSRF). Checking the URL before the request is not enough:
the name could resolve differently a second later (DNS rebinding). So the
check lives in the httpcore network backend: the name is resolved once, every
address is vetted, and the socket connects to the vetted address itself while
httpcore keeps the name for the Host header and TLS SNI.

The backend also enforces a per-thread wall-clock deadline on every connect,
read and write, so a server that drips one byte a second cannot stretch a
request past its total budget.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import Any

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# host, port -> addresses as strings; injectable so tests need no DNS.
Resolver = Callable[[str, int], list[str]]

# Written out rather than left to `ipaddress.is_global`, whose meaning has
# shifted between Python releases; the flags are still consulted as well.
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, includes cloud metadata 169.254.169.254
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, includes broadcast
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/8",  # unspecified, loopback, IPv4-compatible (deprecated) and other reserved
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, includes Teredo 2001::/32
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local (ULA)
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class BlockedAddressError(Exception):
    """The destination resolved to an address the policy refuses."""

    def __init__(self, host: str, address: str) -> None:
        try:
            literal = ipaddress.ip_address(host) == ipaddress.ip_address(address)
        except ValueError:
            literal = False
        super().__init__(f"{address} not allowed" + ("" if literal else f" (for {host})"))
        self.host = host
        self.address = address


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition address really reaches, if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_special(ip: IPAddress) -> bool:
    if ip.version == 4:
        if any(ip in net for net in _BLOCKED_V4):
            return True
    elif any(ip in net for net in _BLOCKED_V6):
        return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
        or not ip.is_global
    )


class AddressPolicy:
    """Decides whether one resolved address may be connected to."""

    def __init__(self, allow: Sequence[IPNetwork] = ()) -> None:
        self.allow = tuple(allow)

    def _allowed_explicitly(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.allow)

    def permits(self, ip: IPAddress) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        candidates: list[IPAddress] = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            inner = _embedded_v4(ip)
            if inner is not None:
                candidates.append(inner)
        # An allow-listed network wins, whichever form (IPv6 or the IPv4 it
        # wraps) it is written in; otherwise every form must be public.
        if any(self._allowed_explicitly(c) for c in candidates):
            return True
        return not any(_is_special(c) for c in candidates)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    # Keep the system's preference order (RFC 6724) but drop duplicates.
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# ---------------------------------------------------------------- deadline

_local = threading.local()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Give the I/O this thread does inside the block `seconds` of wall clock in all."""
    previous: float | None = getattr(_local, "deadline", None)
    new = time.monotonic() + seconds
    _local.deadline = new if previous is None else min(previous, new)
    try:
        yield
    finally:
        _local.deadline = previous


def remaining() -> float | None:
    """Seconds left before this thread's deadline, None when there is none."""
    end: float | None = getattr(_local, "deadline", None)
    return None if end is None else end - time.monotonic()


def deadline_passed() -> bool:
    left = remaining()
    return left is not None and left <= 0


def _clamp(timeout: float | None, exc: type[Exception], what: str) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise exc(f"total time budget spent during {what}")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """Wraps a stream so each blocking call ends by the thread's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout, "read"))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout, "write"))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout, httpcore.ConnectTimeout, "TLS handshake")
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore backend: resolve, vet every address, connect to a vetted one."""

    def __init__(
        self,
        policy: AddressPolicy,
        resolver: Resolver | None = None,
        resolver_threads: int = 8,
    ) -> None:
        self.policy = policy
        self._resolver = resolver or system_resolver
        self._inner = httpcore.SyncBackend()
        # getaddrinfo cannot be interrupted, so it runs on helper threads and
        # the caller stops waiting at its timeout.
        self._dns = ThreadPoolExecutor(resolver_threads, thread_name_prefix="claimwire-dns")

    def resolve(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        future = self._dns.submit(self._resolver, host, port)
        try:
            raw = future.result(timeout)
        except FutureTimeout:
            raise httpcore.ConnectTimeout(f"dns lookup for {host} timed out") from None
        except (OSError, UnicodeError, ValueError) as exc:
            raise httpcore.ConnectError(f"dns lookup for {host} failed: {exc}") from None
        addresses: list[IPAddress] = []
        for text in raw:
            try:
                addresses.append(ipaddress.ip_address(text))
            except ValueError:
                raise httpcore.ConnectError(f"resolver gave a non-address {text!r}") from None
        if not addresses:
            raise httpcore.ConnectError(f"no address for {host}")
        return addresses

    def vet(self, host: str, addresses: Iterable[IPAddress]) -> None:
        # Every address is checked, not just the first: a name that mixes a
        # public and a private address is a rebinding trick, not bad luck.
        for ip in addresses:
            if not self.policy.permits(ip):
                raise BlockedAddressError(host, str(ip))

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self.resolve(host, port, _clamp(timeout, httpcore.ConnectTimeout, "dns"))
        self.vet(host, addresses)
        last: Exception | None = None
        for ip in addresses:
            try:
                stream = self._inner.connect_tcp(
                    str(ip),
                    port,
                    _clamp(timeout, httpcore.ConnectTimeout, "connect"),
                    local_address,
                    socket_options,
                )
            except httpcore.ConnectError as exc:
                last = exc
                continue
            return _DeadlineStream(stream)
        assert last is not None
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable through the guard")

    def close(self) -> None:
        self._dns.shutdown(wait=False, cancel_futures=True)
