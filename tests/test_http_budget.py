"""Time budgets of the HTTP client: one per URL across hops, retries and their
waits; Retry-After capped; no retries for a host that keeps failing; no
request started after a batch's deadline."""

from __future__ import annotations

import time
from dataclasses import replace

from servers import Reply, serve

from claimwire.config import HttpSettings
from claimwire.ingest.http import DEFERRED, HttpClient

FAST = HttpSettings(
    connect_timeout=2.0, read_timeout=5.0, total_timeout=5.0,
    allow_networks=("127.0.0.1/32",), per_host_delay=0.0, retries=2,
    backoff_base=0.05, backoff_max=10.0, respect_robots=False,
)
PAGE = Reply(body="<html><body><p>ok</p></body></html>", headers={"Content-Type": "text/html"})


def client(**changes: object) -> HttpClient:
    return HttpClient(replace(FAST, **changes))


def test_one_budget_for_all_hops_of_a_url():
    # Five hops of one second each: each fits in 2.5 s, together they do not
    # (before, the budget was per hop and the chain took 5 s and succeeded).
    routes = {f"/h{i}": Reply(status=302, headers={"Location": f"/h{i + 1}"}, delay=1.0)
              for i in range(5)}
    routes["/h5"] = PAGE
    with serve(routes) as base, client(total_timeout=2.5) as http:
        started = time.monotonic()
        result = http.get(base + "/h0")
        elapsed = time.monotonic() - started
    assert result.error is not None and result.error.startswith("timeout"), result.error
    assert elapsed < 4.0
    assert len(base.requests) <= 3


def test_retry_after_longer_than_backoff_max_or_the_budget_is_not_waited():
    routes = {"/long": Reply(status=503, headers={"Retry-After": "30"}),
              "/fits": [Reply(status=503, headers={"Retry-After": "1"}), PAGE],
              "/over": Reply(status=503, headers={"Retry-After": "3"})}
    with serve(routes) as base, client(backoff_max=10.0, total_timeout=2.5) as http:
        assert http.get(base + "/fits").ok
        started = time.monotonic()
        assert http.get(base + "/long").error == "http_status: 503"
        assert http.get(base + "/over").error == "http_status: 503"
        assert time.monotonic() - started < 1.5
    paths = [s.path for s in base.requests]
    assert paths.count("/long") == 1 and paths.count("/over") == 1 and paths.count("/fits") == 2


def test_a_host_that_keeps_failing_gets_no_more_retries():
    routes = {f"/p{i}": Reply(status=503, headers={"Retry-After": "0"}) for i in range(8)}
    routes["/ok"] = PAGE
    routes["/flaky"] = [Reply(status=503, headers={"Retry-After": "0"}), PAGE]
    with serve(routes) as base, client(per_host_connections=1) as http:
        results = list(http.get_many([base + f"/p{i}" for i in range(8)]))
        # an answer that is not a failure lets the host's URLs be retried again
        assert http.get(base + "/ok").ok
        assert http.get(base + "/flaky").ok
    assert all(r.error == "http_status: 503" for r in results)
    assert [s.path for s in base.requests[-3:]] == ["/ok", "/flaky", "/flaky"]
    # the first URL with its two retries, then one attempt each for the other seven
    assert len(base.requests) == 3 + 7 + 3


def test_no_request_starts_after_the_deadline():
    routes = {f"/slow{i}": Reply(body=PAGE.body, headers=PAGE.headers, delay=0.5)
              for i in range(10)}
    with serve(routes) as base, client(per_host_connections=1) as http:
        started = time.monotonic()
        results = list(http.get_many([base + f"/slow{i}" for i in range(10)],
                                     deadline=started + 1.2))
        elapsed = time.monotonic() - started
    fetched = [r for r in results if r.ok]
    deferred = [r for r in results if r.error == DEFERRED]
    assert len(results) == 10 and len(fetched) + len(deferred) == 10
    assert 1 <= len(fetched) <= 4 and len(base.requests) == len(fetched)
    assert elapsed < 3.0
