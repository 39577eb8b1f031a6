"""Identity: users (with profile and settings), refresh-token families, password resets, the auth audit trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Users get one list index per offered sort and the status and role filters in front of the default sort,
partial on PostgreSQL and SQLite, DELETED_AT last on Oracle (as products in 0002).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storefront.adapters.db.tables import UtcTimestamp

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

USER_LIST_INDEXES = {
    "IX_USERS_LIST_CREATED_AT": ["CREATED_AT"],
    "IX_USERS_LIST_UPDATED_AT": ["UPDATED_AT"],
    "IX_USERS_LIST_EMAIL": ["EMAIL_KEY"],
    "IX_USERS_LIST_USERNAME": ["USERNAME_KEY"],
    "IX_USERS_LIST_LAST_LOGIN_AT": ["LAST_LOGIN_AT"],
    "IX_USERS_LIST_STATUS": ["STATUS", "CREATED_AT"],
    "IX_USERS_LIST_ROLE": ["ROLE", "CREATED_AT"],
}
LIVE = sa.text('"DELETED_AT" IS NULL')


def upgrade() -> None:
    op.create_table(
        "USERS",
        sa.Column("ID", sa.Uuid(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("CREATED_AT", UtcTimestamp(), nullable=False),
        sa.Column("UPDATED_AT", UtcTimestamp(), nullable=False),
        sa.Column("CREATED_BY", sa.String(64), nullable=False),
        sa.Column("UPDATED_BY", sa.String(64), nullable=False),
        sa.Column("DELETED_AT", UtcTimestamp(), nullable=True),
        sa.Column("VERSION", sa.Integer(), nullable=False),
        sa.Column("EMAIL", sa.String(254), nullable=False),
        sa.Column("EMAIL_KEY", sa.String(254), nullable=False),
        sa.Column("USERNAME", sa.String(50), nullable=False),
        sa.Column("USERNAME_KEY", sa.String(50), nullable=False),
        sa.Column("FULL_NAME", sa.String(200), nullable=False),
        sa.Column("ROLE", sa.String(20), nullable=False),
        sa.Column("STATUS", sa.String(20), nullable=False),
        sa.Column("EMAIL_VERIFIED", sa.Integer(), nullable=False),
        sa.Column("LAST_LOGIN_AT", UtcTimestamp(), nullable=True),
        sa.Column("PASSWORD_HASH", sa.String(255), nullable=False),
        sa.Column("PROFILE_DATA", sa.Text(), nullable=True),
        sa.Column("SETTINGS_DATA", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("ID", name=op.f("PK_USERS")),
        sa.UniqueConstraint("TENANT_ID", "EMAIL_KEY", name=op.f("UK_USERS_TENANT_ID_EMAIL_KEY")),
        sa.UniqueConstraint("TENANT_ID", "USERNAME_KEY", name=op.f("UK_USERS_TENANT_ID_USERNAME_KEY")),
        sa.CheckConstraint(sa.column("ROLE").in_(["user", "admin", "service"]), name=op.f("CK_USERS_ROLE")),
        sa.CheckConstraint(sa.column("STATUS").in_(["active", "banned"]), name=op.f("CK_USERS_STATUS")),
        sa.CheckConstraint(sa.column("EMAIL_VERIFIED").in_([0, 1]), name=op.f("CK_USERS_EMAIL_VERIFIED")),
    )
    for name, columns in USER_LIST_INDEXES.items():
        op.create_index(
            name,
            "USERS",
            ["TENANT_ID", *columns, "ID", "DELETED_AT"],
            postgresql_where=LIVE,
            sqlite_where=LIVE,
            oracle_compress=1,
        )
    op.create_table(
        "REFRESH_TOKENS",
        sa.Column("ID", sa.Uuid(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("USER_ID", sa.Uuid(), nullable=False),
        sa.Column("FAMILY_ID", sa.Uuid(), nullable=False),
        sa.Column("TOKEN_HASH", sa.String(64), nullable=False),
        sa.Column("CREATED_AT", UtcTimestamp(), nullable=False),
        sa.Column("EXPIRES_AT", UtcTimestamp(), nullable=False),
        sa.Column("USED_AT", UtcTimestamp(), nullable=True),
        sa.Column("REVOKED_AT", UtcTimestamp(), nullable=True),
        sa.PrimaryKeyConstraint("ID", name=op.f("PK_REFRESH_TOKENS")),
        sa.ForeignKeyConstraint(["USER_ID"], ["USERS.ID"], name=op.f("FK_REFRESH_TOKENS_USERS")),
        sa.UniqueConstraint("TOKEN_HASH", name=op.f("UK_REFRESH_TOKENS_TOKEN_HASH")),
    )
    op.create_index(op.f("IX_REFRESH_TOKENS_USER_ID_REVOKED_AT"), "REFRESH_TOKENS", ["USER_ID", "REVOKED_AT"])
    op.create_index(op.f("IX_REFRESH_TOKENS_FAMILY_ID"), "REFRESH_TOKENS", ["FAMILY_ID"])
    op.create_table(
        "PASSWORD_RESETS",
        sa.Column("ID", sa.Uuid(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("USER_ID", sa.Uuid(), nullable=False),
        sa.Column("TOKEN_HASH", sa.String(64), nullable=False),
        sa.Column("CREATED_AT", UtcTimestamp(), nullable=False),
        sa.Column("EXPIRES_AT", UtcTimestamp(), nullable=False),
        sa.Column("USED_AT", UtcTimestamp(), nullable=True),
        sa.PrimaryKeyConstraint("ID", name=op.f("PK_PASSWORD_RESETS")),
        sa.ForeignKeyConstraint(["USER_ID"], ["USERS.ID"], name=op.f("FK_PASSWORD_RESETS_USERS")),
        sa.UniqueConstraint("TOKEN_HASH", name=op.f("UK_PASSWORD_RESETS_TOKEN_HASH")),
    )
    op.create_index(op.f("IX_PASSWORD_RESETS_USER_ID"), "PASSWORD_RESETS", ["USER_ID"])
    op.create_table(
        "AUTH_EVENTS",
        sa.Column("ID", sa.Uuid(), nullable=False),
        sa.Column("TENANT_ID", sa.Uuid(), nullable=False),
        sa.Column("USER_ID", sa.Uuid(), nullable=True),
        sa.Column("KIND", sa.String(40), nullable=False),
        sa.Column("CLIENT_IP", sa.String(45), nullable=True),
        sa.Column("OCCURRED_AT", UtcTimestamp(), nullable=False),
        sa.Column("DETAIL", sa.String(400), nullable=True),
        sa.PrimaryKeyConstraint("ID", name=op.f("PK_AUTH_EVENTS")),
    )
    op.create_index(op.f("IX_AUTH_EVENTS_TENANT_ID_OCCURRED_AT"), "AUTH_EVENTS", ["TENANT_ID", "OCCURRED_AT"])
    op.create_index(op.f("IX_AUTH_EVENTS_USER_ID_OCCURRED_AT"), "AUTH_EVENTS", ["USER_ID", "OCCURRED_AT"])


def downgrade() -> None:
    op.drop_table("AUTH_EVENTS")
    op.drop_table("PASSWORD_RESETS")
    op.drop_table("REFRESH_TOKENS")
    for name in reversed(USER_LIST_INDEXES):
        op.drop_index(name, table_name="USERS")
    op.drop_table("USERS")
