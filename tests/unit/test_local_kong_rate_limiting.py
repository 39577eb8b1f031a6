"""Kong 3.9's rate-limiting plugin (redis policy) as the local Kong runs it, and the guard kong.yml sets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fakeredis
import pytest
import yaml

from localdev.events import HttpRequest
from localdev.generate_kong import GUARD_FACTOR, KONG_REDIS_HOST, kong_config, rate_limiting
from localdev.kong import KongConfigError, KongProxy, load_kong
from localdev.kong.declarative import plugin_config
from localdev.kong.http import KongRequest
from localdev.kong.rate_limiting_plugin import EMPTY_UUID, access, response_type, timestamps
from localdev.paths import KONG_CONFIG
from localdev.template import Function, read_api
from storefront.config import AUTH_RATE_LIMITS
from tests.unit.test_local_kong import PRODUCT, Recorder, sign

KONG_YML = yaml.safe_load(KONG_CONFIG.read_text())
REDIS = {"host": "redis.example", "port": 6379, "timeout": 250}


def kong_with(tmp_path: Path, **changes: Any) -> Any:
    """kong.yml with the get-product route's rate-limiting config changed."""
    data = yaml.safe_load(KONG_CONFIG.read_text())
    for route in data["services"][0]["routes"]:
        if route["name"] == "get-product":
            plugin = next(p for p in route["plugins"] if p["name"] == "rate-limiting")
            plugin["config"].update(changes)
    path = tmp_path / "kong.yml"
    path.write_text(yaml.safe_dump(data))
    return load_kong(path)


def get(proxy: KongProxy, path: str = PRODUCT, source: str = "203.0.113.10", headers: Any = ()) -> Any:
    return proxy.handle(HttpRequest("GET", path, "", list(headers), b"", source))


def memory() -> Any:
    """One in-memory Redis for every connection the plugin opens."""
    store = fakeredis.FakeRedis()
    return lambda config: store


def header(response: Any, name: str) -> str | None:
    return next((v for k, v in response.headers if k.lower() == name.lower()), None)


# --- configuration, checked as Kong checks it ---------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "at least one of these fields must be non-empty"),
        ({"minute": 0}, "value must be greater than 0"),
        ({"minute": 10, "hour": 5}, r"The limit for hour\(5\.0\) cannot be lower than the limit for minute\(10\.0\)"),
        ({"minute": 10, "policy": "cluster"}, "expected one of local, redis"),  # DB-less Kong has no cluster
        ({"minute": 10, "policy": "redis"}, r"'config\.redis\.host' is required"),
        ({"minute": 10, "policy": "redis", "redis": {"hots": "x"}}, "unknown field 'hots'"),
        ({"minute": 10, "policy": "redis", "redis": {**REDIS, "port": 70000}}, "between 0 and 65535"),
        ({"minute": 10, "policy": "redis", "redis": REDIS, "limit_by": "header"}, r"'config\.header_name' is required"),
        ({"minute": 10, "policy": "redis", "redis": REDIS, "limit_by": "user"}, "expected one of consumer"),
        ({"minute": 10, "sync_rate": 1}, "sync_rate can only be used with the redis policy"),
        ({"minute": 10, "policy": "redis", "redis": REDIS, "sync_rate": 0.01}, "sync_rate must be greater than 0.02"),
        ({"minute": 10, "policy": "redis", "redis": REDIS, "sync_rate": 1}, "not emulated"),
        ({"minute": 10}, "policy local with sync_rate -1 is not emulated"),
    ],
)
def test_configs_kong_refuses_are_refused(config, message):
    with pytest.raises(KongConfigError, match=message):
        plugin_config("rate-limiting", config, "test")


def test_kongs_defaults_fill_the_config_and_the_redis_record():
    config = plugin_config("rate-limiting", {"minute": 5, "policy": "redis", "redis": {"host": "h"}}, "test")
    assert config["redis"] == {
        "host": "h",
        "port": 6379,
        "timeout": 2000,
        "username": None,
        "password": None,
        "database": 0,
        "ssl": False,
        "ssl_verify": False,
        "server_name": None,
    }
    expected = ("consumer", True, False, 429, "API rate limit exceeded", -1)
    fields = ("limit_by", "fault_tolerant", "hide_client_headers", "error_code", "error_message", "sync_rate")
    assert tuple(config[f] for f in fields) == expected


def test_deprecated_redis_shorthands_are_read_as_kong_reads_them():
    config = plugin_config(
        "rate-limiting", {"minute": 5, "policy": "redis", "redis_host": "h", "redis_port": 6380}, "t"
    )
    assert (config["redis"]["host"], config["redis"]["port"], config["redis"]["timeout"]) == ("h", 6380, 2000)
    assert "redis_host" not in config


# --- the plugin at work --------------------------------------------------------------------------------


def test_a_route_over_its_limit_gets_kongs_429_and_the_function_is_not_invoked(tmp_path):
    recorder = Recorder()
    store = fakeredis.FakeRedis()
    proxy = KongProxy(
        kong_with(tmp_path, minute=2, hour=20, day=200, hide_client_headers=False), recorder, connect=lambda c: store
    )
    first, second, third = (get(proxy, headers=[("Origin", "http://127.0.0.1:3000")]) for _ in range(3))
    assert [r.status for r in (first, second, third)] == [200, 200, 429]
    assert len(recorder.events) == 2
    assert (header(first, "X-RateLimit-Limit-Minute"), header(first, "X-RateLimit-Remaining-Minute")) == ("2", "1")
    assert (header(first, "RateLimit-Limit"), header(first, "RateLimit-Remaining")) == ("2", "1")
    assert (header(second, "RateLimit-Remaining"), header(second, "X-RateLimit-Remaining-Hour")) == ("0", "18")
    assert header(third, "Content-Type") == "application/json; charset=utf-8"
    assert json.loads(third.body) == {
        "message": "API rate limit exceeded",
        "request_id": header(third, "X-Kong-Request-Id"),
    }
    assert header(third, "Retry-After") == header(third, "RateLimit-Reset")
    assert 1 <= int(header(third, "Retry-After") or 0) <= 60
    assert header(third, "Access-Control-Allow-Origin") == "http://127.0.0.1:3000"  # cors' header filter runs
    # Every request counts, refused ones included, in a calendar minute per route and client address.
    minute = timestamps(int(datetime.now(UTC).timestamp()) * 1000)["minute"]
    route_id = next(r.id for r in load_kong().routes if r.name == "get-product")
    assert int(store.get(f"ratelimit:{route_id}:{EMPTY_UUID}:203.0.113.10:{minute}:minute") or 0) == 3


def test_the_generated_guard_hides_kongs_own_headers_even_on_its_429(tmp_path):
    proxy = KongProxy(kong_with(tmp_path, minute=1, hour=10, day=100), Recorder(), connect=memory())
    answers = [get(proxy), get(proxy)]
    assert [a.status for a in answers] == [200, 429]
    for answer in answers:
        assert not [name for name, _ in answer.headers if "ratelimit" in name.lower() or name == "Retry-After"]


def test_counters_are_per_route_and_per_client_address(tmp_path):
    store = fakeredis.FakeRedis()
    proxy = KongProxy(kong_with(tmp_path, minute=1, hour=10, day=100), Recorder(), connect=lambda c: store)
    assert get(proxy).status == 200
    assert get(proxy, source="198.51.100.7").status == 200  # another client
    assert get(proxy, path="/KONGAPI/api/v1/products").status == 200  # another route (its own counter)
    assert get(proxy).status == 429


def test_kongs_error_body_follows_the_accept_header(tmp_path):
    proxy = KongProxy(kong_with(tmp_path, minute=1, hour=10, day=100), Recorder(), connect=memory())
    get(proxy)
    html = get(proxy, headers=[("Accept", "text/html")])
    assert header(html, "Content-Type") == "text/html; charset=utf-8"
    assert b"<p>API rate limit exceeded.</p>" in html.body


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/json; charset=utf-8"),
        ("text/plain", "text/plain; charset=utf-8"),
        ("text/*", "text/plain; charset=utf-8"),
        ("*/*", "application/json; charset=utf-8"),
        ("image/png", "application/json; charset=utf-8"),
        ("text/html;q=0.5, application/xml;q=0.9", "application/xml; charset=utf-8"),
        ("text/html;q=0, text/plain", "text/plain; charset=utf-8"),
        ("Text/HTML", "application/json; charset=utf-8"),  # Kong looks the type up as written
    ],
)
def test_the_error_templates_media_type(accept, media_type):
    assert response_type(accept) == media_type


def test_an_unreachable_redis_lets_requests_through_when_fault_tolerant(tmp_path):
    recorder = Recorder()

    def down(config: dict[str, Any]) -> Any:
        raise ConnectionError("Connection refused")

    tolerant = KongProxy(kong_with(tmp_path, hide_client_headers=False), recorder, connect=down)
    answer = get(tolerant)
    assert (answer.status, header(answer, "RateLimit-Limit")) == (200, None)
    strict = KongProxy(kong_with(tmp_path, fault_tolerant=False), recorder, connect=down)
    refused = get(strict)
    assert (refused.status, json.loads(refused.body)) == (500, {"message": "An unexpected error occurred"})
    assert len(recorder.events) == 1


def test_limit_by_consumer_would_pool_every_unauthenticated_client_under_the_anonymous_consumer(tmp_path):
    """Why kong.yml limits by address: behind the jwt plugin's anonymous consumer, limit_by consumer gives
    every client without a valid token one shared counter."""
    store = fakeredis.FakeRedis()
    proxy = KongProxy(
        kong_with(tmp_path, minute=1, hour=10, day=100, limit_by="consumer"), Recorder(), connect=lambda c: store
    )
    assert get(proxy, source="198.51.100.1").status == 200
    assert get(proxy, source="198.51.100.2").status == 429  # another client, no token: the same counter
    token = [("Authorization", f"Bearer {sign({'sub': 'u', 'role': 'user', 'tenant_id': 't'})}")]
    assert get(proxy, source="198.51.100.3", headers=token).status == 200  # the application's own consumer...
    assert get(proxy, source="198.51.100.4", headers=token).status == 429  # ...shared by all of its users


def test_windows_are_calendar_windows():
    store = fakeredis.FakeRedis()
    config = plugin_config("rate-limiting", {"minute": 2, "policy": "redis", "redis": REDIS, "limit_by": "ip"}, "t")
    request = KongRequest.of(HttpRequest("GET", "/x", "", [], b"", "203.0.113.10"))
    minute_end = datetime(2026, 11, 24, 10, 0, 59, tzinfo=UTC).timestamp()

    def at(moment: float) -> int:
        answer = access(request, config, (None, None), EMPTY_UUID, lambda c: store, clock=lambda: moment)
        return 200 if answer is None else answer.status

    assert [at(minute_end), at(minute_end), at(minute_end), at(minute_end + 1)] == [200, 200, 429, 200]


@pytest.mark.parametrize(
    ("moment", "period", "start"),
    [
        (datetime(2026, 11, 24, 10, 17, 42), "minute", datetime(2026, 11, 24, 10, 17)),
        (datetime(2026, 11, 24, 10, 17, 42), "hour", datetime(2026, 11, 24, 10)),
        (datetime(2026, 11, 24, 10, 17, 42), "day", datetime(2026, 11, 24)),
        (datetime(2026, 2, 28, 23, 59, 59), "month", datetime(2026, 2, 1)),
        (datetime(2026, 12, 31, 23, 59, 59), "year", datetime(2026, 1, 1)),
    ],
)
def test_period_starts_are_utc_calendar_boundaries_in_milliseconds(moment, period, start):
    starts = timestamps(int(moment.replace(tzinfo=UTC).timestamp()) * 1000)
    assert starts[period] == int(start.replace(tzinfo=UTC).timestamp()) * 1000


# --- what kong.yml sets ----------------------------------------------------------------------------------


def test_every_route_carries_the_guard_per_client_address_in_redis_with_kongs_headers_hidden():
    routes = [r for service in KONG_YML["services"] for r in service["routes"]]
    for route in routes:
        guard = next(p["config"] for p in route["plugins"] if p["name"] == "rate-limiting")
        assert (guard["limit_by"], guard["policy"], guard["hide_client_headers"]) == ("ip", "redis", True), route[
            "name"
        ]
        assert guard["redis"]["host"] == KONG_REDIS_HOST
        # ten times the function's windows: the default's, public/auth/*'s stricter ones, or the probes' wider ones
        auth = any("/public/auth/" in p for p in route["paths"])
        probe = any(p.endswith(("/public/ready$", "/public/status$")) for p in route["paths"])
        expected = (100, 1000, 10000) if auth else (3000, 60000, 600000) if probe else (1000, 10000, 100000)
        assert (guard["minute"], guard["hour"], guard["day"]) == expected, route["name"]


def test_the_guard_follows_a_functions_own_limits():
    plugin = rate_limiting(Function("LoginFunction", "auth.login.handler", "x", (), {"RATE_LIMITS": AUTH_RATE_LIMITS}))
    config = plugin["config"]
    assert (config["minute"], config["hour"], config["day"]) == (
        10 * GUARD_FACTOR,
        100 * GUARD_FACTOR,
        1000 * GUARD_FACTOR,
    )
    plugin_config("rate-limiting", config, "generated")  # Kong accepts it


def test_the_generated_guard_reaches_the_local_redis():
    from localdev.gateway import kong_hosts

    assert kong_hosts("redis://127.0.0.1:6400/0") == {KONG_REDIS_HOST: ("127.0.0.1", 6400)}
    assert kong_hosts(None) == {}
    assert kong_config(read_api())["services"][0]["routes"]
