"""The user entity, its profile and settings, and the rules every user obeys."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from storefront.domain.addresses import Address, address_errors
from storefront.domain.common_passwords import COMMON_PASSWORDS
from storefront.domain.errors import Conflict, ErrorCode, FieldError, Forbidden, ValidationFailed
from storefront.domain.identity import Role
from storefront.domain.identity import UserStatus as UserStatus  # re-exported: the status is a user's
from storefront.domain.search import search_words
from storefront.domain.text import has_control_characters

T = TypeVar("T")

EMAIL_MAX = 254
USERNAME_MIN, USERNAME_MAX = 3, 50
FULL_NAME_MAX = 200
PASSWORD_MIN, PASSWORD_MAX = 12, 128
DISPLAY_NAME_MAX = 100
PHONE_MAX = 32
BIO_MAX = 2000
URL_MAX = 2048
LOCALE_MAX = 35

# local@domain with a dot in the domain, no spaces, no second @: what a mail server would route, not RFC 5322.
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+\Z")
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_PHONE = re.compile(r"\+?[0-9][0-9 ()./-]*\Z")
_LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
_TIMEZONE = re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*\Z")
# An absolute https URL of RFC 3986's characters: a host name (IDNs in their xn-- form), an optional port, then a
# path, query or fragment; a quote (the single one too, though RFC 3986 allows it: a page that puts the URL in a
# single-quoted attribute would end there), angle bracket or space has to be percent-encoded to be part of one.
_HTTPS = re.compile(
    r"(?i:https)://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?(?:[/?#][A-Za-z0-9._~:/?#\[\]@!$&()*+,;=%-]*)?\Z"
)


# Who may set what through the users, profile and admin routes (mass assignment is refused, never ignored):
# the account's owner its identity, profile and settings; an admin also its role, status and email_verified.
# Credentials and tenancy are set by no such route: a password only by register and reset-password.
OWNER_FIELDS = ("email", "username", "full_name", "profile", "settings")
ADMIN_FIELDS = ("role", "status", "email_verified")
NEVER_SET_FIELDS = ("password", "password_hash", "tenant_id")
# The password hash of an account an admin opened: no password matches it (argon2 cannot read it), so the
# account cannot sign in until its owner sets a password with forgot-password and reset-password.
NO_PASSWORD = "!"  # noqa: S105 - the marker of no password, not a password


def check_settable(role: Role, sent: Iterable[str]) -> None:
    """Forbidden (AUTH_003, ``details.field`` naming it) for the first field of ``sent`` a caller with ``role``
    may not set: credentials and the tenant for anyone, role, status and email_verified for anyone but an admin."""
    names = set(sent)
    for name in NEVER_SET_FIELDS:
        if name in names:
            reason = (
                "is set only with reset-password" if name.startswith("password") else "cannot be set by any request"
            )
            raise Forbidden(f"The field {name} cannot be set here", details={"field": name, "reason": reason})
    if role != Role.ADMIN:
        for name in ADMIN_FIELDS:
            if name in names:
                raise Forbidden(
                    f"Only an admin may set {name}", details={"field": name, "reason": "may be set by an admin only"}
                )


def login_key(value: str) -> str:
    """The form an email or username is unique and looked up in: case-insensitive, surrounding space ignored."""
    return value.strip().casefold()


@dataclass(frozen=True, slots=True)
class Profile:
    """What a user shows of themselves; every field optional."""

    display_name: str | None = None
    phone: str | None = None
    bio: str | None = None
    avatar_url: str | None = None
    address: Address | None = None

    def validated(self) -> Profile:
        """Return self when every rule holds, else raise ValidationFailed listing every broken rule."""
        _raise_if([e for e in _profile_errors(self) if e is not None])
        return self

    def patched(self, changes: Mapping[str, Any]) -> Profile:
        """This profile with ``changes`` merged in (RFC 7396): a field sent replaces the value, null clears it;
        ``address`` merges field by field into the current one (null removes it). Validated."""
        values: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in changes.items():
            if name == "address" and value is not None:
                current = {f.name: getattr(self.address, f.name) for f in fields(Address)} if self.address else {}
                values["address"] = _address({**current, **value})
            else:
                values[name] = value
        return Profile(**values).validated()


@dataclass(frozen=True, slots=True)
class Notifications:
    """Which messages a user wants."""

    email: bool = True
    sms: bool = False
    marketing: bool = False


@dataclass(frozen=True, slots=True)
class Settings:
    """A user's preferences: a BCP 47 language tag, an IANA time zone and notification choices."""

    locale: str = "en"
    timezone: str = "UTC"
    notifications: Notifications = field(default_factory=Notifications)

    def validated(self) -> Settings:
        """Return self when every rule holds, else raise ValidationFailed listing every broken rule."""
        errors = [
            _length("locale", self.locale, 2, LOCALE_MAX)
            or _matching("locale", self.locale, _LOCALE, "a language tag such as en or pt-BR"),
            None if _known_timezone(self.timezone) else _format("timezone", "an IANA time zone such as Europe/Paris"),
        ]
        _raise_if([e for e in errors if e is not None])
        return self

    def patched(self, changes: Mapping[str, Any]) -> Settings:
        """These settings with ``changes`` merged in (RFC 7396): a field sent replaces the value, null puts its
        default back; ``notifications`` merges field by field. Validated."""
        defaults = Settings()
        values: dict[str, Any] = {"locale": self.locale, "timezone": self.timezone}
        for name in ("locale", "timezone"):
            if name in changes:
                values[name] = changes[name] if changes[name] is not None else getattr(defaults, name)
        notifications = self.notifications
        sent = changes.get("notifications", {})
        if "notifications" in changes and sent is None:
            notifications = defaults.notifications
        elif sent:
            chosen = {f.name: getattr(notifications, f.name) for f in fields(Notifications)}
            for name, value in sent.items():
                chosen[name] = value if value is not None else getattr(defaults.notifications, name)
            notifications = Notifications(**chosen)
        return Settings(values["locale"], values["timezone"], notifications).validated()


@dataclass(frozen=True, slots=True)
class Identity:
    """What identifies an account and who it belongs to: what registration and admins set."""

    email: str
    username: str
    full_name: str

    def validated(self) -> Identity:
        """Return self (trimmed) when every rule holds, else raise ValidationFailed listing every broken rule."""
        trimmed = Identity(self.email.strip(), self.username.strip(), self.full_name.strip())
        _raise_if([e for e in _identity_errors(trimmed) if e is not None])
        return trimmed


@dataclass(frozen=True, slots=True)
class User:
    """An account of one tenant, with its audit trail and optimistic-lock version.

    ``password_hash`` is the password verifier's encoded hash: it never leaves the application layer.
    """

    id: UUID
    tenant_id: UUID
    identity: Identity
    role: Role
    status: UserStatus
    email_verified: bool
    last_login_at: datetime | None
    password_hash: str
    profile: Profile
    settings: Settings
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
    deleted_at: datetime | None = None

    @classmethod
    def create(
        cls,
        tenant_id: UUID,
        identity: Identity,
        password_hash: str,
        actor: str | None,
        now: datetime,
        *,
        role: Role = Role.USER,
        user_id: UUID | None = None,
    ) -> User:
        """A new active user at version 1 (``actor`` None: the user registered themselves)."""
        new_id = user_id or uuid4()
        by = actor or str(new_id)
        return cls(
            id=new_id,
            tenant_id=tenant_id,
            identity=identity.validated(),
            role=account_role(role),
            status=UserStatus.ACTIVE,
            email_verified=False,
            last_login_at=None,
            password_hash=password_hash,
            profile=Profile(),
            settings=Settings(),
            version=1,
            created_at=now,
            updated_at=now,
            created_by=by,
            updated_by=by,
        )

    @property
    def active(self) -> bool:
        """Whether the account may sign in and use its tokens."""
        return self.status == UserStatus.ACTIVE and self.deleted_at is None

    def changed(self, actor: str, now: datetime, **changes: object) -> User:
        """This user with ``changes`` applied, the next version, and the audit fields moved on."""
        return replace(self, **changes, version=self.version + 1, updated_at=now, updated_by=actor)  # type: ignore[arg-type]

    def edited(self, edit: UserEdit, actor: str, now: datetime) -> User:
        """This user with ``edit`` applied and validated, at the next version. A new email (compared
        case-insensitively) is not verified unless the edit says it is."""
        identity = Identity(
            edit.email if edit.email is not None else self.identity.email,
            edit.username if edit.username is not None else self.identity.username,
            edit.full_name if edit.full_name is not None else self.identity.full_name,
        ).validated()
        verified = self.email_verified
        if edit.email_verified is not None:
            verified = edit.email_verified
        elif login_key(identity.email) != login_key(self.identity.email):
            verified = False
        return self.changed(
            actor,
            now,
            identity=identity,
            profile=_within("profile", self.profile.patched, edit.profile)
            if edit.profile is not None
            else self.profile,
            settings=_within("settings", self.settings.patched, edit.settings)
            if edit.settings is not None
            else self.settings,
            role=account_role(edit.role) if edit.role is not None else self.role,
            status=edit.status if edit.status is not None else self.status,
            email_verified=verified,
        )

    def deleted(self, actor: str, now: datetime) -> User:
        """This user soft-deleted: gone from reads and lists; the email and username stay taken."""
        return self.changed(actor, now, deleted_at=now)

    def logged_in(self, now: datetime, password_hash: str | None = None) -> User:
        """This user after a successful login (a rehashed password replaces the stored hash); the version and
        audit fields stay: a login is not an edit a client could conflict with."""
        return replace(self, last_login_at=now, password_hash=password_hash or self.password_hash)


ACCOUNT_ROLES = (Role.USER, Role.ADMIN)


def account_role(role: Role) -> Role:
    """``role`` when an account may hold it; VAL_002 naming ``role`` for the service role, which belongs to tokens
    minted for other services (with their service key), never to a person's account: an admin giving it to one
    would hand that person the operational routes only services may call (re-check pass)."""
    if role not in ACCOUNT_ROLES:
        raise ValidationFailed.single(
            "role", ErrorCode.INVALID_FORMAT, "an account's role is user or admin; the service role is not an account's"
        )
    return role


@dataclass(frozen=True, slots=True)
class UserEdit:
    """A change asked of a user: each field given is set, None keeps the current value. ``profile`` and
    ``settings`` are merge patches of the current ones (a replacement names every field)."""

    email: str | None = None
    username: str | None = None
    full_name: str | None = None
    profile: Mapping[str, Any] | None = None
    settings: Mapping[str, Any] | None = None
    role: Role | None = None
    status: UserStatus | None = None
    email_verified: bool | None = None

    def named(self) -> list[str]:
        """The fields this edit sets."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]


def check_not_self(actor: str, user: User, what: str) -> None:
    """Conflict (BIZ_002) when an admin would change ``what`` of their own account: another admin must, so no
    admin locks themselves out by mistake."""
    if str(user.id) == actor:
        raise Conflict(
            f"An admin cannot {what} their own account",
            details={"reason": f"another admin must {what} this account"},
        )


def search_terms(identity: Identity) -> tuple[str, ...]:
    """The words a user is found by in a whole-word search (``q``): those of the username, email and full name
    (``ada.lovelace@example.com`` is found by ada, lovelace, example and com)."""
    return search_words(f"{identity.username} {identity.email} {identity.full_name}")


def check_password(password: str, identity: Identity, field_name: str = "password") -> None:
    """Raise ValidationFailed when ``password`` breaks the policy: 12..128 characters, not the account's
    email or username, not a common password (all compared case-insensitively)."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed.single(
            field_name, ErrorCode.OUT_OF_RANGE, f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long"
        )
    folded = password.casefold()
    if folded in (login_key(identity.email), login_key(identity.username)):
        raise ValidationFailed.single(field_name, ErrorCode.INVALID_FORMAT, "must not be the email or the username")
    if folded in COMMON_PASSWORDS:
        raise ValidationFailed.single(field_name, ErrorCode.INVALID_FORMAT, "is too common; choose another")


def _within(document: str, patch: Callable[[Mapping[str, Any]], T], changes: Mapping[str, Any]) -> T:
    """``patch(changes)``, its field errors named inside ``document`` (``phone`` -> ``profile.phone``)."""
    try:
        return patch(changes)
    except ValidationFailed as failed:
        raise ValidationFailed(
            [FieldError(f"{document}.{e.field}", e.code, e.reason) for e in failed.errors], failed.message
        ) from None


def _address(values: Mapping[str, Any]) -> Address:
    """An address from its fields; VAL_001 naming each required one that is missing or null."""
    missing = [name for name in ("line1", "city", "postal_code", "country") if values.get(name) is None]
    if missing:
        raise ValidationFailed([FieldError(f"address.{name}", ErrorCode.REQUIRED, "is required") for name in missing])
    return Address(
        line1=values["line1"],
        city=values["city"],
        postal_code=values["postal_code"],
        country=values["country"],
        line2=values.get("line2"),
    ).trimmed()


def _raise_if(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


def _format(field_name: str, expected: str) -> FieldError:
    return FieldError(field_name, ErrorCode.INVALID_FORMAT, f"must be {expected}")


def _matching(field_name: str, value: str | None, pattern: re.Pattern[str], expected: str) -> FieldError | None:
    if value is not None and not pattern.match(value):
        return _format(field_name, expected)
    return None


def _one_line(field_name: str, value: str | None) -> FieldError | None:
    if value is not None and has_control_characters(value):
        return _format(field_name, "one line without control characters")
    return None


def _length(field_name: str, value: str | None, low: int, high: int) -> FieldError | None:
    if value is not None and not low <= len(value) <= high:
        return FieldError(field_name, ErrorCode.OUT_OF_RANGE, f"must be {low} to {high} characters long")
    return None


def _identity_errors(i: Identity) -> list[FieldError | None]:
    username_rule = "letters, digits, '.', '_' or '-', starting with a letter or digit"
    return [
        _length("email", i.email, 3, EMAIL_MAX)
        or _matching("email", i.email, _EMAIL, "an email address such as ada@example.com"),
        _length("username", i.username, USERNAME_MIN, USERNAME_MAX)
        or _matching("username", i.username, _USERNAME, username_rule),
        _length("full_name", i.full_name, 1, FULL_NAME_MAX) or _one_line("full_name", i.full_name),
    ]


def _profile_errors(p: Profile) -> list[FieldError | None]:
    errors: list[FieldError | None] = [
        _length("display_name", p.display_name, 1, DISPLAY_NAME_MAX) or _one_line("display_name", p.display_name),
        _length("phone", p.phone, 3, PHONE_MAX)
        or _matching("phone", p.phone, _PHONE, "digits, spaces and + ( ) . / -"),
        _length("bio", p.bio, 0, BIO_MAX),
        _length("avatar_url", p.avatar_url, 1, URL_MAX)
        or _matching("avatar_url", p.avatar_url, _HTTPS, "an https:// URL"),
    ]
    if p.address is not None:
        errors += address_errors(p.address, "address")
    return errors


def _known_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone the runtime knows (zoneinfo reads its database)."""
    if not _TIMEZONE.match(name) or ".." in name:
        return False
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
