"""Kong 3.x's jwt plugin (kong/plugins/jwt/handler.lua and jwt_parser.lua), check by check.

Kong takes the token from the uri args, cookies and headers named in the config (a header must say
``Bearer <token>``), refuses two different tokens, finds the credential by the key claim (claims first,
then the token header), checks the algorithm, the signature, the registered claims (``exp``/``nbf`` must
be JSON numbers; ``exp <= now`` is expired, no leeway) and ``maximum_expiration``. With ``anonymous``
set, a failure lets the request through as that consumer instead of answering 401.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any

from localdev.kong.declarative import Consumer, JwtCredential, KongConfig
from localdev.kong.http import KongRequest, KongResponse, first

CONSUMER_ID = "X-Consumer-ID"
CONSUMER_CUSTOM_ID = "X-Consumer-Custom-ID"
CONSUMER_USERNAME = "X-Consumer-Username"
CREDENTIAL_IDENTIFIER = "X-Credential-Identifier"
ANONYMOUS = "X-Anonymous-Consumer"
_BEARER = re.compile(r"\s*[Bb]earer\s+(.+)")
_HMAC = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
# jwt_parser.lua's alg_verify: the algorithms a token header may name at all.
SUPPORTED_ALGORITHMS = {
    *_HMAC,
    *("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"),
}


class Refusal(Exception):
    """An authentication failure: Kong's 401 body and the WWW-Authenticate header."""

    def __init__(self, body: dict[str, Any], www_authenticate: str) -> None:
        super().__init__(body)
        self.body = body
        self.www_authenticate = www_authenticate


def _tokens(request: KongRequest, config: dict[str, Any]) -> list[str]:
    found: dict[str, None] = {}
    for name in config["uri_param_names"] or []:
        value = request.args.get(name)
        for token in value if isinstance(value, list) else [value]:
            if isinstance(token, str) and token:
                found[token] = None
    cookies = _cookies(request.header("cookie") or "")
    for name in config["cookie_names"] or []:
        if cookies.get(name):
            found[cookies[name]] = None
    for name in config["header_names"] or []:
        value = first(request.headers.get(name.lower()))
        if value:
            match = _BEARER.search(value)
            if match and match.group(1):
                found[match.group(1)] = None
    return list(found)


def _cookies(header: str) -> dict[str, str]:
    """nginx's $cookie_NAME: the first cookie of that name."""
    cookies: dict[str, str] = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        cookies.setdefault(name, value)
    return cookies


def _b64url(part: str) -> bytes:
    padded = part + "=" * (-len(part) % 4)
    return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)


def _parse(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, str]:
    """jwt_parser.decode_token: header, claims, signature, signed part; ValueError names Kong's reason."""
    parts = token.split(".", 2)
    try:
        header, claims = json.loads(_b64url(parts[0])), json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError("invalid JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        raise ValueError("invalid alg")
    if header["alg"] not in SUPPORTED_ALGORITHMS:
        raise ValueError("invalid alg")
    if not isinstance(claims, dict):
        raise ValueError("invalid claims")
    return header, claims, signature, f"{parts[0]}.{parts[1]}"


def _is_number(value: Any) -> bool:
    """A Lua number once cjson decoded it: a JSON number, never a string or a boolean."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def registered_claim_errors(claims: dict[str, Any], to_verify: list[str], now: int) -> dict[str, str]:
    """jwt_parser:verify_registered_claims, exactly: type first, then the check, no leeway."""
    errors: dict[str, str] = {}
    for name in to_verify:
        value = claims.get(name)
        if not _is_number(value) or value is None:
            errors[name] = "must be a number"
        elif name == "exp" and value <= now:
            errors[name] = "token expired"
        elif name == "nbf" and value > now:
            errors[name] = "token not valid yet"
    return errors


def authenticate(
    request: KongRequest, config: dict[str, Any], kong: KongConfig, clock: Callable[[], float] = time.time
) -> tuple[JwtCredential, str]:
    """The credential and token of a request Kong's jwt plugin accepts; Refusal otherwise."""
    base = f'Bearer realm="{config["realm"]}"' if config["realm"] else "Bearer"
    with_error = base + ' error="invalid_token"'
    tokens = _tokens(request, config)
    if not tokens:
        raise Refusal({"message": "Unauthorized"}, base)
    if len(tokens) > 1:
        raise Refusal({"message": "Multiple tokens provided"}, with_error)
    token = tokens[0]
    try:
        header, claims, signature, signed = _parse(token)
    except ValueError as error:
        raise Refusal({"message": f"Bad token; {error}"}, with_error) from None
    key_claim = config["key_claim_name"]
    key = claims.get(key_claim)
    if key is None or key is False:  # Lua's `or`: only nil and false fall through to the header
        key = header.get(key_claim)
    if key is None or key is False:
        raise Refusal({"message": f"No mandatory '{key_claim}' in claims"}, with_error)
    if key == "":
        raise Refusal({"message": f"Invalid '{key_claim}' in claims"}, with_error)
    credential = kong.credentials.get(str(key))
    if credential is None:
        raise Refusal({"message": f"No credentials found for given '{key_claim}'"}, with_error)
    if header["alg"] != credential.algorithm:
        raise Refusal({"message": "Invalid algorithm"}, with_error)
    if credential.algorithm not in _HMAC:
        raise Refusal({"message": "Invalid key/secret"}, with_error)  # asymmetric keys are not emulated
    secret = credential.secret
    if secret is not None and config["secret_is_base64"]:
        secret = _b64url(secret).decode("latin-1")
    if secret is None:
        raise Refusal({"message": "Invalid key/secret"}, with_error)
    expected = hmac.new(secret.encode("latin-1"), signed.encode(), _HMAC[credential.algorithm]).digest()
    if not hmac.compare_digest(expected, signature):
        raise Refusal({"message": "Invalid signature"}, with_error)
    now = int(clock())  # ngx.time(): whole seconds
    errors = registered_claim_errors(claims, list(config["claims_to_verify"] or []), now)
    if errors:
        raise Refusal(errors, with_error)
    maximum = config["maximum_expiration"]
    if maximum and maximum > 0:
        exp = claims.get("exp")
        if exp is None or exp - now > maximum:
            raise Refusal({"exp": "exceeds maximum allowed expiration"}, with_error)
    return credential, token


def _set_consumer(request: KongRequest, consumer: Consumer | None, credential: JwtCredential | None) -> None:
    """set_consumer: every consumer header set from the consumer, or cleared."""
    for name, value in (
        (CONSUMER_ID, consumer.id if consumer else None),
        (CONSUMER_CUSTOM_ID, consumer.custom_id if consumer else None),
        (CONSUMER_USERNAME, consumer.username if consumer else None),
        (CREDENTIAL_IDENTIFIER, credential.key if credential else None),
    ):
        if value:
            request.set_header(name, value)
        else:
            request.clear_header(name)
    if credential:
        request.clear_header(ANONYMOUS)
    else:
        request.set_header(ANONYMOUS, "true")
    # kong.client.authenticate: what kong.client.get_consumer() / get_credential() answer later plugins.
    request.ctx["authenticated_consumer"] = consumer
    request.ctx["authenticated_credential"] = credential


def access(request: KongRequest, config: dict[str, Any], kong: KongConfig) -> KongResponse | None:
    """The plugin's access phase: None to go on, or Kong's own 401."""
    if not config["run_on_preflight"] and request.http.method == "OPTIONS":
        return None
    try:
        credential, _ = authenticate(request, config, kong)
    except Refusal as refusal:
        if config["anonymous"]:
            # Kong 3.9 passes on as no consumer at all when the anonymous consumer does not exist
            # (3.10 answers 500); kong.yml names one that exists (a test checks it).
            _set_consumer(request, kong.consumer(config["anonymous"]), None)
            return None
        body = json.dumps(refusal.body, separators=(",", ":")).encode()
        headers = [("Content-Type", "application/json; charset=utf-8"), ("WWW-Authenticate", refusal.www_authenticate)]
        return KongResponse(401, headers, body)
    _set_consumer(request, credential.consumer, credential)
    return None
