"""The extractor reads Kong's schema.lua files: field names, types, defaults, typedefs, local tables."""

from __future__ import annotations

import pytest

from localdev.kong.schema_fields import entity_fields, extract, plugin_fields, read_typedefs, tokenize

TYPEDEFS = """
local typedefs = {}
typedefs.port = Schema.define {
  type = "integer",
  between = { 0, 65535 }
}
typedefs.host = Schema.define { type = "string", custom_validator = validate_host }
typedefs.cidr = typedefs.cidr_v4
return typedefs
"""

PLUGIN = """
local typedefs = require "kong.db.schema.typedefs"
--[[ a block
comment ]]
local METHODS = { "GET", "POST" }
local function check(value)
  if value == "*" then
    return true
  end
  for i = 1, 2 do local x = i end
  return nil, string.format("'%s' is bad", tostring(value))
end

return {
  name = "example",
  fields = {
    { consumer = typedefs.no_consumer },
    { config = {
        type = "record",
        fields = {
          { enabled = { description = "On " .. "or off", type = "boolean", required = true, default = false }, },
          { names = { type = "set", elements = { type = "string", one_of = METHODS }, default = { "jwt" } }, },
          { methods = { type = "array", default = METHODS, elements = { type = "string" } }, },
          { port = typedefs.port { default = 443 }, },
          { region = typedefs.host },
          { ratio = { type = "number", default = 0.5, between = { 0, 1 } }, },
          { offset = { type = "integer", default = -1 }, },
          { text = { type = "string", default = [[long]], custom_validator = check }, },
          { hex = { type = "integer", default = 0x10 }, },
        },
    }, },
  },
  entity_checks = {
    { custom_entity_check = { field_sources = { "config.x" },
      fn = function(entity) if entity then return true end end } },
  },
}
"""

ENTITY = """
local typedefs = require("kong.db.schema.typedefs")
local routes = {
  name = "routes",
  fields = {
    { id = typedefs.uuid, },
    { paths = { type = "array", elements = { type = "string" } } },
    { [ "weird" ] = { type = "string" } },
  },
  shorthand_fields = {
    { url = { type = "string", func = function(url) return { host = url } end } },
  },
}
return routes
"""

DAOS = """
return {
  { name = "other", fields = { { a = { type = "string" } } } },
  { name = "jwt_secrets", fields = { { key = { type = "string", unique = true } } } },
}
"""


def test_plugin_fields_with_defaults_typedefs_and_local_tables():
    typedefs = read_typedefs(TYPEDEFS)
    assert typedefs == {"port": {"type": "integer", "between": [0, 65535]}, "host": {"type": "string"}}
    fields = plugin_fields(PLUGIN, typedefs)
    assert fields["enabled"] == {"type": "boolean", "required": True, "default": False}
    assert fields["names"] == {
        "type": "set",
        "default": ["jwt"],
        "elements": {"type": "string", "one_of": ["GET", "POST"]},
    }
    assert fields["methods"]["default"] == ["GET", "POST"]
    assert fields["port"] == {"type": "integer", "between": [0, 65535], "typedef": "port", "default": 443}
    assert fields["region"] == {"type": "string", "typedef": "host"}
    assert (fields["ratio"]["default"], fields["offset"]["default"], fields["hex"]["default"]) == (0.5, -1, 16)
    assert fields["text"] == {"type": "string", "default": "long"}


def test_entity_fields_from_a_local_table_a_list_of_daos_and_shorthands():
    routes = entity_fields(ENTITY, "routes", "routes", {})
    assert set(routes) == {"id", "paths", "weird", "url"}
    assert routes["url"] == {"type": "string", "shorthand": True}
    assert set(entity_fields(DAOS, "return", "jwt_secrets", {})) == {"key"}


def test_extract_names_the_release_and_every_plugin_and_entity():
    sources = {"kong/db/schema/typedefs.lua": TYPEDEFS}

    def read(path: str) -> str:
        if path in sources:
            return sources[path]
        if path.startswith("kong/plugins/") and path.endswith("schema.lua"):
            return PLUGIN
        if path.endswith("daos.lua"):
            return DAOS
        return ENTITY if path.endswith("routes.lua") else 'return { name = "e", fields = { { id = typedefs.uuid } } }'

    result = extract(read, "3.9.3", "a" * 40)
    assert (result["kong_version"], result["kong_commit"]) == ("3.9.3", "a" * 40)
    assert set(result["plugins"]) == {
        "aws-lambda",
        "jwt",
        "cors",
        "correlation-id",
        "request-termination",
        "rate-limiting",
    }
    assert set(result["entities"]) == {"services", "routes", "consumers", "plugins", "jwt_secrets"}


def test_unreadable_lua_is_reported():
    with pytest.raises(ValueError, match="cannot read Lua"):
        tokenize("local x = `backtick`")


REDIS_MODULE = """
local typedefs = require "kong.db.schema.typedefs"
local DEFAULT_TIMEOUT = 2000
return {
  config_schema = {
    type = "record",
    fields = {
      { host = typedefs.host },
      { port = typedefs.port({ default = 6379 }), },
      { timeout = typedefs.timeout { default = DEFAULT_TIMEOUT } },
    },
  },
}
"""

RATE_LIMITING = """
local typedefs = require "kong.db.schema.typedefs"
local redis_schema = require "kong.tools.redis.schema"
local policy
if is_dbless() then
  policy = { type = "string", default = "local", one_of = { "local", "redis" } }
else
  policy = { type = "string", default = "local", one_of = { "local", "cluster", "redis" } }
end
return {
  name = "rate-limiting",
  fields = {
    { config = {
        type = "record",
        fields = {
          { minute = { type = "number", gt = 0 }, },
          { policy = policy },
          { redis = redis_schema.config_schema },
        },
        shorthand_fields = {
          { redis_host = { type = "string", func = function(value) return { redis = { host = value } } end } },
        },
    }, },
  },
}
"""


def test_plugin_fields_from_a_required_module_a_late_local_and_record_shorthands():
    typedefs = read_typedefs(TYPEDEFS + '\ntypedefs.timeout = Schema.define { type = "integer" }\n')
    modules = {"kong/tools/redis/schema.lua": REDIS_MODULE}
    fields = plugin_fields(RATE_LIMITING, typedefs, modules.__getitem__)
    assert fields["minute"] == {"type": "number", "gt": 0}
    assert fields["policy"] == {"type": "string", "default": "local", "one_of": ["local", "redis"]}  # DB-less
    assert fields["redis"]["fields"] == {
        "host": {"type": "string", "typedef": "host"},
        "port": {"type": "integer", "between": [0, 65535], "typedef": "port", "default": 6379},
        "timeout": {"type": "integer", "typedef": "timeout", "default": 2000},
    }
    assert fields["redis_host"] == {"type": "string", "shorthand": True}
    assert plugin_fields(RATE_LIMITING, typedefs)["redis"] == {}  # without the module: known, nothing invented
