"""Service-to-service: SERVICE_KEYS (hashed keys per tenant and service) and the sync indexes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

A sync reads the rows of one tenant changed after a cursor over (UPDATED_AT, ID), deleted rows included, so
its index holds every row (the list indexes keep only live ones).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storefront.adapters.db.tables import UtcTimestamp

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SYNCED = ("PRODUCTS", "USERS", "ORDERS")


def upgrade() -> None:
    op.create_table(
        "SERVICE_KEYS",
        sa.Column("ID", sa.Uuid(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("SERVICE_NAME", sa.String(64), nullable=False),
        sa.Column("KEY_HASH", sa.String(64), nullable=False),
        sa.Column("CREATED_AT", UtcTimestamp(), nullable=False),
        sa.Column("CREATED_BY", sa.String(64), nullable=False),
        sa.Column("RETIRED_AT", UtcTimestamp(), nullable=True),
        sa.PrimaryKeyConstraint("ID", name=op.f("PK_SERVICE_KEYS")),
        sa.UniqueConstraint("KEY_HASH", name=op.f("UK_SERVICE_KEYS_KEY_HASH")),
    )
    op.create_index(
        op.f("IX_SERVICE_KEYS_TENANT_ID_SERVICE_NAME_RETIRED_AT"),
        "SERVICE_KEYS",
        ["TENANT_ID", "SERVICE_NAME", "RETIRED_AT"],
    )
    for table in SYNCED:
        op.create_index(f"IX_{table}_SYNC", table, ["TENANT_ID", "UPDATED_AT", "ID"], oracle_compress=1)


def downgrade() -> None:
    for table in SYNCED:
        op.drop_index(f"IX_{table}_SYNC", table_name=table)
    op.drop_index(op.f("IX_SERVICE_KEYS_TENANT_ID_SERVICE_NAME_RETIRED_AT"), table_name="SERVICE_KEYS")
    op.drop_table("SERVICE_KEYS")
