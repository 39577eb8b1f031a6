"""Authentication use cases: register, login, refresh, logout, forgot and reset a password.

Secrets never stored in the clear: passwords as argon2id hashes (``PasswordHasher``), refresh and reset
tokens as SHA-256 digests (they are 256-bit random values, so a fast digest is enough). Every outcome is
appended to the audit trail in the same transaction as the change it describes; a failed login is
recorded in a transaction of its own (nothing else changes).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn
from uuid import UUID, uuid4

from storefront.application.outbox import publish_committed
from storefront.application.ports import (
    AccessTokenIssuer,
    Clock,
    Email,
    IdentityUnitOfWork,
    ListTotals,
    LoginThrottle,
    MessagePublisher,
    NotificationPorts,
    PasswordHasher,
    Revocations,
)
from storefront.application.user_queries import totals_scope
from storefront.domain.errors import AppError, ErrorCode, RateLimited, Unauthenticated, ValidationFailed
from storefront.domain.identity import Principal
from storefront.domain.sessions import AuthEvent, AuthEventKind, PasswordReset, RefreshSession
from storefront.domain.users import Identity, User, check_password, login_key
from storefront.messages.envelope import MessageData, envelope
from storefront.messages.identity import RESET_QUEUE, PasswordResetRequested
from storefront.observability import logger

TOKEN_BYTES = 32


@dataclass(frozen=True, slots=True)
class AuthPolicy:
    """How long sessions and resets live, and where a reset link points (``{token}`` is replaced)."""

    refresh_lifetime: timedelta = timedelta(days=14)
    access_lifetime_max: int = 3600  # seconds: no access token lives longer (the contract's bound)
    reset_lifetime: timedelta = timedelta(minutes=30)
    reset_link: str = "http://127.0.0.1:3000/reset-password?token={token}"


@dataclass(frozen=True, slots=True)
class AuthPorts:
    """What the authentication use cases need."""

    unit_of_work: Callable[[], IdentityUnitOfWork]
    hasher: PasswordHasher
    tokens: AccessTokenIssuer
    revocations: Revocations
    throttle: LoginThrottle
    clock: Clock
    totals: ListTotals  # the remembered user list totals: a registration makes them forget
    policy: AuthPolicy = AuthPolicy()
    # Sends a reset request's message right after its commit (None: the outbox keeps it for the relay).
    publisher: MessagePublisher | None = None


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What a login or a refresh answers."""

    access_token: str
    refresh_token: str
    expires_in: int


class LockedOut(Unauthenticated):
    """A login refused while the account or the client is locked: the same code and message as a wrong
    password, plus how long to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after: int | None = retry_after


class ResetsLockedOut(RateLimited):
    """A password reset refused while the client's address is locked for guessing tokens: 429 with how long to
    wait, never "not a valid token" (the link may be valid: the user must learn to wait, not to ask again)."""

    default_message = "Too many password reset attempts from this address; try again later"

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after: int | None = retry_after


def digest(token: str) -> str:
    """The stored form of a refresh or reset token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh opaque token: 256 random bits, URL-safe."""
    return base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).rstrip(b"=").decode()


def register(ports: AuthPorts, tenant_id: UUID, identity: Identity, password: str, client_ip: str | None) -> User:
    """Open an account (BIZ_002 when the email or username is taken in the tenant)."""
    checked = identity.validated()
    check_password(password, checked)
    now = ports.clock.now()
    user = User.create(tenant_id, checked, ports.hasher.hash(password), None, now)
    with ports.unit_of_work() as uow:
        uow.users.add(user)
        uow.auth_events.record(_event(user.tenant_id, user.id, AuthEventKind.REGISTERED, now, client_ip))
        uow.commit()
    ports.totals.forget(totals_scope(tenant_id))
    return user


def login(ports: AuthPorts, tenant_id: UUID, login_name: str, password: str, client_ip: str | None) -> TokenPair:
    """Exchange a login (email or username) and password for a token pair.

    Whatever fails (unknown login, wrong password, banned account, a lock) answers the same AUTH_001; an
    unknown login still costs one password verification, so the time does not tell either. Failures count
    against the account, whichever of its email or username is given (an unknown login by its name).
    """
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        user = uow.users.find_by_login(tenant_id, login_name)
    keys = _throttle_keys(tenant_id, str(user.id) if user else login_name, client_ip)
    locked = ports.throttle.retry_after(keys)
    if locked is not None:
        ports.hasher.verify_nothing(password)  # a lock answers no sooner than a wrong password
        _record_failure(ports, tenant_id, user.id if user else None, AuthEventKind.LOGIN_LOCKED, now, client_ip)
        raise LockedOut(locked)
    if user is None:
        ports.hasher.verify_nothing(password)
        _refuse_login(ports, keys, tenant_id, None, now, client_ip)
    if not ports.hasher.verify(user.password_hash, password):
        _refuse_login(ports, keys, tenant_id, user.id, now, client_ip)
    if not user.active:
        _refuse_login(ports, keys, tenant_id, user.id, now, client_ip, "account banned")
    ports.throttle.succeeded(keys[0])
    rehashed = ports.hasher.hash(password) if ports.hasher.needs_rehash(user.password_hash) else None
    signed_in = user.logged_in(now, rehashed)
    refresh, family_id = new_token(), uuid4()
    with ports.unit_of_work() as uow:
        uow.users.record_login(signed_in)
        uow.refresh_sessions.add(_session(signed_in, family_id, refresh, now, ports.policy))
        uow.auth_events.record(_event(tenant_id, user.id, AuthEventKind.LOGIN_SUCCEEDED, now, client_ip))
        uow.commit()
    return _pair(ports, signed_in, family_id, refresh, now)


def refresh(ports: AuthPorts, tenant_id: UUID, refresh_token: str, client_ip: str | None) -> TokenPair:
    """Rotate a refresh token: the presented one is used up, a new one of the same family is returned.

    Presenting a token that was already used (or losing the race to use it) means it leaked: the whole
    family is revoked with every access token issued in it, and the audit trail says so.
    """
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        session = uow.refresh_sessions.find(digest(refresh_token))
        if session is None or session.tenant_id != tenant_id or session.revoked_at is not None:
            raise Unauthenticated()
        if session.used_at is not None or not uow.refresh_sessions.mark_used(session.id, now):
            _revoke_reused_family(uow, session, now, client_ip)
            _end_access(ports, session.family_id, now)
            raise Unauthenticated()
        user = uow.users.get(session.tenant_id, session.user_id)
        if now >= session.expires_at or user is None or not user.active:
            raise Unauthenticated()  # rolled back: the expired or orphaned token stays as it was
        rotated = new_token()
        uow.refresh_sessions.add(_session(user, session.family_id, rotated, now, ports.policy))
        uow.auth_events.record(_event(tenant_id, user.id, AuthEventKind.REFRESHED, now, client_ip))
        uow.commit()
    return _pair(ports, user, session.family_id, rotated, now)


def logout(ports: AuthPorts, principal: Principal, refresh_token: str, client_ip: str | None) -> None:
    """End the caller's session: the login the access token belongs to (its ``sid``) is revoked, refresh
    tokens and access tokens alike, and so is the family of ``refresh_token`` when it is the caller's (a
    token of someone else's changes nothing). The access token presented is refused from the next request
    on, even one without a ``sid``."""
    now = ports.clock.now()
    families: set[UUID] = set()
    own_session = _uuid(principal.session_id) if principal.session_id else None
    with ports.unit_of_work() as uow:
        session = uow.refresh_sessions.find(digest(refresh_token))
        if (
            session is not None
            and str(session.user_id) == principal.user_id
            and session.tenant_id == principal.tenant_id
        ):
            families.add(session.family_id)
        if own_session is not None:
            families.add(own_session)
        for family_id in sorted(families):
            uow.refresh_sessions.revoke_family(family_id, now)
        uow.auth_events.record(
            _event(principal.tenant_id, _uuid(principal.user_id), AuthEventKind.LOGGED_OUT, now, client_ip)
        )
        uow.commit()
    if principal.token_id is not None:
        ports.revocations.revoke_token(principal.token_id, _access_deadline(ports, now))
    for family_id in sorted(families):
        _end_access(ports, family_id, now)


def forgot_password(ports: AuthPorts, tenant_id: UUID, email: str, client_ip: str | None) -> None:
    """Ask the notification queue to mail a single-use reset link when ``email`` names an active account; say
    nothing either way.

    Both cases do the same work (one lookup, one outbox row, one audit row, one commit, one send): the message
    names the account, or nobody, and never carries a token (``mail_password_reset`` makes it)."""
    now = ports.clock.now()
    keys = _throttle_keys(tenant_id, email, client_ip, ("forgot", "forgot-ip"))
    if ports.throttle.retry_after(keys) is not None:
        return  # answered like any other request: a locked-out caller learns nothing either
    ports.throttle.failed(keys)  # every request counts: resets are limited like failed logins
    with ports.unit_of_work() as uow:
        user = uow.users.find_by_email(tenant_id, email)
        known = user.id if user is not None and user.active else None
        message = envelope(PasswordResetRequested(user_id=known), tenant_id=tenant_id, occurred_at=now)
        uow.outbox.add(RESET_QUEUE, message)
        detail = None if user is not None else "no such account"
        uow.auth_events.record(
            _event(tenant_id, user.id if user else None, AuthEventKind.RESET_REQUESTED, now, client_ip, detail)
        )
        uow.commit()
    publish_committed(ports.unit_of_work, ports.publisher, ports.clock, [(RESET_QUEUE, message)])


def mail_password_reset(
    ports: NotificationPorts, policy: AuthPolicy, message_id: UUID, tenant_id: UUID, data: MessageData
) -> bool:
    """Create a reset token for the account ``password.reset_requested`` names and mail its link, once per
    message: the NOTIFICATIONS_SENT claim, the reset row (the token's digest) and the send share one transaction,
    so a repeat finds the claim and a failed send leaves no usable token behind. True when an email went out;
    a message naming nobody, or an account no longer active, sends nothing. ValueError for another type."""
    if not isinstance(data, PasswordResetRequested):
        raise ValueError(f"not a password reset request: {type(data).__name__}")
    if data.user_id is None:
        return False  # the email named no account: the request wrote this message only to cost the same
    now = ports.clock.now()
    with ports.unit_of_work() as uow:
        user = uow.users.get(tenant_id, data.user_id)
        if user is None or not user.active:
            logger.info("no active account to mail a reset link to", extra={"user_id": str(data.user_id)})
            return False
        if not uow.notifications_sent.claim(message_id, tenant_id, type(data).__name__, now):
            logger.info("reset link already mailed", extra={"user_id": str(user.id)})
            return False
        token = new_token()
        uow.password_resets.add(
            PasswordReset(uuid4(), tenant_id, user.id, digest(token), now, now + policy.reset_lifetime)
        )
        ports.notifier.send(_reset_email(user, policy.reset_link.replace("{token}", token), policy))
        uow.commit()
    return True


def reset_password(ports: AuthPorts, tenant_id: UUID, token: str, new_password: str, client_ip: str | None) -> None:
    """Set a new password with a reset token (single use) and end every session of the account."""
    now = ports.clock.now()
    keys = (f"reset-ip:{client_ip}",) if client_ip else ()
    wait = ports.throttle.retry_after(keys) if keys else None
    if wait is not None:
        raise ResetsLockedOut(wait)
    with ports.unit_of_work() as uow:
        reset = uow.password_resets.find(digest(token))
        user = uow.users.get(reset.tenant_id, reset.user_id) if reset is not None else None
        if reset is None or reset.tenant_id != tenant_id or not reset.usable(now) or user is None or not user.active:
            if keys:
                ports.throttle.failed(keys)
            raise _bad_reset_token()
        check_password(new_password, user.identity, "new_password")
        changed = user.changed(str(user.id), now, password_hash=ports.hasher.hash(new_password))
        if not uow.password_resets.mark_used(reset.id, now) or not uow.users.update(changed, user.version):
            raise _bad_reset_token()
        uow.password_resets.void_user(tenant_id, user.id, now)  # older links die with the password they reset
        uow.refresh_sessions.revoke_user(tenant_id, user.id, now)
        uow.auth_events.record(_event(tenant_id, user.id, AuthEventKind.PASSWORD_RESET, now, client_ip))
        uow.commit()
    ports.revocations.revoke_sessions(tenant_id, str(user.id), epoch_ms(now))


def epoch_ms(moment: datetime) -> int:
    """``moment`` in milliseconds since the epoch (the revocation checks' resolution)."""
    return int(moment.timestamp() * 1000)


def _access_deadline(ports: AuthPorts, now: datetime) -> int:
    """Until when a revocation must last: the longest an access token issued now could live."""
    return int(now.timestamp()) + ports.policy.access_lifetime_max


def _end_access(ports: AuthPorts, family_id: UUID, now: datetime) -> None:
    """Refuse every access token issued in the login ``family_id`` (its ``sid``)."""
    ports.revocations.revoke_session(str(family_id), _access_deadline(ports, now))


def _refuse_login(
    ports: AuthPorts,
    keys: tuple[str, ...],
    tenant_id: UUID,
    user_id: UUID | None,
    now: datetime,
    client_ip: str | None,
    detail: str | None = None,
) -> NoReturn:
    locked = ports.throttle.failed(keys)
    _record_failure(ports, tenant_id, user_id, AuthEventKind.LOGIN_FAILED, now, client_ip, detail)
    if locked is not None:
        raise LockedOut(locked)
    raise Unauthenticated()


def _record_failure(
    ports: AuthPorts,
    tenant_id: UUID,
    user_id: UUID | None,
    kind: AuthEventKind,
    now: datetime,
    client_ip: str | None,
    detail: str | None = None,
) -> None:
    with ports.unit_of_work() as uow:
        uow.auth_events.record(_event(tenant_id, user_id, kind, now, client_ip, detail))
        uow.commit()


def _revoke_reused_family(
    uow: IdentityUnitOfWork, session: RefreshSession, now: datetime, client_ip: str | None
) -> None:
    uow.refresh_sessions.revoke_family(session.family_id, now)
    uow.auth_events.record(
        _event(
            session.tenant_id,
            session.user_id,
            AuthEventKind.REFRESH_REUSED,
            now,
            client_ip,
            f"family {session.family_id}",
        )
    )
    uow.commit()


def _throttle_keys(
    tenant_id: UUID, account_name: str, client_ip: str | None, kinds: tuple[str, str] = ("account", "ip")
) -> tuple[str, ...]:
    """The throttle's keys of a request: the account (its id, or the name given when none matches; hashed:
    keys are not secret stores) and the client address. Logins and reset requests count under different
    kinds, so neither locks the other."""
    account = f"{kinds[0]}:{tenant_id}:{hashlib.sha256(login_key(account_name).encode()).hexdigest()[:32]}"
    return (account, f"{kinds[1]}:{client_ip}") if client_ip else (account,)


def _session(user: User, family_id: UUID, token: str, now: datetime, policy: AuthPolicy) -> RefreshSession:
    return RefreshSession(
        uuid4(), user.tenant_id, user.id, family_id, digest(token), now, now + policy.refresh_lifetime
    )


def _pair(ports: AuthPorts, user: User, family_id: UUID, refresh_token: str, now: datetime) -> TokenPair:
    access = ports.tokens.issue(user, now, family_id)
    return TokenPair(access.token, refresh_token, access.lifetime_seconds)


def _event(
    tenant_id: UUID,
    user_id: UUID | None,
    kind: AuthEventKind,
    now: datetime,
    client_ip: str | None,
    detail: str | None = None,
) -> AuthEvent:
    return AuthEvent(uuid4(), tenant_id, user_id, kind, now, client_ip, detail)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def _bad_reset_token() -> AppError:
    return ValidationFailed.single(
        "token", ErrorCode.INVALID_FORMAT, "is not a valid reset token (used, expired or unknown)"
    )


def _reset_email(user: User, link: str, policy: AuthPolicy) -> Email:
    minutes = int(policy.reset_lifetime.total_seconds() // 60)
    name = user.identity.full_name
    text = (
        f"Hello {name},\n\nSomeone asked to reset the password of your Storefront account ({user.identity.username}).\n"
        f"Open this link within {minutes} minutes to choose a new one:\n\n{link}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n"
    )
    html = (
        f"<p>Hello {_escape(name)},</p><p>Someone asked to reset the password of your Storefront account "
        f'({_escape(user.identity.username)}).</p><p><a href="{_escape(link)}">Choose a new password</a> within '
        f"{minutes} minutes.</p><p>If it was not you, ignore this message: your password stays as it is.</p>"
    )
    return Email(to=user.identity.email, subject="Reset your Storefront password", text=text, html=html)


def _escape(value: str) -> str:
    return html.escape(value, quote=True)
