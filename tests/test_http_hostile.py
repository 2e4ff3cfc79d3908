"""HttpClient against servers that try to hurt it: SSRF, bombs, endless and dripping bodies."""

from __future__ import annotations

import ipaddress
import time
import tracemalloc
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claimwire.config import HttpSettings
from claimwire.ingest.http import FetchResult, HttpClient
from claimwire.ingest.netguard import AddressPolicy

try:
    from servers import Reply, drip, endless, gzip_stream, redirect, serve
except ImportError:  # tests/ became a package
    from tests.servers import Reply, drip, endless, gzip_stream, redirect, serve

FAST = HttpSettings(
    connect_timeout=2.0,
    read_timeout=2.0,
    total_timeout=5.0,
    allow_networks=("127.0.0.1/32",),
    per_host_delay=0.0,
    retries=0,
    respect_robots=False,
)
HTML = {"Content-Type": "text/html"}
PAGE = b"<html><body>fine</body></html>"


def client(**changes: object) -> HttpClient:
    return HttpClient(replace(FAST, **changes))


def test_redirect_to_unlisted_loopback_is_refused_before_connecting() -> None:
    with serve({"/": Reply(body=PAGE, headers=HTML)}, host="127.0.0.2") as inner:
        routes = {"/jump": redirect(inner + "/"), "/ip6": redirect("http://[::ffff:127.0.0.2]/")}
        with serve(routes) as base, client() as http:
            result = http.get(base + "/jump")
            mapped = http.get(base + "/ip6")
        assert result.error == "blocked_address: 127.0.0.2 not allowed"
        # status and headers describe the final hop, which never got a response.
        assert result.status is None and result.body is None
        assert result.final_url == inner + "/"
        # Python versions print the IPv4-mapped form differently.
        assert mapped.error is not None and mapped.error.startswith("blocked_address: ::ffff:")
        assert inner.connections == 0 and inner.requests == []


def test_loopback_refused_without_allow_networks() -> None:
    with serve({"/": Reply(body=PAGE, headers=HTML)}) as base:
        with HttpClient(replace(FAST, allow_networks=())) as http:
            result = http.get(base + "/")
            localhost = http.get(base.replace("127.0.0.1", "localhost") + "/")
        assert result.error == "blocked_address: 127.0.0.1 not allowed"
        assert localhost.error is not None and localhost.error.startswith("blocked_address")
        assert base.connections == 0


def test_every_resolved_address_is_checked_and_the_vetted_one_is_used() -> None:
    answers = {"mixed.test": ["93.184.216.34", "10.0.0.1"], "alias.test": ["127.0.0.1"]}

    def resolver(host: str, port: int) -> list[str]:
        return answers[host]

    with serve({"/": Reply(body=PAGE, headers=HTML)}) as base:
        with HttpClient(FAST, resolver=resolver) as http:
            mixed = http.get(f"http://mixed.test:{base.port}/")
            alias = http.get(f"http://alias.test:{base.port}/")
        assert mixed.error == "blocked_address: 10.0.0.1 not allowed (for mixed.test)"
        # Connected to the vetted address, while the name stays in the Host header.
        assert alias.ok, alias.error
        assert base.requests[0].headers["host"] == f"alias.test:{base.port}"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "240.0.0.1", "198.18.0.1", "::1", "::",
        "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1",
        "64:ff9b::a00:1", "2002:a00:1::", "2001:db8::1", "2001::1", "::127.0.0.1",
    ],
)  # fmt: skip
def test_policy_refuses_special_addresses(address: str) -> None:
    assert not AddressPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_policy_permits_public_addresses(address: str) -> None:
    assert AddressPolicy().permits(ipaddress.ip_address(address))


def test_policy_allow_list_covers_mapped_forms() -> None:
    policy = AddressPolicy([ipaddress.ip_network("10.0.0.0/8")])
    assert policy.permits(ipaddress.ip_address("10.9.9.9"))
    assert policy.permits(ipaddress.ip_address("::ffff:10.9.9.9"))
    assert not policy.permits(ipaddress.ip_address("192.168.0.1"))


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://example.org/x", "bad_scheme: ftp"),
        ("file:///etc/passwd", "bad_scheme: file"),
        ("javascript:alert(1)", "bad_scheme: javascript"),
        ("data:text/html,hi", "bad_scheme: data"),
        ("example.org/no-scheme", "bad_scheme: none"),
        ("http:///nohost", "bad_url: no host"),
    ],
)
def test_bad_schemes_and_urls(url: str, error: str) -> None:
    with client() as http:
        result = http.get(url)
    assert result.error == error and result.status is None and not result.ok


def test_gzip_bomb_stops_at_decompressed_cap_with_bounded_memory() -> None:
    zeros = bytes(1 << 20)
    bomb = gzip_stream(zeros for _ in range(1024))  # 1 GiB of zeros, compressed lazily
    routes = {"/bomb": Reply(body=bomb, headers={**HTML, "Content-Encoding": "gzip"})}
    cap = 4 << 20
    with serve(routes) as base, client(max_decompressed_bytes=cap) as http:
        tracemalloc.start()
        try:
            result = http.get(base + "/bomb")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert result.error == f"decompressed_too_large: over {cap} bytes"
    assert result.body is None
    assert peak < 32 << 20, f"peak {peak / 2**20:.1f} MiB"


def test_endless_body_stops_at_max_bytes() -> None:
    routes = {
        "/endless": Reply(body=endless(), headers=HTML),
        "/declared": Reply(body=PAGE, headers={**HTML, "Content-Length": str(50 << 20)}),
    }
    with serve(routes) as base, client(max_bytes=1 << 20) as http:
        started = time.monotonic()
        result = http.get(base + "/endless")
        declared = http.get(base + "/declared")
    assert result.error == f"too_large: body over {1 << 20} bytes"
    assert time.monotonic() - started < 3
    assert declared.error is not None and declared.error.startswith("too_large")


def test_drip_feed_stopped_by_total_timeout() -> None:
    routes = {"/drip": Reply(body=drip(b"<html>" + b"x" * 60, interval=1.0), headers=HTML)}
    with serve(routes) as base, client(total_timeout=2.0, read_timeout=5.0) as http:
        result = http.get(base + "/drip")
    assert result.error == "timeout: total"
    assert 1.9 <= result.elapsed < 3.0


def test_slow_headers_hit_read_timeout() -> None:
    routes = {"/slow": Reply(body=PAGE, headers=HTML, delay=3.0)}
    with serve(routes) as base, client(read_timeout=0.5) as http:
        result = http.get(base + "/slow")
    assert result.error == "timeout: read" and result.status is None
    assert result.elapsed < 2


def test_refused_connection_is_connect_error() -> None:
    with serve({}) as base:
        port = base.port
    with client() as http:
        result = http.get(f"http://127.0.0.1:{port}/")
    assert result.error is not None and result.error.startswith("connect_error")


def test_lying_gzip_is_a_clean_error() -> None:
    routes = {"/": Reply(body=b"not gzip at all", headers={**HTML, "Content-Encoding": "gzip"})}
    with serve(routes) as base, client() as http:
        result = http.get(base + "/")
    assert result.error is not None and result.error.startswith("bad_encoding: gzip")


def _no_dns(host: str, port: int) -> list[str]:
    # Every name lands on a refused address: the property test needs no network.
    return ["127.0.0.9"]


_PROPERTY_CLIENT = HttpClient(
    replace(FAST, connect_timeout=0.5, read_timeout=0.5, total_timeout=1.0), resolver=_no_dns
)
_URLISH = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda scheme, rest: scheme + rest,
        st.sampled_from(["http://", "https://", "HTTP://", "http:", "//", "http://[", "https://@"]),
        st.text(max_size=60),
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_URLISH)
def test_get_never_raises_on_arbitrary_strings(text: str) -> None:
    result = _PROPERTY_CLIENT.get(text)
    assert isinstance(result, FetchResult)
    assert result.url == text
    assert not result.ok and result.error  # nothing here can succeed
