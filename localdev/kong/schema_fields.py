"""Extract the field names, types and defaults of Kong's schemas from Kong's own Lua sources.

    python -m localdev.kong.schema_fields --kong-repo ../kong --ref 3.9.3 > localdev/kong/schema_fields.json

``--kong-repo`` is a clone of github.com/Kong/kong; the files are read at ``--ref`` with ``git show``, so
the checkout itself may be on any branch. The JSON it prints is what the local Kong emulation validates
kong.yml against (an unknown field fails the load, as Kong's schema validation does) and where it takes
Kong's defaults from. Only plain table constructors are read: a field whose default is computed by Lua
code keeps no default here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLUGINS = ("aws-lambda", "jwt", "cors", "correlation-id", "request-termination", "rate-limiting")
# entity -> (file, the Lua variable holding its schema table, or "return")
ENTITIES = {
    "services": ("kong/db/schema/entities/services.lua", "return"),
    "routes": ("kong/db/schema/entities/routes.lua", "routes"),
    "consumers": ("kong/db/schema/entities/consumers.lua", "return"),
    "plugins": ("kong/db/schema/entities/plugins.lua", "return"),
    "jwt_secrets": ("kong/plugins/jwt/daos.lua", "return"),
}
TYPEDEFS = "kong/db/schema/typedefs.lua"

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--\[(?P<eq>=*)\[.*?\](?P=eq)\]|--[^\n]*)
  | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|\[(?P<seq>=*)\[.*?\](?P=seq)\])
  | (?P<number>0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>\.\.\.|\.\.|==|~=|<=|>=|[{}()\[\]=,;<>+\-*/%^#:.])
    """,
    re.S | re.X,
)
_OPENERS = {"function", "if", "do", "repeat"}
_STOPS = {("op", ","), ("op", ";"), ("op", "}"), ("op", "]"), ("op", ")")}
_CLOSERS = {"end", "until"}


@dataclass(frozen=True)
class Ref:
    """A Lua name used as a value (``typedefs.host``, ``METHODS``)."""

    name: str


@dataclass(frozen=True)
class Call:
    """A call with a table argument (``typedefs.port { default = 443 }``)."""

    name: str
    argument: LuaTable


@dataclass(frozen=True)
class Expr:
    """Any other Lua expression, kept as its source tokens."""

    text: str


@dataclass
class LuaTable:
    keyed: dict[str, Any]
    positional: list[Any]


def tokenize(source: str) -> list[tuple[str, str]]:
    """(kind, text) tokens of a Lua source, without whitespace and comments."""
    tokens, position = [], 0
    while position < len(source):
        found = _TOKEN.match(source, position)
        if found is None:
            raise ValueError(f"cannot read Lua at offset {position}: {source[position : position + 40]!r}")
        position = found.end()
        kind = next(k for k in ("space", "string", "number", "name", "op") if found.group(k) is not None)
        if kind != "space":
            tokens.append((kind, found.group(kind)))
    return tokens


def _string(text: str) -> str:
    if text.startswith("["):
        return text[text.index("[", 1) + 1 : text.rindex("]", 0, -1)]
    return bytes(text[1:-1], "utf-8").decode("unicode_escape")


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.i + offset
        return self.tokens[index] if index < len(self.tokens) else ("eof", "")

    def table(self) -> LuaTable:
        assert self.peek() == ("op", "{"), self.peek()
        self.i += 1
        result = LuaTable({}, [])
        while self.peek() != ("op", "}"):
            kind, text = self.peek()
            if kind == "name" and "." not in text and self.peek(1) == ("op", "="):
                self.i += 2
                result.keyed[text] = self.value()
            elif (kind, text) == ("op", "["):
                self.i += 1
                key = self.value()
                assert self.peek() == ("op", "]")
                self.i += 1
                assert self.peek() == ("op", "=")
                self.i += 1
                result.keyed[str(key)] = self.value()
            else:
                result.positional.append(self.value())
            if self.peek() in (("op", ","), ("op", ";")):
                self.i += 1
        self.i += 1
        return result

    def _skip_block(self) -> None:
        depth = 0
        while True:
            kind, text = self.peek()
            self.i += 1
            if kind == "name" and text in _OPENERS:
                depth += 1
            elif kind == "name" and text in _CLOSERS:
                depth -= 1
                if depth == 0:
                    return

    def value(self) -> Any:
        start = self.i
        kind, text = self.peek()
        if (kind, text) == ("op", "{"):
            return self.table()
        if (kind, text) == ("name", "function"):
            self._skip_block()
            return Expr("function")
        depth, parts = 0, list[str]()
        while True:
            kind, text = self.peek()
            if kind == "eof" or (depth == 0 and (kind, text) in _STOPS):
                break
            if depth == 0 and (kind, text) == ("op", "{") and parts and self.peek(-1)[0] == "name":
                name = parts.pop()
                argument = self.table()
                if len(parts) == 0:
                    return self._after(Call(name, argument), start)
                parts.append(f"{name}{{...}}")
                continue
            if (
                depth == 0
                and (kind, text) == ("op", "(")
                and parts
                and self.peek(-1)[0] == "name"
                and self.peek(1) == ("op", "{")
            ):  # NAME({ ... }), as in typedefs.port({ default = 6379 })
                name = parts.pop()
                self.i += 1
                argument = self.table()
                if self.peek() == ("op", ")") and not parts:
                    self.i += 1
                    return self._after(Call(name, argument), start)
                self.i = start
                return Expr("call")
            if (kind, text) == ("name", "function"):
                self._skip_block()
                parts.append("function")
                continue
            if (kind, text) in (("op", "("), ("op", "{"), ("op", "[")):
                depth += 1
            elif (kind, text) in (("op", ")"), ("op", "}"), ("op", "]")):
                depth -= 1
            parts.append(text)
            self.i += 1
        if len(parts) == 1:
            kind, text = self.tokens[start]
            if kind == "string":
                return _string(text)
            if kind == "number":
                return float(text) if any(c in text for c in ".eE") and not text.startswith("0x") else int(text, 0)
            if text in ("true", "false"):
                return text == "true"
            if text in ("nil", "null", "ngx.null"):
                return None
            return Ref(text)
        if len(parts) == 2 and parts[0] == "-" and self.tokens[start + 1][0] == "number":
            return -int(parts[1])
        return Expr(" ".join(parts))

    def _after(self, call: Call, start: int) -> Any:
        kind, text = self.peek()
        if kind == "eof" or (kind, text) in (("op", ","), ("op", ";"), ("op", "}")):
            return call
        self.i = start
        return Expr("call")


def _schema_table(tokens: list[tuple[str, str]], where: str) -> LuaTable:
    """The schema table after ``return`` or ``local <where> =``: the first such table that has fields."""
    for index, token in enumerate(tokens[:-3]):
        if where == "return" and token == ("name", "return") and tokens[index + 1] == ("op", "{"):
            start = index + 1
        elif where != "return" and tokens[index - 1 : index + 3] == [
            ("name", "local"),
            ("name", where),
            ("op", "="),
            ("op", "{"),
        ]:
            start = index + 2
        else:
            continue
        parser = _Parser(tokens)
        parser.i = start
        table = parser.table()
        if "fields" in table.keyed or any(isinstance(t, LuaTable) and "fields" in t.keyed for t in table.positional):
            return table
    raise ValueError(f"no schema table for {where!r}")


def _locals(tokens: list[tuple[str, str]]) -> dict[str, LuaTable]:
    """``local NAME = { ... }`` tables of a file (for defaults such as ``default = METHODS``), and for a
    ``local NAME`` declared without a value, the first table assigned to it (``NAME = { ... }``): Kong's
    rate-limiting schema picks its ``policy`` field in an if/else whose first branch is the DB-less one."""
    tables: dict[str, LuaTable] = {}
    declared: set[str] = set()
    for index, token in enumerate(tokens[:-3]):
        following = tokens[index + 1 : index + 4]
        if token == ("name", "local") and following[0][0] == "name":
            if following[1:] == [("op", "="), ("op", "{")]:
                _parse_table(tables, following[0][1], tokens, index + 3)
            elif following[1] != ("op", "="):
                declared.add(following[0][1])
        elif token[1] in declared and token[1] not in tables and following[:2] == [("op", "="), ("op", "{")]:
            _parse_table(tables, token[1], tokens, index + 2)
    return tables


def _parse_table(tables: dict[str, LuaTable], name: str, tokens: list[tuple[str, str]], start: int) -> None:
    parser = _Parser(tokens)
    parser.i = start
    with contextlib.suppress(AssertionError, IndexError, ValueError):
        tables[name] = parser.table()


_REQUIRE = re.compile(r"""local\s+(\w+)\s*=\s*require\s*\(?\s*["']([\w.]+)["']""")


def _module_tables(source: str, read: Any) -> dict[str, LuaTable]:
    """``ALIAS.KEY`` -> the table KEY of a module the file requires (``local ALIAS = require "a.b"``) and that
    returns a table of them, as ``kong.tools.redis.schema`` returns ``{ config_schema = { ... } }``."""
    tables: dict[str, LuaTable] = {}
    for alias, module in _REQUIRE.findall(source):
        if module == "kong.db.schema.typedefs" or not module.startswith("kong."):
            continue
        try:
            tokens = tokenize(read(module.replace(".", "/") + ".lua"))
        except (OSError, ValueError, subprocess.CalledProcessError):
            continue
        tokens = _inline_constants(tokens)
        for index, token in enumerate(tokens[:-1]):
            if token == ("name", "return") and tokens[index + 1] == ("op", "{"):
                parser = _Parser(tokens)
                parser.i = index + 1
                returned = parser.table()
                tables.update({f"{alias}.{key}": v for key, v in returned.keyed.items() if isinstance(v, LuaTable)})
                break
    return tables


def read_typedefs(source: str) -> dict[str, dict[str, Any]]:
    """``typedefs.NAME = Schema.define { ... }``: the plain table of each typedef."""
    tokens = tokenize(source)
    typedefs: dict[str, dict[str, Any]] = {}
    for index, (kind, text) in enumerate(tokens[:-3]):
        defines = tokens[index + 1 : index + 4] == [("op", "="), ("name", "Schema.define"), ("op", "{")]
        if kind == "name" and text.startswith("typedefs.") and defines:
            parser = _Parser(tokens)
            parser.i = index + 3
            try:
                typedefs[text.removeprefix("typedefs.")] = _plain(parser.table(), {})
            except (AssertionError, IndexError, ValueError):
                continue
    return typedefs


def _plain(
    table: LuaTable, local_tables: dict[str, LuaTable], typedefs: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The JSON-able parts of a field definition."""
    result: dict[str, Any] = {}
    for key in ("type", "required", "default", "one_of", "between", "gt"):
        if key not in table.keyed:
            continue
        value = table.keyed[key]
        if isinstance(value, Ref) and value.name in local_tables:
            value = local_tables[value.name]
        if isinstance(value, LuaTable):
            value = list(value.positional) if not value.keyed else None
            if value is not None and not all(isinstance(v, str | int | float | bool) for v in value):
                value = None
        if value is None or isinstance(value, Ref | Call | Expr):
            continue
        result[key] = value
    elements = table.keyed.get("elements")
    if isinstance(elements, LuaTable):
        result["elements"] = _plain(elements, local_tables, typedefs)
    if table.keyed.get("type") == "record" and isinstance(table.keyed.get("fields"), LuaTable):
        result["fields"] = _fields(table.keyed["fields"], local_tables, typedefs or {})
        shorthands = table.keyed.get("shorthand_fields")
        if isinstance(shorthands, LuaTable):  # deprecated spellings Kong still accepts (redis_host -> redis.host)
            for name, spec in _fields(shorthands, local_tables, typedefs or {}).items():
                result["fields"][name] = {**spec, "shorthand": True}
    return result


def _field(spec: Any, local_tables: dict[str, LuaTable], typedefs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if isinstance(spec, LuaTable):
        return _plain(spec, local_tables, typedefs)
    name = spec.name if isinstance(spec, Ref | Call) else ""
    if isinstance(spec, Ref) and name in local_tables:  # a local or a required module's table
        return _plain(local_tables[name], local_tables, typedefs)
    typedef = name.removeprefix("typedefs.")
    result = {**typedefs.get(typedef, {}), "typedef": typedef} if name.startswith("typedefs.") else {}
    if isinstance(spec, Call):
        result.update(_plain(spec.argument, local_tables, typedefs))
    return result


def _fields(
    fields: LuaTable, local_tables: dict[str, LuaTable], typedefs: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    result = {}
    for entry in fields.positional:
        if isinstance(entry, LuaTable) and len(entry.keyed) == 1:
            ((name, spec),) = entry.keyed.items()
            result[name] = _field(spec, local_tables, typedefs)
    return result


def _inline_constants(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every use of a ``local NAME = <number or string>`` replaced by its value (``default = DEFAULT_TIMEOUT``)."""
    constants: dict[str, tuple[str, str]] = {}
    for index in range(len(tokens) - 3):
        local, name, equals, value = tokens[index : index + 4]
        following = tokens[index + 4] if index + 4 < len(tokens) else ("eof", "")
        plain = value[0] in ("number", "string") and following[0] != "op"  # a literal, not an expression
        if local == ("name", "local") and name[0] == "name" and equals == ("op", "=") and plain:
            constants[name[1]] = value
    return [
        constants.get(token[1], token) if token[0] == "name" and tokens[index - 1] != ("name", "local") else token
        for index, token in enumerate(tokens)
    ]


def plugin_fields(source: str, typedefs: dict[str, dict[str, Any]], read: Any = None) -> dict[str, dict[str, Any]]:
    """The ``config`` fields of a plugin's schema.lua (``read(path)`` reads the modules it requires)."""
    tokens = tokenize(source)
    schema = _schema_table(tokens, "return")
    local_tables = {**(_module_tables(source, read) if read else {}), **_locals(tokens)}
    top = _fields(schema.keyed["fields"], local_tables, typedefs)
    return top["config"]["fields"]  # type: ignore[no-any-return]


def entity_fields(source: str, where: str, name: str, typedefs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The fields of an entity schema (plus its shorthand fields, which declarative config accepts too)."""
    tokens = tokenize(source)
    schema = _schema_table(tokens, where)
    if "fields" not in schema.keyed:  # a DAO file returns a list of schemas
        schema = next(s for s in schema.positional if s.keyed.get("name") == name)
    local_tables = _locals(tokens)
    fields = _fields(schema.keyed["fields"], local_tables, typedefs)
    shorthands = schema.keyed.get("shorthand_fields")
    if isinstance(shorthands, LuaTable):
        for field_name, spec in _fields(shorthands, local_tables, typedefs).items():
            fields[field_name] = {**spec, "shorthand": True}
    return fields


def extract(read: Any, version: str, commit: str) -> dict[str, Any]:
    """The fields of every plugin and entity kong.yml uses, from ``read(path) -> Lua source``."""
    typedefs = read_typedefs(read(TYPEDEFS))
    return {
        "kong_version": version,
        "kong_commit": commit,
        "source": "https://github.com/Kong/kong",
        "regenerate": (
            "python -m localdev.kong.schema_fields --kong-repo <clone of Kong/kong> --ref "
            f"{version} > localdev/kong/schema_fields.json"
        ),
        "plugins": {name: plugin_fields(read(f"kong/plugins/{name}/schema.lua"), typedefs, read) for name in PLUGINS},
        "entities": {
            name: entity_fields(read(path), where, name, typedefs) for name, (path, where) in ENTITIES.items()
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kong-repo", type=Path, required=True)
    parser.add_argument("--ref", required=True, help="a Kong release tag, e.g. 3.9.3")
    args = parser.parse_args(argv)

    def git(*command: str) -> str:
        arguments = ["git", "-C", str(args.kong_repo), *command]
        return subprocess.run(arguments, check=True, capture_output=True, text=True).stdout

    commit = git("rev-parse", f"{args.ref}^{{commit}}").strip()
    result = extract(lambda path: git("show", f"{commit}:{path}"), args.ref, commit)
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
