"""User search terms: the words of each live user's username, email and full name, in list order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

The same shape as PRODUCT_SEARCH_TERMS (0002, 0003): the primary key (TENANT_ID, TERM, USER_ID) is one index
range per word, (USER_ID, TERM) replaces a user's terms, and (TENANT_ID, TERM, USER_CREATED_AT, USER_ID) walks
one word's users in the default list order. Existing users get their terms here, computed by the same Python
rule the repository uses (storefront.domain.users.search_terms: NFKC, casefold, runs of letters and digits),
which SQL cannot express alike on every backend. The Oracle script (offline mode) cannot read rows: it is
applied with 0004, whose USERS table it creates empty, so there is nothing to fill there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storefront.adapters.db.tables import UtcTimestamp
from storefront.domain.search import TERM_MAX
from storefront.domain.users import Identity, search_terms

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE = "USER_SEARCH_TERMS"
BATCH = 1000


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column(
            "TERM", sa.String(TERM_MAX).with_variant(sa.String(TERM_MAX, collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("USER_ID", sa.Uuid(), nullable=False),
        sa.Column("USER_CREATED_AT", UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(["USER_ID"], ["USERS.ID"], name=op.f("FK_USER_SEARCH_TERMS_USERS"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("TENANT_ID", "TERM", "USER_ID", name=op.f("PK_USER_SEARCH_TERMS")),
    )
    op.create_index(op.f("IX_USER_SEARCH_TERMS_USER_ID_TERM"), TABLE, ["USER_ID", "TERM"])
    op.create_index(
        "IX_USER_SEARCH_TERMS_CREATED_AT", TABLE, ["TENANT_ID", "TERM", "USER_CREATED_AT", "USER_ID"], oracle_compress=2
    )
    _fill_terms()


def _fill_terms() -> None:
    """The terms of every live user already stored (nothing to do when generating offline SQL)."""
    if op.get_context().as_sql:
        return
    users = sa.table(
        "USERS",
        sa.column("ID", sa.Uuid()),
        sa.column("TENANT_ID", sa.Uuid()),
        sa.column("CREATED_AT", UtcTimestamp()),
        sa.column("DELETED_AT", UtcTimestamp()),
        sa.column("EMAIL", sa.String()),
        sa.column("USERNAME", sa.String()),
        sa.column("FULL_NAME", sa.String()),
    )
    terms = sa.table(
        TABLE,
        sa.column("TENANT_ID", sa.Uuid()),
        sa.column("TERM", sa.String()),
        sa.column("USER_ID", sa.Uuid()),
        sa.column("USER_CREATED_AT", UtcTimestamp()),
    )
    connection = op.get_bind()
    live = connection.execute(sa.select(users).where(users.c.DELETED_AT.is_(None))).all()
    rows = [
        {"TENANT_ID": u.TENANT_ID, "TERM": term, "USER_ID": u.ID, "USER_CREATED_AT": u.CREATED_AT}
        for u in live
        for term in search_terms(Identity(u.EMAIL, u.USERNAME, u.FULL_NAME))
    ]
    for start in range(0, len(rows), BATCH):
        connection.execute(sa.insert(terms), rows[start : start + BATCH])


def downgrade() -> None:
    op.drop_index("IX_USER_SEARCH_TERMS_CREATED_AT", table_name=TABLE)
    op.drop_index(op.f("IX_USER_SEARCH_TERMS_USER_ID_TERM"), table_name=TABLE)
    op.drop_table(TABLE)
