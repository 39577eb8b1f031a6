"""Users over HTTP: the representation clients get (never the password hash or token material)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from storefront.domain.identity import Role
from storefront.domain.users import Profile, Settings, User, UserStatus
from storefront.http.openapi import envelope


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def present_profile(profile: Profile) -> dict[str, Any]:
    """A profile as clients see it."""
    a = profile.address
    address = (
        None
        if a is None
        else {"line1": a.line1, "line2": a.line2, "city": a.city, "postal_code": a.postal_code, "country": a.country}
    )
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


def present_user(user: User) -> dict[str, Any]:
    """A user as clients see it: the contract's fields and the base fields, nothing secret."""
    return {
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


class AddressOut(BaseModel):
    line1: str
    line2: str | None
    city: str
    postal_code: str
    country: str


class ProfileOut(BaseModel):
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
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str


UserEnvelope = envelope("UserEnvelope", UserOut)
