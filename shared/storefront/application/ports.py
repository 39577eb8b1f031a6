"""The ports the use cases depend on; adapters implement them, tests fake them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self
from uuid import UUID

from storefront.application.queries import Keyset, ProductQuery, Window
from storefront.domain import rate_limits
from storefront.domain.health import MetricFamily
from storefront.domain.identity import UserStatus
from storefront.domain.products import Product

if TYPE_CHECKING:  # identity types only annotate here: a product function does not load them
    from storefront.application.admin_order_queries import AdminOrderQuery
    from storefront.application.order_queries import OrderQuery
    from storefront.application.user_queries import UserQuery
    from storefront.domain.money import Money
    from storefront.domain.orders import Order, OrderEvent
    from storefront.domain.payments import PaymentKind, PaymentRecord, PaymentResult, RefundResult
    from storefront.domain.reports import (
        Breakdown,
        CustomerSales,
        DateRange,
        Granularity,
        OrderFlow,
        ProductSales,
        RevenueTotals,
        RevenueWindows,
        SalesTotal,
        StockLevel,
    )
    from storefront.domain.service_keys import ServiceKey
    from storefront.domain.sessions import AuthEvent, PasswordReset, RefreshSession
    from storefront.domain.users import User
    from storefront.messages.envelope import Envelope, Queue


class ProductRepository(Protocol):
    def add(self, product: Product) -> None:
        """Insert a new product (BIZ_002 Conflict when its SKU is taken in the tenant)."""

    def get(self, tenant_id: UUID, product_id: UUID) -> Product | None:
        """The live (not deleted) product of the tenant, or None."""

    def search(
        self, tenant_id: UUID, query: ProductQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[Product]:
        """Up to ``query.limit + 1`` of the tenant's live products matching the query, in the query's order
        with the id breaking ties in the same direction, starting after ``after`` (else at ``query.offset``),
        and how many match, counted up to TOTAL_CAP + 1 (not counted again when ``known_matches`` says it)."""

    def update(self, product: Product, expected_version: int) -> bool:
        """Store ``product`` if the stored row is live and still at ``expected_version``; False otherwise."""

    def taken_skus(self, tenant_id: UUID, skus: Sequence[str]) -> set[str]:
        """Which of ``skus`` a product of the tenant has (deleted ones too: their SKUs stay taken)."""

    def add_many(self, products: Sequence[Product]) -> None:
        """Insert new products in bulk statements (BIZ_002 Conflict when a SKU is taken: none is inserted)."""

    def get_many(self, tenant_id: UUID, product_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, Product]:
        """The tenant's live products among ``product_ids``, by id; with ``lock`` locked until the unit ends."""

    def update_many(self, changes: Sequence[tuple[Product, int]]) -> None:
        """Store each product whose row is live and still at the version paired with it, in bulk statements;
        BIZ_002 Conflict unless every one was (nothing is then kept: the unit is not committed)."""

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[Product]:
        """Up to ``limit`` of the tenant's products, deleted ones too, with UPDATED_AT at or before ``until``,
        in (UPDATED_AT, ID) order after ``after``."""


class Transaction(Protocol):
    """A unit of work's transaction: rolls back on exit unless ``commit`` was called."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class UnitOfWork(Transaction, Protocol):
    """A transaction over the catalogue: its products."""

    @property
    def products(self) -> ProductRepository: ...


class Cache(Protocol):
    """A best-effort key/value cache: a failing cache behaves as an empty one."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    def delete(self, key: str) -> None: ...

    def delete_many(self, keys: Sequence[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class RecalledTotal:
    """What the totals memo holds for one list: its capped match count (None when unknown) and the
    generation of the scope it was read in (None when nothing may be remembered, e.g. the memo is down)."""

    matches: int | None
    generation: str | None


class ListTotals(Protocol):
    """Remembers how many rows each list of a scope (one tenant's catalogue) matches, until a write to the
    scope makes it forget them all: a list page then counts its matches once per change, not per request."""

    def recall(self, scope: str, listing: str) -> RecalledTotal:
        """The remembered count of ``listing`` in ``scope`` and the scope's current generation."""

    def remember(self, scope: str, listing: str, generation: str, matches: int) -> None:
        """Keep ``matches`` for ``listing`` unless the scope changed since ``generation`` was recalled."""

    def forget(self, scope: str) -> None:
        """Drop every count of ``scope`` (after a committed write to it)."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """The access token of an authenticated request, as the revocation checks know it: its subject (tenant
    and user), when it was issued (milliseconds since the epoch), its id (``jti``) and its login session
    (``sid``), each None when the token has none."""

    tenant_id: UUID
    user_id: str
    issued_at_ms: int
    token_id: str | None = None
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class RateDecision:
    """What the rate limiter answered for one request.

    ``answered`` is False when the store could not be asked (Redis unreachable): then nothing was checked,
    neither the limits nor the revocations, and ``admitted`` is False; the caller decides whether to fail
    open. ``revoked``: the token or every session of its user was revoked (nothing is consumed). Otherwise
    ``admitted`` says whether every window admitted the request; ``limit``, ``remaining`` and
    ``reset_seconds`` describe the tightest window (the one that refused, when refused), and
    ``retry_after_seconds`` is how long to wait when refused. ``limit`` is None when no limit applies
    (no store is configured): then there is nothing to report.
    """

    admitted: bool
    limit: int | None = None
    remaining: int = 0
    reset_seconds: int = 0
    retry_after_seconds: int = 0
    revoked: bool = False
    answered: bool = True


UNANSWERED = RateDecision(admitted=False, answered=False)


class RateLimiter(Protocol):
    """Decides, in one atomic step shared by every function instance, whether a caller may make a request:
    its token is not revoked and every window of its limits still admits one more request."""

    def check(
        self, caller: str, windows: Sequence[rate_limits.Window], token: IssuedToken | None = None
    ) -> RateDecision:
        """Check ``token`` (when the caller is authenticated) against the revocations, then consume one
        request of every window of ``caller``'s budget, or none when any window refuses it."""


class Revocations(Protocol):
    """Records revocations that the rate limiter's check answers (logout, ban, password reset)."""

    def revoke_token(self, token_id: str, until_epoch: int) -> None:
        """Refuse the access token ``token_id`` until ``until_epoch`` (its ``exp``: it is dead after that
        anyway). ServiceUnavailable when it cannot be recorded."""

    def revoke_session(self, session_id: str, until_epoch: int) -> None:
        """Refuse every access token of one login session (``sid``, a refresh-token family) until
        ``until_epoch``. ServiceUnavailable when it cannot be recorded."""

    def revoke_sessions(self, tenant_id: UUID, user_id: str, at_ms: int) -> None:
        """Refuse every access token of the user issued at or before ``at_ms`` (milliseconds since the epoch;
        for as long as the longest-lived of them could still be valid). ServiceUnavailable when it cannot
        be recorded."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


@dataclass(frozen=True, slots=True)
class CatalogPorts:
    """What the product use cases need."""

    unit_of_work: Callable[[], UnitOfWork]
    cache: Cache
    totals: ListTotals
    clock: Clock
    cache_ttl_seconds: int = 60


class SecretStore(Protocol):
    def json_secret(self, secret_id: str) -> dict[str, Any]:
        """The secret's value parsed as a JSON object; ServiceUnavailable when it cannot be read."""


class TokenVerifier(Protocol):
    def verify(self, token: str) -> dict[str, Any]:
        """The claims of a valid access token; raises Unauthenticated, or TokenExpired when it has expired."""


# Identity -------------------------------------------------------------------------------------------------


class UserRepository(Protocol):
    def add(self, user: User) -> None:
        """Store a new user (Conflict when its email or username is taken in the tenant)."""

    def get(self, tenant_id: UUID, user_id: UUID) -> User | None:
        """The live user of the tenant, or None."""

    def find_by_login(self, tenant_id: UUID, login: str) -> User | None:
        """The live user whose email or username is ``login`` (case-insensitively), or None."""

    def find_by_email(self, tenant_id: UUID, email: str) -> User | None:
        """The live user with this email (case-insensitively), or None."""

    def update(self, user: User, expected_version: int) -> bool:
        """Store ``user`` if the stored row is live and still at ``expected_version``; False otherwise."""

    def search(
        self, tenant_id: UUID, query: UserQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[User]:
        """Up to ``query.limit + 1`` of the tenant's live users matching the query, in the query's order with the
        id breaking ties in the same direction, starting after ``after`` (else at ``query.offset``), and how many
        match, counted up to TOTAL_CAP + 1 (not counted again when ``known_matches`` says it)."""

    def taken_keys(self, tenant_id: UUID, column: str, keys: Sequence[str]) -> set[str]:
        """Which of the login keys (``login_key``) a user of the tenant has as ``column`` (``email`` or
        ``username``), deleted users too (their email and username stay taken)."""

    def add_many(self, users: Sequence[User]) -> None:
        """Insert new users in bulk statements (BIZ_002 Conflict when an email or username is taken: none is)."""

    def get_many(self, tenant_id: UUID, user_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, User]:
        """The tenant's live users among ``user_ids``, by id; with ``lock`` locked until the unit ends."""

    def update_many(self, changes: Sequence[tuple[User, int]]) -> None:
        """Store each user whose row is live and at the version paired with it; BIZ_002 unless every one was."""

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[User]:
        """Up to ``limit`` of the tenant's users, deleted ones too, stamped at or before ``until``, in
        (UPDATED_AT, ID) order after ``after``."""

    def record_login(self, user: User) -> None:
        """Store the login time (and a rehashed password) without moving the version."""


class RefreshSessions(Protocol):
    def add(self, session: RefreshSession) -> None:
        """Store a new refresh token of a family."""

    def find(self, token_hash: str) -> RefreshSession | None:
        """The refresh token with this digest, whatever its state, or None."""

    def mark_used(self, session_id: UUID, at: datetime) -> bool:
        """Rotate: mark the token used if it is still unused and unrevoked; False when someone was first."""

    def revoke_family(self, family_id: UUID, at: datetime) -> int:
        """Revoke every token of a family that is not revoked yet; how many were."""

    def revoke_user(self, tenant_id: UUID, user_id: UUID, at: datetime) -> int:
        """Revoke every token of every family of a user; how many were."""


class PasswordResets(Protocol):
    def add(self, reset: PasswordReset) -> None:
        """Store a new reset."""

    def find(self, token_hash: str) -> PasswordReset | None:
        """The reset with this digest, whatever its state, or None."""

    def mark_used(self, reset_id: UUID, at: datetime) -> bool:
        """Consume the reset if nobody has; False when it was already used."""

    def void_user(self, tenant_id: UUID, user_id: UUID, at: datetime) -> int:
        """Use up every unused reset of the user (a password was just set); how many there were."""


class AuthEvents(Protocol):
    def record(self, event: AuthEvent) -> None:
        """Append one event to the audit trail (it commits with the unit of work)."""


class IdentityUnitOfWork(Transaction, Protocol):
    """A transaction over the identity tables: rolls back on exit unless ``commit`` was called."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def refresh_sessions(self) -> RefreshSessions: ...

    @property
    def password_resets(self) -> PasswordResets: ...

    @property
    def auth_events(self) -> AuthEvents: ...

    @property
    def outbox(self) -> Outbox: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """The encoded hash of ``password`` (algorithm, parameters and salt included)."""

    def verify(self, encoded: str, password: str) -> bool:
        """Whether ``password`` matches ``encoded``."""

    def needs_rehash(self, encoded: str) -> bool:
        """Whether ``encoded`` was made with other parameters than the current ones."""

    def verify_nothing(self, password: str) -> None:
        """Spend what a verify costs, for an account that does not exist (no timing difference)."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A signed access token, its id and when it expires (epoch seconds)."""

    token: str
    jti: str
    expires_at: int
    lifetime_seconds: int


class AccessTokenIssuer(Protocol):
    def issue(self, user: User, now: datetime, session_id: UUID) -> AccessToken:
        """A signed access token for ``user`` (the contract's claims, and ``sid``: the login session it
        belongs to), issued at ``now``."""


@dataclass(frozen=True, slots=True)
class UserPorts:
    """What the users, profile and admin use cases need (no password hashing: none of them sets a password)."""

    unit_of_work: Callable[[], IdentityUnitOfWork]
    totals: ListTotals
    revocations: Revocations
    clock: Clock


class LoginThrottle(Protocol):
    def retry_after(self, keys: tuple[str, ...]) -> int | None:
        """Seconds until the first of ``keys`` (an account, a client IP) is unlocked; None when none is locked."""

    def failed(self, keys: tuple[str, ...]) -> int | None:
        """Count a failure against every key; seconds of the lock it caused, or None."""

    def succeeded(self, key: str) -> None:
        """Forget the failures of ``key`` (an account that signed in)."""


@dataclass(frozen=True, slots=True)
class Email:
    """A message to one recipient, in plain text and HTML."""

    to: str
    subject: str
    text: str
    html: str


class Notifier(Protocol):
    def send(self, email: Email) -> None:
        """Deliver ``email`` (raises ExternalUnavailable/ExternalError when the provider fails)."""


class MessagePublisher(Protocol):
    """Sends messages to a logical queue (SQS in AWS and locally; a list in the unit tests)."""

    def publish(self, queue: Queue, messages: Sequence[Envelope], delay_seconds: int = 0) -> list[UUID]:
        """Send ``messages`` (at most 10 per call, SQS's batch limit) and return the ids of those that were
        NOT accepted (an empty list when all were); raises ExternalUnavailable (EXT_002) when the queue cannot
        be reached at all. Sending is at-least-once: consumers deduplicate on the envelope's ``id``.
        ``delay_seconds`` (0..900) keeps the messages invisible that long (a consumer deferring one)."""


class DeadLetters(Protocol):
    """Where an SQS consumer puts a message it refuses outright (an unknown type or version): the source
    queue's dead-letter queue, at once, instead of after every retry."""

    def send(self, source_arn: str, body: str, attributes: Mapping[str, Any], reason: str) -> None:
        """Put ``body`` and its message ``attributes`` (as the Lambda event gives them) on the DLQ of the
        queue ``source_arn`` with the ``reason``; raises ExternalUnavailable when that fails."""


# Orders -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StockLine:
    """A quantity of one product, as an order holds it."""

    product_id: UUID
    quantity: int


class OrderRepository(Protocol):
    def add(self, order: Order, event: OrderEvent) -> None:
        """Insert a new order, its items and its first event."""

    def get(self, tenant_id: UUID, order_id: UUID) -> Order | None:
        """The live order of the tenant with its items and history (events oldest first), or None."""

    def update(self, order: Order, expected: Order, event: OrderEvent | None) -> bool:
        """Store ``order`` if the stored row is live and still at ``expected``'s status and version, and append
        ``event`` (its sequence must be the next one); False when someone else changed the order first."""

    def search(
        self,
        tenant_id: UUID,
        user_id: UUID,
        query: OrderQuery,
        after: Keyset | None = None,
        *,
        known_matches: int | None = None,
    ) -> Window[Order]:
        """Up to ``query.limit + 1`` of the user's live orders matching the query (with their items and history),
        in the query's order with the id breaking ties in the same direction, starting after ``after`` (else at
        ``query.offset``), and how many match, counted up to TOTAL_CAP + 1 (not counted when ``known_matches``
        says it)."""

    def account_status(self, tenant_id: UUID, user_id: UUID) -> UserStatus | None:
        """The status of the tenant's live user ``user_id`` (the one placing an order), or None: no such account
        (never one, deleted, or a service's subject)."""

    def search_tenant(
        self, tenant_id: UUID, query: AdminOrderQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[Order]:
        """``search`` over every user's live orders of the tenant (the admin's list), with its owner and total
        filters."""

    def add_many(self, placed: Sequence[tuple[Order, OrderEvent]]) -> None:
        """Store new orders, their items and first events in bulk statements."""

    def get_many(self, tenant_id: UUID, order_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, Order]:
        """The tenant's live orders among ``order_ids`` (any user's), by id; with ``lock`` locked until the unit
        ends."""

    def update_many(self, changes: Sequence[tuple[Order, int, OrderEvent]]) -> None:
        """Store each order whose row is live and at the version paired with it, and append its event, in bulk
        statements; BIZ_002 unless every one was."""

    def live_users(self, tenant_id: UUID, user_ids: Sequence[UUID]) -> set[UUID]:
        """Which of ``user_ids`` are live, active users of the tenant (orders are placed for them; a banned one orders
        nothing, as on POST orders)."""

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[Order]:
        """Up to ``limit`` of the tenant's orders (every user's), deleted ones too, stamped at or before ``until``,
        in (UPDATED_AT, ID) order after ``after``, with their items and history."""

    def catalogue(self, tenant_id: UUID, product_ids: Sequence[UUID]) -> dict[UUID, Product]:
        """The tenant's live products among ``product_ids``, by id (batched reads, whatever the count)."""

    def release_stock(self, tenant_id: UUID, lines: Sequence[StockLine], at: datetime) -> None:
        """Give the quantities back to the products' stock (``STOCK = STOCK + :q``, in the unit's transaction);
        the products' UPDATED_AT becomes ``at`` (a service sync sees the change)."""

    def reserve_stock(self, tenant_id: UUID, lines: Sequence[StockLine], at: datetime) -> bool:
        """Take the quantities from the live products' stock, each by one conditional statement
        (``STOCK = STOCK - :q WHERE STOCK >= :q``), in product id order, UPDATED_AT becoming ``at``; False at the
        first line short of stock (the lines before it are taken: the caller must not commit)."""

    def payment_record(self, tenant_id: UUID, order_id: UUID, kind: PaymentKind) -> PaymentRecord | None:
        """The recorded charge or refund of the order, or None."""

    def record_payment(self, record: PaymentRecord) -> None:
        """Store a provider's decision in the unit's transaction; Conflict when the order already has one of that
        kind (UNIQUE (ORDER_ID, KIND))."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A message waiting in the outbox: its id (the envelope's), the queue it goes to, the envelope's JSON and how
    many sends have failed so far."""

    id: UUID
    queue: str
    body: str
    attempts: int


class Outbox(Protocol):
    def add_many(self, messages: Sequence[tuple[Queue, Envelope]]) -> None:
        """Write many messages in bulk statements, in the unit's transaction."""

    def add(self, queue: Queue, message: Envelope) -> None:
        """Write a message for ``queue`` in the unit's transaction: it exists exactly when the change does."""

    def claim(self, limit: int, created_before: datetime) -> list[OutboxMessage]:
        """Lock and return up to ``limit`` unpublished messages created before ``created_before``, oldest first,
        skipping rows another transaction holds (SELECT ... FOR UPDATE SKIP LOCKED where the database has row
        locks): two relays never claim the same message at once."""

    def mark_published(self, message_ids: Sequence[UUID], at: datetime) -> None:
        """Record that the messages were accepted by their queue."""

    def mark_failed(self, message_ids: Sequence[UUID]) -> None:
        """Count one more failed send of each message (it stays unpublished)."""

    def backlog(self) -> tuple[int, datetime | None]:
        """How many messages are unpublished, and when the oldest of them was written (None: none waits)."""


class OutboxUnitOfWork(Transaction, Protocol):
    """Any transaction that can write and mark outbox rows (what ``publish_committed`` needs)."""

    @property
    def outbox(self) -> Outbox: ...


class OrderUnitOfWork(Transaction, Protocol):
    """A transaction over orders, the catalogue's stock and the outbox: rolls back on exit unless committed."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def outbox(self) -> Outbox: ...


@dataclass(frozen=True, slots=True)
class OrderPorts:
    """What the order use cases need. ``publisher`` is None where no queue is configured: messages then stay in
    the outbox until the relay runs where one is. ``cache`` is the product cache (a stock change makes it drop
    the products it touched)."""

    unit_of_work: Callable[[], OrderUnitOfWork]
    totals: ListTotals
    cache: Cache
    clock: Clock
    publisher: MessagePublisher | None = None


class PaymentGateway(Protocol):
    """Takes and gives back money through the payment provider.

    An answer is a decision (approved or declined); there is no "maybe". When the provider times out or fails
    after the adapter's retries the call raises ExternalTimeout (EXT_001) or ExternalError (EXT_003); when it
    cannot be reached, or its circuit breaker is open, ExternalUnavailable (EXT_002). The outcome is then
    unknown: the caller retries later with the same ``idempotency_key``, which the provider answers with the
    same charge or refund instead of making a second one.
    """

    def charge(
        self, tenant_id: UUID, order_id: UUID, amount: Money, payment_token: str, idempotency_key: str
    ) -> PaymentResult:
        """Charge ``amount`` to the means of payment ``payment_token`` stands for, once per ``idempotency_key``
        (``storefront.domain.payments.charge_key(order_id)``)."""

    def refund(
        self, tenant_id: UUID, order_id: UUID, charge_id: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        """Give back ``amount`` of the charge ``charge_id`` (a PaymentResult's), once per ``idempotency_key``
        (``storefront.domain.payments.refund_key(order_id)``)."""

    def refund_charge(
        self, tenant_id: UUID, order_id: UUID, charge_idempotency_key: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        """Give back ``amount`` of the charge made under ``charge_idempotency_key``, whose answer never came (the
        charge is named by its key, not its id), once per ``idempotency_key``. Declined ``charge_not_found``
        when no charge was made under that key, ``charge_not_approved`` when it was declined."""


# Notifications -----------------------------------------------------------------------------------------------


class Claim(StrEnum):
    """What a claim of a message's notification found."""

    CLAIMED = "claimed"  # this caller sends it now (no row yet, or an abandoned claim taken over)
    SENT = "sent"  # already sent: nothing to do
    BUSY = "busy"  # claimed by another caller a moment ago: try again later


class SentNotifications(Protocol):
    def claim(self, message_id: UUID, tenant_id: UUID, kind: str, at: datetime) -> bool:
        """Record in the unit's transaction that the message ``message_id`` is being notified; False when it
        already was (its row exists: UNIQUE). A second claim of the same id waits for the first transaction and
        is refused once it commits; it succeeds when the first rolled back (its email was not sent)."""

    def claim_for_sending(
        self, message_id: UUID, tenant_id: UUID, kind: str, at: datetime, abandoned_before: datetime
    ) -> Claim:
        """Claim ``message_id``'s email for sending outside the transaction (commit, send, then ``mark_sent``):
        CLAIMED when there is no row, or only a claim made before ``abandoned_before`` (its caller ended
        without marking it: it is taken over); SENT when it was sent; BUSY when claimed since."""

    def mark_sent(self, message_id: UUID, at: datetime) -> None:
        """Record that the claimed email of ``message_id`` went out."""

    def release(self, message_id: UUID) -> None:
        """Drop an unsent claim of ``message_id`` (its send failed), so the next delivery sends at once."""


class NotificationUnitOfWork(Transaction, Protocol):
    """A transaction over the sent notifications, with the orders and users an email is written from, and the
    password resets whose token only the email carries."""

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def notifications_sent(self) -> SentNotifications: ...

    @property
    def password_resets(self) -> PasswordResets: ...


@dataclass(frozen=True, slots=True)
class NotificationPorts:
    """What the notification consumer needs."""

    unit_of_work: Callable[[], NotificationUnitOfWork]
    notifier: Notifier
    clock: Clock


class HealthProbe(Protocol):
    """One dependency a readiness check asks (the database, Redis): ``check`` returns when it answered and
    raises when it did not; the probe bounds its own wait (connect and read timeouts)."""

    name: str

    def check(self) -> None: ...


class MetricSource(Protocol):
    """One source of the operational metrics (queue depths, the outbox, orders, the cache, the pool)."""

    name: str

    def collect(self) -> list[MetricFamily]: ...


# Reports -----------------------------------------------------------------------------------------------------


class ReportRepository(Protocol):
    """The admin's figures, each one aggregate read over the tenant's live rows (nothing is summed by the caller)."""

    def user_counts(self, tenant_id: UUID) -> tuple[Breakdown, Breakdown]:
        """How many live users the tenant has, per status and per role."""

    def order_counts(self, tenant_id: UUID) -> Breakdown:
        """How many live orders the tenant has, per status."""

    def revenue(self, tenant_id: UUID, windows: RevenueWindows, now: datetime) -> list[RevenueTotals]:
        """Per currency, the revenue orders and amounts placed since each window's start, up to ``now``."""

    def low_stock(self, tenant_id: UUID, threshold: int, listed: int) -> tuple[int, list[StockLevel]]:
        """How many live, active products have at most ``threshold`` in stock, and the first ``listed`` of them
        (lowest stock first, the id breaking ties)."""

    def sales(self, tenant_id: UUID, span: DateRange, granularity: Granularity) -> list[SalesTotal]:
        """The revenue orders placed in the range and their amount, per bucket and currency (in that order), then
        per currency over the whole range (``period`` None), in one statement."""

    def order_flow(self, tenant_id: UUID, span: DateRange, granularity: Granularity) -> list[OrderFlow]:
        """The orders placed in the range and how many of them reached CONFIRMED, per bucket with orders (in bucket
        order), then over the whole range (``period`` None; absent without orders), in one statement."""

    def top_products(self, tenant_id: UUID, span: DateRange, top: int) -> list[ProductSales]:
        """Per currency (in currency order), the ``top`` products by the revenue of their lines in revenue orders
        placed in the range, best first, the product id breaking ties."""

    def top_customers(self, tenant_id: UUID, span: DateRange, top: int) -> list[CustomerSales]:
        """Per currency (in currency order), the ``top`` customers by the revenue of their orders placed in the
        range, best first, the user id breaking ties."""


class ReportUnitOfWork(Transaction, Protocol):
    """A read-only unit of work over the tenant's users, products and orders."""

    @property
    def reports(self) -> ReportRepository: ...


@dataclass(frozen=True, slots=True)
class ReportPorts:
    """What the admin's stats, reports and analytics need: the figures are cached for ``cache_ttl_seconds``."""

    unit_of_work: Callable[[], ReportUnitOfWork]
    cache: Cache
    clock: Clock
    cache_ttl_seconds: int = 60


# Service-to-service ---------------------------------------------------------------------------------------


class ServiceKeys(Protocol):
    def add(self, key: ServiceKey) -> None:
        """Store a new key record."""

    def active(self, tenant_id: UUID, service_name: str, *, lock: bool = False) -> list[ServiceKey]:
        """The service's keys that are not retired, newest first; with ``lock`` held until the unit ends (the
        unit then writes)."""

    def retire(self, key_ids: Sequence[UUID], at: datetime) -> None:
        """Mark keys retired: they are refused from now on."""

    def find_active(self, key_hash: str) -> ServiceKey | None:
        """The active key with this digest, whatever its tenant and service (UNIQUE on the digest)."""


class ServiceKeyUnitOfWork(Transaction, Protocol):
    """A transaction over the service keys."""

    @property
    def service_keys(self) -> ServiceKeys: ...


@dataclass(frozen=True, slots=True)
class ServiceKeyPorts:
    """What the service key use cases need."""

    unit_of_work: Callable[[], ServiceKeyUnitOfWork]
    clock: Clock
