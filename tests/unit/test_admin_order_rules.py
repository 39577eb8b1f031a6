"""An admin's update of an order as tables: which status moves it makes, the notes, and the one event each
change appends; the admin list's statement compiled for Oracle."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from sqlalchemy.dialects import oracle

from storefront.adapters.db.orders import page_where, tenant_where
from storefront.application.admin_order_queries import AdminOrderQuery
from storefront.application.queries import Keyset
from storefront.domain.errors import Conflict, ErrorCode, ValidationFailed
from storefront.domain.orders import ADMIN_MOVES, NOTES_MAX, EventKind, OrderStatus, replay
from tests.unit.test_order_rules import NOW, PATHS, walk

S = OrderStatus
LATER = NOW + timedelta(hours=1)
# Every (from, to) an admin may ask for: exactly the fulfilment steps; the same status is no move.
ADMIN_ALLOWED = {(S.CONFIRMED, S.SHIPPED), (S.SHIPPED, S.DELIVERED)}


@pytest.mark.parametrize("source", list(S), ids=str)
@pytest.mark.parametrize("target", list(S), ids=str)
def test_an_admin_moves_an_order_only_along_its_fulfilment(source, target):
    order = walk(*PATHS[source])
    if source is target:
        assert order.administered(target, order.notes, "admin-1", LATER) == (order, None)
    elif (source, target) in ADMIN_ALLOWED:
        moved, event = order.administered(target, order.notes, "admin-1", LATER)
        assert event is not None
        assert (moved.status, moved.version, moved.updated_by) == (target, order.version + 1, "admin-1")
        assert (event.kind, event.from_status, event.to_status) == (EventKind(target.lower()), source, target)
        assert replay(moved.history).status is target
    else:
        with pytest.raises(Conflict):
            order.administered(target, order.notes, "admin-1", LATER)


def test_the_table_is_the_admin_moves():
    assert set(ADMIN_MOVES.items()) == ADMIN_ALLOWED


@pytest.mark.parametrize("source", list(S), ids=str)
def test_notes_change_in_any_status_with_one_amended_event(source):
    order = walk(*PATHS[source])
    changed, event = order.administered(source, "Left with the neighbour", "admin-1", LATER)
    assert event is not None
    assert (changed.notes, changed.status, changed.version) == ("Left with the neighbour", source, order.version + 1)
    assert (event.kind, event.from_status, event.to_status, event.detail) == (
        EventKind.AMENDED,
        source,
        source,
        "by an admin: changed notes",
    )
    assert replay(changed.history).status is source


def test_a_move_and_new_notes_are_one_event():
    order = walk(S.RESERVED, S.CONFIRMED)
    moved, event = order.administered(S.SHIPPED, "Tracking 1Z999", "admin-1", LATER)
    assert event is not None
    assert (moved.status, moved.notes, moved.version, len(moved.history)) == (S.SHIPPED, "Tracking 1Z999", 4, 4)
    assert (event.kind, event.detail) == (EventKind.SHIPPED, "by an admin; changed notes")


@pytest.mark.parametrize(
    ("notes", "code"),
    [("x" * (NOTES_MAX + 1), ErrorCode.OUT_OF_RANGE)],
    ids=["too long"],
)
def test_notes_keep_their_rules(notes, code):
    with pytest.raises(ValidationFailed) as raised:
        walk().administered(S.PENDING, notes, "admin-1", LATER)
    assert [(e.field, e.code) for e in raised.value.errors] == [("notes", code)]


@pytest.mark.parametrize("sort", ["created_at", "updated_at", "total"])
def test_the_admin_list_page_compiles_for_oracle_over_the_tenant_with_every_filter(sort):
    query = AdminOrderQuery(
        sort=sort,
        status=S.CONFIRMED,
        user_id=uuid4(),
        created_from=NOW,
        created_to=LATER,
        min_total=Decimal("10.00"),
        max_total=Decimal("99.99"),
    )
    value = NOW if sort != "total" else Decimal("10.00")
    statement = page_where(tenant_where(uuid4(), query), query, Keyset(value, uuid4()))
    text = " ".join(str(statement.compile(dialect=oracle.dialect())).split())
    for column in ("TENANT_ID", "USER_ID", "STATUS", "CREATED_AT", "TOTAL_AMOUNT", "DELETED_AT"):
        assert f'"ORDERS"."{column}"' in text
    assert "FETCH FIRST" in text
    assert "MATCHES" in text


def test_without_filters_the_admin_list_is_the_tenants_live_orders():
    terms = tenant_where(uuid4(), AdminOrderQuery())
    text = " AND ".join(str(t.compile(dialect=oracle.dialect())) for t in terms)
    assert "USER_ID" not in text
    assert '"ORDERS"."DELETED_AT" IS NULL' in text
