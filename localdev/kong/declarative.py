"""kong/kong.yml read the way Kong 3.x reads a DB-less declarative file: every entity and plugin field is
checked against Kong's schemas (schema_fields.json, extracted from Kong's Lua sources), Kong's defaults
are filled in, and an unknown or malformed field stops the load, as Kong refuses such a file."""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localdev.paths import KONG_CONFIG
from localdev.yaml_text import read_yaml

SCHEMA: dict[str, Any] = json.loads((Path(__file__).parent / "schema_fields.json").read_text())
KONG_VERSION: str = SCHEMA["kong_version"]
# Keys of the declarative format itself, and the entities this file may nest (kong/db/declarative).
TOP_LEVEL_KEYS = {"_format_version", "_transform", "_comment", "services", "routes", "consumers", "plugins"}
NESTED = {"services": {"routes", "plugins"}, "routes": {"plugins"}, "consumers": {"jwt_secrets", "plugins"}}
PRIORITY = {
    "correlation-id": 100001,
    "cors": 2000,
    "jwt": 1450,
    "rate-limiting": 910,
    "aws-lambda": 750,
    "request-termination": 2,
}
RATE_LIMIT_PERIODS = ("second", "minute", "hour", "day", "month", "year")
_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "array": (list,),
    "set": (list,),
}


def _entity_id(kind: str, name: str) -> str:
    """A stable id for an entity kong.yml names without one (Kong generates its own)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kong-{kind}:{name}"))


class KongConfigError(ValueError):
    """kong.yml has something Kong's schema validation would refuse."""


def _check_value(where: str, spec: dict[str, Any], value: Any) -> None:
    kind = spec.get("type")
    expected = _TYPES.get(kind or "")
    if expected is not None and (not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool))):
        raise KongConfigError(f"{where}: expected a {kind}, got {value!r}")
    if "one_of" in spec and value not in spec["one_of"]:
        raise KongConfigError(f"{where}: expected one of {', '.join(map(str, spec['one_of']))}, got {value!r}")
    if "between" in spec and not spec["between"][0] <= value <= spec["between"][1]:
        raise KongConfigError(f"{where}: value should be between {spec['between'][0]} and {spec['between'][1]}")
    if "gt" in spec and not value > spec["gt"]:
        raise KongConfigError(f"{where}: value must be greater than {spec['gt']}")
    if kind == "record":
        if not isinstance(value, dict):
            raise KongConfigError(f"{where}: expected a record, got {value!r}")
        if "fields" in spec:  # a plugin entity's config is checked against the plugin's own schema
            check_fields(where, spec["fields"], value, set())
    if kind in ("array", "set") and "elements" in spec:
        for index, element in enumerate(value):
            _check_value(f"{where}[{index + 1}]", spec["elements"], element)


def check_fields(where: str, fields: dict[str, dict[str, Any]], data: dict[str, Any], nested: set[str]) -> None:
    """Refuse a field the schema does not know, or a value of the wrong type."""
    for name, value in data.items():
        if name in nested:
            continue
        if name not in fields:
            raise KongConfigError(f"{where}: unknown field '{name}' (not in Kong {KONG_VERSION}'s schema)")
        if value is not None:
            _check_value(f"{where}.{name}", fields[name], value)


def plugin_config(name: str, config: dict[str, Any] | None, where: str) -> dict[str, Any]:
    """The plugin's config checked against its schema, with Kong's defaults filled in."""
    if name not in SCHEMA["plugins"]:
        raise KongConfigError(f"{where}: plugin '{name}' is not emulated (known: {', '.join(SCHEMA['plugins'])})")
    fields: dict[str, dict[str, Any]] = SCHEMA["plugins"][name]
    config = dict(config or {})
    check_fields(f"{where} plugin '{name}' config", fields, config, set())
    config = _fill_defaults(fields, _expand_shorthands(name, fields, config, where))
    _entity_checks(name, config, where)
    return config


def _expand_shorthands(
    name: str, fields: dict[str, dict[str, Any]], config: dict[str, Any], where: str
) -> dict[str, Any]:
    """Deprecated spellings Kong still accepts, rewritten as its schema's ``func`` does (``redis_host: h`` is
    ``redis: {host: h}``); an explicit ``redis.host`` wins, as Kong merges the shorthand first."""
    for field_name in [f for f in config if fields.get(f, {}).get("shorthand")]:
        value = config.pop(field_name)
        target = field_name.removeprefix("redis_")
        if target == field_name or "redis" not in fields:
            raise KongConfigError(f"{where} plugin '{name}': shorthand '{field_name}' is not emulated")
        if value is not None:
            config["redis"] = {target: value, **(config.get("redis") or {})}
    return config


def _fill_defaults(fields: dict[str, dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """Kong's defaults for every missing field (``process_auto_fields``): a record that is given gets its own
    fields' defaults; one that is not (and not required) stays null."""
    filled = dict(data)
    for field_name, spec in fields.items():
        if spec.get("shorthand"):
            continue
        value = filled.get(field_name)
        if value is None and "default" in spec:
            filled[field_name] = spec["default"]
        elif spec.get("type") == "record" and isinstance(value, dict):
            filled[field_name] = _fill_defaults(spec.get("fields") or {}, value)
        elif field_name not in filled:
            filled[field_name] = None
    return filled


def _entity_checks(name: str, config: dict[str, Any], where: str) -> None:
    """The entity_checks and custom validators of the plugins' schema.lua files."""
    problem = None
    if name == "jwt" and (config["maximum_expiration"] or 0) > 0 and "exp" not in (config["claims_to_verify"] or []):
        problem = "claims_to_verify must contain 'exp' when maximum_expiration is set"
    if name == "request-termination":
        if config["message"] and (config["content_type"] or config["body"]):
            problem = "message cannot be used with content_type or body"
        elif config["content_type"] and not config["body"]:
            problem = "content_type requires a body"
        elif config["echo"] and (config["content_type"] or config["body"]):
            problem = "echo cannot be used with content_type and body"
    if name == "aws-lambda" and bool(config["aws_key"]) != bool(config["aws_secret"]):
        problem = "aws_key and aws_secret are mutually required"
    if name == "rate-limiting":
        problem = _rate_limiting_problem(config)
        if problem is None and (config["policy"] != "redis" or config["sync_rate"] != -1):
            problem = f"policy {config['policy']} with sync_rate {config['sync_rate']} is not emulated (redis, -1 is)"
    if problem:
        raise KongConfigError(f"{where} plugin '{name}': {problem}")


def _rate_limiting_problem(config: dict[str, Any]) -> str | None:
    """rate-limiting's entity_checks and validate_periods_order (kong/plugins/rate-limiting/schema.lua)."""
    limits = [(period, config[period]) for period in RATE_LIMIT_PERIODS if config[period] is not None]
    if not limits:
        return "at least one of these fields must be non-empty: " + ", ".join(
            f"'config.{p}'" for p in RATE_LIMIT_PERIODS
        )
    for index, (shorter, lower) in enumerate(limits):
        for longer, upper in limits[index + 1 :]:
            if upper < lower:
                return f"The limit for {longer}({upper:.1f}) cannot be lower than the limit for {shorter}({lower:.1f})"
    realtime = config["sync_rate"] == -1
    if config["policy"] != "redis" and not realtime:
        return "sync_rate can only be used with the redis policy"
    if config["policy"] == "redis":
        if not realtime and config["sync_rate"] < 0.02:
            return "sync_rate must be greater than 0.02, or -1 to disable"
        redis = config["redis"] or {}
        missing = next((f for f in ("host", "port", "timeout") if redis.get(f) is None), None)
        if missing:
            return f"config.policy is redis: 'config.redis.{missing}' is required"
    for limit_by, required in (("header", "header_name"), ("path", "path")):
        if config["limit_by"] == limit_by and not config[required]:
            return (
                f"failed conditional validation given value of field 'config.limit_by': 'config.{required}' is required"
            )
    return None


@dataclass(frozen=True)
class Consumer:
    id: str
    username: str | None
    custom_id: str | None


@dataclass(frozen=True)
class JwtCredential:
    key: str
    secret: str | None
    algorithm: str
    rsa_public_key: str | None
    consumer: Consumer

    @property
    def id(self) -> str:
        return _entity_id("jwt-secret", self.key)


@dataclass(frozen=True)
class RouteMatch:
    route: KongRoute
    path: str  # the route's path that matched (a regex without its "~", as Kong's router records it)
    captures: dict[str, str]
    matched_text: str  # the part of the request path it matched


@dataclass(frozen=True)
class KongRoute:
    name: str
    methods: tuple[str, ...]
    paths: tuple[str, ...]
    regex_priority: int
    strip_path: bool
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    service: str = ""

    @property
    def id(self) -> str:
        return _entity_id("route", self.name)

    @property
    def service_id(self) -> str:
        return _entity_id("service", self.service)

    def priority(self) -> tuple[int, int, int, int]:
        """The traditional_compatible router's order (kong/router/transform.lua get_priority), highest first."""
        weight = int(bool(self.methods)) + int(bool(self.paths))
        regex = any(p.startswith("~") for p in self.paths)
        length = 0 if regex or not self.paths else len(self.paths[0])
        return weight, int(regex), self.regex_priority if regex else 0, length

    def match(self, method: str, path: str) -> RouteMatch | None:
        """Whether Kong routes ``method path`` here (regex paths are anchored at the start, prefixes are prefixes)."""
        if self.methods and method not in self.methods:
            return None
        for candidate in self.paths:
            if candidate.startswith("~"):
                found = _pcre(candidate[1:]).match(path)
                if found:
                    captures = {k: v for k, v in found.groupdict().items() if v is not None}
                    return RouteMatch(self, candidate[1:], captures, found.group(0))
            elif path.startswith(candidate):
                return RouteMatch(self, candidate, {}, candidate)
        return None

    def upstream_path(self, matched: RouteMatch, path: str) -> str:
        """The upstream path (path_handling v0, a service without a path): strip_path removes the match."""
        if not self.strip_path:
            return path
        return "/" + path[len(matched.matched_text) :].lstrip("/")


def _pcre(expression: str) -> re.Pattern[str]:
    """A Kong (PCRE) path regex in Python's syntax: named groups are (?<name>...) there."""
    return re.compile(re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", expression))


@dataclass(frozen=True)
class KongConfig:
    consumers: tuple[Consumer, ...]
    credentials: dict[str, JwtCredential]  # by key
    routes: tuple[KongRoute, ...]
    global_plugins: dict[str, dict[str, Any]]

    def route_for(self, method: str, path: str) -> RouteMatch | None:
        """The route Kong's default router (traditional_compatible) picks for ``method path``."""
        matches = [m for r in self.routes if (m := r.match(method, path)) is not None]
        return max(matches, key=lambda m: m.route.priority(), default=None)

    def consumer(self, id_or_username: str) -> Consumer | None:
        """A consumer by id, else by username (kong.client.load_consumer(x, true))."""
        return next((c for c in self.consumers if c.id == id_or_username), None) or next(
            (c for c in self.consumers if c.username == id_or_username), None
        )

    def jwt_secrets(self) -> dict[str, str]:
        """Every jwt credential's secret by key (what the functions verify tokens with locally)."""
        return {key: c.secret for key, c in self.credentials.items() if c.secret}

    def plugins_for(self, route: KongRoute) -> dict[str, dict[str, Any]]:
        """Global plugins overridden by the route's, in Kong's execution order (highest priority first)."""
        plugins = {**self.global_plugins, **route.plugins}
        return dict(sorted(plugins.items(), key=lambda item: -PRIORITY[item[0]]))


def _plugins(items: list[dict[str, Any]] | None, where: str) -> dict[str, dict[str, Any]]:
    plugins = {}
    for item in items or []:
        check_fields(f"{where} plugin", SCHEMA["entities"]["plugins"], item, set())
        if item.get("enabled", True):
            plugins[item["name"]] = plugin_config(item["name"], item.get("config"), where)
    return plugins


def _consumer(data: dict[str, Any]) -> tuple[Consumer, list[dict[str, Any]]]:
    check_fields("consumer", SCHEMA["entities"]["consumers"], data, NESTED["consumers"])
    if not data.get("username") and not data.get("custom_id"):
        raise KongConfigError("consumer: at least one of username or custom_id is required")
    name = data.get("username") or data["custom_id"]
    consumer_id = data.get("id") or _entity_id("consumer", name)
    if data.get("plugins"):
        raise KongConfigError(f"consumer {name}: consumer plugins are not emulated")
    return Consumer(consumer_id, data.get("username"), data.get("custom_id")), data.get("jwt_secrets") or []


def _route(data: dict[str, Any], service: str) -> KongRoute:
    where = f"service {service} route {data.get('name')}"
    check_fields(where, SCHEMA["entities"]["routes"], data, NESTED["routes"])
    for unsupported in ("hosts", "headers", "snis", "sources", "destinations"):
        if data.get(unsupported):
            raise KongConfigError(f"{where}: '{unsupported}' matching is not emulated")
    return KongRoute(
        name=data.get("name") or "",
        methods=tuple(m.upper() for m in data.get("methods") or ()),
        paths=tuple(data.get("paths") or ()),
        regex_priority=int(data.get("regex_priority") or 0),
        strip_path=data.get("strip_path", True),  # Kong's default is true
        plugins=_plugins(data.get("plugins"), where),
        service=service,
    )


def declarative_config() -> Path:
    """kong/kong.yml, or the file KONG_DECLARATIVE_CONFIG names (Kong's own setting for a DB-less config)."""
    named = os.environ.get("KONG_DECLARATIVE_CONFIG")
    return Path(named) if named else KONG_CONFIG


def load_kong(path: Path = KONG_CONFIG) -> KongConfig:
    """The declarative configuration of kong/kong.yml, validated as Kong validates it."""
    data = read_yaml(path.read_text())
    unknown = set(data) - TOP_LEVEL_KEYS
    if unknown:
        raise KongConfigError(f"{path.name}: unknown top-level keys {sorted(unknown)}")
    consumers, credentials = [], {}
    for item in data.get("consumers") or []:
        consumer, secrets = _consumer(item)
        consumers.append(consumer)
        for secret in secrets:
            check_fields(f"consumer {consumer.username} jwt_secret", SCHEMA["entities"]["jwt_secrets"], secret, set())
            algorithm = secret.get("algorithm", "HS256")
            _check_value("jwt_secret.algorithm", SCHEMA["entities"]["jwt_secrets"]["algorithm"], algorithm)
            credentials[secret["key"]] = JwtCredential(
                secret["key"], secret.get("secret"), algorithm, secret.get("rsa_public_key"), consumer
            )
    routes: list[KongRoute] = []
    for service in data.get("services") or []:
        check_fields(f"service {service.get('name')}", SCHEMA["entities"]["services"], service, NESTED["services"])
        if service.get("plugins"):
            raise KongConfigError(f"service {service.get('name')}: service plugins are not emulated")
        routes.extend(_route(r, service.get("name", "")) for r in service.get("routes") or [])
    if data.get("routes"):
        raise KongConfigError("top-level routes are not emulated: nest them under their service")
    return KongConfig(tuple(consumers), credentials, tuple(routes), _plugins(data.get("plugins"), "global"))
