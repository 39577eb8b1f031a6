"""The order and outbox statements compiled for Oracle (no Oracle server here) and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy.dialects import oracle, postgresql

from storefront.adapters.db.order_loader import IN_LIST_MAX, chunks, items_statement
from storefront.adapters.db.orders import account_status_statement, page_statement, release_statement
from storefront.adapters.db.outbox import claim_statement
from storefront.application.order_queries import OrderQuery
from storefront.application.queries import Keyset
from storefront.domain.orders import OrderStatus

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def sql(statement, dialect) -> str:
    return " ".join(str(statement.compile(dialect=dialect)).split())


def test_the_claim_locks_and_skips_on_oracle_without_a_row_limit():
    text = sql(claim_statement(100, NOW, "oracle"), oracle.dialect())
    assert text.endswith("FOR UPDATE SKIP LOCKED")
    assert "FETCH FIRST" not in text, "ORA-02014: no row limit with FOR UPDATE; the adapter fetches n rows"
    assert "ROWNUM" not in text
    assert '"OUTBOX_MESSAGES"."PUBLISHED_AT" IS NULL' in text
    assert 'ORDER BY "OUTBOX_MESSAGES"."PUBLISHED_AT", "OUTBOX_MESSAGES"."CREATED_AT", "OUTBOX_MESSAGES"."ID"' in text


def test_the_claim_limits_then_locks_on_postgresql():
    text = sql(claim_statement(100, NOW, "postgresql"), postgresql.dialect())
    assert "LIMIT" in text
    assert text.endswith("FOR UPDATE SKIP LOCKED")


@pytest.mark.parametrize("sort", ["created_at", "updated_at", "total"])
def test_the_list_page_compiles_for_oracle_with_the_spelled_out_keyset(sort):
    query = OrderQuery(sort=sort, status=OrderStatus.PENDING, created_from=NOW)
    value = NOW if sort != "total" else __import__("decimal").Decimal("10.00")
    text = sql(page_statement(uuid4(), uuid4(), query, Keyset(value, uuid4())), oracle.dialect())
    assert '"ORDERS"."USER_ID" = ' in text
    assert "FETCH FIRST" in text
    assert "MATCHES" in text
    assert ">=" in text or "<=" in text  # Oracle's keyset spelling: key >= :k AND (key > :k OR id > :id)


def test_stock_is_released_by_addition_and_moves_the_version():
    text = sql(release_statement(), oracle.dialect())
    assert '"STOCK"=("PRODUCTS"."STOCK" + :line_quantity)' in text.replace(" = ", "=").replace("= ", "=")
    assert '"VERSION"=("PRODUCTS"."VERSION" + ' in text.replace(" = ", "=").replace("= ", "=")


def test_in_lists_stay_under_oracles_limit():
    ids = [uuid4() for _ in range(2345)]
    parts = list(chunks(ids))
    assert [len(p) for p in parts] == [IN_LIST_MAX, IN_LIST_MAX, IN_LIST_MAX, IN_LIST_MAX, 345]
    assert IN_LIST_MAX < 1000
    text = sql(items_statement(parts[0]), oracle.dialect())
    assert "IN (__[POSTCOMPILE_ORDER_ID_1])" in text


def test_the_buyers_account_is_read_live_and_within_its_tenant():
    text = sql(account_status_statement(uuid4(), uuid4()), oracle.dialect())
    assert text == (
        'SELECT "USERS"."STATUS" FROM "USERS" WHERE "USERS"."ID" = :ID_1 AND "USERS"."TENANT_ID" = :TENANT_ID_1 '
        'AND "USERS"."DELETED_AT" IS NULL'
    )


def test_a_notification_claim_is_taken_over_only_while_unsent_and_abandoned_on_oracle():
    from storefront.adapters.db import notifications

    message = uuid4()
    take_over = sql(notifications.take_over_statement(message, NOW, NOW), oracle.dialect())
    assert '"SENT_AT" IS NULL' in take_over
    assert '"CLAIMED_AT" <' in take_over
    for statement in (notifications.mark_sent_statement(message, NOW), notifications.release_statement(message)):
        assert '"SENT_AT" IS NULL' in sql(statement, oracle.dialect())
