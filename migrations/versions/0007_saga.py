"""The saga's records: PAYMENT_RECORDS (one charge and one refund per order at most) and NOTIFICATIONS_SENT.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

UNIQUE (ORDER_ID, KIND) on PAYMENT_RECORDS and the primary key of NOTIFICATIONS_SENT (the message id) are what
make a payment decision and an email happen once however many times a message is delivered.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storefront.adapters.db.tables import UtcTimestamp

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "PAYMENT_RECORDS",
        sa.Column("ID", sa.Uuid(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("ORDER_ID", sa.Uuid(), nullable=False),
        sa.Column("KIND", sa.String(10), nullable=False),
        sa.Column("OUTCOME", sa.String(10), nullable=False),
        sa.Column("PROVIDER_REF", sa.String(100), nullable=False),
        sa.Column("AMOUNT", sa.Numeric(14, 2), nullable=False),
        sa.Column("CURRENCY", sa.String(3), nullable=False),
        sa.Column("REASON", sa.String(100), nullable=True),
        sa.Column("RECORDED_AT", UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("ID", name=op.f("PK_PAYMENT_RECORDS")),
        sa.ForeignKeyConstraint(["ORDER_ID"], ["ORDERS.ID"], name=op.f("FK_PAYMENT_RECORDS_ORDERS")),
        sa.UniqueConstraint("ORDER_ID", "KIND", name=op.f("UK_PAYMENT_RECORDS_ORDER_ID_KIND")),
        sa.CheckConstraint(sa.column("KIND").in_(["charge", "refund"]), name=op.f("CK_PAYMENT_RECORDS_KIND")),
    )
    op.create_table(
        "NOTIFICATIONS_SENT",
        sa.Column("MESSAGE_ID", sa.Uuid(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("KIND", sa.String(100), nullable=False),
        sa.Column("SENT_AT", UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("MESSAGE_ID", name=op.f("PK_NOTIFICATIONS_SENT")),
    )


def downgrade() -> None:
    op.drop_table("NOTIFICATIONS_SENT")
    op.drop_table("PAYMENT_RECORDS")
