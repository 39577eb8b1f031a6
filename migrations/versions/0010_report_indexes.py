"""Indexes of the admin's stats, reports and analytics (storefront.adapters.db.tables.REPORT_INDEXES).

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-29

Every figure is an aggregate over a range or a group of the tenant's rows; these indexes hold every column
those statements read, so each is an index range (or an index-only scan), never a table scan. Partial on the
live rows on PostgreSQL and SQLite; on Oracle (no partial indexes) DELETED_AT is the last column, checked on
the index entry, and the leading columns are prefix-compressed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LIVE = sa.text('"DELETED_AT" IS NULL')
# name: (table, columns, partial on live rows, Oracle prefix compression). The orders counted by status use
# 0009's IX_ORDERS_ADMIN_STATUS (TENANT_ID, STATUS, ...): a second (TENANT_ID, STATUS) index would only cost writes.
INDEXES: dict[str, tuple[str, list[str], bool, int | None]] = {
    "IX_ORDERS_REPORTS": (
        "ORDERS",
        [
            "TENANT_ID",
            "CREATED_AT",
            "STATUS",
            "PAYMENT_STATUS",
            "CURRENCY",
            "TOTAL_AMOUNT",
            "USER_ID",
            "ID",
            "DELETED_AT",
        ],
        True,
        1,
    ),
    "IX_USERS_STATS": ("USERS", ["TENANT_ID", "STATUS", "ROLE", "DELETED_AT"], True, 3),
    "IX_ORDER_EVENTS_KIND": ("ORDER_EVENTS", ["ORDER_ID", "KIND"], False, None),
    "IX_ORDER_ITEMS_SALES": (
        "ORDER_ITEMS",
        ["ORDER_ID", "PRODUCT_ID", "CURRENCY", "QUANTITY", "LINE_TOTAL"],
        False,
        None,
    ),
}


def upgrade() -> None:
    for name, (table, columns, partial, compress) in INDEXES.items():
        options: dict[str, Any] = {"postgresql_where": LIVE, "sqlite_where": LIVE} if partial else {}
        if compress is not None:
            options["oracle_compress"] = compress
        op.create_index(name, table, columns, **options)


def downgrade() -> None:
    for name, (table, *_) in reversed(INDEXES.items()):
        op.drop_index(name, table_name=table)
