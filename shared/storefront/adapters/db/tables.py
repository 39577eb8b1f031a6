"""The schema: one MetaData for Oracle, PostgreSQL and SQLite, with Oracle naming rules.

Names are UPPERCASE, constraints are named PK_/UK_/FK_/CK_/IX_, every string has a length, and
timestamps are TIMESTAMP WITH TIME ZONE (a plain DateTime would become Oracle DATE, losing zone and fraction).
Oracle stores '' as NULL, so optional text is nullable and the repositories map None and "" both ways.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    TIMESTAMP,
    CheckConstraint,
    Column,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)

from storefront.domain.addresses import ADDRESS_LINE_MAX, CITY_MAX, POSTAL_CODE_MAX
from storefront.domain.identity import Role
from storefront.domain.orders import (
    DETAIL_MAX,
    NAME_SNAPSHOT_MAX,
    NOTES_MAX,
    PAYMENT_TOKEN_MAX,
    SKU_SNAPSHOT_MAX,
    EventKind,
    OrderStatus,
    PaymentStatus,
)
from storefront.domain.products import CATEGORY_MAX, DESCRIPTION_MAX, NAME_MAX, SKU_MAX, ProductStatus
from storefront.domain.search import TERM_MAX
from storefront.domain.users import EMAIL_MAX, FULL_NAME_MAX, USERNAME_MAX, UserStatus

NAMING_CONVENTION = {
    "pk": "PK_%(table_name)s",
    "uq": "UK_%(table_name)s_%(column_0_N_name)s",
    "fk": "FK_%(table_name)s_%(referred_table_name)s",
    "ck": "CK_%(table_name)s_%(constraint_name)s",
    "ix": "IX_%(table_name)s_%(column_0_N_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ACTOR_MAX = 64


class UtcTimestamp(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite and Oracle hand back naive values)."""

    impl = TIMESTAMP(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UtcTimestamp needs a timezone-aware datetime")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


def base_columns() -> list[Column[Any]]:
    """The columns every entity table starts with: identity, tenant, audit trail, soft delete, version."""
    return [
        Column("ID", Uuid(), primary_key=True),
        Column("TENANT_ID", Uuid(), nullable=False),
        Column("CREATED_AT", UtcTimestamp(), nullable=False),
        Column("UPDATED_AT", UtcTimestamp(), nullable=False),
        Column("CREATED_BY", String(ACTOR_MAX), nullable=False),
        Column("UPDATED_BY", String(ACTOR_MAX), nullable=False),
        Column("DELETED_AT", UtcTimestamp(), nullable=True),
        Column("VERSION", Integer(), nullable=False),
    ]


PRODUCTS = Table(
    "PRODUCTS",
    metadata,
    *base_columns(),
    Column("SKU", String(SKU_MAX), nullable=False),
    Column("NAME", String(NAME_MAX), nullable=False),
    Column("DESCRIPTION", String(DESCRIPTION_MAX), nullable=True),
    Column("PRICE_AMOUNT", Numeric(12, 2, asdecimal=True), nullable=False),
    Column("PRICE_CURRENCY", String(3), nullable=False),
    Column("STOCK", Integer(), nullable=False),
    Column("STATUS", String(20), nullable=False),
    Column("CATEGORY", String(CATEGORY_MAX), nullable=True),
    # A SKU stays reserved in its tenant after a soft delete: old orders keep pointing at it.
    UniqueConstraint("TENANT_ID", "SKU"),
)
PRODUCTS.append_constraint(CheckConstraint(PRODUCTS.c.STATUS.in_([s.value for s in ProductStatus]), name="STATUS"))
PRODUCTS.append_constraint(CheckConstraint(PRODUCTS.c.STOCK >= 0, name="STOCK"))
PRODUCTS.append_constraint(CheckConstraint(PRODUCTS.c.PRICE_AMOUNT > 0, name="PRICE_AMOUNT"))


def list_index(name: str, table: Table, *leading: str, sort: str) -> Index:
    """An index serving one list order of a table's live rows: (TENANT_ID, leading..., sort, ID, DELETED_AT).

    The id breaks ties in the same direction as the sort, so one index serves asc and desc. PostgreSQL
    and SQLite keep soft-deleted rows out (partial index); Oracle has no partial indexes, so DELETED_AT is
    the last column there: ``DELETED_AT IS NULL`` is checked on the index entry, not on the table row, and
    the repeated TENANT_ID is prefix-compressed (COMPRESS 1).
    """
    live = table.c.DELETED_AT.is_(None)
    columns = [table.c.TENANT_ID, *(table.c[c] for c in leading), table.c[sort], table.c.ID, table.c.DELETED_AT]
    return Index(name, *columns, postgresql_where=live, sqlite_where=live, oracle_compress=1)


# One index per offered sort, and the equality filters in front of the default sort (created_at).
PRODUCT_LIST_INDEXES = (
    list_index("IX_PRODUCTS_LIST_CREATED_AT", PRODUCTS, sort="CREATED_AT"),
    list_index("IX_PRODUCTS_LIST_UPDATED_AT", PRODUCTS, sort="UPDATED_AT"),
    list_index("IX_PRODUCTS_LIST_NAME", PRODUCTS, sort="NAME"),
    list_index("IX_PRODUCTS_LIST_SKU", PRODUCTS, sort="SKU"),
    list_index("IX_PRODUCTS_LIST_PRICE", PRODUCTS, sort="PRICE_AMOUNT"),
    list_index("IX_PRODUCTS_LIST_STOCK", PRODUCTS, sort="STOCK"),
    list_index("IX_PRODUCTS_LIST_STATUS", PRODUCTS, "STATUS", sort="CREATED_AT"),
    list_index("IX_PRODUCTS_LIST_CATEGORY", PRODUCTS, "CATEGORY", sort="CREATED_AT"),
)

# Whole-word search (storefront.domain.search): the words of each live row of an entity table, kept by its
# repository (adapters/db/search_terms.py). Terms compare byte for byte, in code point order: PostgreSQL gets
# the "C" collation, SQLite's and Oracle's (NLS_COMP BINARY) default already is; so `TERM = :word` is exact
# on every backend and one index range. <OWNER>_CREATED_AT copies the row's (immutable) CREATED_AT, so one
# word's rows can be read in the default list order straight from an index: the first page of a search
# walks a few entries, at any size.
TERM_TYPE = String(TERM_MAX).with_variant(String(TERM_MAX, collation="C"), "postgresql")


def search_terms_table(name: str, entity: Table, owner: str) -> Table:
    """The terms table of ``entity``: (TENANT_ID, TERM, <owner>_ID, <owner>_CREATED_AT), keyed by term then row,
    and indexed by row (to replace a row's terms) and by term in creation order (the walk of a search)."""
    owner_id, created_at = f"{owner}_ID", f"{owner}_CREATED_AT"
    return Table(
        name,
        metadata,
        Column("TENANT_ID", Uuid(), nullable=False),
        Column("TERM", TERM_TYPE, nullable=False),
        Column(owner_id, Uuid(), ForeignKey(entity.c.ID, ondelete="CASCADE"), nullable=False),
        Column(created_at, UtcTimestamp(), nullable=False),
        PrimaryKeyConstraint("TENANT_ID", "TERM", owner_id),
        Index(None, owner_id, "TERM"),
        Index(f"IX_{name}_CREATED_AT", "TENANT_ID", "TERM", created_at, owner_id, oracle_compress=2),
    )


# The words of each live product's name.
PRODUCT_SEARCH_TERMS = search_terms_table("PRODUCT_SEARCH_TERMS", PRODUCTS, "PRODUCT")


# Users. EMAIL_KEY and USERNAME_KEY hold the case-folded forms (domain.users.login_key): uniqueness per tenant
# and login lookups are case-insensitive on every backend without function-based indexes. A deleted user's
# email and username stay reserved, as a SKU does. PROFILE_DATA and SETTINGS_DATA are JSON documents the
# repository writes and reads whole (CLOB on Oracle); nothing filters on them.
USERS = Table(
    "USERS",
    metadata,
    *base_columns(),
    Column("EMAIL", String(EMAIL_MAX), nullable=False),
    Column("EMAIL_KEY", String(EMAIL_MAX), nullable=False),
    Column("USERNAME", String(USERNAME_MAX), nullable=False),
    Column("USERNAME_KEY", String(USERNAME_MAX), nullable=False),
    Column("FULL_NAME", String(FULL_NAME_MAX), nullable=False),
    Column("ROLE", String(20), nullable=False),
    Column("STATUS", String(20), nullable=False),
    Column("EMAIL_VERIFIED", Integer(), nullable=False),  # 0/1: Oracle before 23ai has no BOOLEAN column
    Column("LAST_LOGIN_AT", UtcTimestamp(), nullable=True),
    Column("PASSWORD_HASH", String(255), nullable=False),
    Column("PROFILE_DATA", Text(), nullable=True),
    Column("SETTINGS_DATA", Text(), nullable=True),
    UniqueConstraint("TENANT_ID", "EMAIL_KEY"),
    UniqueConstraint("TENANT_ID", "USERNAME_KEY"),
)
USERS.append_constraint(CheckConstraint(USERS.c.ROLE.in_([r.value for r in Role]), name="ROLE"))
USERS.append_constraint(CheckConstraint(USERS.c.STATUS.in_([s.value for s in UserStatus]), name="STATUS"))
USERS.append_constraint(CheckConstraint(USERS.c.EMAIL_VERIFIED.in_([0, 1]), name="EMAIL_VERIFIED"))

USER_LIST_INDEXES = (
    list_index("IX_USERS_LIST_CREATED_AT", USERS, sort="CREATED_AT"),
    list_index("IX_USERS_LIST_UPDATED_AT", USERS, sort="UPDATED_AT"),
    list_index("IX_USERS_LIST_EMAIL", USERS, sort="EMAIL_KEY"),
    list_index("IX_USERS_LIST_USERNAME", USERS, sort="USERNAME_KEY"),
    list_index("IX_USERS_LIST_LAST_LOGIN_AT", USERS, sort="LAST_LOGIN_AT"),
    list_index("IX_USERS_LIST_STATUS", USERS, "STATUS", sort="CREATED_AT"),
    list_index("IX_USERS_LIST_ROLE", USERS, "ROLE", sort="CREATED_AT"),
)

# The words of each live user's username, email and full name (migration 0005).
USER_SEARCH_TERMS = search_terms_table("USER_SEARCH_TERMS", USERS, "USER")

TOKEN_HASH_MAX = 64  # SHA-256, hex

# Refresh tokens: opaque to clients, stored as SHA-256 digests. A login starts a family; each refresh
# rotates the token within it (USED_AT on the old one); presenting a used token revokes the whole family.
REFRESH_TOKENS = Table(
    "REFRESH_TOKENS",
    metadata,
    Column("ID", Uuid(), primary_key=True),
    Column("TENANT_ID", Uuid(), nullable=False),
    Column("USER_ID", Uuid(), ForeignKey(USERS.c.ID), nullable=False),
    Column("FAMILY_ID", Uuid(), nullable=False),
    Column("TOKEN_HASH", String(TOKEN_HASH_MAX), nullable=False),
    Column("CREATED_AT", UtcTimestamp(), nullable=False),
    Column("EXPIRES_AT", UtcTimestamp(), nullable=False),
    Column("USED_AT", UtcTimestamp(), nullable=True),
    Column("REVOKED_AT", UtcTimestamp(), nullable=True),
    UniqueConstraint("TOKEN_HASH"),
    Index(None, "USER_ID", "REVOKED_AT"),
    Index(None, "FAMILY_ID"),
)

# Password reset tokens: single use, stored as SHA-256 digests, short-lived.
PASSWORD_RESETS = Table(
    "PASSWORD_RESETS",
    metadata,
    Column("ID", Uuid(), primary_key=True),
    Column("TENANT_ID", Uuid(), nullable=False),
    Column("USER_ID", Uuid(), ForeignKey(USERS.c.ID), nullable=False),
    Column("TOKEN_HASH", String(TOKEN_HASH_MAX), nullable=False),
    Column("CREATED_AT", UtcTimestamp(), nullable=False),
    Column("EXPIRES_AT", UtcTimestamp(), nullable=False),
    Column("USED_AT", UtcTimestamp(), nullable=True),
    UniqueConstraint("TOKEN_HASH"),
    Index(None, "USER_ID"),
)

AUTH_EVENT_KIND_MAX = 40
CLIENT_IP_MAX = 45  # an IPv6 address in text

# The audit trail of identity: registrations, logins (and failures), refreshes, reuse, logouts, resets,
# bans. Append-only; USER_ID is null when the login named no known account.
AUTH_EVENTS = Table(
    "AUTH_EVENTS",
    metadata,
    Column("ID", Uuid(), primary_key=True),
    Column("TENANT_ID", Uuid(), nullable=False),
    Column("USER_ID", Uuid(), nullable=True),
    Column("KIND", String(AUTH_EVENT_KIND_MAX), nullable=False),
    Column("CLIENT_IP", String(CLIENT_IP_MAX), nullable=True),
    Column("OCCURRED_AT", UtcTimestamp(), nullable=False),
    Column("DETAIL", String(400), nullable=True),
    Index(None, "TENANT_ID", "OCCURRED_AT"),
    Index(None, "USER_ID", "OCCURRED_AT"),
)


# Orders (issue 7). An order's items and events are rows of their own; PAYMENT_TOKEN is what the payment step
# charges with and never leaves the database in a response. EVENT_SEQUENCE is the sequence of the order's last
# event: the next append takes the next number, and UNIQUE (ORDER_ID, SEQUENCE) refuses a second writer.
STATUS_MAX = 20
ORDERS = Table(
    "ORDERS",
    metadata,
    *base_columns(),
    Column("USER_ID", Uuid(), nullable=False),
    Column("STATUS", String(STATUS_MAX), nullable=False),
    Column("PAYMENT_STATUS", String(STATUS_MAX), nullable=False),
    Column("TOTAL_AMOUNT", Numeric(14, 2, asdecimal=True), nullable=False),
    Column("CURRENCY", String(3), nullable=False),
    Column("SHIPPING_LINE1", String(ADDRESS_LINE_MAX), nullable=False),
    Column("SHIPPING_LINE2", String(ADDRESS_LINE_MAX), nullable=True),
    Column("SHIPPING_CITY", String(CITY_MAX), nullable=False),
    Column("SHIPPING_POSTAL_CODE", String(POSTAL_CODE_MAX), nullable=False),
    Column("SHIPPING_COUNTRY", String(2), nullable=False),
    Column("NOTES", String(NOTES_MAX), nullable=True),
    Column("PAYMENT_TOKEN", String(PAYMENT_TOKEN_MAX), nullable=False),
    Column("EVENT_SEQUENCE", Integer(), nullable=False),
)
ORDERS.append_constraint(CheckConstraint(ORDERS.c.STATUS.in_([s.value for s in OrderStatus]), name="STATUS"))
ORDERS.append_constraint(
    CheckConstraint(ORDERS.c.PAYMENT_STATUS.in_([s.value for s in PaymentStatus]), name="PAYMENT_STATUS")
)
ORDERS.append_constraint(CheckConstraint(ORDERS.c.TOTAL_AMOUNT >= 0, name="TOTAL_AMOUNT"))

# A user's own orders, per offered sort (created_at, updated_at, total) and the status filter in front of the
# default sort; the created_at index also serves the created_from/created_to range.
ORDER_LIST_INDEXES = (
    list_index("IX_ORDERS_LIST_CREATED_AT", ORDERS, "USER_ID", sort="CREATED_AT"),
    list_index("IX_ORDERS_LIST_UPDATED_AT", ORDERS, "USER_ID", sort="UPDATED_AT"),
    list_index("IX_ORDERS_LIST_TOTAL", ORDERS, "USER_ID", sort="TOTAL_AMOUNT"),
    list_index("IX_ORDERS_LIST_STATUS", ORDERS, "USER_ID", "STATUS", sort="CREATED_AT"),
)
# The admin's list of every user's orders: the same per tenant (a user_id filter uses the indexes above); the
# created_at index serves the creation range, the total index the total range.
ADMIN_ORDER_LIST_INDEXES = (
    list_index("IX_ORDERS_ADMIN_CREATED_AT", ORDERS, sort="CREATED_AT"),
    list_index("IX_ORDERS_ADMIN_UPDATED_AT", ORDERS, sort="UPDATED_AT"),
    list_index("IX_ORDERS_ADMIN_TOTAL", ORDERS, sort="TOTAL_AMOUNT"),
    list_index("IX_ORDERS_ADMIN_STATUS", ORDERS, "STATUS", sort="CREATED_AT"),
)

ORDER_ITEMS = Table(
    "ORDER_ITEMS",
    metadata,
    Column("ORDER_ID", Uuid(), ForeignKey(ORDERS.c.ID), nullable=False),
    Column("LINE_NUMBER", Integer(), nullable=False),
    Column("TENANT_ID", Uuid(), nullable=False),
    Column("PRODUCT_ID", Uuid(), ForeignKey(PRODUCTS.c.ID), nullable=False),
    Column("SKU", String(SKU_SNAPSHOT_MAX), nullable=False),
    Column("NAME", String(NAME_SNAPSHOT_MAX), nullable=False),
    Column("QUANTITY", Integer(), nullable=False),
    Column("UNIT_PRICE", Numeric(12, 2, asdecimal=True), nullable=False),
    Column("LINE_TOTAL", Numeric(14, 2, asdecimal=True), nullable=False),
    Column("CURRENCY", String(3), nullable=False),
    PrimaryKeyConstraint("ORDER_ID", "LINE_NUMBER"),
    Index(None, "PRODUCT_ID"),
)
ORDER_ITEMS.append_constraint(CheckConstraint(ORDER_ITEMS.c.QUANTITY.between(1, 1000), name="QUANTITY"))

ORDER_EVENTS = Table(
    "ORDER_EVENTS",
    metadata,
    Column("ID", Uuid(), primary_key=True),
    Column("ORDER_ID", Uuid(), ForeignKey(ORDERS.c.ID), nullable=False),
    Column("SEQUENCE", Integer(), nullable=False),
    Column("TENANT_ID", Uuid(), nullable=False),
    Column("KIND", String(STATUS_MAX), nullable=False),
    Column("FROM_STATUS", String(STATUS_MAX), nullable=True),
    Column("TO_STATUS", String(STATUS_MAX), nullable=False),
    Column("PAYMENT_STATUS", String(STATUS_MAX), nullable=True),
    Column("OCCURRED_AT", UtcTimestamp(), nullable=False),
    Column("ACTOR", String(ACTOR_MAX), nullable=False),
    Column("DETAIL", String(DETAIL_MAX), nullable=True),
    UniqueConstraint("ORDER_ID", "SEQUENCE"),
)
ORDER_EVENTS.append_constraint(CheckConstraint(ORDER_EVENTS.c.KIND.in_([k.value for k in EventKind]), name="KIND"))

# The transactional outbox: a message is written in the transaction of the change it announces and sent after
# the commit (or later by the relay). ID is the envelope's id, BODY the envelope's JSON (CLOB on Oracle).
QUEUE_NAME_MAX = 40
MESSAGE_TYPE_MAX = 100
OUTBOX_MESSAGES = Table(
    "OUTBOX_MESSAGES",
    metadata,
    Column("ID", Uuid(), primary_key=True),
    Column("TENANT_ID", Uuid(), nullable=False),
    Column("QUEUE", String(QUEUE_NAME_MAX), nullable=False),
    Column("MESSAGE_TYPE", String(MESSAGE_TYPE_MAX), nullable=False),
    Column("MESSAGE_VERSION", Integer(), nullable=False),
    Column("BODY", Text(), nullable=False),
    Column("CREATED_AT", UtcTimestamp(), nullable=False),
    Column("PUBLISHED_AT", UtcTimestamp(), nullable=True),
    Column("ATTEMPTS", Integer(), nullable=False),
)
# "Unpublished, oldest first": partial on PostgreSQL and SQLite (published rows are not in it). Oracle has no
# partial index, so PUBLISHED_AT leads there: the unpublished rows (NULL, stored because CREATED_AT is not null)
# are one range at the end of the index, in CREATED_AT, ID order, whatever the number of published rows.
_UNPUBLISHED = OUTBOX_MESSAGES.c.PUBLISHED_AT.is_(None)
OUTBOX_UNPUBLISHED_INDEX = Index(
    "IX_OUTBOX_MESSAGES_UNPUBLISHED",
    OUTBOX_MESSAGES.c.PUBLISHED_AT,
    OUTBOX_MESSAGES.c.CREATED_AT,
    OUTBOX_MESSAGES.c.ID,
    postgresql_where=_UNPUBLISHED,
    sqlite_where=_UNPUBLISHED,
)

# What the payment provider decided for an order, once per kind (charge, refund): UNIQUE (ORDER_ID, KIND) makes a
# second record of the same decision fail, in the transaction of the order's move it belongs to. PROVIDER_REF is
# the provider's charge or refund id (a refund names the charge it gives back).
PAYMENT_KIND_MAX = 10
PROVIDER_REF_MAX = 100
OUTCOME_MAX = 10
REASON_MAX = 100
PAYMENT_RECORDS = Table(
    "PAYMENT_RECORDS",
    metadata,
    Column("ID", Uuid(), primary_key=True),
    Column("TENANT_ID", Uuid(), nullable=False),
    Column("ORDER_ID", Uuid(), ForeignKey(ORDERS.c.ID), nullable=False),
    Column("KIND", String(PAYMENT_KIND_MAX), nullable=False),
    Column("OUTCOME", String(OUTCOME_MAX), nullable=False),
    Column("PROVIDER_REF", String(PROVIDER_REF_MAX), nullable=False),
    Column("AMOUNT", Numeric(14, 2, asdecimal=True), nullable=False),
    Column("CURRENCY", String(3), nullable=False),
    Column("REASON", String(REASON_MAX), nullable=True),
    Column("RECORDED_AT", UtcTimestamp(), nullable=False),
    UniqueConstraint("ORDER_ID", "KIND"),
)
PAYMENT_RECORDS.append_constraint(CheckConstraint(PAYMENT_RECORDS.c.KIND.in_(["charge", "refund"]), name="KIND"))

# The notifications already sent, by the id of the message that asked for them: a message delivered again finds
# its row (UNIQUE: the primary key) and is acknowledged without a second email.
NOTIFICATION_KIND_MAX = 100
NOTIFICATIONS_SENT = Table(
    "NOTIFICATIONS_SENT",
    metadata,
    Column("MESSAGE_ID", Uuid(), primary_key=True),
    Column("TENANT_ID", Uuid(), nullable=False),
    Column("KIND", String(NOTIFICATION_KIND_MAX), nullable=False),
    Column("SENT_AT", UtcTimestamp(), nullable=True),  # null: claimed, its email not (yet) known to be sent
    Column("CLAIMED_AT", UtcTimestamp(), nullable=True),
)


# The admin's figures (migration 0010; adapters/db/reports.py). Each is read from an index alone, never the table:
# the orders placed in a date range, with every column a revenue figure groups or sums (one range of
# IX_ORDERS_REPORTS serves stats' revenue, sales by day, the order flow and top customers); orders and users
# counted per status (and role); whether an order has an event of a kind (it reached CONFIRMED); an order's
# lines with what the sales by product add up. Live rows only where rows are soft-deleted (DELETED_AT last on
# Oracle, as in list_index).
def _live_index(name: str, table: Table, *columns: str, compress: int) -> Index:
    live = table.c.DELETED_AT.is_(None)
    cols = [table.c[c] for c in (*columns, "DELETED_AT")]
    return Index(name, *cols, postgresql_where=live, sqlite_where=live, oracle_compress=compress)


REPORT_INDEXES = (
    _live_index(
        "IX_ORDERS_REPORTS",
        ORDERS,
        "TENANT_ID",
        "CREATED_AT",
        "STATUS",
        "PAYMENT_STATUS",
        "CURRENCY",
        "TOTAL_AMOUNT",
        "USER_ID",
        "ID",
        compress=1,
    ),
    _live_index("IX_USERS_STATS", USERS, "TENANT_ID", "STATUS", "ROLE", compress=3),
    Index("IX_ORDER_EVENTS_KIND", ORDER_EVENTS.c.ORDER_ID, ORDER_EVENTS.c.KIND),
    Index(
        "IX_ORDER_ITEMS_SALES",
        ORDER_ITEMS.c.ORDER_ID,
        ORDER_ITEMS.c.PRODUCT_ID,
        ORDER_ITEMS.c.CURRENCY,
        ORDER_ITEMS.c.QUANTITY,
        ORDER_ITEMS.c.LINE_TOTAL,
    ),
)


# Service-to-service (issue 8). The keys services present in X-API-Key, stored as SHA-256 digests (the keys are
# 256 random bits: no dictionary to guess from, so a slow password hash would add latency to every service call
# without adding safety); ID is the key id people and logs name a key by. At most two keys of a service are
# active (RETIRED_AT NULL) per tenant, so one can be rolled out while the other still works.
SERVICE_NAME_MAX = 64
SERVICE_KEYS = Table(
    "SERVICE_KEYS",
    metadata,
    Column("ID", Uuid(), primary_key=True),
    Column("TENANT_ID", Uuid(), nullable=False),
    Column("SERVICE_NAME", String(SERVICE_NAME_MAX), nullable=False),
    Column("KEY_HASH", String(64), nullable=False),
    Column("CREATED_AT", UtcTimestamp(), nullable=False),
    Column("CREATED_BY", String(ACTOR_MAX), nullable=False),
    Column("RETIRED_AT", UtcTimestamp(), nullable=True),
    UniqueConstraint("KEY_HASH"),
    Index(None, "TENANT_ID", "SERVICE_NAME", "RETIRED_AT"),
)


def sync_index(table: Table) -> Index:
    """The index a service sync reads: every row of a tenant, deleted ones too, in (UPDATED_AT, ID) order."""
    return Index(f"IX_{table.name}_SYNC", table.c.TENANT_ID, table.c.UPDATED_AT, table.c.ID, oracle_compress=1)


SYNC_INDEXES = (sync_index(PRODUCTS), sync_index(USERS), sync_index(ORDERS))
