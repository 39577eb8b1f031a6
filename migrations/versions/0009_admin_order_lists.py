"""The indexes of the admin's orders list (every user's orders of a tenant), one per offered sort and one for the
status filter in front of the default sort.

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-29

Like the user's list indexes (0006): (TENANT_ID, [STATUS,] sort key, ID, DELETED_AT), partial on the live rows
where the backend has partial indexes, prefix-compressed on Oracle. A list filtered by user uses 0006's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ADMIN_ORDER_LIST_INDEXES = {
    "IX_ORDERS_ADMIN_CREATED_AT": ["CREATED_AT"],
    "IX_ORDERS_ADMIN_UPDATED_AT": ["UPDATED_AT"],
    "IX_ORDERS_ADMIN_TOTAL": ["TOTAL_AMOUNT"],
    "IX_ORDERS_ADMIN_STATUS": ["STATUS", "CREATED_AT"],
}
LIVE = sa.text('"DELETED_AT" IS NULL')


def upgrade() -> None:
    for name, columns in ADMIN_ORDER_LIST_INDEXES.items():
        op.create_index(
            name,
            "ORDERS",
            ["TENANT_ID", *columns, "ID", "DELETED_AT"],
            postgresql_where=LIVE,
            sqlite_where=LIVE,
            oracle_compress=1,
        )


def downgrade() -> None:
    for name in reversed(ADMIN_ORDER_LIST_INDEXES):
        op.drop_index(name, table_name="ORDERS")
