"""Users over HTTP: request bodies, the representation clients get (never the password hash or token
material), field selection and sorting, and the answers the users, profile and admin functions share.

Mass assignment is refused, never ignored: a body may name ``role``, ``status`` and ``email_verified`` (an
admin's to set) and ``password``, ``password_hash`` and ``tenant_id`` (nobody's here), and the caller gets
403 AUTH_003 naming the first it may not set (``storefront.domain.users.check_settable``) before any of
their values is judged. The base fields (``id``, ``version``, ``created_*``, ``updated_*``) and
``last_login_at`` may be sent back unchanged: they are ignored (``version`` guards the write).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, WithJsonSchema
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema

from storefront.application.user_queries import USER_SORT_FIELDS
from storefront.domain.errors import ErrorCode, FieldError, Forbidden, ValidationFailed
from storefront.domain.identity import Principal, Role
from storefront.domain.timestamps import iso_utc
from storefront.domain.users import (
    BIO_MAX,
    DISPLAY_NAME_MAX,
    EMAIL_MAX,
    FULL_NAME_MAX,
    LOCALE_MAX,
    PHONE_MAX,
    URL_MAX,
    USERNAME_MAX,
    USERNAME_MIN,
    Identity,
    Profile,
    Settings,
    User,
    UserEdit,
    UserStatus,
    check_settable,
)
from storefront.http.addresses import AddressIn, AddressOut, AddressPatch, present_address
from storefront.http.conditional import tagged_read, tagged_write
from storefront.http.openapi import PageMeta, envelope
from storefront.http.request_body import READ_ONLY, RequestBody, StrictBody
from storefront.http.selection import no_field_required, parse_fields, pick_fields

USERS_TAG = "users"
PROFILE_TAG = "profile"
ADMIN_TAG = "admin"
SEARCH_HELP = (
    "Whole-word search over username, email and full name: every word of q (up to 8) must be one of their words, "
    "in any order, case-insensitively; words are runs of letters and digits ('ada lovelace' finds "
    "ada.lovelace@example.com; 'love' does not)."
)
LIST_HELP = (
    "`limit` (1..100) and `offset` (0..10000) or `cursor` (from `meta.pagination.next_cursor`), `sort` "
    "(created_at, updated_at, email, username, last_login_at: users who never signed in come first in ascending "
    "order, last in descending) and `order`, filters `status`, `role` and `q` (whole-word search over username, "
    "email and full name), `fields` to select fields."
)


def _time(value: datetime | None) -> str | None:
    return iso_utc(value) if value is not None else None


def present_profile(profile: Profile) -> dict[str, Any]:
    """A profile as clients see it."""
    address = None if profile.address is None else present_address(profile.address)
    return {
        "display_name": profile.display_name,
        "phone": profile.phone,
        "bio": profile.bio,
        "avatar_url": profile.avatar_url,
        "address": address,
    }


def present_settings(settings: Settings) -> dict[str, Any]:
    """Settings as clients see them."""
    n = settings.notifications
    return {
        "locale": settings.locale,
        "timezone": settings.timezone,
        "notifications": {"email": n.email, "sms": n.sms, "marketing": n.marketing},
    }


def present_user(user: User, selected: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A user as clients see it: the contract's fields and the base fields, nothing secret (or only the
    ``selected`` fields)."""
    full = {
        "id": str(user.id),
        "email": user.identity.email,
        "username": user.identity.username,
        "full_name": user.identity.full_name,
        "role": user.role.value,
        "status": user.status.value,
        "email_verified": user.email_verified,
        "last_login_at": _time(user.last_login_at),
        "profile": present_profile(user.profile),
        "settings": present_settings(user.settings),
        "version": user.version,
        "created_at": _time(user.created_at),
        "updated_at": _time(user.updated_at),
        "created_by": user.created_by,
        "updated_by": user.updated_by,
    }
    return pick_fields(full, selected)


# Representations ----------------------------------------------------------------------------------------


class ProfileOut(BaseModel):
    """What a user shows of themselves."""

    display_name: str | None
    phone: str | None
    bio: str | None
    avatar_url: str | None
    address: AddressOut | None


class NotificationsOut(BaseModel):
    email: bool
    sms: bool
    marketing: bool


class SettingsOut(BaseModel):
    """A user's preferences."""

    locale: str
    timezone: str
    notifications: NotificationsOut


class UserOut(BaseModel):
    """A user as clients see it."""

    id: UUID
    email: str
    username: str
    full_name: str
    role: Role
    status: UserStatus
    email_verified: bool
    last_login_at: datetime | None
    profile: ProfileOut
    settings: SettingsOut
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str


class UserSelection(UserOut):
    """A user, or only the fields asked for with `?fields=`."""

    model_config = ConfigDict(json_schema_extra=no_field_required)


USER_FIELDS = tuple(UserOut.model_fields)
UserEnvelope = envelope("UserEnvelope", UserOut)
UserSelectionEnvelope = envelope("UserSelectionEnvelope", UserSelection)
UserPageEnvelope = envelope("UserPageEnvelope", list[UserSelection], PageMeta)
ProfileEnvelope = envelope("ProfileEnvelope", ProfileOut)
SettingsEnvelope = envelope("SettingsEnvelope", SettingsOut)


# Request bodies -----------------------------------------------------------------------------------------

# The domain's rules, in the OpenAPI schema only: the domain checks them and names each broken rule itself.
EMAIL_RULES: JsonDict = {"minLength": 3, "maxLength": EMAIL_MAX, "pattern": r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$"}
USERNAME_RULES: JsonDict = {
    "minLength": USERNAME_MIN,
    "maxLength": USERNAME_MAX,
    "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
}
FULL_NAME_RULES: JsonDict = {"minLength": 1, "maxLength": FULL_NAME_MAX, "pattern": r"\S"}


def _drop_default(schema: JsonDict) -> None:
    schema.pop("default", None)


def _only(schema: JsonDict) -> WithJsonSchema:
    """A field whose schema is exactly ``schema`` (and whose value the route judges itself)."""
    return WithJsonSchema(schema)


# Fields only an admin may send: their values are judged after the permission check.
AdminRole = Annotated[
    Any,
    _only({"type": "string", "enum": [r.value for r in Role], "description": "Admin only (403 otherwise)."}),
]
AdminStatus = Annotated[
    Any,
    _only({"type": "string", "enum": [s.value for s in UserStatus], "description": "Admin only (403 otherwise)."}),
]
AdminFlag = Annotated[Any, _only({"type": "boolean", "description": "Admin only (403 otherwise)."})]
# Fields no route here sets: sending one is 403 AUTH_003 naming it. Not in the documented schema.
Refused = SkipJsonSchema[Any]


class _Body(RequestBody):
    """A request body of these routes: unknown fields are 422, the server's own fields (the base fields and
    ``last_login_at``) are ignored, and the fields the caller may not set are refused by name (``refuse``)."""

    IGNORED = READ_ONLY | {"last_login_at"}

    password: Refused = Field(None, exclude=True)
    password_hash: Refused = Field(None, exclude=True)
    tenant_id: Refused = Field(None, exclude=True)

    def refuse(self, principal: Principal) -> None:
        """AUTH_003 naming the first field of the body the caller may not set."""
        check_settable(principal.role, self.model_fields_set)


_PROFILE_RULES: dict[str, JsonDict] = {
    "display_name": {"minLength": 1, "maxLength": DISPLAY_NAME_MAX},
    "phone": {"minLength": 3, "maxLength": PHONE_MAX, "pattern": r"^\+?[0-9][0-9 ()./-]*$"},
    "bio": {"maxLength": BIO_MAX},
    "avatar_url": {"minLength": 9, "maxLength": URL_MAX, "pattern": r"^https://\S+$"},
}


class ProfileFields(StrictBody):
    """A whole profile; a field left out is empty."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "display_name": "Ada",
                    "phone": "+44 20 7946 0000",
                    "bio": "Analyst of engines",
                    "avatar_url": "https://example.com/ada.png",
                    "address": {"line1": "12 St James's Square", "city": "London", "postal_code": "SW1Y 4JH",
                                "country": "GB"},
                }
            ]
        }
    )  # fmt: skip

    display_name: str | None = Field(None, json_schema_extra=_PROFILE_RULES["display_name"])
    phone: str | None = Field(None, json_schema_extra=_PROFILE_RULES["phone"])
    bio: str | None = Field(None, json_schema_extra=_PROFILE_RULES["bio"])
    avatar_url: str | None = Field(None, json_schema_extra=_PROFILE_RULES["avatar_url"])
    address: AddressIn | None = None

    def replacement(self) -> dict[str, Any]:
        """The merge patch that makes the profile this one (every field named)."""
        return {
            name: getattr(self, name) if name != "address" or self.address is None else self.address.model_dump()
            for name in ("display_name", "phone", "bio", "avatar_url", "address")
        }


class ProfilePatch(StrictBody):
    """Some fields of a profile, merged into the current one (RFC 7396): null clears a field."""

    display_name: str | None = Field(None, json_schema_extra=_PROFILE_RULES["display_name"])
    phone: str | None = Field(None, json_schema_extra=_PROFILE_RULES["phone"])
    bio: str | None = Field(None, json_schema_extra=_PROFILE_RULES["bio"])
    avatar_url: str | None = Field(None, json_schema_extra=_PROFILE_RULES["avatar_url"])
    address: AddressPatch | None = None


LOCALE_RULES: JsonDict = {"minLength": 2, "maxLength": LOCALE_MAX, "pattern": r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"}
TIMEZONE_RULES: JsonDict = {"minLength": 1, "maxLength": 64, "description": "An IANA time zone (Europe/Paris)."}


class NotificationsIn(StrictBody):
    email: StrictBool = True
    sms: StrictBool = False
    marketing: StrictBool = False


class NotificationsPatch(StrictBody):
    email: StrictBool | None = None
    sms: StrictBool | None = None
    marketing: StrictBool | None = None


class SettingsFields(StrictBody):
    """Whole settings; a field left out takes its default (en, UTC, email notifications only)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"locale": "en-GB", "timezone": "Europe/London", "notifications": {"email": True, "sms": False,
                                                                                   "marketing": False}}
            ]
        }
    )  # fmt: skip

    locale: str = Field("en", json_schema_extra=LOCALE_RULES)
    timezone: str = Field("UTC", json_schema_extra=TIMEZONE_RULES)
    notifications: NotificationsIn = Field(default_factory=NotificationsIn)

    def replacement(self) -> dict[str, Any]:
        """The merge patch that makes the settings these (every field named)."""
        return {"locale": self.locale, "timezone": self.timezone, "notifications": self.notifications.model_dump()}


class SettingsPatch(StrictBody):
    """Some settings, merged into the current ones (RFC 7396): null puts a default back."""

    locale: str | None = Field(None, json_schema_extra=LOCALE_RULES)
    timezone: str | None = Field(None, json_schema_extra=TIMEZONE_RULES)
    notifications: NotificationsPatch | None = None


class _UserBody(_Body):
    """What a user body shares: the admin-only fields, judged after the permission check."""

    role: AdminRole = Field(None, json_schema_extra=_drop_default)
    status: AdminStatus = Field(None, json_schema_extra=_drop_default)
    email_verified: AdminFlag = Field(None, json_schema_extra=_drop_default)

    def admin_fields(self) -> dict[str, Any]:
        """The admin-only fields sent, as domain values; VAL_002 naming a malformed one."""
        values: dict[str, Any] = {}
        if "role" in self.model_fields_set:
            values["role"] = _choice("role", self.role, Role)
        if "status" in self.model_fields_set:
            values["status"] = _choice("status", self.status, UserStatus)
        if "email_verified" in self.model_fields_set:
            if type(self.email_verified) is not bool:
                raise ValidationFailed.single("email_verified", ErrorCode.INVALID_FORMAT, "must be true or false")
            values["email_verified"] = self.email_verified
        return values


E = TypeVar("E", Role, UserStatus)


def _choice(name: str, value: Any, kind: type[E]) -> E:
    allowed = [member.value for member in kind]
    if not isinstance(value, str) or value not in allowed:
        raise ValidationFailed.single(name, ErrorCode.INVALID_FORMAT, f"must be one of {', '.join(allowed)}")
    return kind(value)


_NEW_USER_EXAMPLE: JsonDict = {
    "email": "grace@example.com",
    "username": "grace",
    "full_name": "Grace Hopper",
    "role": "user",
    "profile": {"display_name": "Grace"},
}


class UserCreateIn(_UserBody):
    """A new account (admin): identity, optionally role, status, email_verified, profile and settings. It has
    no password: its owner sets one with forgot-password and reset-password."""

    model_config = ConfigDict(json_schema_extra={"examples": [_NEW_USER_EXAMPLE]})

    email: str = Field(json_schema_extra=EMAIL_RULES)
    username: str = Field(json_schema_extra=USERNAME_RULES)
    full_name: str = Field(json_schema_extra=FULL_NAME_RULES)
    profile: ProfileFields | None = None
    settings: SettingsFields | None = None

    def identity(self) -> Identity:
        """The new account's identity (the domain trims and checks it)."""
        return Identity(self.email, self.username, self.full_name)

    def to_edit(self, principal: Principal) -> UserEdit:
        """What the account starts with beyond its identity; AUTH_003 first for a field the caller may not set."""
        self.refuse(principal)
        return UserEdit(
            profile=self.profile.replacement() if self.profile is not None else None,
            settings=self.settings.replacement() if self.settings is not None else None,
            **self.admin_fields(),
        )


class UserIn(_UserBody):
    """A user's identity, profile and settings replaced (PUT): a profile or settings left out become empty or
    default. Role, status and email_verified (admin only) keep their values unless sent."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "ada@example.com", "username": "ada", "full_name": "Ada King"}]}
    )

    email: str = Field(json_schema_extra=EMAIL_RULES)
    username: str = Field(json_schema_extra=USERNAME_RULES)
    full_name: str = Field(json_schema_extra=FULL_NAME_RULES)
    profile: ProfileFields | None = None
    settings: SettingsFields | None = None
    version: StrictInt | None = None

    def to_edit(self, principal: Principal) -> UserEdit:
        """The edit this body asks for; AUTH_003 first for a field the caller may not set."""
        self.refuse(principal)
        return UserEdit(
            email=self.email,
            username=self.username,
            full_name=self.full_name,
            profile=(self.profile or ProfileFields()).replacement(),
            settings=(self.settings or SettingsFields()).replacement(),
            **self.admin_fields(),
        )


class UserPatch(_UserBody):
    """Some fields of a user (PATCH, also as application/merge-patch+json): a field left out keeps its value;
    `profile` and `settings` merge into the current ones field by field (null clears a profile field, puts a
    setting's default back; `profile: null` empties the profile)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"full_name": "Ada King"}, {"profile": {"bio": "Analyst"}}]}
    )

    email: str | None = Field(None, json_schema_extra=EMAIL_RULES)
    username: str | None = Field(None, json_schema_extra=USERNAME_RULES)
    full_name: str | None = Field(None, json_schema_extra=FULL_NAME_RULES)
    profile: ProfilePatch | None = None
    settings: SettingsPatch | None = None
    version: StrictInt | None = None

    def to_edit(self, principal: Principal) -> UserEdit:
        """The edit this body asks for; AUTH_003 first for a field the caller may not set, VAL_001 for an empty
        body or a null identity field."""
        self.refuse(principal)
        sent = self.model_fields_set - {"version"}
        if not sent:
            raise ValidationFailed.single("body", ErrorCode.REQUIRED, "names no field to change")
        nulls = [name for name in ("email", "username", "full_name") if name in sent and getattr(self, name) is None]
        if nulls:
            raise ValidationFailed.single(nulls[0], ErrorCode.REQUIRED, "may not be null")
        changes = self.model_dump(include={"profile", "settings"}, exclude_unset=True)
        return UserEdit(
            email=self.email,
            username=self.username,
            full_name=self.full_name,
            profile=_patch(changes, "profile", ProfilePatch),
            settings=_patch(changes, "settings", SettingsPatch),
            **self.admin_fields(),
        )


def _patch(changes: Mapping[str, Any], name: str, model: type[BaseModel]) -> Mapping[str, Any] | None:
    """The merge patch sent for ``name``: what was sent, or every field null when the whole document was."""
    if name not in changes:
        return None
    if changes[name] is None:
        return dict.fromkeys(model.model_fields)
    return dict(changes[name])


class _DocumentBody(_Body):
    """The body of a PUT of the profile or the settings: `version` (or If-Match) guards the write; account fields
    are not set through these routes, by anyone (403 AUTH_003 naming them)."""

    version: StrictInt | None = None
    role: Refused = Field(None, exclude=True)
    status: Refused = Field(None, exclude=True)
    email_verified: Refused = Field(None, exclude=True)


class ProfileIn(_DocumentBody, ProfileFields):
    """A whole profile (PUT): a field left out is empty. `version` (or If-Match) guards the write."""

    def to_edit(self, principal: Principal) -> UserEdit:
        """The edit that replaces the profile; AUTH_003 first for an account field sent along."""
        _refuse_account_fields(self)
        self.refuse(principal)
        return UserEdit(profile=self.replacement())


class SettingsIn(_DocumentBody, SettingsFields):
    """Whole settings (PUT): a field left out takes its default. `version` (or If-Match) guards the write."""

    def to_edit(self, principal: Principal) -> UserEdit:
        """The edit that replaces the settings; AUTH_003 first for an account field sent along."""
        _refuse_account_fields(self)
        self.refuse(principal)
        return UserEdit(settings=self.replacement())


def _refuse_account_fields(body: BaseModel) -> None:
    for name in ("role", "status", "email_verified"):
        if name in body.model_fields_set:
            raise Forbidden(
                f"The field {name} is not set through this route",
                details={"field": name, "reason": "is set on the user (users or admin routes)"},
            )


class BanIn(StrictBody):
    """Why (optional, kept in the audit trail); the body itself may be left out."""

    reason: str | None = Field(None, max_length=200)


NO_REASON = BanIn()


@contextmanager
def fields_of(document: str) -> Iterator[None]:
    """Name field errors relative to ``document`` (``profile.phone`` -> ``phone``): the body of the profile and
    settings routes is that document itself."""
    try:
        yield
    except ValidationFailed as failed:
        prefix = f"{document}."
        renamed = [FieldError(e.field.removeprefix(prefix), e.code, e.reason) for e in failed.errors]
        raise ValidationFailed(renamed, failed.message) from None


# Answers ------------------------------------------------------------------------------------------------


def parse_user_fields(value: str | None) -> tuple[str, ...] | None:
    """The fields a client asked for with ``?fields=a,b``; VAL_002 names an unknown one."""
    return parse_fields(value, USER_FIELDS)


def parse_user_sort(value: str) -> str:
    """A whitelisted sort field; VAL_002 for any other."""
    if value not in USER_SORT_FIELDS:
        raise ValidationFailed.single(
            "sort", ErrorCode.INVALID_FORMAT, f"cannot sort by {value!r}; allowed: {', '.join(USER_SORT_FIELDS)}"
        )
    return value


def user_read(user: User, selected: tuple[str, ...] | None, if_none_match: str | None) -> Response[str]:
    """A read of one user: the user (or its selected fields) with its ETag, or 304 when the client's is current."""
    return tagged_read(present_user(user, selected), user.version, if_none_match)


def document_read(user: User, document: dict[str, Any], if_none_match: str | None) -> Response[str]:
    """A read of a user's profile or settings, tagged with the user's version."""
    return tagged_read(document, user.version, if_none_match)


def written(
    data: dict[str, Any], user: User, status: int = 200, headers: dict[str, str] | None = None
) -> Response[str]:
    """The answer to a write: ``data`` with the user's new ETag, never stored by a cache."""
    return tagged_write(data, user.version, status, headers)
