"""NOTIFICATIONS_SENT claims: a row is claimed (CLAIMED_AT, SENT_AT null) before its email is sent and marked
sent (SENT_AT) after, each in a short transaction of its own, so no transaction stays open across the send.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

Rows already there were sent (SENT_AT set); their CLAIMED_AT stays null.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storefront.adapters.db.tables import UtcTimestamp

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("NOTIFICATIONS_SENT") as batch:
        batch.add_column(sa.Column("CLAIMED_AT", UtcTimestamp(), nullable=True))
        batch.alter_column("SENT_AT", existing_type=UtcTimestamp(), nullable=True)


def downgrade() -> None:
    op.execute('DELETE FROM "NOTIFICATIONS_SENT" WHERE "SENT_AT" IS NULL')
    with op.batch_alter_table("NOTIFICATIONS_SENT") as batch:
        batch.alter_column("SENT_AT", existing_type=UtcTimestamp(), nullable=False)
        batch.drop_column("CLAIMED_AT")
