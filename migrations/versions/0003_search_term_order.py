"""Search terms in list order: each term carries its product's CREATED_AT, indexed after the term.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29

A search's first page in the default order (created_at) then reads one word's entries newest first and
stops after a page of matches, instead of collecting every product that has the word. CREATED_AT never
changes, so the copy never needs updating. Existing terms are filled from their products.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storefront.adapters.db.tables import UtcTimestamp

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEX = "IX_PRODUCT_SEARCH_TERMS_CREATED_AT"


def upgrade() -> None:
    op.add_column("PRODUCT_SEARCH_TERMS", sa.Column("PRODUCT_CREATED_AT", UtcTimestamp(), nullable=True))
    products = sa.table("PRODUCTS", sa.column("ID", sa.Uuid()), sa.column("CREATED_AT", UtcTimestamp()))
    terms = sa.table(
        "PRODUCT_SEARCH_TERMS", sa.column("PRODUCT_ID", sa.Uuid()), sa.column("PRODUCT_CREATED_AT", UtcTimestamp())
    )
    created = sa.select(products.c.CREATED_AT).where(products.c.ID == terms.c.PRODUCT_ID).scalar_subquery()
    op.execute(sa.update(terms).values(PRODUCT_CREATED_AT=created))
    with op.batch_alter_table("PRODUCT_SEARCH_TERMS") as batch:
        batch.alter_column("PRODUCT_CREATED_AT", existing_type=UtcTimestamp(), nullable=False)
    op.create_index(
        INDEX, "PRODUCT_SEARCH_TERMS", ["TENANT_ID", "TERM", "PRODUCT_CREATED_AT", "PRODUCT_ID"], oracle_compress=2
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="PRODUCT_SEARCH_TERMS")
    with op.batch_alter_table("PRODUCT_SEARCH_TERMS") as batch:
        batch.drop_column("PRODUCT_CREATED_AT")
