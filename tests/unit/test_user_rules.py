"""The user rules as tables: who may set which field, merge patches of profile and settings, edits."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from storefront.application.user_queries import UserQuery
from storefront.domain.addresses import Address
from storefront.domain.errors import Conflict, ErrorCode, Forbidden, ValidationFailed
from storefront.domain.identity import Role
from storefront.domain.users import (
    Identity,
    Notifications,
    Profile,
    Settings,
    User,
    UserEdit,
    UserStatus,
    check_not_self,
    check_settable,
    search_terms,
)

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
ADDRESS = Address("1 Main St", "Paris", "75001", "FR")


def a_user(**changes: object) -> User:
    user = User.create(uuid4(), Identity("Ada@Example.com", "ada", "Ada Lovelace"), "h", None, T0)
    return user.changed("x", T0, **changes) if changes else user


@pytest.mark.parametrize(
    ("role", "sent", "refused"),
    [
        (Role.USER, ["email", "username", "full_name", "profile", "settings"], None),
        (Role.USER, ["full_name", "role"], "role"),
        (Role.USER, ["status"], "status"),
        (Role.USER, ["email_verified"], "email_verified"),
        (Role.SERVICE, ["role"], "role"),
        (Role.USER, ["password"], "password"),
        (Role.USER, ["tenant_id"], "tenant_id"),
        (Role.ADMIN, ["role", "status", "email_verified", "email"], None),
        (Role.ADMIN, ["password_hash"], "password_hash"),
        (Role.ADMIN, ["tenant_id", "role"], "tenant_id"),
        (Role.ADMIN, ["password", "role"], "password"),
        (Role.USER, ["role", "password"], "password"),
    ],
)
def test_who_may_set_which_field(role, sent, refused):
    if refused is None:
        check_settable(role, sent)
        return
    with pytest.raises(Forbidden) as caught:
        check_settable(role, sent)
    assert caught.value.code == ErrorCode.FORBIDDEN
    assert caught.value.details is not None
    assert caught.value.details["field"] == refused


@pytest.mark.parametrize(
    ("current", "changes", "expected"),
    [
        (Profile(), {"bio": "hi"}, Profile(bio="hi")),
        (Profile(bio="hi", phone="+33 1"), {"bio": None}, Profile(phone="+33 1")),
        (Profile(), {"address": {"line1": "1 Main St", "city": "Paris", "postal_code": "75001", "country": "FR"}},
         Profile(address=ADDRESS)),
        (Profile(address=ADDRESS), {"address": {"city": "Lyon"}},
         Profile(address=Address("1 Main St", "Lyon", "75001", "FR"))),
        (Profile(address=ADDRESS), {"address": {"line2": "Apt 4"}},
         Profile(address=Address("1 Main St", "Paris", "75001", "FR", "Apt 4"))),
        (Profile(address=ADDRESS, bio="x"), {"address": None}, Profile(bio="x")),
    ],
)  # fmt: skip
def test_a_profile_merge_patch(current, changes, expected):
    assert current.patched(changes) == expected


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"address": {"city": "Paris"}}, ["address.line1", "address.postal_code", "address.country"]),
        ({"phone": "call me"}, ["phone"]),
        ({"avatar_url": "http://example.com/a.png"}, ["avatar_url"]),
        # attacker pass: markup in a URL was stored as given
        ({"avatar_url": 'https://example.com/"><script>'}, ["avatar_url"]),
        ({"avatar_url": "https://example.com/a b.png"}, ["avatar_url"]),
        ({"avatar_url": "https:///a.png"}, ["avatar_url"]),
        ({"avatar_url": "https://-example.com/a.png"}, ["avatar_url"]),
        ({"avatar_url": "https://x.example/a'onerror='alert(1)"}, ["avatar_url"]),  # re-check pass
        ({"address": {"line1": "x", "city": "y", "postal_code": "z", "country": "XX"}}, ["address.country"]),
    ],
)
def test_a_profile_patch_that_breaks_a_rule_names_each_field(changes, fields):
    with pytest.raises(ValidationFailed) as caught:
        Profile().patched(changes)
    assert [e.field for e in caught.value.errors] == fields


@pytest.mark.parametrize(
    ("current", "changes", "expected"),
    [
        (Settings(), {"locale": "pt-BR"}, Settings(locale="pt-BR")),
        (Settings(locale="fr"), {"locale": None}, Settings()),
        (Settings(), {"notifications": {"sms": True}}, Settings(notifications=Notifications(sms=True))),
        (Settings(notifications=Notifications(email=False)), {"notifications": {"email": None}}, Settings()),
        (Settings(notifications=Notifications(marketing=True)), {"notifications": None}, Settings()),
        (Settings(timezone="Europe/Paris"), {}, Settings(timezone="Europe/Paris")),
    ],
)
def test_a_settings_merge_patch(current, changes, expected):
    assert current.patched(changes) == expected


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"locale": "english"}, "locale"),
        ({"timezone": "../etc"}, "timezone"),
    ],
)
def test_settings_that_break_a_rule(changes, field):
    with pytest.raises(ValidationFailed) as caught:
        Settings().patched(changes)
    assert caught.value.errors[0].field == field


@pytest.mark.parametrize(
    ("edit", "verified_before", "verified_after"),
    [
        (UserEdit(email="ada@example.COM"), True, True),  # the same address in another case
        (UserEdit(email="ada@elsewhere.org"), True, False),
        (UserEdit(email="ada@elsewhere.org", email_verified=True), False, True),
        (UserEdit(full_name="Ada King"), True, True),
        (UserEdit(email_verified=False), True, False),
    ],
)
def test_a_new_email_is_not_verified_unless_the_edit_says_so(edit, verified_before, verified_after):
    user = a_user(email_verified=verified_before)
    assert user.edited(edit, "x", T0).email_verified is verified_after


def test_an_edit_moves_the_version_and_names_nested_errors_inside_their_document():
    user = a_user()
    edited = user.edited(UserEdit(full_name=" Ada King ", role=Role.ADMIN, status=UserStatus.BANNED), "admin", T0)
    assert (edited.identity.full_name, edited.role, edited.status, edited.version) == (
        "Ada King",
        Role.ADMIN,
        UserStatus.BANNED,
        2,
    )
    with pytest.raises(ValidationFailed) as caught:
        user.edited(UserEdit(profile={"phone": "x"}, settings={"locale": "!"}, email="nope"), "x", T0)
    assert {e.field for e in caught.value.errors} == {"email"}  # identity is checked first
    with pytest.raises(ValidationFailed) as caught:
        user.edited(UserEdit(profile={"phone": "x"}), "x", T0)
    assert caught.value.errors[0].field == "profile.phone"
    with pytest.raises(ValidationFailed) as caught:
        user.edited(UserEdit(settings={"timezone": "Nowhere/Here"}), "x", T0)
    assert caught.value.errors[0].field == "settings.timezone"


def test_an_edit_names_the_fields_it_sets():
    assert UserEdit(email="a@b.co", profile={}, role=Role.USER).named() == ["email", "profile", "role"]
    assert UserEdit().named() == []


def test_an_admin_cannot_ban_themselves():
    user = a_user()
    check_not_self("someone-else", user, "ban")
    with pytest.raises(Conflict):
        check_not_self(str(user.id), user, "ban")


@pytest.mark.parametrize(
    ("identity", "terms"),
    [
        (Identity("ada.lovelace@example.com", "ada", "Ada Lovelace"), ("ada", "lovelace", "example", "com")),
        (Identity("x@y.io", "demo-admin", "Démo Ädmin"), ("demo", "admin", "x", "y", "io", "démo", "ädmin")),
    ],
)
def test_a_user_is_found_by_the_words_of_username_email_and_full_name(identity, terms):
    assert search_terms(identity) == terms


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (UserQuery(limit=0), ErrorCode.OUT_OF_RANGE),
        (UserQuery(offset=10_001), ErrorCode.OUT_OF_RANGE),
        (UserQuery(text="..."), ErrorCode.INVALID_FORMAT),
        (UserQuery(text=" ".join("abcdefghi")), ErrorCode.OUT_OF_RANGE),
        (UserQuery(text="x" * 65), ErrorCode.OUT_OF_RANGE),
        (UserQuery(cursor="abc", offset=5), ErrorCode.INVALID_FORMAT),
    ],
)
def test_a_users_query_out_of_bounds(query, code):
    with pytest.raises(ValidationFailed) as caught:
        query.validate()
    assert caught.value.code == code


def test_a_users_cursor_names_a_missing_last_login_and_belongs_to_its_list():
    tenant = uuid4()
    query = UserQuery(sort="last_login_at", order="desc")
    listing = query.listing(tenant)
    never = a_user()
    cursor = listing.cursor(query.keyset_of(never))
    after = listing.after(cursor)
    assert after is not None
    assert (after.value, after.id) == (None, never.id)
    with pytest.raises(ValidationFailed):
        UserQuery(sort="created_at", order="desc").listing(tenant).after(cursor)
    with pytest.raises(ValidationFailed):
        UserQuery(sort="last_login_at", order="desc").listing(uuid4()).after(cursor)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "https://cdn.example.com:8443/u/ada.png?size=64&v=2#top",
        "https://example.com/%22quoted%22.png",
        "https://xn--bcher-kva.example/a.png",
        "https://example.com/a_(b)~c!d*e%27f;g=h,i+j@k$l.png",
        "HTTPS://CDN.EXAMPLE.COM/A.PNG",  # a scheme is case-insensitive
    ],
)
def test_an_https_url_of_rfc_3986_characters_is_an_avatar(url):
    assert Profile().patched({"avatar_url": url}).avatar_url == url


def test_no_account_takes_the_service_role():
    """Re-check pass: an admin gave a person's account the service role, and its tokens then reached the metrics
    route only services may call."""
    from storefront.domain.identity import Role
    from storefront.domain.users import Identity, User, UserEdit

    now = datetime(2026, 11, 29, tzinfo=UTC)
    user = User.create(uuid4(), Identity("ada@example.com", "ada", "Ada"), "h", None, now)
    for attempt in (
        lambda: user.edited(UserEdit(role=Role.SERVICE), "admin", now),
        lambda: User.create(uuid4(), Identity("bob@example.com", "bob", "Bob"), "h", "admin", now, role=Role.SERVICE),
    ):
        with pytest.raises(ValidationFailed) as refused:
            attempt()
        assert refused.value.details is not None
        assert (refused.value.code, refused.value.details["field"]) == (ErrorCode.INVALID_FORMAT, "role")
    assert user.edited(UserEdit(role=Role.ADMIN), "admin", now).role == Role.ADMIN
