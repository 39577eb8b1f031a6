"""Route bodies that two functions serve alike: the users routes (owner or admin) and their admin twins
(``admin/users...``, admin only) differ only in their path, their documentation and who may call them, so each
function module registers one of these on its own resolver with its own decorator."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from storefront import bootstrap
from storefront.application import users
from storefront.application.user_queries import UserQuery
from storefront.domain.identity import Role
from storefront.domain.users import User, UserStatus
from storefront.http.conditional import WRITE_CACHING, expected_version
from storefront.http.context import RequestContext
from storefront.http.envelope import listed, no_content
from storefront.http.route_parameters import Context, Cursor, IfMatch, IfNoneMatch, Limit, Offset, SortOrder
from storefront.http.users import (
    SEARCH_HELP,
    ProfileIn,
    SettingsIn,
    UserIn,
    fields_of,
    parse_user_fields,
    parse_user_sort,
    present_user,
    user_read,
    written,
)


def list_users(
    ctx: Context,
    limit: Limit = 20,
    offset: Offset = 0,
    cursor: Cursor = None,
    sort: str = "created_at",
    order: SortOrder = "desc",
    status: UserStatus | None = None,
    role: Role | None = None,
    q: Annotated[str | None, Query(max_length=200, description=SEARCH_HELP)] = None,
    fields: str | None = None,
) -> Response[str]:
    """One page of the caller's tenant's users."""
    selected = parse_user_fields(fields)
    query = UserQuery(
        limit=limit,
        offset=offset,
        cursor=cursor,
        sort=parse_user_sort(sort),
        order=order,
        status=status,
        role=role,
        text=q,
    )
    page = users.list_users(bootstrap.users(), ctx.tenant_id, query)
    return listed(page, lambda u: present_user(u, selected))


def get_user(
    user_id: UUID, ctx: Context, fields: str | None = None, if_none_match: IfNoneMatch = None
) -> Response[str]:
    """One user with its ETag (304 when If-None-Match names it)."""
    selected = parse_user_fields(fields)
    return user_read(users.get_user(bootstrap.users(), ctx.principal, user_id), selected, if_none_match)


def replace_user(
    user_id: UUID, body: Annotated[UserIn, Body()], ctx: Context, if_match: IfMatch = None
) -> Response[str]:
    """Replace a user's identity, profile and settings (and, by an admin, role, status, email_verified)."""
    edit = body.to_edit(ctx.principal)
    version = expected_version(if_match, body.version)
    user = users.update_user(bootstrap.users(), ctx.principal, user_id, edit, version, ctx.client_ip)
    return written(present_user(user), user)


def delete_user(user_id: UUID, ctx: Context, if_match: IfMatch = None) -> Response[str]:
    """Soft-delete a user and end every session of it. 204, no body."""
    users.delete_user(bootstrap.users(), ctx.principal, user_id, expected_version(if_match, None), ctx.client_ip)
    return no_content(WRITE_CACHING)


def replace_document(
    document: Literal["profile", "settings"],
    user_id: UUID | None,
    body: ProfileIn | SettingsIn,
    ctx: RequestContext,
    if_match: str | None,
) -> User:
    """Replace the ``document`` of a user (``None``: the caller's own account) with ``body``, its field errors
    named within it; the user as it now is. The body of the profile and settings PUT routes."""
    edit = body.to_edit(ctx.principal)
    version = expected_version(if_match, body.version)
    whose = users.own_id(ctx.principal) if user_id is None else user_id
    with fields_of(document):
        return users.update_user(bootstrap.users(), ctx.principal, whose, edit, version, ctx.client_ip)
