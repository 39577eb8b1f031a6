"""The authentication use cases against the fakes: accounts, passwords, lockout, token families, resets."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from storefront.application import auth
from storefront.domain.errors import AppError, Conflict, ErrorCode, RateLimited, Unauthenticated, ValidationFailed
from storefront.domain.identity import Principal, Role
from storefront.domain.sessions import AuthEventKind
from storefront.domain.users import Identity, UserStatus
from storefront.messages.envelope import Envelope
from storefront.messages.identity import PasswordResetRequested
from storefront.messages.orders import OrderPlaced
from tests.fakes import FakeIdentity

TENANT = UUID("00000000-0000-4000-8000-000000000001")
PASSWORD = "correct horse battery"
IP = "203.0.113.7"


@pytest.fixture
def identity() -> FakeIdentity:
    return FakeIdentity()


def ada(**changes: str) -> Identity:
    fields = {"email": "Ada@Example.com", "username": "ada", "full_name": "Ada Lovelace", **changes}
    return Identity(**fields)


def registered(identity: FakeIdentity, password: str = PASSWORD, **changes: str):
    return auth.register(identity.ports, TENANT, ada(**changes), password, IP)


def kinds(identity: FakeIdentity) -> list[AuthEventKind]:
    return [e.kind for e in identity.state.events]


def test_register_stores_a_hash_and_an_audit_event(identity):
    user = registered(identity)
    stored = identity.state.users[user.id]
    assert stored.password_hash == f"v2${PASSWORD}"
    assert (stored.role, stored.status, stored.version, stored.created_by) == (
        Role.USER,
        UserStatus.ACTIVE,
        1,
        str(user.id),
    )
    assert kinds(identity) == [AuthEventKind.REGISTERED]


@pytest.mark.parametrize(
    "other", [{"email": "ada@example.COM", "username": "ada2"}, {"email": "x@example.com", "username": "ADA"}]
)
def test_emails_and_usernames_are_unique_per_tenant_whatever_their_case(identity, other):
    registered(identity)
    with pytest.raises(Conflict):
        registered(identity, **other)
    auth.register(identity.ports, uuid4(), ada(**other), PASSWORD, IP)  # another tenant may


@pytest.mark.parametrize(
    ("password", "code", "reason"),
    [
        ("short", ErrorCode.OUT_OF_RANGE, "12 to 128"),
        ("x" * 129, ErrorCode.OUT_OF_RANGE, "12 to 128"),
        ("ADA@example.com", ErrorCode.INVALID_FORMAT, "email or the username"),
        ("Password1234", ErrorCode.INVALID_FORMAT, "too common"),
        ("QWERTYUIOP12", ErrorCode.INVALID_FORMAT, "too common"),
    ],
)
def test_the_password_policy(identity, password, code, reason):
    with pytest.raises(ValidationFailed) as raised:
        registered(identity, password=password)
    assert (raised.value.code, raised.value.details["field"]) == (code, "password")  # type: ignore[index]
    assert reason in raised.value.details["reason"]  # type: ignore[index]
    assert identity.state.users == {}


def test_a_password_equal_to_the_username_is_refused(identity):
    with pytest.raises(ValidationFailed):
        registered(identity, username="longusername1", password="LongUserName1")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"email": "a b@example.com"}, "email"),
        ({"username": "ab"}, "username"),
        ({"username": "-ada"}, "username"),
        ({"username": "ada lovelace"}, "username"),
        ({"full_name": "  "}, "full_name"),
        ({"full_name": "Ada\r\nBcc: x@example.com"}, "full_name"),  # outside pass: it took line breaks
        ({"full_name": "Ada\u2028Bcc: x@example.com"}, "full_name"),  # ... and Unicode's line separator
    ],
)
def test_identity_rules(identity, changes, field):
    with pytest.raises(ValidationFailed) as raised:
        registered(identity, **changes)
    assert raised.value.details["field"] == field  # type: ignore[index]


@pytest.mark.parametrize("login_name", ["ada", "ADA", "ada@example.com", " Ada@Example.com "])
def test_login_by_email_or_username_gives_a_token_pair(identity, login_name):
    user = registered(identity)
    pair = auth.login(identity.ports, TENANT, login_name, PASSWORD, IP)
    assert pair.access_token.startswith(f"access:{user.id}:")
    assert pair.expires_in == 900
    stored = identity.state.users[user.id]
    assert (stored.last_login_at, stored.version) == (identity.clock.now(), 1)
    assert len(identity.state.sessions) == 1
    assert kinds(identity)[-1] == AuthEventKind.LOGIN_SUCCEEDED


@pytest.mark.parametrize("who", ["wrong password", "unknown login", "banned"])
def test_every_login_failure_is_the_same_auth_001(identity, who):
    user = registered(identity)
    login_name, password = "ada", PASSWORD
    if who == "wrong password":
        password = "not the password"
    elif who == "unknown login":
        login_name = "nobody"
    else:
        identity.state.users[user.id] = identity.state.users[user.id].changed(
            "admin", identity.clock.now(), status=UserStatus.BANNED
        )
    with pytest.raises(Unauthenticated) as raised:
        auth.login(identity.ports, TENANT, login_name, password, IP)
    assert type(raised.value) is Unauthenticated
    assert raised.value.message == Unauthenticated().message
    assert kinds(identity)[-1] == AuthEventKind.LOGIN_FAILED
    assert identity.hasher.dummy_verifications == (1 if who == "unknown login" else 0)
    assert identity.state.sessions == {}


def test_an_account_locks_after_its_threshold_and_refuses_even_the_right_password(identity):
    registered(identity)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            auth.login(identity.ports, TENANT, "ada", "wrong password!", IP)
    with pytest.raises(auth.LockedOut) as third:
        auth.login(identity.ports, TENANT, "ada", "wrong password!", IP)
    assert third.value.retry_after == 900
    with pytest.raises(auth.LockedOut) as right:
        auth.login(identity.ports, TENANT, "ADA", PASSWORD, "198.51.100.1")  # same account, another address
    assert right.value.message == Unauthenticated().message
    assert kinds(identity)[-1] == AuthEventKind.LOGIN_LOCKED


@pytest.mark.parametrize(
    ("guessed_as", "tried_as"), [("ada", "ada@example.com"), ("Ada@Example.com", "ADA"), (" ada ", "ada")]
)
def test_the_lock_is_the_account_s_whichever_name_it_is_given(identity, guessed_as, tried_as):
    """Outside pass: failures counted per login text let the email dodge a lock earned by the username."""
    registered(identity)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            auth.login(identity.ports, TENANT, guessed_as, "wrong password!", IP)
    with pytest.raises(auth.LockedOut):
        auth.login(identity.ports, TENANT, guessed_as, "wrong password!", IP)
    with pytest.raises(auth.LockedOut):
        auth.login(identity.ports, TENANT, tried_as, PASSWORD, "198.51.100.1")


def test_an_unknown_login_locks_by_its_name_and_costs_a_verification_while_locked(identity):
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            auth.login(identity.ports, TENANT, "nobody", "wrong password!", IP)
    before = identity.hasher.dummy_verifications
    with pytest.raises(auth.LockedOut):
        auth.login(identity.ports, TENANT, "NOBODY", "wrong password!", "198.51.100.1")
    assert identity.hasher.dummy_verifications == before + 1


def test_a_success_forgets_the_account_s_failures(identity):
    registered(identity)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            auth.login(identity.ports, TENANT, "ada", "wrong password!", IP)
    auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    with pytest.raises(Unauthenticated) as raised:
        auth.login(identity.ports, TENANT, "ada", "wrong password!", IP)
    assert type(raised.value) is Unauthenticated  # counting starts again: not locked


def test_a_hash_made_with_old_parameters_is_replaced_at_login(identity):
    user = registered(identity)
    identity.hasher.version = 3
    auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    assert identity.state.users[user.id].password_hash == f"v3${PASSWORD}"


def test_refresh_rotates_and_a_replayed_token_revokes_its_family(identity):
    registered(identity)
    first = auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    second = auth.refresh(identity.ports, TENANT, first.refresh_token, IP)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(Unauthenticated):
        auth.refresh(identity.ports, TENANT, first.refresh_token, IP)  # replay of a used token
    assert AuthEventKind.REFRESH_REUSED in kinds(identity)
    with pytest.raises(Unauthenticated):
        auth.refresh(identity.ports, TENANT, second.refresh_token, IP)  # the family died with it
    assert all(s.revoked_at is not None for s in identity.state.sessions.values())


def test_a_replayed_refresh_token_also_ends_the_access_tokens_of_its_login(identity):
    """Outside pass: the family's refresh tokens died on a replay, its access tokens lived on."""
    registered(identity)
    first = auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    second = auth.refresh(identity.ports, TENANT, first.refresh_token, IP)
    login_session = identity.tokens.sessions[second.access_token.split(":")[2]]
    assert identity.tokens.sessions[first.access_token.split(":")[2]] == login_session  # one login, one sid
    with pytest.raises(Unauthenticated):
        auth.refresh(identity.ports, TENANT, first.refresh_token, IP)
    assert identity.revocations.revoked_logins == {str(login_session): int(identity.clock.now().timestamp()) + 3600}


def test_families_are_apart(identity):
    registered(identity)
    phone = auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    laptop = auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    auth.refresh(identity.ports, TENANT, phone.refresh_token, IP)
    with pytest.raises(Unauthenticated):
        auth.refresh(identity.ports, TENANT, phone.refresh_token, IP)
    assert auth.refresh(identity.ports, TENANT, laptop.refresh_token, IP).access_token


@pytest.mark.parametrize("case", ["unknown", "other tenant", "expired", "banned"])
def test_a_refresh_token_that_cannot_be_used_is_auth_001(identity, case):
    user = registered(identity)
    pair = auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    token, tenant = pair.refresh_token, TENANT
    if case == "unknown":
        token = auth.new_token()
    elif case == "other tenant":
        tenant = uuid4()
    elif case == "expired":
        identity.clock.advance(int(timedelta(days=15).total_seconds()))
    else:
        identity.state.users[user.id] = identity.state.users[user.id].changed(
            "admin", identity.clock.now(), status=UserStatus.BANNED
        )
    with pytest.raises(Unauthenticated):
        auth.refresh(identity.ports, tenant, token, IP)


def test_logout_revokes_the_family_and_the_access_token(identity):
    user = registered(identity)
    pair = auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    me = Principal(str(user.id), "ada", Role.USER, TENANT, token_id="jti-1", issued_at=1_700_000_000)
    auth.logout(identity.ports, me, pair.refresh_token, IP)
    assert identity.revocations.revoked_tokens == {"jti-1": int(identity.clock.now().timestamp()) + 3600}
    with pytest.raises(Unauthenticated):
        auth.refresh(identity.ports, TENANT, pair.refresh_token, IP)
    assert kinds(identity)[-1] == AuthEventKind.LOGGED_OUT


def test_logout_ends_the_caller_s_own_login_whatever_refresh_token_it_sends(identity):
    """Outside pass: a logout with a wrong refresh token answered 204 and left the session refreshing."""
    user = registered(identity)
    pair = auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    other_login = auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    jti = pair.access_token.split(":")[2]
    sid = str(identity.tokens.sessions[jti])
    me = Principal(str(user.id), "ada", Role.USER, TENANT, token_id=jti, issued_at=1_700_000_000, session_id=sid)
    auth.logout(identity.ports, me, auth.new_token(), IP)
    with pytest.raises(Unauthenticated):
        auth.refresh(identity.ports, TENANT, pair.refresh_token, IP)
    assert sid in identity.revocations.revoked_logins
    assert auth.refresh(identity.ports, TENANT, other_login.refresh_token, IP).access_token  # another login lives


def test_logout_with_someone_else_s_refresh_token_leaves_it_alone(identity):
    registered(identity)
    other = registered(identity, email="bob@example.com", username="bob")
    bobs = auth.login(identity.ports, TENANT, "bob", PASSWORD, IP)
    mallory = Principal(str(uuid4()), "mallory", Role.USER, TENANT, token_id="jti-9")
    auth.logout(identity.ports, mallory, bobs.refresh_token, IP)
    assert auth.refresh(identity.ports, TENANT, bobs.refresh_token, IP).access_token.startswith(f"access:{other.id}")


def test_forgot_password_mails_a_single_use_link_only_to_an_existing_account(identity):
    registered(identity)
    auth.forgot_password(identity.ports, TENANT, "nobody@example.com", IP)
    assert identity.deliver() == 0
    assert identity.notifier.sent == []
    auth.forgot_password(identity.ports, TENANT, "ADA@example.com", IP)
    assert identity.deliver() == 1
    (email,) = identity.notifier.sent
    assert email.to == "Ada@Example.com"
    token = email.text.split("token=")[1].split()[0]
    (reset,) = identity.state.resets.values()
    assert reset.token_hash == auth.digest(token)
    assert reset.expires_at - reset.created_at == timedelta(minutes=30)
    assert kinds(identity)[-2:] == [AuthEventKind.RESET_REQUESTED, AuthEventKind.RESET_REQUESTED]


def forgot(identity: FakeIdentity, email: str) -> tuple[int, list[Envelope]]:
    """Ask for a reset of ``email``: the units of work it opened and the messages it sent."""
    units, before = identity.units, len(identity.publisher.sent)
    auth.forgot_password(identity.ports, TENANT, email, IP)
    return identity.units - units, [message for _, message in identity.publisher.sent[before:]]


def test_forgot_password_does_the_same_work_with_or_without_an_account_and_no_token_travels(identity):
    user = registered(identity)
    known_units, (known,) = forgot(identity, "ada@example.com")
    unknown_units, (unknown,) = forgot(identity, "nobody@example.com")
    assert known_units == unknown_units == 2  # the request's transaction, then marking its message published
    assert (known.type, known.version, known.data) == ("password.reset_requested", 1, {"user_id": str(user.id)})
    assert (unknown.type, unknown.version, unknown.data) == ("password.reset_requested", 1, {"user_id": None})
    assert [row.published_at is not None for row in identity.state.outbox.values()] == [True, True]
    assert identity.state.resets == {}  # no token exists until the consumer mails it
    identity.deliver()
    (reset,) = identity.state.resets.values()
    token = identity.notifier.sent[0].text.split("token=")[1].split()[0]
    assert token not in known.to_json()
    assert reset.token_hash not in known.to_json()


def test_without_a_queue_the_reset_message_waits_in_the_outbox_for_the_relay(identity):
    registered(identity)
    identity.publisher.down = True
    auth.forgot_password(identity.ports, TENANT, "ada@example.com", IP)  # no error reaches the caller
    (row,) = identity.state.outbox.values()
    assert (row.queue, row.published_at, identity.publisher.sent) == ("notification", None, [])


@pytest.mark.parametrize(
    ("deliveries", "notifier_down_first", "emails", "resets"),
    [
        (1, False, 1, 1),  # delivered once: mailed once
        (3, False, 1, 1),  # delivered three times: mailed once, one token
        (2, True, 1, 1),  # the first send fails: rolled back (no usable token), the repeat mails it
    ],
)
def test_a_reset_request_is_mailed_once_per_message(identity, deliveries, notifier_down_first, emails, resets):
    registered(identity)
    auth.forgot_password(identity.ports, TENANT, "ada@example.com", IP)
    (queued,) = identity.publisher.sent
    data = PasswordResetRequested.model_validate(queued[1].data)
    for attempt in range(deliveries):
        identity.notifier.down = notifier_down_first and attempt == 0
        try:
            auth.mail_password_reset(identity.notification_ports, auth.AuthPolicy(), queued[1].id, TENANT, data)
        except AppError:
            assert identity.state.resets == {}
    assert (len(identity.notifier.sent), len(identity.state.resets)) == (emails, resets)


def test_a_reset_request_for_an_account_banned_since_mails_nothing(identity):
    user = registered(identity)
    auth.forgot_password(identity.ports, TENANT, "ada@example.com", IP)
    identity.state.users[user.id] = replace(user, status=UserStatus.BANNED)
    assert identity.deliver() == 0
    assert identity.state.resets == {}


def test_the_reset_consumer_refuses_another_message_type(identity):
    with pytest.raises(ValueError, match="not a password reset request"):
        auth.mail_password_reset(
            identity.notification_ports, auth.AuthPolicy(), uuid4(), TENANT, OrderPlaced(order_id=uuid4())
        )


def test_forgot_password_is_throttled_per_address(identity):
    registered(identity)
    for _ in range(5):
        auth.forgot_password(identity.ports, TENANT, "ada@example.com", IP)
    assert identity.deliver() == 3  # the third request locks the address for the next ones
    auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)  # resets are counted apart from logins


def reset_token(identity: FakeIdentity) -> str:
    auth.forgot_password(identity.ports, TENANT, "ada@example.com", IP)
    identity.deliver()
    return identity.notifier.sent[-1].text.split("token=")[1].split()[0]


def test_reset_password_sets_the_password_once_and_ends_every_session(identity):
    user = registered(identity)
    pair = auth.login(identity.ports, TENANT, "ada", PASSWORD, IP)
    token = reset_token(identity)
    auth.reset_password(identity.ports, TENANT, token, "a brand new passphrase", IP)
    assert identity.state.users[user.id].password_hash == "v2$a brand new passphrase"
    assert identity.state.users[user.id].version == 2
    assert identity.revocations.revoked_sessions == {
        (TENANT, str(user.id)): int(identity.clock.now().timestamp() * 1000)
    }
    with pytest.raises(Unauthenticated):
        auth.refresh(identity.ports, TENANT, pair.refresh_token, IP)
    with pytest.raises(ValidationFailed):
        auth.reset_password(identity.ports, TENANT, token, "another new passphrase", IP)
    auth.login(identity.ports, TENANT, "ada", "a brand new passphrase", IP)
    assert AuthEventKind.PASSWORD_RESET in kinds(identity)


def test_a_reset_voids_every_other_link_of_the_account(identity):
    """Outside pass: an older reset link still worked after a newer one had set the password."""
    registered(identity)
    older, newer = reset_token(identity), reset_token(identity)
    auth.reset_password(identity.ports, TENANT, newer, "a brand new passphrase", IP)
    with pytest.raises(ValidationFailed):
        auth.reset_password(identity.ports, TENANT, older, "yet another passphrase", IP)
    auth.login(identity.ports, TENANT, "ada", "a brand new passphrase", IP)


@pytest.mark.parametrize("case", ["unknown", "expired", "other tenant"])
def test_a_reset_token_that_cannot_be_used_is_val_002(identity, case):
    registered(identity)
    token, tenant = reset_token(identity), TENANT
    if case == "unknown":
        token = auth.new_token()
    elif case == "expired":
        identity.clock.advance(31 * 60)
    else:
        tenant = uuid4()
    with pytest.raises(ValidationFailed) as raised:
        auth.reset_password(identity.ports, tenant, token, "a brand new passphrase", IP)
    assert raised.value.details["field"] == "token"  # type: ignore[index]


def test_a_new_password_must_follow_the_policy_and_the_token_survives_a_refusal(identity):
    registered(identity)
    token = reset_token(identity)
    with pytest.raises(ValidationFailed) as raised:
        auth.reset_password(identity.ports, TENANT, token, "ada", IP)
    assert raised.value.details["field"] == "new_password"  # type: ignore[index]
    auth.reset_password(identity.ports, TENANT, token, "a brand new passphrase", IP)


def test_guessing_reset_tokens_locks_the_address(identity):
    registered(identity)
    token = reset_token(identity)
    for _ in range(3):
        with pytest.raises(ValidationFailed):
            auth.reset_password(identity.ports, TENANT, auth.new_token(), "a brand new passphrase", IP)
    # Locked, even the real one, and told so with how long to wait (attacker pass: it was "not a valid token")
    with pytest.raises(RateLimited) as locked:
        auth.reset_password(identity.ports, TENANT, token, "a brand new passphrase", IP)
    assert locked.value.code == ErrorCode.RATE_LIMITED
    assert locked.value.retry_after is not None
    assert locked.value.retry_after > 0
    assert "try again later" in locked.value.message
    auth.reset_password(identity.ports, TENANT, token, "a brand new passphrase", "198.51.100.2")


def test_every_address_key_locks_at_the_per_address_threshold():
    """Re-check pass: reset tokens tried from one address locked it after 5 (the per-account threshold), so five
    stale links behind an office NAT blocked everyone there from resetting."""
    from storefront.bootstrap import throttle_thresholds
    from storefront.config import AuthSettings

    settings = AuthSettings(default_tenant_id=TENANT, login_failures_per_account=5, login_failures_per_ip=50)
    thresholds = throttle_thresholds(settings)
    assert {key: thresholds[key] for key in ("ip", "forgot-ip", "reset-ip")} == {
        "ip": 50,
        "forgot-ip": 50,
        "reset-ip": 50,
    }
    assert {key: thresholds[key] for key in ("account", "forgot")} == {"account": 5, "forgot": 5}
