"""Products: the catalogue table with the base columns every entity has.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storefront.adapters.db.tables import UtcTimestamp

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "PRODUCTS",
        sa.Column("ID", sa.Uuid(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("CREATED_AT", UtcTimestamp(), nullable=False),
        sa.Column("UPDATED_AT", UtcTimestamp(), nullable=False),
        sa.Column("CREATED_BY", sa.String(64), nullable=False),
        sa.Column("UPDATED_BY", sa.String(64), nullable=False),
        sa.Column("DELETED_AT", UtcTimestamp(), nullable=True),
        sa.Column("VERSION", sa.Integer(), nullable=False),
        sa.Column("SKU", sa.String(64), nullable=False),
        sa.Column("NAME", sa.String(200), nullable=False),
        sa.Column("DESCRIPTION", sa.String(4000), nullable=True),
        sa.Column("PRICE_AMOUNT", sa.Numeric(12, 2), nullable=False),
        sa.Column("PRICE_CURRENCY", sa.String(3), nullable=False),
        sa.Column("STOCK", sa.Integer(), nullable=False),
        sa.Column("STATUS", sa.String(20), nullable=False),
        sa.Column("CATEGORY", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("ID", name=op.f("PK_PRODUCTS")),
        sa.UniqueConstraint("TENANT_ID", "SKU", name=op.f("UK_PRODUCTS_TENANT_ID_SKU")),
        sa.CheckConstraint(
            sa.column("STATUS").in_(["active", "inactive", "discontinued"]), name=op.f("CK_PRODUCTS_STATUS")
        ),
        sa.CheckConstraint(sa.column("STOCK") >= 0, name=op.f("CK_PRODUCTS_STOCK")),
        sa.CheckConstraint(sa.column("PRICE_AMOUNT") > 0, name=op.f("CK_PRODUCTS_PRICE_AMOUNT")),
    )
    op.create_index(op.f("IX_PRODUCTS_TENANT_ID_CREATED_AT"), "PRODUCTS", ["TENANT_ID", "CREATED_AT"])
    op.create_index(op.f("IX_PRODUCTS_TENANT_ID_CATEGORY"), "PRODUCTS", ["TENANT_ID", "CATEGORY"])


def downgrade() -> None:
    op.drop_index(op.f("IX_PRODUCTS_TENANT_ID_CATEGORY"), table_name=op.f("PRODUCTS"))
    op.drop_index(op.f("IX_PRODUCTS_TENANT_ID_CREATED_AT"), table_name=op.f("PRODUCTS"))
    op.drop_table("PRODUCTS")
