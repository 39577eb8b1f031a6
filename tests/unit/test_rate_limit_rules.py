"""The rate-limit rules: GCRA over every window, the windows' syntax, the callers' keys and addresses."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from storefront.application.ports import IssuedToken
from storefront.domain.rate_limits import MICROSECONDS, Window, client_key, consumer_key, decide, parse_windows
from storefront.http.client_address import client_address, networks
from tests.fakes import FakeRateLimits
from tests.rate_limit_rules import GCRA_CASES, Step

START_US = 1_795_514_400 * MICROSECONDS


@pytest.mark.parametrize(("windows", "steps"), GCRA_CASES.values(), ids=GCRA_CASES.keys())
def test_gcra_decides_every_window_together(windows, steps):
    parsed = parse_windows(windows)
    arrivals: list[int | None] = [None] * len(parsed)
    for step in steps:
        verdict = decide(parsed, arrivals, START_US + round(step.at * MICROSECONDS))
        got = Step(
            step.at,
            verdict.admitted,
            verdict.window.limit,
            verdict.remaining,
            verdict.reset_seconds,
            verdict.retry_after_seconds,
        )
        assert got == step
        if verdict.arrivals is not None:
            arrivals = list(verdict.arrivals)


@pytest.mark.parametrize(("windows", "steps"), GCRA_CASES.values(), ids=GCRA_CASES.keys())
def test_the_fake_limiter_follows_the_same_rules(windows, steps):
    limits = FakeRateLimits()
    start = limits.clock.moment
    for step in steps:
        if step.at != int(step.at):
            continue  # the fake's clock moves in whole seconds
        limits.clock.moment = start + timedelta(seconds=step.at)
        decision = limits.check("user:t:u", parse_windows(windows))
        got = (decision.admitted, decision.limit, decision.remaining, decision.reset_seconds)
        assert (*got, decision.retry_after_seconds) == step[1:]


def test_a_caller_within_the_rate_is_never_refused():
    (window,) = parse_windows("100/minute")
    arrival: int | None = None
    for n in range(1000):  # one request per emission interval, for ten minutes
        verdict = decide([window], [arrival], START_US + n * window.interval_us)
        assert verdict.admitted
        arrival = verdict.arrivals[0] if verdict.arrivals else None


def test_over_a_long_time_no_more_than_the_rate_gets_through():
    (window,) = parse_windows("10/minute")
    arrival: int | None = None
    admitted = 0
    for n in range(3600):  # one request per 100 ms for six minutes
        verdict = decide([window], [arrival], START_US + n * 100_000)
        if verdict.admitted:
            admitted += 1
            arrival = verdict.arrivals[0] if verdict.arrivals else None
    assert admitted == 10 + 6 * 10 - 1  # the burst, then one per 6 s (the last one falls at 360 s)


@pytest.mark.parametrize(
    ("text", "windows"),
    [
        ("100/minute,1000/hour,10000/day", ((100, "minute"), (1000, "hour"), (10000, "day"))),
        (" 10000/day , 10/second ", ((10, "second"), (10000, "day"))),
        ("1/day", ((1, "day"),)),
        ("7/minute", ((7, "minute"),)),
        ("1000000/second", ((1000000, "second"),)),
    ],
)
def test_windows_are_read_shortest_first(text, windows):
    assert [(w.limit, w.period) for w in parse_windows(text)] == list(windows)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is not <count>/<period>"),
        ("100", "is not <count>/<period>"),
        ("minute/100", "is not <count>/<period>"),
        ("-1/minute", "is not <count>/<period>"),
        ("1.5/minute", "is not <count>/<period>"),
        ("0/minute", "between 1 and"),
        ("100/week", "unknown period"),
        ("100/minute,200/minute", "once"),
        ("100/minute,50/hour", "50/hour allows fewer requests than 100/minute"),
        ("7000/second", "too many requests per second to count exactly"),
    ],
)
def test_bad_windows_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_windows(text)


def test_the_emission_interval_is_rounded_down_so_the_burst_stays_exact():
    window = Window(7, "minute")
    assert window.interval_us == 8_571_428
    assert window.period_us // window.interval_us == 7


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.10", "ip:203.0.113.10"),
        ("2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "ip:2001:db8:1:2::/64"),
        ("::1", "ip:::/64"),
        ("unknown", "ip:unknown"),
        ("not:an:address", "ip:not:an:address"),
    ],
)
def test_anonymous_callers_are_keyed_by_address_and_ipv6_by_its_64_network(address, key):
    assert client_key(address) == key


def test_authenticated_callers_are_keyed_by_tenant_and_user():
    tenant = UUID("00000000-0000-4000-8000-000000000001")
    assert consumer_key(tenant, "u-1") == "user:00000000-0000-4000-8000-000000000001:u-1"


def _event(source: str | None, *forwarded: str) -> dict:
    headers = {"X-Forwarded-For": forwarded[-1]} if forwarded else {}
    return {
        "headers": headers,
        "multiValueHeaders": {"X-Forwarded-For": list(forwarded)} if forwarded else {},
        "requestContext": {"identity": {"sourceIp": source} if source else {}},
    }


@pytest.mark.parametrize(
    ("trusted", "source", "forwarded", "address"),
    [
        # No trusted proxies: the gateway's peer, whatever X-Forwarded-For claims.
        ("", "203.0.113.10", ["198.51.100.1"], "203.0.113.10"),
        ("", None, [], "unknown"),
        # The peer is not a trusted proxy: its address, the header is the client's own writing.
        ("10.0.0.0/8", "203.0.113.10", ["198.51.100.1"], "203.0.113.10"),
        # A trusted load balancer: the address it appended last.
        ("10.0.0.0/8", "10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
        # Entries the client wrote itself (left of the one the proxy appended) are never believed.
        ("10.0.0.0/8", "10.0.0.5", ["1.1.1.1, 198.51.100.1"], "198.51.100.1"),
        # Two trusted hops (CDN, then load balancer), in one header or two.
        ("10.0.0.0/8, 192.0.2.0/24", "10.0.0.5", ["6.6.6.6, 198.51.100.1, 192.0.2.7"], "198.51.100.1"),
        ("10.0.0.0/8,192.0.2.0/24", "10.0.0.5", ["6.6.6.6, 198.51.100.1", "192.0.2.7"], "198.51.100.1"),
        # Every entry trusted: the leftmost, as nginx's real_ip_recursive does.
        ("10.0.0.0/8", "10.0.0.5", ["10.1.1.1, 10.2.2.2"], "10.1.1.1"),
        # Nothing forwarded: the proxy's own address.
        ("10.0.0.0/8", "10.0.0.5", [], "10.0.0.5"),
        # An entry no proxy would write ends the walk at the last readable one.
        ("10.0.0.0/8", "10.0.0.5", ["198.51.100.1, garbage, 10.3.3.3"], "10.3.3.3"),
        # IPv6 proxies and clients.
        ("2001:db8::/32", "2001:db8::1", ["2001:db9::7"], "2001:db9::7"),
        ("2001:db8::/32", "2001:db8::1", ["10.0.0.1"], "10.0.0.1"),
    ],
)
def test_the_client_address_walks_forwarded_entries_past_trusted_proxies_only(trusted, source, forwarded, address):
    assert client_address(_event(source, *forwarded), trusted) == address


def test_trusted_proxies_must_be_addresses_or_networks():
    assert [str(n) for n in networks("10.0.0.0/8, 192.0.2.7, 2001:db8::/32")] == [
        "10.0.0.0/8",
        "192.0.2.7/32",
        "2001:db8::/32",
    ]
    with pytest.raises(ValueError, match=r"'10\.0\.0\.0/33' is not an IP address or network"):
        networks("10.0.0.0/33")


def test_the_fake_refuses_revoked_tokens_and_sessions():
    limits = FakeRateLimits()
    tenant = UUID("00000000-0000-4000-8000-000000000001")
    windows = parse_windows("100/minute")
    now = int(limits.clock.now().timestamp())
    token = IssuedToken(tenant, "u-1", issued_at_ms=(now - 10) * 1000, token_id="jti-1")
    assert limits.check("user", windows, token).admitted
    limits.revoke_token("jti-1", now + 60)
    assert limits.check("user", windows, token).revoked
    other = IssuedToken(tenant, "u-1", issued_at_ms=(now - 5) * 1000, token_id="jti-2")
    assert limits.check("user", windows, other).admitted
    limits.revoke_sessions(tenant, "u-1", (now - 5) * 1000)
    assert limits.check("user", windows, other).revoked  # issued at the revocation: refused
    later = IssuedToken(tenant, "u-1", issued_at_ms=(now - 4) * 1000, token_id="jti-3")
    assert limits.check("user", windows, later).admitted
