"""Request bodies as the contract accepts them: exactly one JSON object, in a JSON media type, decodable.

Every HTTP function runs this before its route, so a body reaches validation only as one UTF-8 JSON object
under ``Content-Type: application/json``. What cannot be read is refused here with a 4xx:

- a body marked base64 that is not base64, a ``Content-Encoding`` other than identity, bytes that are not
  UTF-8/16/32, malformed JSON, ``NaN``/``Infinity``, nesting deeper than 64: 400 VAL_001;
- a media type that is not ``application/json`` or ``*/*+json`` (any case), or a charset other than UTF-8/16/32:
  415 VAL_002;
- a lone surrogate (``"\\ud800"``) anywhere in the text: 400 VAL_001;
- a JSON value other than one object (an array, a string, a number), a field named twice, or a NUL character
  in any string: 422 VAL_002;
- a number with more digits than a database column can hold (38) or beyond a float: 422 VAL_003.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Mapping
from typing import Any

from storefront.domain.errors import ErrorCode, FieldError, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from storefront.domain.text import unstorable_reason
from storefront.http.request_meta import header_values, replace_header

MAX_DEPTH = 64
# No resource has more than a few dozen fields: an object with more is refused while the body is checked, before
# validation would judge (and list) every unknown name (80,000 of them took 2.5 s of a function's time).
MAX_MEMBERS = 256
# Oracle's NUMBER holds at most 38 significant digits; no column of any backend stores more.
MAX_INTEGER_DIGITS = 38
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
CHARSETS = frozenset({"utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be"})
JSON = "application/json"


class _OutOfRange(Exception):
    """A number no backend can store (raised from inside the JSON parser)."""


def accept_body(event: dict[str, Any], max_bytes: int) -> None:
    """Check the request body and leave it in ``event`` as the resolver reads it: UTF-8 JSON, or none at all.

    A body is read only on POST, PUT and PATCH; elsewhere it is dropped. An empty body is left for the route's
    validation to call missing (VAL_001) when the route needs one.
    """
    raw = raw_body(event)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"Request body exceeds {max_bytes} bytes")
    method = str(event.get("httpMethod") or "").upper()
    if raw and method in METHODS_WITH_BODY:
        value = json_object(raw, {name: _one_value(event, name) for name in ("content-type", "content-encoding")})
        event["body"] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    else:
        event["body"] = None
    event["isBase64Encoded"] = False
    replace_header(event, "content-type", JSON)  # what the body now is; the resolver parses by this header


def _one_value(event: dict[str, Any], name: str) -> str:
    """The header's value; VAL_001 when it was sent twice with different values (gateways keep different ones)."""
    values = set(header_values(event, name))
    if len(values) > 1:
        raise ValidationFailed.single(name.title(), ErrorCode.REQUIRED, "is given more than once")
    return values.pop() if values else ""


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The bytes the client sent (base64 decoded when the event says so); VAL_001 when that is not base64."""
    body = event.get("body")
    if not body:
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise _undecodable("is marked base64 but is not base64") from None
    try:
        return str(body).encode("utf-8")
    except UnicodeEncodeError:
        raise _undecodable("is not valid UTF-8") from None


def media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """``type/subtype`` (lower case) and the parameters of a Content-Type header value."""
    if not content_type:
        return "", {}
    kind, *parameters = content_type.split(";")
    params: dict[str, str] = {}
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        params[name.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), params


def is_json_media_type(kind: str) -> bool:
    """``application/json`` or any structured ``+json`` type (``application/merge-patch+json``, ...)."""
    top, slash, subtype = kind.partition("/")
    return bool(top and slash and subtype) and (kind == JSON or subtype.endswith("+json"))


def json_object(raw: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """The one JSON object in ``raw``, given the request's lower-cased ``headers``; a contract error otherwise."""
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise _undecodable(f"has Content-Encoding {encoding!r}; send it uncompressed")
    kind, params = media_type(headers.get("content-type"))
    if not is_json_media_type(kind):
        raise UnsupportedMediaType(
            f"Unsupported media type {kind or '(none)'!r}: send the body as application/json",
            details=_content_type_details("must be application/json or a +json media type"),
        )
    charset = params.get("charset")
    if charset is not None and charset not in CHARSETS:
        raise UnsupportedMediaType(
            f"Unsupported charset {charset!r}: send UTF-8",
            details=_content_type_details("charset must be UTF-8, UTF-16 or UTF-32"),
        )
    try:
        text = raw.decode(json.detect_encoding(raw))
    except (UnicodeDecodeError, LookupError):
        raise _undecodable("is not valid UTF-8, UTF-16 or UTF-32 text") from None
    value = _parse(text)
    if not isinstance(value, dict):
        raise ValidationFailed.single("body", ErrorCode.INVALID_FORMAT, "must be one JSON object")
    return value


def _content_type_details(reason: str) -> dict[str, Any]:
    """The contract's validation details (field, reason, errors) for a refused Content-Type."""
    problem = FieldError("Content-Type", ErrorCode.INVALID_FORMAT, reason)
    return {"field": problem.field, "reason": reason, "errors": [problem.as_dict()]}


def _parse(text: str) -> Any:
    try:
        value = json.loads(
            text,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            parse_int=_storable_int,
            object_pairs_hook=_unique_fields,
        )
    except _OutOfRange:
        raise ValidationFailed.single("body", ErrorCode.OUT_OF_RANGE, "holds a number too large to store") from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError:
        raise _undecodable("is not valid JSON") from None
    if depth(value) > MAX_DEPTH:
        raise _too_deep()
    return value


class _Ambiguous(dict[str, Any]):
    """An object that names a field twice; the walk in ``depth`` refuses it with the field's whole path."""

    def __init__(self, pairs: list[tuple[str, Any]], twice: str) -> None:
        super().__init__(pairs)
        self.twice = twice


def _unique_fields(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                return _Ambiguous(pairs, name)
            seen.add(name)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise _OutOfRange(literal)
    return number


def _storable_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _OutOfRange(literal)
    return int(literal)


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0, ``{}`` is 1), after checking that every
    string in it (names included) can be stored (VAL_001 for a lone surrogate, VAL_002 for a NUL character) and
    that no object names a field twice (VAL_002). A refusal names the whole path, array positions included
    (``items.3.name``), as validation errors do.

    Iterative, so no nesting depth can exhaust the stack.
    """
    deepest = 0
    stack: list[tuple[Any, int, str]] = [(value, 0, "body")]
    while stack:
        item, level, field = stack.pop()
        if isinstance(item, str):
            _check_text(item, field)
            continue
        if isinstance(item, dict):
            deepest = max(deepest, level + 1)
            if isinstance(item, _Ambiguous):
                raise ValidationFailed.single(
                    _path(field, item.twice), ErrorCode.INVALID_FORMAT, "is given more than once"
                )
            if len(item) > MAX_MEMBERS:
                raise ValidationFailed.single(
                    field,
                    ErrorCode.INVALID_FORMAT,
                    f"has more than {MAX_MEMBERS} fields",
                )
            for name, child in item.items():
                _check_text(name, field)
                stack.append((child, level + 1, _path(field, name)))
        elif isinstance(item, list):
            deepest = max(deepest, level + 1)
            stack.extend((child, level + 1, _path(field, str(index))) for index, child in enumerate(item))
    return deepest


def _path(parent: str, name: str) -> str:
    return name if parent == "body" else f"{parent}.{name}"


def _check_text(text: str, field: str) -> None:
    reason = unstorable_reason(text)
    if reason is None:
        return
    code = ErrorCode.INVALID_FORMAT if "NUL" in reason else ErrorCode.REQUIRED
    raise ValidationFailed.single(field, code, reason)


def _undecodable(reason: str) -> ValidationFailed:
    return ValidationFailed.single("body", ErrorCode.REQUIRED, reason)


def _too_deep() -> ValidationFailed:
    return ValidationFailed.single("body", ErrorCode.REQUIRED, f"nests deeper than {MAX_DEPTH} levels")
