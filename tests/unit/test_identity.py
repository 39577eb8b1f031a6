"""Who is calling, in Kong mode and in API Gateway mode."""

import base64
import json
import re
import time
from uuid import uuid4

import pytest

from localdev.template import read_api
from storefront.config import GatewaySettings
from storefront.domain.errors import Forbidden, TokenExpired, Unauthenticated
from storefront.domain.identity import Role
from storefront.http.identity import ADMINS, authenticate, bearer_token, principal_from_claims, require_role, token_of

TENANT = str(uuid4())
USER_ID = "9f0c2a51-3f55-4e57-bb8e-2a3f1c9a00aa"
KONG = GatewaySettings(gateway_mode="kong")
KONG_TRUSTING = GatewaySettings(gateway_mode="kong", kong_verify_token=False)
APIGW = GatewaySettings(gateway_mode="apigw")


def claims(**overrides):
    values = {"sub": USER_ID, "username": "ada", "role": "admin", "tenant_id": TENANT, "jti": "token-1"}
    values.update(overrides)
    return values


def kong_event(token, consumer="c-1", anonymous=False, credential="storefront-web"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if consumer:
        headers.update({"X-Consumer-ID": consumer, "X-Consumer-Username": "storefront-web"})
    if credential:
        headers["X-Credential-Identifier"] = credential
    if anonymous:
        headers["X-Anonymous-Consumer"] = "true"
    return {"headers": headers, "requestContext": {}}


def test_kong_mode_reads_the_token_claims(tokens):
    principal = authenticate(kong_event(tokens.issue("storefront-web", claims())), KONG, lambda: tokens)
    assert (principal.user_id, principal.role, str(principal.tenant_id)) == (USER_ID, Role.ADMIN, TENANT)
    assert principal.consumer == "storefront-web"


@pytest.mark.parametrize(
    ("event_kwargs", "error"),
    [
        ({"consumer": None}, Unauthenticated),  # not through Kong's jwt plugin
        ({"anonymous": True}, Unauthenticated),  # Kong could not authenticate it
        ({"credential": "someone-else"}, Unauthenticated),  # token of another consumer key
    ],
)
def test_kong_mode_refuses_what_kong_did_not_vouch_for(tokens, event_kwargs, error):
    event = kong_event(tokens.issue("storefront-web", claims()), **event_kwargs)
    with pytest.raises(error):
        authenticate(event, KONG, lambda: tokens)


@pytest.mark.parametrize("settings", [KONG, KONG_TRUSTING])
def test_expired_and_forged_tokens_get_their_own_codes(tokens, settings):
    expired = tokens.issue("storefront-web", claims(), lifetime_seconds=-120)
    with pytest.raises(TokenExpired):
        authenticate(kong_event(expired, anonymous=True), settings, lambda: tokens)
    with pytest.raises(Unauthenticated):
        authenticate(kong_event("a.b.c", anonymous=True), settings, lambda: tokens)


def test_missing_token_is_unauthenticated(tokens):
    with pytest.raises(Unauthenticated):
        authenticate(kong_event(None), KONG, lambda: tokens)


def test_kong_mode_without_verification_trusts_kong_and_needs_no_secrets():
    payload = base64.urlsafe_b64encode(json.dumps(claims(iss="storefront-web")).encode()).decode().rstrip("=")
    token = f"x.{payload}.unchecked-signature"

    def no_verifier():
        raise AssertionError("must not verify")

    assert authenticate(kong_event(token), KONG_TRUSTING, no_verifier).user_id == USER_ID


def in_a_year():
    """Far enough ahead: parameter tables are built when tests are collected, long before they run."""
    return str(int(time.time()) + 3600 * 24 * 365)


def test_apigw_mode_reads_the_authorizer_and_ignores_consumer_headers(tokens):
    event = {
        "headers": {"X-Consumer-ID": "spoofed", "X-Consumer-Username": "root"},
        "requestContext": {"authorizer": {**claims(role="user"), "iss": "storefront-web", "exp": in_a_year()}},
    }
    principal = authenticate(event, APIGW, lambda: tokens)
    assert (principal.role, principal.consumer) == (Role.USER, "storefront-web")


@pytest.mark.parametrize(
    ("authorizer", "error"),
    [
        ({}, Unauthenticated),
        (claims(), Unauthenticated),  # no exp: fail closed
        (claims(exp=""), Unauthenticated),
        (claims(exp="soon"), Unauthenticated),
        (claims(exp="1.9e9"), Unauthenticated),
        (claims(exp=True), Unauthenticated),
        (claims(exp=str(int(time.time()) - 5)), TokenExpired),  # API Gateway hands context values on as strings
        (claims(exp=str(int(time.time()))), TokenExpired),  # Kong's rule: expired once exp <= now
        (claims(exp=int(time.time()) - 5), TokenExpired),
        (claims(role="root", exp=in_a_year()), Unauthenticated),
        (claims(tenant_id="not-a-uuid", exp=in_a_year()), Unauthenticated),
    ],
)
def test_apigw_mode_refusals(tokens, authorizer, error):
    with pytest.raises(error) as refused:
        authenticate({"headers": {}, "requestContext": {"authorizer": authorizer}}, APIGW, lambda: tokens)
    if error is Unauthenticated:
        assert refused.value.message == "Missing or invalid credentials"


@pytest.mark.parametrize("exp", [in_a_year(), int(in_a_year())])
def test_apigw_mode_accepts_a_whole_number_exp_as_text_or_number(tokens, exp):
    event = {"headers": {}, "requestContext": {"authorizer": claims(exp=exp)}}
    assert authenticate(event, APIGW, lambda: tokens).user_id == USER_ID


def unsigned(**payload):
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"x.{body}.unchecked-signature"


@pytest.mark.parametrize(
    ("exp", "error"),
    [
        (int(time.time()) - 10, TokenExpired),
        (time.time() - 10.5, TokenExpired),
        (str(int(time.time()) - 10), Unauthenticated),  # Kong refuses a string exp as not a number
        (True, Unauthenticated),
        (None, Unauthenticated),
    ],
)
def test_kong_mode_without_verification_tells_expired_by_kongs_rule(exp, error):
    token = unsigned(**claims(iss="storefront-web", exp=exp))
    with pytest.raises(error):
        authenticate(kong_event(token, anonymous=True), KONG_TRUSTING, lambda: None)  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize(
    "event",
    [
        kong_event(None),
        kong_event("a.b.c", anonymous=True),
        kong_event(unsigned(**claims(iss="storefront-web")), consumer=None),
        kong_event(unsigned(**claims(iss="storefront-web")), credential="someone-else"),
    ],
    ids=["no-token", "garbage", "not-vouched", "other-credential"],
)
def test_every_kong_mode_refusal_has_the_same_message(event):
    with pytest.raises(Unauthenticated) as refused:
        authenticate(event, KONG_TRUSTING, lambda: None)  # type: ignore[arg-type,return-value]
    assert refused.value.message == "Missing or invalid credentials"


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer a.b.c", "a.b.c"),
        ("bearer  a-_.b.c ", "a-_.b.c"),
        ("  Bearer\ta.b.c", "a.b.c"),
        ("Bearer a.b.c=", None),  # base64url without padding only, as the authorizer's ValidationExpression
        ("Bearer a.b", None),
        ("BEARER a.b.c", None),  # Kong's jwt plugin takes [Bb]earer only
        ("Basic a.b.c", None),
        ("Bearer", None),
        ("", None),
    ],
)
def test_bearer_token(header, token):
    assert bearer_token({"headers": {"authorization": header}}) == token


def test_the_bearer_rule_is_the_authorizers_validation_expression():
    expression = re.compile(read_api().authorizer.validation.pattern)  # type: ignore[union-attr]
    for value in ["Bearer a.b.c", "bearer  a.b.c ", "Bearer a.b.c=", "Bearer a.b", "BEARER a.b.c", "Basic a.b.c"]:
        assert (expression.match(value) is not None) is (token_of(value) is not None), value


def test_two_authorization_headers_are_no_token_in_either_mode():
    event = {"multiValueHeaders": {"Authorization": ["Bearer a.b.c", "Bearer d.e.f"]}, "headers": {}}
    assert bearer_token(event) is None
    with pytest.raises(Unauthenticated):
        authenticate(
            {**event, "requestContext": {"authorizer": {"sub": "x", "exp": "9999999999"}}},
            GatewaySettings(gateway_mode="apigw"),
            lambda: None,  # type: ignore[arg-type,return-value]
        )


@pytest.mark.parametrize("missing", ["sub", "role", "tenant_id"])
def test_claims_must_name_user_role_and_tenant(missing):
    values = claims()
    del values[missing]
    with pytest.raises(Unauthenticated):
        principal_from_claims(values)


def test_roles_are_checked():
    user = principal_from_claims(claims(role="user"))
    with pytest.raises(Forbidden):
        require_role(user, *ADMINS)
    assert require_role(principal_from_claims(claims()), *ADMINS).role == Role.ADMIN


@pytest.mark.parametrize(
    "sub", ["x", "\ud800", "a" * 20_000, "' OR 1=1 --", "u-1", "", "00000000-0000-4000-8000-00000000000\x00"]
)
def test_a_subject_that_is_not_a_uuid_is_auth_001(sub):
    """Outside pass: a signed token whose ``sub`` held a lone surrogate answered 500 on a write (and any
    string reached the audit fields)."""
    with pytest.raises(Unauthenticated):
        principal_from_claims(claims(sub=sub))


def test_a_subject_uuid_is_read_in_its_canonical_form():
    assert principal_from_claims(claims(sub=USER_ID.upper())).user_id == USER_ID


@pytest.mark.parametrize("jti", [None, "", "x" * 129, 7])
def test_claims_without_a_usable_token_id_are_auth_001(jti):
    """Without a usable jti the token could not be revoked after logout: refused in both modes."""
    with pytest.raises(Unauthenticated):
        principal_from_claims(claims(jti=jti))
