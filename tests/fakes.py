"""Fakes that implement the application ports, for tests that must not do I/O."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, cast
from uuid import UUID

from storefront.application.admin_order_queries import AdminOrderQuery
from storefront.application.auth import AuthPolicy, AuthPorts
from storefront.application.order_queries import OrderQuery
from storefront.application.ports import (
    UNANSWERED,
    AccessToken,
    CatalogPorts,
    Claim,
    Email,
    IssuedToken,
    NotificationPorts,
    OrderPorts,
    OutboxMessage,
    RateDecision,
    RecalledTotal,
    ReportPorts,
    ServiceKeyPorts,
    StockLine,
    UserPorts,
)
from storefront.application.queries import TOTAL_CAP, Keyset, ProductQuery, Window
from storefront.application.user_queries import UserQuery
from storefront.domain import rate_limits
from storefront.domain.errors import AppError, Conflict, ExternalUnavailable, ServiceUnavailable
from storefront.domain.health import MetricFamily
from storefront.domain.identity import Principal, UserStatus
from storefront.domain.money import Money
from storefront.domain.orders import Order, OrderEvent
from storefront.domain.payments import (
    PaymentKind,
    PaymentOutcome,
    PaymentRecord,
    PaymentResult,
    RefundOutcome,
    RefundResult,
)
from storefront.domain.products import Product
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
from storefront.domain.search import matches
from storefront.domain.service_keys import ServiceKey
from storefront.domain.sessions import AuthEvent, PasswordReset, RefreshSession
from storefront.domain.users import User, login_key, search_terms
from storefront.messages.envelope import Envelope, Queue
from storefront.messages.identity import PasswordResetRequested


class Synced(Protocol):
    """What a service sync orders rows by."""

    @property
    def id(self) -> UUID: ...

    @property
    def tenant_id(self) -> UUID: ...

    @property
    def updated_at(self) -> datetime: ...


S = TypeVar("S", bound=Synced)


def changed(rows: Iterable[S], tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[S]:
    """The rows a sync reads, as the SQL repositories do: the tenant's, stamped at or before ``until``, in
    (updated_at, id) order after ``after``, at most ``limit``."""
    found = sorted(
        (r for r in rows if r.tenant_id == tenant_id and r.updated_at <= until), key=lambda r: (r.updated_at, r.id)
    )
    if after is not None:
        found = [r for r in found if (r.updated_at, r.id) > (after.value, after.id)]
    return found[:limit]


class Paging(Protocol):
    """What a list query says of its page: its order, and offset and limit."""

    @property
    def order(self) -> str: ...

    @property
    def offset(self) -> int: ...

    @property
    def limit(self) -> int: ...


R = TypeVar("R", bound=Synced)


def paged(
    found: list[R],
    position: Callable[[R], tuple[Any, ...]],
    query: Paging,
    after: tuple[Any, ...] | None,
    known_matches: int | None,
) -> Window[R]:
    """One page of ``found`` as the SQL lists read it: sorted by ``position`` (the sort key, then the id) in the
    query's order, after the keyset position ``after`` or from the offset, ``limit + 1`` rows, the capped count."""
    descending = query.order == "desc"
    ordered = sorted(found, key=position, reverse=descending)
    if after is not None:
        rows = [r for r in ordered if (position(r) < after if descending else position(r) > after)]
    else:
        rows = ordered[query.offset :]
    counted = min(len(found), TOTAL_CAP + 1)
    return Window(rows[: query.limit + 1], counted if known_matches is None else known_matches)


class Versioned(Synced, Protocol):
    @property
    def version(self) -> int: ...

    @property
    def deleted_at(self) -> datetime | None: ...


V = TypeVar("V", bound=Versioned)


class FakeRows(Generic[V]):
    """An entity table in a dict (``rows`` by id): the reads and writes every entity repository has alike, with
    the SQL's tenant, liveness and version rules; ``add`` (the table's unique keys) is each repository's own."""

    rows: dict[UUID, V]

    def add(self, row: V) -> None:
        raise NotImplementedError

    def get(self, tenant_id: UUID, row_id: UUID) -> V | None:
        row = self.rows.get(row_id)
        return row if row is not None and row.tenant_id == tenant_id and row.deleted_at is None else None

    def update(self, row: V, expected_version: int) -> bool:
        current = self.get(row.tenant_id, row.id)
        if current is None or current.version != expected_version:
            return False
        self.rows[row.id] = row
        return True

    def add_many(self, rows: Sequence[V]) -> None:
        for row in rows:
            self.add(row)

    def get_many(self, tenant_id: UUID, row_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, V]:
        found = (self.get(tenant_id, row_id) for row_id in row_ids)
        return {r.id: r for r in found if r is not None}

    def update_many(self, changes: Sequence[tuple[V, int]]) -> None:
        if not all(self.update(row, version) for row, version in changes):
            raise Conflict("Version conflict")

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[V]:
        return changed(self.rows.values(), tenant_id, after, until, limit)


class FakeProductRepository(FakeRows[Product]):
    """Products in a dict, with the same tenant, liveness and version rules as the SQL repository."""

    def __init__(self) -> None:
        self.rows: dict[UUID, Product] = {}

    def add(self, product: Product) -> None:
        if any(p.tenant_id == product.tenant_id and p.details.sku == product.details.sku for p in self.rows.values()):
            raise Conflict("The resource already exists")
        self.rows[product.id] = product

    def search(
        self, tenant_id: UUID, query: ProductQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[Product]:
        found = [p for p in self.rows.values() if p.tenant_id == tenant_id and p.deleted_at is None]
        found = [p for p in found if _matches(p, query)]

        def position(p: Product) -> tuple[object, UUID]:
            return query.keyset_of(p).value, p.id

        return paged(found, position, query, None if after is None else (after.value, after.id), known_matches)

    def taken_skus(self, tenant_id: UUID, skus: Sequence[str]) -> set[str]:
        held = {p.details.sku for p in self.rows.values() if p.tenant_id == tenant_id}
        return held & set(skus)


def _matches(product: Product, query: ProductQuery) -> bool:
    d = product.details
    return (
        (query.status is None or d.status == query.status)
        and (query.category is None or d.category == query.category)
        and (query.min_price is None or d.price.amount >= query.min_price)
        and (query.max_price is None or d.price.amount <= query.max_price)
        and matches(query.words, d.name)
    )


class FakeTransaction:
    """The shell every fake unit of work shares: entering takes the copies it works on (``begin``), leaving
    drops whatever was not committed, like a transaction rolled back; ``commit`` publishes the copies (nothing
    for a read-only one)."""

    def __enter__(self) -> Self:
        self.begin()
        return self

    def begin(self) -> None:
        """Take copies of the committed state to work on (none by default)."""

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def commit(self) -> None:
        return None


class FakeUnitOfWork(FakeTransaction):
    """Keeps changes only when committed, like a transaction."""

    def __init__(self, repository: FakeProductRepository) -> None:
        self._committed_state = repository
        self.products = FakeProductRepository()
        self.committed = False

    def begin(self) -> None:
        self.products.rows = dict(self._committed_state.rows)

    def commit(self) -> None:
        self._committed_state.rows = dict(self.products.rows)
        self.committed = True


class FakeCache:
    """A dict cache that can be switched off to behave like an unreachable Redis."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}
        self.down = False

    def get(self, key: str) -> bytes | None:
        return None if self.down else self.entries.get(key)

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        if not self.down:
            self.entries[key] = value

    def delete(self, key: str) -> None:
        if not self.down:
            self.entries.pop(key, None)

    def delete_many(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.delete(key)


class FakeListTotals:
    """List totals in a dict of scopes, with the generation rule of the Redis adapter: a count recalled
    before a ``forget`` is not kept after it. ``down`` makes it remember nothing, like an unreachable Redis."""

    def __init__(self) -> None:
        self.generations: dict[str, str] = {}
        self.counts: dict[tuple[str, str, str], int] = {}
        self.down = False
        self._next = 0

    def recall(self, scope: str, listing: str) -> RecalledTotal:
        if self.down:
            return RecalledTotal(None, None)
        if scope not in self.generations:
            self._next += 1
            self.generations[scope] = f"g{self._next}"
        generation = self.generations[scope]
        return RecalledTotal(self.counts.get((scope, generation, listing)), generation)

    def remember(self, scope: str, listing: str, generation: str, matches: int) -> None:
        if not self.down and self.generations.get(scope) == generation:
            self.counts[(scope, generation, listing)] = matches

    def forget(self, scope: str) -> None:
        if not self.down:
            self.generations.pop(scope, None)


@dataclass
class FixedClock:
    moment: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 10, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, seconds: int) -> None:
        self.moment += timedelta(seconds=seconds)


class FakeRateLimits:
    """The RateLimiter and Revocations ports in memory, with the Redis adapter's rules: GCRA over every window
    (``storefront.domain.rate_limits.decide``) on ``clock``, which the test moves; a token refused when its id
    or its login session was revoked, or its user's sessions were revoked at or after it was issued (ms).
    ``down`` behaves like an unreachable Redis: checks go unanswered and revocations fail. ``checks`` records
    every call."""

    def __init__(self, clock: FixedClock | None = None) -> None:
        self.clock = clock or FixedClock()
        self.arrivals: dict[str, int] = {}
        self.revoked_tokens: dict[str, int] = {}
        self.revoked_logins: dict[str, int] = {}
        self.revoked_sessions: dict[tuple[UUID, str], int] = {}
        self.checks: list[tuple[str, tuple[rate_limits.Window, ...], IssuedToken | None]] = []
        self.down = False

    def _now_us(self) -> int:
        return int(self.clock.now().timestamp()) * rate_limits.MICROSECONDS

    def check(
        self, caller: str, windows: Sequence[rate_limits.Window], token: IssuedToken | None = None
    ) -> RateDecision:
        self.checks.append((caller, tuple(windows), token))
        if self.down:
            return UNANSWERED
        now_seconds = int(self.clock.now().timestamp())
        if token is not None:
            revoked_at = self.revoked_sessions.get((token.tenant_id, token.user_id))
            if revoked_at is not None and token.issued_at_ms <= revoked_at:
                return RateDecision(admitted=False, revoked=True)
            if token.token_id is not None and self.revoked_tokens.get(token.token_id, 0) > now_seconds:
                return RateDecision(admitted=False, revoked=True)
            if token.session_id is not None and self.revoked_logins.get(token.session_id, 0) > now_seconds:
                return RateDecision(admitted=False, revoked=True)
        keys = [f"{caller}:{w.limit}/{w.period_seconds}" for w in windows]
        verdict = rate_limits.decide(windows, [self.arrivals.get(k) for k in keys], self._now_us())
        if verdict.arrivals is not None:
            self.arrivals.update(zip(keys, verdict.arrivals, strict=True))
        return RateDecision(
            admitted=verdict.admitted,
            limit=verdict.window.limit,
            remaining=verdict.remaining,
            reset_seconds=verdict.reset_seconds,
            retry_after_seconds=verdict.retry_after_seconds,
        )

    def revoke_token(self, token_id: str, until_epoch: int) -> None:
        if self.down:
            raise ServiceUnavailable()
        self.revoked_tokens[token_id] = until_epoch

    def revoke_session(self, session_id: str, until_epoch: int) -> None:
        if self.down:
            raise ServiceUnavailable()
        self.revoked_logins[session_id] = until_epoch

    def revoke_sessions(self, tenant_id: UUID, user_id: str, at_ms: int) -> None:
        if self.down:
            raise ServiceUnavailable()
        key = (tenant_id, user_id)
        self.revoked_sessions[key] = max(at_ms, self.revoked_sessions.get(key, at_ms))


@dataclass
class FakeCatalog:
    """CatalogPorts wired to fakes, with handles on each fake."""

    repository: FakeProductRepository = field(default_factory=FakeProductRepository)
    cache: FakeCache = field(default_factory=FakeCache)
    totals: FakeListTotals = field(default_factory=FakeListTotals)
    clock: FixedClock = field(default_factory=FixedClock)
    units: list[FakeUnitOfWork] = field(default_factory=list)

    def unit_of_work(self) -> FakeUnitOfWork:
        unit = FakeUnitOfWork(self.repository)
        self.units.append(unit)
        return unit

    @property
    def ports(self) -> CatalogPorts:
        return CatalogPorts(unit_of_work=self.unit_of_work, cache=self.cache, totals=self.totals, clock=self.clock)


# Identity ---------------------------------------------------------------------------------------------------


class FakeUserRepository(FakeRows[User]):
    """Users in a dict, unique per tenant on the case-folded email and username, like USERS."""

    def __init__(self, rows: dict[UUID, User]) -> None:
        self.rows = rows

    def add(self, user: User) -> None:
        keys = {login_key(user.identity.email), login_key(user.identity.username)}
        for other in self.rows.values():
            taken = {login_key(other.identity.email), login_key(other.identity.username)}
            if other.tenant_id == user.tenant_id and keys & taken:
                raise Conflict("The resource already exists")
        self.rows[user.id] = user

    def find_by_login(self, tenant_id: UUID, login: str) -> User | None:
        key = login_key(login)
        return next(
            (
                u
                for u in self.rows.values()
                if u.tenant_id == tenant_id
                and u.deleted_at is None
                and key in (login_key(u.identity.email), login_key(u.identity.username))
            ),
            None,
        )

    def find_by_email(self, tenant_id: UUID, email: str) -> User | None:
        user = self.find_by_login(tenant_id, email)
        return user if user is not None and login_key(user.identity.email) == login_key(email) else None

    def taken_keys(self, tenant_id: UUID, column: str, keys: Sequence[str]) -> set[str]:
        held = {login_key(getattr(u.identity, column)) for u in self.rows.values() if u.tenant_id == tenant_id}
        return held & set(keys)

    def search(
        self, tenant_id: UUID, query: UserQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[User]:
        found = [u for u in self.rows.values() if u.tenant_id == tenant_id and u.deleted_at is None]
        found = [u for u in found if _user_matches(u, query)]

        def position(user: User) -> tuple[Any, ...]:
            return _nulls_lowest(query.keyset_of(user).value, user.id)

        mark = None if after is None else _nulls_lowest(after.value, after.id)
        return paged(found, position, query, mark, known_matches)

    def record_login(self, user: User) -> None:
        current = self.get(user.tenant_id, user.id)
        if current is not None:
            self.rows[user.id] = replace(current, last_login_at=user.last_login_at, password_hash=user.password_hash)


def _nulls_lowest(value: object, row_id: UUID) -> tuple[Any, ...]:
    """A sort position where a missing value comes before every value, as in the SQL lists."""
    return (value is not None, value if value is not None else 0, row_id)


def _user_matches(user: User, query: UserQuery) -> bool:
    terms = set(search_terms(user.identity))
    return (
        (query.status is None or user.status == query.status)
        and (query.role is None or user.role == query.role)
        and all(w in terms for w in query.words)
    )


class FakeRefreshSessions:
    def __init__(self, rows: dict[UUID, RefreshSession]) -> None:
        self.rows = rows

    def add(self, session: RefreshSession) -> None:
        self.rows[session.id] = session

    def find(self, token_hash: str) -> RefreshSession | None:
        return next((s for s in self.rows.values() if s.token_hash == token_hash), None)

    def mark_used(self, session_id: UUID, at: datetime) -> bool:
        session = self.rows[session_id]
        if session.used_at is not None or session.revoked_at is not None:
            return False
        self.rows[session_id] = replace(session, used_at=at)
        return True

    def revoke_family(self, family_id: UUID, at: datetime) -> int:
        return self._revoke(lambda s: s.family_id == family_id, at)

    def revoke_user(self, tenant_id: UUID, user_id: UUID, at: datetime) -> int:
        return self._revoke(lambda s: s.user_id == user_id and s.tenant_id == tenant_id, at)

    def _revoke(self, which: Callable[[RefreshSession], bool], at: datetime) -> int:
        chosen = [s for s in self.rows.values() if which(s) and s.revoked_at is None]
        for s in chosen:
            self.rows[s.id] = replace(s, revoked_at=at)
        return len(chosen)


class FakePasswordResets:
    def __init__(self, rows: dict[UUID, PasswordReset]) -> None:
        self.rows = rows

    def add(self, reset: PasswordReset) -> None:
        self.rows[reset.id] = reset

    def find(self, token_hash: str) -> PasswordReset | None:
        return next((r for r in self.rows.values() if r.token_hash == token_hash), None)

    def mark_used(self, reset_id: UUID, at: datetime) -> bool:
        reset = self.rows[reset_id]
        if reset.used_at is not None:
            return False
        self.rows[reset_id] = replace(reset, used_at=at)
        return True

    def void_user(self, tenant_id: UUID, user_id: UUID, at: datetime) -> int:
        unused = [
            r for r in self.rows.values() if r.user_id == user_id and r.tenant_id == tenant_id and r.used_at is None
        ]
        for reset in unused:
            self.rows[reset.id] = replace(reset, used_at=at)
        return len(unused)


class FakeAuthEvents:
    def __init__(self, rows: list[AuthEvent]) -> None:
        self.rows = rows

    def record(self, event: AuthEvent) -> None:
        self.rows.append(event)


@dataclass
class IdentityState:
    """The committed identity tables."""

    users: dict[UUID, User] = field(default_factory=dict)
    sessions: dict[UUID, RefreshSession] = field(default_factory=dict)
    resets: dict[UUID, PasswordReset] = field(default_factory=dict)
    events: list[AuthEvent] = field(default_factory=list)
    outbox: dict[UUID, OutboxRow] = field(default_factory=dict)
    notified: set[UUID] = field(default_factory=set)  # NOTIFICATIONS_SENT: the message ids already mailed


class FakeSentNotifications:
    """NOTIFICATIONS_SENT: a claim of an id already present is refused (its UNIQUE key)."""

    def __init__(self, rows: set[UUID]) -> None:
        self.rows = rows
        self.claims: dict[UUID, datetime] = {}  # claimed, not marked sent

    def claim(self, message_id: UUID, tenant_id: UUID, kind: str, at: datetime) -> bool:
        if message_id in self.rows:
            return False
        self.rows.add(message_id)
        return True

    def claim_for_sending(
        self, message_id: UUID, tenant_id: UUID, kind: str, at: datetime, abandoned_before: datetime
    ) -> Claim:
        claimed = self.claims.get(message_id)
        if message_id in self.rows and claimed is None:
            return Claim.SENT
        if claimed is not None and claimed >= abandoned_before:
            return Claim.BUSY
        self.rows.add(message_id)
        self.claims[message_id] = at
        return Claim.CLAIMED

    def mark_sent(self, message_id: UUID, at: datetime) -> None:
        self.claims.pop(message_id, None)

    def release(self, message_id: UUID) -> None:
        if self.claims.pop(message_id, None) is not None:
            self.rows.discard(message_id)


class FakeIdentityUnitOfWork(FakeTransaction):
    """Works on copies of the committed state; ``commit`` publishes them, like a transaction."""

    def __init__(self, state: IdentityState) -> None:
        self._state = state

    def begin(self) -> None:
        s = self._state
        self.users = FakeUserRepository(dict(s.users))
        self.refresh_sessions = FakeRefreshSessions(dict(s.sessions))
        self.password_resets = FakePasswordResets(dict(s.resets))
        self.auth_events = FakeAuthEvents(list(s.events))
        self.outbox_state = OrderState(outbox={k: replace(v) for k, v in s.outbox.items()})
        self.outbox = FakeOutbox(self.outbox_state)
        self.notifications_sent = FakeSentNotifications(set(s.notified))
        self.orders = FakeOrderRepository(OrderState())  # no orders here: the notification port asks for them

    def commit(self) -> None:
        s = self._state
        s.users, s.sessions = dict(self.users.rows), dict(self.refresh_sessions.rows)
        s.resets, s.events = dict(self.password_resets.rows), list(self.auth_events.rows)
        s.outbox, s.notified = dict(self.outbox_state.outbox), set(self.notifications_sent.rows)


class FakeHasher:
    """A reversible stand-in for argon2 (``v<version>$<password>``): fast, and tells which calls were made."""

    def __init__(self, version: int = 2) -> None:
        self.version = version
        self.dummy_verifications = 0

    def hash(self, password: str) -> str:
        return f"v{self.version}${password}"

    def verify(self, encoded: str, password: str) -> bool:
        return encoded.split("$", 1)[1] == password

    def needs_rehash(self, encoded: str) -> bool:
        return not encoded.startswith(f"v{self.version}$")

    def verify_nothing(self, password: str) -> None:
        self.dummy_verifications += 1


class FakeTokenIssuer:
    """Access tokens as readable strings: ``access:<user id>:<jti>:<sid>``; ``sessions`` maps each jti to
    the login session it was issued in."""

    def __init__(self, lifetime_seconds: int = 900) -> None:
        self.lifetime = lifetime_seconds
        self._count = 0
        self.sessions: dict[str, UUID] = {}

    def issue(self, user: User, now: datetime, session_id: UUID) -> AccessToken:
        self._count += 1
        jti = f"jti-{self._count}"
        self.sessions[jti] = session_id
        expires_at = int(now.timestamp()) + self.lifetime
        return AccessToken(f"access:{user.id}:{jti}:{session_id}", jti, expires_at, self.lifetime)


class FakeLoginThrottle:
    """Counts failures per key and locks a key at its kind's threshold, like the Redis throttle (no expiry)."""

    def __init__(self, thresholds: dict[str, int] | None = None, lock_seconds: int = 900) -> None:
        self.thresholds = thresholds or {"account": 3, "ip": 10, "forgot": 3, "forgot-ip": 10, "reset-ip": 3}
        self.lock_seconds = lock_seconds
        self.failures: dict[str, int] = {}
        self.locked: set[str] = set()

    def retry_after(self, keys: tuple[str, ...]) -> int | None:
        return self.lock_seconds if any(k in self.locked for k in keys) else None

    def failed(self, keys: tuple[str, ...]) -> int | None:
        locked = None
        for key in keys:
            self.failures[key] = self.failures.get(key, 0) + 1
            if self.failures[key] >= self.thresholds[key.split(":", 1)[0]]:
                self.locked.add(key)
                self.failures[key] = 0
                locked = self.lock_seconds
        return locked

    def succeeded(self, key: str) -> None:
        self.failures.pop(key, None)


class FakeNotifier:
    def __init__(self) -> None:
        self.sent: list[Email] = []
        self.down = False

    def send(self, email: Email) -> None:
        if self.down:
            raise AppError("email provider down")
        self.sent.append(email)


@dataclass
class FakeIdentity:
    """AuthPorts wired to fakes, with handles on each fake."""

    state: IdentityState = field(default_factory=IdentityState)
    hasher: FakeHasher = field(default_factory=FakeHasher)
    tokens: FakeTokenIssuer = field(default_factory=FakeTokenIssuer)
    revocations: FakeRateLimits = field(default_factory=FakeRateLimits)
    throttle: FakeLoginThrottle = field(default_factory=FakeLoginThrottle)
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
    clock: FixedClock = field(default_factory=FixedClock)
    totals: FakeListTotals = field(default_factory=FakeListTotals)
    publisher: FakePublisher = field(default_factory=lambda: FakePublisher())
    units: int = 0

    def unit_of_work(self) -> FakeIdentityUnitOfWork:
        self.units += 1
        return FakeIdentityUnitOfWork(self.state)

    @property
    def ports(self) -> AuthPorts:
        return AuthPorts(
            unit_of_work=self.unit_of_work,
            hasher=self.hasher,
            tokens=self.tokens,
            revocations=self.revocations,
            throttle=self.throttle,
            clock=self.clock,
            totals=self.totals,
            publisher=self.publisher,
        )

    @property
    def notification_ports(self) -> NotificationPorts:
        """The notification consumer's ports over the same identity tables and notifier."""
        return NotificationPorts(unit_of_work=self.unit_of_work, notifier=self.notifier, clock=self.clock)

    def deliver(self) -> int:
        """Run the notification consumer on every message the publisher took since the last call (as SQS would
        deliver them); the number of emails sent."""
        from storefront.application.auth import mail_password_reset

        sent = 0
        waiting, self.publisher.sent = self.publisher.sent, []
        for _, message in waiting:
            data = PasswordResetRequested.model_validate(message.data)
            sent += mail_password_reset(self.notification_ports, AuthPolicy(), message.id, message.tenant_id, data)
        return sent


@dataclass
class FakeUsers:
    """UserPorts wired to fakes (the same identity tables as FakeIdentity when given its state)."""

    state: IdentityState = field(default_factory=IdentityState)
    totals: FakeListTotals = field(default_factory=FakeListTotals)
    revocations: FakeRateLimits = field(default_factory=FakeRateLimits)
    clock: FixedClock = field(default_factory=FixedClock)
    units: int = 0

    def unit_of_work(self) -> FakeIdentityUnitOfWork:
        self.units += 1
        return FakeIdentityUnitOfWork(self.state)

    @property
    def ports(self) -> UserPorts:
        return UserPorts(
            unit_of_work=self.unit_of_work, totals=self.totals, revocations=self.revocations, clock=self.clock
        )

    def add(self, user: User) -> User:
        """Store ``user`` as committed."""
        self.state.users[user.id] = user
        return user


class FakeDeadLetters:
    """The DeadLetters port as a list of what was sent; ``unavailable`` makes every send fail."""

    def __init__(self, unavailable: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self.unavailable = unavailable

    def send(self, source_arn: str, body: str, attributes: Mapping[str, Any], reason: str) -> None:
        from storefront.domain.errors import ExternalUnavailable

        if self.unavailable:
            raise ExternalUnavailable("The message queue is unavailable")
        self.sent.append({"source_arn": source_arn, "body": body, "attributes": dict(attributes), "reason": reason})


# Orders -----------------------------------------------------------------------------------------------------


@dataclass
class OrderState:
    """What the order fakes keep across units of work (committed state only)."""

    orders: dict[UUID, Order] = field(default_factory=dict)
    products: dict[UUID, Product] = field(default_factory=dict)
    outbox: dict[UUID, OutboxRow] = field(default_factory=dict)
    payments: dict[tuple[UUID, PaymentKind], PaymentRecord] = field(default_factory=dict)
    # (tenant, user) -> status of the live (not deleted) accounts; any other id is no user, as in USERS
    accounts: dict[tuple[UUID, UUID], UserStatus] = field(default_factory=dict)


@dataclass
class OutboxRow:
    queue: str
    message: Envelope
    published_at: datetime | None = None
    attempts: int = 0


class FakeOrderRepository:
    """Orders in a dict, with the SQL repository's rules: tenant scope, liveness, a change conditional on the
    status and version read, events appended in sequence, stock released by adding."""

    def __init__(self, state: OrderState) -> None:
        self.state = state

    def changes(self, tenant_id: UUID, after: Keyset | None, until: datetime, limit: int) -> list[Order]:
        return changed(self.state.orders.values(), tenant_id, after, until, limit)

    def add(self, order: Order, event: OrderEvent) -> None:
        assert order.history == (event,)
        self.state.orders[order.id] = order

    def add_many(self, placed: Sequence[tuple[Order, OrderEvent]]) -> None:
        for order, event in placed:
            self.add(order, event)

    def live_users(self, tenant_id: UUID, user_ids: Sequence[UUID]) -> set[UUID]:
        # As the SQL: the tenant's live accounts only, and of those only the active ones (a banned one orders nothing).
        return {u for u in user_ids if self.state.accounts.get((tenant_id, u)) == UserStatus.ACTIVE}

    def get_many(self, tenant_id: UUID, order_ids: Sequence[UUID], *, lock: bool = False) -> dict[UUID, Order]:
        found = (self.get(tenant_id, order_id) for order_id in order_ids)
        return {o.id: o for o in found if o is not None}

    def update_many(self, changes: Sequence[tuple[Order, int, OrderEvent]]) -> None:
        for order, version, _ in changes:
            current = self.get(order.tenant_id, order.id)
            if current is None or current.version != version:
                raise Conflict("Version conflict")
            self.state.orders[order.id] = order

    def get(self, tenant_id: UUID, order_id: UUID) -> Order | None:
        order = self.state.orders.get(order_id)
        if order is None or order.tenant_id != tenant_id or order.deleted_at is not None:
            return None
        return order

    def update(self, order: Order, expected: Order, event: OrderEvent | None) -> bool:
        current = self.get(order.tenant_id, order.id)
        if current is None or (current.status, current.version) != (expected.status, expected.version):
            return False
        if event is not None and event.sequence != current.sequence + 1:
            raise Conflict("The resource already exists")
        self.state.orders[order.id] = order
        return True

    def search(
        self,
        tenant_id: UUID,
        user_id: UUID,
        query: OrderQuery,
        after: Keyset | None = None,
        *,
        known_matches: int | None = None,
    ) -> Window[Order]:
        found = [o for o in self._matching(tenant_id, query) if o.user_id == user_id]
        return self._window(found, query, after, known_matches)

    def search_tenant(
        self, tenant_id: UUID, query: AdminOrderQuery, after: Keyset | None = None, *, known_matches: int | None = None
    ) -> Window[Order]:
        found = [
            o
            for o in self._matching(tenant_id, query)
            if (query.user_id is None or o.user_id == query.user_id)
            and (query.min_total is None or o.total.amount >= query.min_total)
            and (query.max_total is None or o.total.amount <= query.max_total)
        ]
        return self._window(found, query, after, known_matches)

    def _matching(self, tenant_id: UUID, query: OrderQuery) -> list[Order]:
        return [
            o
            for o in self.state.orders.values()
            if o.tenant_id == tenant_id
            and o.deleted_at is None
            and (query.status is None or o.status == query.status)
            and (query.created_from is None or o.created_at >= query.created_from)
            and (query.created_to is None or o.created_at <= query.created_to)
        ]

    def _window(
        self, found: list[Order], query: OrderQuery, after: Keyset | None, known_matches: int | None
    ) -> Window[Order]:
        def position(o: Order) -> tuple[Any, UUID]:
            return query.keyset_of(o).value, o.id

        return paged(found, position, query, None if after is None else (after.value, after.id), known_matches)

    def account_status(self, tenant_id: UUID, user_id: UUID) -> UserStatus | None:
        return self.state.accounts.get((tenant_id, user_id))

    def catalogue(self, tenant_id: UUID, product_ids: Sequence[UUID]) -> dict[UUID, Product]:
        return {
            p: self.state.products[p]
            for p in product_ids
            if p in self.state.products
            and self.state.products[p].tenant_id == tenant_id
            and self.state.products[p].deleted_at is None
        }

    def release_stock(self, tenant_id: UUID, lines: Sequence[StockLine], at: datetime) -> None:
        for line in lines:
            product = self.state.products[line.product_id]
            assert product.tenant_id == tenant_id
            self.state.products[line.product_id] = replace(
                product,
                details=replace(product.details, stock=product.details.stock + line.quantity),
                version=product.version + 1,
                updated_at=at,
            )

    def reserve_stock(self, tenant_id: UUID, lines: Sequence[StockLine], at: datetime) -> bool:
        for line in sorted(lines, key=lambda each: str(each.product_id)):
            product = self.state.products.get(line.product_id)
            if product is None or product.tenant_id != tenant_id or product.deleted_at is not None:
                return False
            if product.details.stock < line.quantity:
                return False
            self.state.products[line.product_id] = replace(
                product,
                details=replace(product.details, stock=product.details.stock - line.quantity),
                version=product.version + 1,
                updated_at=at,
            )
        return True

    def payment_record(self, tenant_id: UUID, order_id: UUID, kind: PaymentKind) -> PaymentRecord | None:
        record = self.state.payments.get((order_id, kind))
        return record if record is not None and record.tenant_id == tenant_id else None

    def record_payment(self, record: PaymentRecord) -> None:
        if (record.order_id, record.kind) in self.state.payments:
            raise Conflict("The resource already exists")
        self.state.payments[(record.order_id, record.kind)] = record


class FakeOutbox:
    """Outbox rows in a dict; ``claim`` takes the oldest unpublished ones (no locks: one test thread)."""

    def __init__(self, state: OrderState) -> None:
        self.state = state

    def add(self, queue: Queue, message: Envelope) -> None:
        self.state.outbox[message.id] = OutboxRow(queue.value, message)

    def add_many(self, messages: Sequence[tuple[Queue, Envelope]]) -> None:
        for queue, message in messages:
            self.add(queue, message)

    def claim(self, limit: int, created_before: datetime) -> list[OutboxMessage]:
        waiting = [
            (row.message.occurred_at, message_id, row)
            for message_id, row in self.state.outbox.items()
            if row.published_at is None and row.message.occurred_at < created_before
        ]
        waiting.sort(key=lambda item: (item[0], item[1]))
        return [
            OutboxMessage(message_id, row.queue, row.message.to_json(), row.attempts)
            for _, message_id, row in waiting[:limit]
        ]

    def mark_published(self, message_ids: Sequence[UUID], at: datetime) -> None:
        for message_id in message_ids:
            self.state.outbox[message_id].published_at = at

    def mark_failed(self, message_ids: Sequence[UUID]) -> None:
        for message_id in message_ids:
            self.state.outbox[message_id].attempts += 1

    def backlog(self) -> tuple[int, datetime | None]:
        waiting = [row.message.occurred_at for row in self.state.outbox.values() if row.published_at is None]
        return len(waiting), min(waiting, default=None)


class FakeOrderUnitOfWork(FakeTransaction):
    """A transaction over the order state: works on a copy, keeps it only when committed."""

    def __init__(self, committed: OrderState, fail_commit: bool = False) -> None:
        self._committed = committed
        self._fail_commit = fail_commit
        self.committed = False
        self.state = OrderState()
        self.orders = FakeOrderRepository(self.state)
        self.outbox = FakeOutbox(self.state)

    def begin(self) -> None:
        self.state.orders = dict(self._committed.orders)
        self.state.products = dict(self._committed.products)
        self.state.outbox = {k: replace(v) for k, v in self._committed.outbox.items()}
        self.state.payments = dict(self._committed.payments)
        self.state.accounts = self._committed.accounts

    def commit(self) -> None:
        if self._fail_commit:
            raise ServiceUnavailable("The database is unavailable")
        self._committed.orders = dict(self.state.orders)
        self._committed.products = dict(self.state.products)
        self._committed.outbox = dict(self.state.outbox)
        self._committed.payments = dict(self.state.payments)
        self.committed = True


class FakePublisher:
    """A MessagePublisher that records what it was sent; ``down`` behaves like an unreachable queue and
    ``refuse`` names message ids the queue refuses."""

    def __init__(self) -> None:
        self.sent: list[tuple[Queue, Envelope]] = []
        self.delays: list[int] = []  # the delay of each message sent, in order
        self.down = False
        self.refuse: set[UUID] = set()

    def publish(self, queue: Queue, messages: Sequence[Envelope], delay_seconds: int = 0) -> list[UUID]:
        assert len(messages) <= 10, "SQS takes at most 10 messages per batch"
        assert 0 <= delay_seconds <= 900, "SQS delays 0 to 900 seconds"
        if self.down:
            raise ExternalUnavailable("The queue is unreachable")
        refused = [m.id for m in messages if m.id in self.refuse]
        accepted = [(queue, m) for m in messages if m.id not in self.refuse]
        self.sent += accepted
        self.delays += [delay_seconds] * len(accepted)
        return refused


@dataclass
class FakeOrders:
    """OrderPorts wired to fakes, with handles on each fake."""

    state: OrderState = field(default_factory=OrderState)
    cache: FakeCache = field(default_factory=FakeCache)
    totals: FakeListTotals = field(default_factory=FakeListTotals)
    clock: FixedClock = field(default_factory=FixedClock)
    publisher: FakePublisher = field(default_factory=FakePublisher)
    units: list[FakeOrderUnitOfWork] = field(default_factory=list)
    fail_commits: bool = False
    no_queue: bool = False  # a deployment without queues: the ports carry no publisher

    def account(self, principal: Principal, status: UserStatus = UserStatus.ACTIVE) -> Principal:
        """Store ``principal``'s account (live, with ``status``): only an account places orders."""
        self.state.accounts[(principal.tenant_id, UUID(principal.user_id))] = status
        return principal

    def unit_of_work(self) -> FakeOrderUnitOfWork:
        unit = FakeOrderUnitOfWork(self.state, self.fail_commits)
        self.units.append(unit)
        return unit

    @property
    def ports(self) -> OrderPorts:
        return OrderPorts(
            unit_of_work=self.unit_of_work,
            totals=self.totals,
            cache=self.cache,
            clock=self.clock,
            publisher=None if self.no_queue else self.publisher,
        )


class FakePaymentGateway:
    """The PaymentGateway port in memory: one decision per idempotency key (a repeat gets the same one, as the
    provider answers), ``tok_decline`` declines, ``failure`` is raised instead of answering (a timeout, an open
    breaker), ``during_charge`` runs while a charge is in flight (a cancellation racing it), ``decline_refunds``
    makes refunds declined; ``refund_charge`` finds the charge by its key (declined charge_not_found without
    one). ``calls`` lists every key asked, repeats included."""

    def __init__(self) -> None:
        self.charges: dict[str, PaymentResult] = {}
        self.refunds: dict[str, RefundResult] = {}
        self.calls: list[str] = []
        self.failure: AppError | None = None
        self.during_charge: Callable[[], None] | None = None
        self.decline_refunds = False

    def charge(
        self, tenant_id: UUID, order_id: UUID, amount: Money, payment_token: str, idempotency_key: str
    ) -> PaymentResult:
        self.calls.append(idempotency_key)
        if self.failure is not None:
            raise self.failure
        if self.during_charge is not None:
            self.during_charge()
        if idempotency_key not in self.charges:
            declined = payment_token == "tok_decline"
            self.charges[idempotency_key] = PaymentResult(
                PaymentOutcome.DECLINED if declined else PaymentOutcome.APPROVED,
                f"ch_{len(self.charges) + 1}",
                "card_declined" if declined else None,
            )
        return self.charges[idempotency_key]

    def refund_charge(
        self, tenant_id: UUID, order_id: UUID, charge_idempotency_key: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        self.calls.append(idempotency_key)
        if self.failure is not None:
            raise self.failure
        if idempotency_key not in self.refunds:
            charge = self.charges.get(charge_idempotency_key)
            if charge is not None and charge.approved:
                return self._refunded(idempotency_key)
            reason = "charge_not_found" if charge is None else "charge_not_approved"
            self.refunds[idempotency_key] = RefundResult(RefundOutcome.DECLINED, f"re_{len(self.refunds) + 1}", reason)
        return self.refunds[idempotency_key]

    def refund(
        self, tenant_id: UUID, order_id: UUID, charge_id: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        self.calls.append(idempotency_key)
        if self.failure is not None:
            raise self.failure
        return self._refunded(idempotency_key)

    def _refunded(self, idempotency_key: str) -> RefundResult:
        if idempotency_key not in self.refunds:
            outcome = RefundOutcome.DECLINED if self.decline_refunds else RefundOutcome.REFUNDED
            reason = "charge_too_old" if self.decline_refunds else None
            self.refunds[idempotency_key] = RefundResult(outcome, f"re_{len(self.refunds) + 1}", reason)
        return self.refunds[idempotency_key]


class FakeProbe:
    """A readiness probe (``HealthProbe``) that answers, fails, or takes ``delay`` seconds; counts its checks."""

    def __init__(self, name: str, *, fails: bool = False, delay: float = 0.0) -> None:
        self.name = name
        self.fails = fails
        self.delay = delay
        self.checks = 0

    def check(self) -> None:
        self.checks += 1
        if self.delay:
            time.sleep(self.delay)
        if self.fails:
            raise ConnectionRefusedError(f"{self.name} refused the connection")


class FakeMetricSource:
    """A metric source (``MetricSource``) answering ``families``, or failing, or taking ``delay`` seconds."""

    def __init__(
        self, name: str, families: list[MetricFamily] | None = None, *, fails: bool = False, delay: float = 0.0
    ) -> None:
        self.name = name
        self.families = families or []
        self.fails = fails
        self.delay = delay

    def collect(self) -> list[MetricFamily]:
        if self.delay:
            time.sleep(self.delay)
        if self.fails:
            raise TimeoutError(f"{self.name} did not answer")
        return self.families


# Reports ------------------------------------------------------------------------------------------------------


@dataclass
class FakeReportRepository:
    """The ReportRepository port answering the figures a test sets (what SQL would have aggregated), per tenant;
    ``calls`` names every figure asked for, with its arguments."""

    tenant_id: UUID
    users: tuple[Breakdown, Breakdown] = field(default_factory=lambda: (Breakdown(0, {}), Breakdown(0, {})))
    orders: Breakdown = field(default_factory=lambda: Breakdown(0, {}))
    revenue_totals: list[RevenueTotals] = field(default_factory=list)
    low: list[StockLevel] = field(default_factory=list)
    sales_totals: list[SalesTotal] = field(default_factory=list)
    flow: list[OrderFlow] = field(default_factory=list)
    products: list[ProductSales] = field(default_factory=list)
    customers: list[CustomerSales] = field(default_factory=list)
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def _mine(self, tenant_id: UUID, *call: Any) -> bool:
        self.calls.append(call)
        return tenant_id == self.tenant_id

    def user_counts(self, tenant_id: UUID) -> tuple[Breakdown, Breakdown]:
        return self.users if self._mine(tenant_id, "user_counts") else (Breakdown(0, {}), Breakdown(0, {}))

    def order_counts(self, tenant_id: UUID) -> Breakdown:
        return self.orders if self._mine(tenant_id, "order_counts") else Breakdown(0, {})

    def revenue(self, tenant_id: UUID, windows: RevenueWindows, now: datetime) -> list[RevenueTotals]:
        return list(self.revenue_totals) if self._mine(tenant_id, "revenue", windows, now) else []

    def low_stock(self, tenant_id: UUID, threshold: int, listed: int) -> tuple[int, list[StockLevel]]:
        if not self._mine(tenant_id, "low_stock", threshold, listed):
            return 0, []
        low = [s for s in self.low if s.stock <= threshold]
        return len(low), low[:listed]

    def sales(self, tenant_id: UUID, span: DateRange, granularity: Granularity) -> list[SalesTotal]:
        return list(self.sales_totals) if self._mine(tenant_id, "sales", span, granularity) else []

    def order_flow(self, tenant_id: UUID, span: DateRange, granularity: Granularity) -> list[OrderFlow]:
        return list(self.flow) if self._mine(tenant_id, "order_flow", span, granularity) else []

    def top_products(self, tenant_id: UUID, span: DateRange, top: int) -> list[ProductSales]:
        return list(self.products[:top]) if self._mine(tenant_id, "top_products", span, top) else []

    def top_customers(self, tenant_id: UUID, span: DateRange, top: int) -> list[CustomerSales]:
        return list(self.customers[:top]) if self._mine(tenant_id, "top_customers", span, top) else []


class FakeReportUnitOfWork(FakeTransaction):
    """A read-only unit of work over a FakeReportRepository."""

    def __init__(self, reports: FakeReportRepository) -> None:
        self.reports = reports


@dataclass
class FakeReports:
    """ReportPorts wired to fakes, with handles on each."""

    repository: FakeReportRepository
    cache: FakeCache = field(default_factory=FakeCache)
    clock: FixedClock = field(default_factory=FixedClock)

    @property
    def ports(self) -> ReportPorts:
        return ReportPorts(
            unit_of_work=lambda: FakeReportUnitOfWork(self.repository), cache=self.cache, clock=self.clock
        )


# Service keys -----------------------------------------------------------------------------------------------


class FakeServiceKeys:
    """Service key records in a dict."""

    def __init__(self, rows: dict[UUID, ServiceKey]) -> None:
        self.rows = rows

    def add(self, key: ServiceKey) -> None:
        self.rows[key.id] = key

    def active(self, tenant_id: UUID, service_name: str, *, lock: bool = False) -> list[ServiceKey]:
        found = [
            k
            for k in self.rows.values()
            if k.tenant_id == tenant_id and k.service_name == service_name and k.retired_at is None
        ]
        return sorted(found, key=lambda k: (k.created_at, str(k.id)), reverse=True)

    def find_active(self, key_hash: str) -> ServiceKey | None:
        found = [k for k in self.rows.values() if k.key_hash == key_hash and k.retired_at is None]
        return found[0] if found else None

    def retire(self, key_ids: Sequence[UUID], at: datetime) -> None:
        for key_id in key_ids:
            if self.rows[key_id].retired_at is None:
                self.rows[key_id] = replace(self.rows[key_id], retired_at=at)


class FakeServiceKeyUnitOfWork(FakeTransaction):
    """Keeps changes only when committed."""

    def __init__(self, state: dict[UUID, ServiceKey], reads: list[str]) -> None:
        self._state = state
        self._reads = reads
        self.service_keys = FakeServiceKeys(dict(state))

    def begin(self) -> None:
        self._reads.append("open")

    def commit(self) -> None:
        self._state.clear()
        self._state.update(self.service_keys.rows)


@dataclass
class FakeServiceKeyStore:
    """ServiceKeyPorts wired to fakes; ``opened`` counts the units of work (each one a database visit)."""

    rows: dict[UUID, ServiceKey] = field(default_factory=dict)
    clock: FixedClock = field(default_factory=FixedClock)
    opened: list[str] = field(default_factory=list)

    @property
    def ports(self) -> ServiceKeyPorts:
        return ServiceKeyPorts(unit_of_work=lambda: FakeServiceKeyUnitOfWork(self.rows, self.opened), clock=self.clock)


class FakeIdempotencyRedis:
    """The Redis commands Powertools' cache persistence layer sends (get; set with nx and ex; delete), in memory:
    what ``bootstrap.idempotency_store()`` keeps its records in, for handler tests (expiry is not modelled)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.down = False  # True: every command fails as redis-py does when Redis cannot be reached
        # How many SET NX find the key held by another request's record that is deleted before the next command
        # (that first request failed meanwhile, and a failed request's record is removed): refused, then not found
        self.vanishing = 0

    def _reachable(self) -> None:
        if self.down:
            from redis.exceptions import ConnectionError as RedisConnectionError

            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def get(self, name: str) -> Any:
        self._reachable()
        return self.values.get(name)

    def set(self, name: str, value: Any, ex: Any = None, px: Any = None, nx: bool = False, **_: Any) -> bool | None:
        self._reachable()
        if nx and self.vanishing:
            self.vanishing -= 1
            return None
        if nx and name in self.values:
            return None
        self.values[name] = value
        return True

    def delete(self, *names: str) -> int:
        self._reachable()
        return sum(self.values.pop(name, None) is not None for name in names)

    @property
    def store(self) -> Any:
        """The persistence layer the functions use, over this fake (``bootstrap.provide(idempotency=...)``)."""
        from storefront.adapters.cache.idempotency import ValidatingCachePersistenceLayer

        return ValidatingCachePersistenceLayer(client=cast(Any, self))  # the layer's protocol types redis-py's
