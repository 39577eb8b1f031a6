"""Kong as configured in kong/kong.yml, for the local gateway: route matching, the jwt plugin, the
correlation-id plugin and request-termination, emulated from the same declarative file Kong loads."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import jwt
import yaml

from localdev.paths import KONG_CONFIG

CONSUMER_HEADERS = (
    "x-consumer-id",
    "x-consumer-username",
    "x-consumer-custom-id",
    "x-credential-identifier",
    "x-anonymous-consumer",
)


@dataclass(frozen=True)
class Consumer:
    id: str
    username: str
    custom_id: str
    secrets: dict[str, tuple[str, str]]  # key -> (secret, algorithm)


@dataclass(frozen=True)
class KongRoute:
    name: str
    methods: tuple[str, ...]
    paths: tuple[str, ...]
    regex_priority: int
    plugins: dict[str, dict[str, Any]]

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method not in self.methods:
            return False
        for candidate in self.paths:
            if candidate.startswith("~"):
                if re.match(candidate[1:], path):
                    return True
            elif path.startswith(candidate):
                return True
        return False


@dataclass
class Rejection:
    status: int
    body: dict[str, Any] | str
    content_type: str = "application/json"


@dataclass(frozen=True)
class KongConfig:
    consumers: dict[str, Consumer]  # by username
    routes: tuple[KongRoute, ...]
    global_plugins: dict[str, dict[str, Any]]

    def route_for(self, method: str, path: str) -> KongRoute | None:
        """The route Kong would pick: regex routes by priority first, then the longest prefix."""
        matching = [r for r in self.routes if r.matches(method, path)]
        regex = sorted(
            (r for r in matching if any(p.startswith("~") for p in r.paths)), key=lambda r: -r.regex_priority
        )
        prefix = sorted((r for r in matching if r not in regex), key=lambda r: -max(len(p) for p in r.paths))
        ordered = [r for r in regex if r.regex_priority >= 0] + prefix + [r for r in regex if r.regex_priority < 0]
        return ordered[0] if ordered else None

    def jwt_secrets(self) -> dict[str, str]:
        """Every consumer's jwt secret by key (what the functions verify tokens with locally)."""
        return {key: secret for c in self.consumers.values() for key, (secret, _) in c.secrets.items()}

    def consumer_for_key(self, key: str) -> tuple[Consumer, str, str] | None:
        for consumer in self.consumers.values():
            if key in consumer.secrets:
                secret, algorithm = consumer.secrets[key]
                return consumer, secret, algorithm
        return None


def _plugins(items: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {p["name"]: p.get("config") or {} for p in items or [] if p.get("enabled", True)}


def load_kong(path: Path = KONG_CONFIG) -> KongConfig:
    """The declarative configuration of kong/kong.yml."""
    data = yaml.safe_load(path.read_text())
    consumers = {}
    for c in data.get("consumers", []):
        secrets = {s["key"]: (s["secret"], s.get("algorithm", "HS256")) for s in c.get("jwt_secrets", [])}
        consumer_id = c.get("id") or str(uuid.uuid5(uuid.NAMESPACE_URL, "kong-consumer:" + c["username"]))
        consumers[c["username"]] = Consumer(consumer_id, c["username"], c.get("custom_id", ""), secrets)
    routes = []
    for service in data.get("services", []):
        for r in service.get("routes", []):
            routes.append(
                KongRoute(
                    name=r["name"],
                    methods=tuple(m.upper() for m in r.get("methods", [])),
                    paths=tuple(r.get("paths", [])),
                    regex_priority=int(r.get("regex_priority", 0)),
                    plugins=_plugins(r.get("plugins")),
                )
            )
    return KongConfig(consumers, tuple(routes), _plugins(data.get("plugins")))


def _token(headers: dict[str, str], query: dict[str, str], config: dict[str, Any]) -> str | None:
    for name in config.get("uri_param_names", ["jwt"]):
        if query.get(name):
            return query[name]
    cookie_header = headers.get("cookie")
    if cookie_header:
        cookies = SimpleCookie(cookie_header)
        for name in config.get("cookie_names", []):
            if name in cookies:
                return cookies[name].value
    for name in config.get("header_names", ["authorization"]):
        value = headers.get(name.lower())
        if value:
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else value.strip()
    return None


def _verify(token: str | None, config: dict[str, Any], kong: KongConfig) -> tuple[Consumer, str] | Rejection:
    if token is None:
        return Rejection(401, {"message": "Unauthorized"})
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return Rejection(401, {"message": "Bad token; invalid JSON"})
    key_claim = config.get("key_claim_name", "iss")
    key = claims.get(key_claim)
    if not key:
        return Rejection(401, {"message": f"No mandatory '{key_claim}' in claims"})
    found = kong.consumer_for_key(str(key))
    if found is None:
        return Rejection(401, {"message": f"No credentials found for given '{key_claim}'"})
    consumer, secret, algorithm = found
    if header.get("alg") != algorithm:
        return Rejection(403, {"message": "Invalid algorithm"})
    try:
        jwt.decode(
            token,
            secret,
            algorithms=[algorithm],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.InvalidTokenError:
        return Rejection(401, {"message": "Invalid signature"})
    now = time.time()
    to_verify = config.get("claims_to_verify") or []
    if "exp" in to_verify and (not isinstance(claims.get("exp"), int) or claims["exp"] <= now):
        return Rejection(401, {"exp": "token expired"})
    if "nbf" in to_verify and isinstance(claims.get("nbf"), int) and claims["nbf"] > now:
        return Rejection(401, {"nbf": "token not valid yet"})
    maximum = config.get("maximum_expiration") or 0
    if maximum and isinstance(claims.get("exp"), int) and claims["exp"] - now > maximum:
        return Rejection(401, {"exp": "exceeds maximum allowed expiration"})
    return consumer, str(key)


def apply_plugins(
    route: KongRoute, kong: KongConfig, headers: dict[str, str], query: dict[str, str]
) -> dict[str, str] | Rejection:
    """Run the route's request plugins over lower-cased ``headers``; the headers to forward, or Kong's refusal."""
    forwarded = dict(headers)
    plugins = {**kong.global_plugins, **route.plugins}
    correlation = plugins.get("correlation-id")
    if correlation is not None:
        name = correlation.get("header_name", "Kong-Request-ID").lower()
        forwarded.setdefault(name, str(uuid.uuid4()))
    termination = plugins.get("request-termination")
    if termination is not None:
        return Rejection(
            int(termination.get("status_code", 503)),
            termination.get("body") or {"message": termination.get("message", "Service unavailable")},
            termination.get("content_type", "application/json"),
        )
    config = plugins.get("jwt")
    if config is None:
        return forwarded
    for name in CONSUMER_HEADERS:
        forwarded.pop(name, None)
    outcome = _verify(_token(headers, query, config), config, kong)
    if isinstance(outcome, Rejection):
        anonymous = config.get("anonymous")
        if not anonymous:
            return outcome
        consumer = kong.consumers.get(anonymous) or next(
            (c for c in kong.consumers.values() if c.id == anonymous), None
        )
        if consumer is None:
            return Rejection(500, {"message": "anonymous consumer not found"})
        forwarded["x-anonymous-consumer"] = "true"
    else:
        consumer, key = outcome
        forwarded["x-credential-identifier"] = key
    forwarded.update({"x-consumer-id": consumer.id, "x-consumer-username": consumer.username})
    if consumer.custom_id:
        forwarded["x-consumer-custom-id"] = consumer.custom_id
    return forwarded
