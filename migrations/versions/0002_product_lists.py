"""Product lists: one index per offered sort and filter over live rows, and the search terms of names.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Indexes are (TENANT_ID, [filter,] sort key, ID, DELETED_AT): partial (live rows only) on PostgreSQL and
SQLite; Oracle has no partial indexes and checks DELETED_AT on the index entry. The two old indexes are
covered by the new ones. Search terms are filled from the names already stored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storefront.domain.search import TERM_MAX, search_words

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LIST_INDEXES = {
    "IX_PRODUCTS_LIST_CREATED_AT": ["CREATED_AT"],
    "IX_PRODUCTS_LIST_UPDATED_AT": ["UPDATED_AT"],
    "IX_PRODUCTS_LIST_NAME": ["NAME"],
    "IX_PRODUCTS_LIST_SKU": ["SKU"],
    "IX_PRODUCTS_LIST_PRICE": ["PRICE_AMOUNT"],
    "IX_PRODUCTS_LIST_STOCK": ["STOCK"],
    "IX_PRODUCTS_LIST_STATUS": ["STATUS", "CREATED_AT"],
    "IX_PRODUCTS_LIST_CATEGORY": ["CATEGORY", "CREATED_AT"],
}
LIVE = sa.text('"DELETED_AT" IS NULL')


def upgrade() -> None:
    for name, columns in LIST_INDEXES.items():
        op.create_index(
            name,
            "PRODUCTS",
            ["TENANT_ID", *columns, "ID", "DELETED_AT"],
            postgresql_where=LIVE,
            sqlite_where=LIVE,
            oracle_compress=1,
        )
    op.drop_index("IX_PRODUCTS_TENANT_ID_CREATED_AT", table_name="PRODUCTS")
    op.drop_index("IX_PRODUCTS_TENANT_ID_CATEGORY", table_name="PRODUCTS")
    op.create_table(
        "PRODUCT_SEARCH_TERMS",
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column(
            "TERM", sa.String(TERM_MAX).with_variant(sa.String(TERM_MAX, collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("PRODUCT_ID", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("TENANT_ID", "TERM", "PRODUCT_ID", name="PK_PRODUCT_SEARCH_TERMS"),
        sa.ForeignKeyConstraint(
            ["PRODUCT_ID"], ["PRODUCTS.ID"], name="FK_PRODUCT_SEARCH_TERMS_PRODUCTS", ondelete="CASCADE"
        ),
    )
    op.create_index("IX_PRODUCT_SEARCH_TERMS_PRODUCT_ID_TERM", "PRODUCT_SEARCH_TERMS", ["PRODUCT_ID", "TERM"])
    _fill_search_terms()


def _fill_search_terms() -> None:
    """Terms of the live products already stored (nothing to do when generating offline SQL)."""
    if op.get_context().as_sql:
        return
    products = sa.table(
        "PRODUCTS",
        sa.column("ID", sa.Uuid()),
        sa.column("TENANT_ID", sa.Uuid()),
        sa.column("NAME"),
        sa.column("DELETED_AT"),
    )
    terms = sa.table(
        "PRODUCT_SEARCH_TERMS", sa.column("TENANT_ID", sa.Uuid()), sa.column("TERM"), sa.column("PRODUCT_ID", sa.Uuid())
    )
    connection = op.get_bind()
    live = connection.execute(
        sa.select(products.c.ID, products.c.TENANT_ID, products.c.NAME).where(products.c.DELETED_AT.is_(None))
    )
    rows = [{"TENANT_ID": r.TENANT_ID, "TERM": t, "PRODUCT_ID": r.ID} for r in live for t in search_words(r.NAME)]
    if rows:
        connection.execute(sa.insert(terms), rows)


def downgrade() -> None:
    op.drop_index("IX_PRODUCT_SEARCH_TERMS_PRODUCT_ID_TERM", table_name="PRODUCT_SEARCH_TERMS")
    op.drop_table("PRODUCT_SEARCH_TERMS")
    op.create_index("IX_PRODUCTS_TENANT_ID_CATEGORY", "PRODUCTS", ["TENANT_ID", "CATEGORY"])
    op.create_index("IX_PRODUCTS_TENANT_ID_CREATED_AT", "PRODUCTS", ["TENANT_ID", "CREATED_AT"])
    for name in reversed(LIST_INDEXES):
        op.drop_index(name, table_name="PRODUCTS")
