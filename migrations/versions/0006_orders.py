"""Orders: orders, their items and events, and the transactional outbox.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

A user's orders get one list index per offered sort (created_at, updated_at, total) and the status filter in
front of the default sort, partial on PostgreSQL and SQLite, DELETED_AT last on Oracle (as products in 0002).
The outbox's "unpublished, oldest first" index is partial on PostgreSQL and SQLite; on Oracle PUBLISHED_AT
leads it, so the unpublished rows are one range whatever the number of published ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storefront.adapters.db.tables import UtcTimestamp

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ORDER_LIST_INDEXES = {
    "IX_ORDERS_LIST_CREATED_AT": ["CREATED_AT"],
    "IX_ORDERS_LIST_UPDATED_AT": ["UPDATED_AT"],
    "IX_ORDERS_LIST_TOTAL": ["TOTAL_AMOUNT"],
    "IX_ORDERS_LIST_STATUS": ["STATUS", "CREATED_AT"],
}
LIVE = sa.text('"DELETED_AT" IS NULL')
UNPUBLISHED = sa.text('"PUBLISHED_AT" IS NULL')
ORDER_STATUSES = ["PENDING", "RESERVED", "CONFIRMED", "SHIPPED", "DELIVERED", "FAILED", "CANCELLED"]
PAYMENT_STATUSES = ["pending", "authorized", "captured", "declined", "refund_requested", "refunded"]
EVENT_KINDS = [
    "placed",
    "reserved",
    "confirmed",
    "shipped",
    "delivered",
    "failed",
    "cancelled",
    "payment",
    "amended",
]


def upgrade() -> None:
    op.create_table(
        "ORDERS",
        sa.Column("ID", sa.Uuid(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("CREATED_AT", UtcTimestamp(), nullable=False),
        sa.Column("UPDATED_AT", UtcTimestamp(), nullable=False),
        sa.Column("CREATED_BY", sa.String(64), nullable=False),
        sa.Column("UPDATED_BY", sa.String(64), nullable=False),
        sa.Column("DELETED_AT", UtcTimestamp(), nullable=True),
        sa.Column("VERSION", sa.Integer(), nullable=False),
        sa.Column("USER_ID", sa.Uuid(), nullable=False),
        sa.Column("STATUS", sa.String(20), nullable=False),
        sa.Column("PAYMENT_STATUS", sa.String(20), nullable=False),
        sa.Column("TOTAL_AMOUNT", sa.Numeric(14, 2), nullable=False),
        sa.Column("CURRENCY", sa.String(3), nullable=False),
        sa.Column("SHIPPING_LINE1", sa.String(200), nullable=False),
        sa.Column("SHIPPING_LINE2", sa.String(200), nullable=True),
        sa.Column("SHIPPING_CITY", sa.String(100), nullable=False),
        sa.Column("SHIPPING_POSTAL_CODE", sa.String(20), nullable=False),
        sa.Column("SHIPPING_COUNTRY", sa.String(2), nullable=False),
        sa.Column("NOTES", sa.String(1000), nullable=True),
        sa.Column("PAYMENT_TOKEN", sa.String(200), nullable=False),
        sa.Column("EVENT_SEQUENCE", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ID", name=op.f("PK_ORDERS")),
        sa.CheckConstraint(sa.column("STATUS").in_(ORDER_STATUSES), name=op.f("CK_ORDERS_STATUS")),
        sa.CheckConstraint(sa.column("PAYMENT_STATUS").in_(PAYMENT_STATUSES), name=op.f("CK_ORDERS_PAYMENT_STATUS")),
        sa.CheckConstraint(sa.column("TOTAL_AMOUNT") >= 0, name=op.f("CK_ORDERS_TOTAL_AMOUNT")),
    )
    for name, columns in ORDER_LIST_INDEXES.items():
        op.create_index(
            name,
            "ORDERS",
            ["TENANT_ID", "USER_ID", *columns, "ID", "DELETED_AT"],
            postgresql_where=LIVE,
            sqlite_where=LIVE,
            oracle_compress=1,
        )
    op.create_table(
        "ORDER_ITEMS",
        sa.Column("ORDER_ID", sa.Uuid(), nullable=False),
        sa.Column("LINE_NUMBER", sa.Integer(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("PRODUCT_ID", sa.Uuid(), nullable=False),
        sa.Column("SKU", sa.String(64), nullable=False),
        sa.Column("NAME", sa.String(200), nullable=False),
        sa.Column("QUANTITY", sa.Integer(), nullable=False),
        sa.Column("UNIT_PRICE", sa.Numeric(12, 2), nullable=False),
        sa.Column("LINE_TOTAL", sa.Numeric(14, 2), nullable=False),
        sa.Column("CURRENCY", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("ORDER_ID", "LINE_NUMBER", name=op.f("PK_ORDER_ITEMS")),
        sa.ForeignKeyConstraint(["ORDER_ID"], ["ORDERS.ID"], name=op.f("FK_ORDER_ITEMS_ORDERS")),
        sa.ForeignKeyConstraint(["PRODUCT_ID"], ["PRODUCTS.ID"], name=op.f("FK_ORDER_ITEMS_PRODUCTS")),
        sa.CheckConstraint(sa.column("QUANTITY").between(1, 1000), name=op.f("CK_ORDER_ITEMS_QUANTITY")),
    )
    op.create_index(op.f("IX_ORDER_ITEMS_PRODUCT_ID"), "ORDER_ITEMS", ["PRODUCT_ID"])
    op.create_table(
        "ORDER_EVENTS",
        sa.Column("ID", sa.Uuid(), nullable=False),
        sa.Column("ORDER_ID", sa.Uuid(), nullable=False),
        sa.Column("SEQUENCE", sa.Integer(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("KIND", sa.String(20), nullable=False),
        sa.Column("FROM_STATUS", sa.String(20), nullable=True),
        sa.Column("TO_STATUS", sa.String(20), nullable=False),
        sa.Column("PAYMENT_STATUS", sa.String(20), nullable=True),
        sa.Column("OCCURRED_AT", UtcTimestamp(), nullable=False),
        sa.Column("ACTOR", sa.String(64), nullable=False),
        sa.Column("DETAIL", sa.String(400), nullable=True),
        sa.PrimaryKeyConstraint("ID", name=op.f("PK_ORDER_EVENTS")),
        sa.ForeignKeyConstraint(["ORDER_ID"], ["ORDERS.ID"], name=op.f("FK_ORDER_EVENTS_ORDERS")),
        sa.UniqueConstraint("ORDER_ID", "SEQUENCE", name=op.f("UK_ORDER_EVENTS_ORDER_ID_SEQUENCE")),
        sa.CheckConstraint(sa.column("KIND").in_(EVENT_KINDS), name=op.f("CK_ORDER_EVENTS_KIND")),
    )
    op.create_table(
        "OUTBOX_MESSAGES",
        sa.Column("ID", sa.Uuid(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("QUEUE", sa.String(40), nullable=False),
        sa.Column("MESSAGE_TYPE", sa.String(100), nullable=False),
        sa.Column("MESSAGE_VERSION", sa.Integer(), nullable=False),
        sa.Column("BODY", sa.Text(), nullable=False),
        sa.Column("CREATED_AT", UtcTimestamp(), nullable=False),
        sa.Column("PUBLISHED_AT", UtcTimestamp(), nullable=True),
        sa.Column("ATTEMPTS", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ID", name=op.f("PK_OUTBOX_MESSAGES")),
    )
    op.create_index(
        "IX_OUTBOX_MESSAGES_UNPUBLISHED",
        "OUTBOX_MESSAGES",
        ["PUBLISHED_AT", "CREATED_AT", "ID"],
        postgresql_where=UNPUBLISHED,
        sqlite_where=UNPUBLISHED,
    )


def downgrade() -> None:
    op.drop_index("IX_OUTBOX_MESSAGES_UNPUBLISHED", table_name="OUTBOX_MESSAGES")
    op.drop_table("OUTBOX_MESSAGES")
    op.drop_table("ORDER_EVENTS")
    op.drop_index(op.f("IX_ORDER_ITEMS_PRODUCT_ID"), table_name="ORDER_ITEMS")
    op.drop_table("ORDER_ITEMS")
    for name in reversed(ORDER_LIST_INDEXES):
        op.drop_index(name, table_name="ORDERS")
    op.drop_table("ORDERS")
