"""The admin's stats, sales reports and analytics agree with a brute-force computation in Python over the same
generated rows (SQLite and PostgreSQL; Oracle with ORACLE_DSN): users, products and orders of every status, in
three currencies, over 90 days, some soft-deleted, next to a neighbour tenant whose rows must never count."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from redis import Redis
from sqlalchemy import Engine, insert

from storefront.adapters.cache.redis_cache import RedisCache
from storefront.adapters.db.tables import ORDER_EVENTS, ORDER_ITEMS, ORDERS, PRODUCTS, USERS
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.application import reports
from storefront.application.ports import ReportPorts
from storefront.application.reports import AnalyticsQuery, SalesQuery, cache_key
from storefront.domain.identity import Role
from storefront.domain.orders import EventKind, OrderStatus, PaymentStatus
from storefront.domain.products import ProductStatus
from storefront.domain.reports import (
    DateRange,
    Granularity,
    RevenueWindows,
    SalesGrouping,
    counts_as_revenue,
    period_start,
)
from storefront.domain.users import UserStatus
from storefront.http.reports import csv_document
from tests.fakes import FakeCache, FixedClock

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday
CURRENCIES = ("EUR", "USD", "GBP")
NAMES = ("=SUM(A1:A9)", "+cmd", "-1+1", "@import", "Plain, with comma", 'Quote "this"', "Tea")
CONFIRMED_BEFORE = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CONFIRMED)


@dataclass
class World:
    """The generated rows, as Python sees them."""

    tenant: UUID
    users: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def _base(tenant: UUID, at: datetime, deleted: bool) -> dict[str, Any]:
    return {
        "ID": uuid4(),
        "TENANT_ID": tenant,
        "CREATED_AT": at,
        "UPDATED_AT": at,
        "CREATED_BY": "seed",
        "UPDATED_BY": "seed",
        "DELETED_AT": at if deleted else None,
        "VERSION": 1,
    }


def generate(tenant: UUID, seed: int, orders: int = 400) -> World:
    rng = random.Random(seed)
    world = World(tenant)
    for n in range(30):
        name = f"u{seed}-{n}"
        world.users.append(
            {
                **_base(tenant, NOW - timedelta(days=100), deleted=n % 11 == 0),
                "EMAIL": f"{name}@x.test",
                "EMAIL_KEY": f"{name}@x.test",
                "USERNAME": name,
                "USERNAME_KEY": name,
                "FULL_NAME": name,
                "ROLE": rng.choice(list(Role)).value,
                "STATUS": rng.choice(list(UserStatus)).value,
                "EMAIL_VERIFIED": 1,
                "LAST_LOGIN_AT": None,
                "PASSWORD_HASH": "x",
            }
        )
    for n in range(20):
        world.products.append(
            {
                **_base(tenant, NOW - timedelta(days=100), deleted=n % 9 == 0),
                "SKU": f"SKU-{seed}-{n}",
                "NAME": f"{NAMES[n % len(NAMES)]} {n}" if n % 3 else NAMES[n % len(NAMES)],
                "DESCRIPTION": None,
                "PRICE_AMOUNT": Decimal("1.00"),
                "PRICE_CURRENCY": "EUR",
                "STOCK": rng.randint(0, 30),
                "STATUS": rng.choice(list(ProductStatus)).value,
                "CATEGORY": None,
            }
        )
    buyers = [u["ID"] for u in world.users]
    for n in range(orders):
        # Most in the last 40 days, some today, a few in the future of the windows' end: never counted.
        at = NOW - timedelta(minutes=rng.randint(0, 90 * 24 * 60))
        if n % 25 == 0:
            at = NOW.replace(hour=0, minute=0) + timedelta(minutes=rng.randint(0, 15 * 60))
        status = rng.choice(list(OrderStatus))
        payment = rng.choice(list(PaymentStatus))
        currency = CURRENCIES[rng.randint(0, 2)]
        order = {
            **_base(tenant, at, deleted=n % 17 == 0),
            "USER_ID": rng.choice(buyers),
            "STATUS": status.value,
            "PAYMENT_STATUS": payment.value,
            "CURRENCY": currency,
            "SHIPPING_LINE1": "1 Road",
            "SHIPPING_LINE2": None,
            "SHIPPING_CITY": "Town",
            "SHIPPING_POSTAL_CODE": "1000",
            "SHIPPING_COUNTRY": "BE",
            "NOTES": None,
            "PAYMENT_TOKEN": "tok_approve",
            "EVENT_SEQUENCE": 1,
        }
        total = Decimal("0.00")
        for line, product in enumerate(rng.sample(world.products, rng.randint(1, 3)), start=1):
            quantity = rng.randint(1, 5)
            price = Decimal(rng.randint(100, 99_999)) / 100
            world.items.append(
                {
                    "ORDER_ID": order["ID"],
                    "LINE_NUMBER": line,
                    "TENANT_ID": tenant,
                    "PRODUCT_ID": product["ID"],
                    "SKU": product["SKU"],
                    "NAME": product["NAME"],
                    "QUANTITY": quantity,
                    "UNIT_PRICE": price,
                    "LINE_TOTAL": price * quantity,
                    "CURRENCY": currency,
                }
            )
            total += price * quantity
        order["TOTAL_AMOUNT"] = total
        world.orders.append(order)
        reached = status in CONFIRMED_BEFORE or (status is OrderStatus.CANCELLED and rng.random() < 0.5)
        kinds = [EventKind.PLACED, *([EventKind.CONFIRMED] if reached else [])]
        for sequence, kind in enumerate(kinds, start=1):
            world.events.append(
                {
                    "ID": uuid4(),
                    "ORDER_ID": order["ID"],
                    "SEQUENCE": sequence,
                    "TENANT_ID": tenant,
                    "KIND": kind.value,
                    "FROM_STATUS": None,
                    "TO_STATUS": "CONFIRMED" if kind is EventKind.CONFIRMED else "PENDING",
                    "PAYMENT_STATUS": None,
                    "OCCURRED_AT": at,
                    "ACTOR": "seed",
                    "DETAIL": None,
                }
            )
    return world


@pytest.fixture(scope="module")
def worlds(engine: Engine) -> tuple[World, World]:
    mine, neighbour = generate(uuid4(), 1), generate(uuid4(), 2, orders=100)
    with engine.begin() as connection:
        for world in (mine, neighbour):
            for table, rows in (
                (USERS, world.users),
                (PRODUCTS, world.products),
                (ORDERS, world.orders),
                (ORDER_ITEMS, world.items),
                (ORDER_EVENTS, world.events),
            ):
                connection.execute(insert(table), rows)
    return mine, neighbour


def ports(engine: Engine) -> ReportPorts:
    return ReportPorts(unit_of_work=lambda: SqlUnitOfWork(engine), cache=FakeCache(), clock=FixedClock(NOW))


# Brute force ---------------------------------------------------------------------------------------------------


def live(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["DELETED_AT"] is None]


def revenue_orders(world: World, span: DateRange) -> list[dict[str, Any]]:
    return [
        o
        for o in live(world.orders)
        if span.start <= o["CREATED_AT"] < span.end
        and counts_as_revenue(OrderStatus(o["STATUS"]), PaymentStatus(o["PAYMENT_STATUS"]))
    ]


def cents(amount: Decimal) -> str:
    """An amount as the figures show it: to the cent, half up (an average of 2793.225 is 2793.23)."""
    return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def test_stats_agree_with_brute_force(engine, worlds):
    world, _ = worlds
    document = reports.admin_stats(ports(engine), world.tenant, low_stock_threshold=7).document

    users = live(world.users)
    assert document["users"]["total"] == len(users)
    assert document["users"]["by_status"] == {s.value: sum(u["STATUS"] == s for u in users) for s in UserStatus}
    assert document["users"]["by_role"] == {r.value: sum(u["ROLE"] == r for u in users) for r in Role}
    orders = live(world.orders)
    assert document["orders"]["by_status"] == {s.value: sum(o["STATUS"] == s for o in orders) for s in OrderStatus}

    windows = RevenueWindows.at(NOW)
    for name, since in (("today", windows.today), ("last_7_days", windows.week), ("last_30_days", windows.month)):
        expected: dict[str, list[Any]] = defaultdict(lambda: [Decimal(0), 0])
        for o in orders:
            if since <= o["CREATED_AT"] <= NOW and counts_as_revenue(
                OrderStatus(o["STATUS"]), PaymentStatus(o["PAYMENT_STATUS"])
            ):
                expected[o["CURRENCY"]][0] += o["TOTAL_AMOUNT"]
                expected[o["CURRENCY"]][1] += 1
        assert {r["currency"]: (r["amount"], r["orders"]) for r in document["revenue"][name]} == {
            c: (cents(a), n) for c, (a, n) in expected.items()
        }, name
    assert document["revenue"]["today"], "the generator places orders today"

    low = sorted(
        (p for p in live(world.products) if p["STOCK"] <= 7 and p["STATUS"] == "active"),
        key=lambda p: (p["STOCK"], p["ID"].bytes),
    )
    assert document["low_stock"]["count"] == len(low)
    assert [p["id"] for p in document["low_stock"]["products"]] == [str(p["ID"]) for p in low[:50]]


SPAN = DateRange(date(2026, 9, 1), date(2026, 11, 18))


def test_sales_by_day_agree_with_brute_force_and_with_their_csv(engine, worlds):
    world, _ = worlds
    document = reports.sales_report(ports(engine), world.tenant, SalesQuery(SPAN, SalesGrouping.DAY)).document
    expected: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for o in revenue_orders(world, SPAN):
        key = (o["CREATED_AT"].date().isoformat(), o["CURRENCY"])
        expected[key][0] += 1
        expected[key][1] += o["TOTAL_AMOUNT"]
    got = {(r["date"], r["revenue"]["currency"]): (r["orders"], r["revenue"]["amount"]) for r in document["rows"]}
    assert got == {k: (n, cents(a)) for k, (n, a) in expected.items()}
    assert [(r["date"], r["revenue"]["currency"]) for r in document["rows"]] == sorted(got)

    parsed = list(csv.DictReader(io.StringIO(csv_document(document))))
    assert [(r["date"], r["currency"], int(r["orders"]), r["revenue"]) for r in parsed] == [
        (r["date"], r["revenue"]["currency"], r["orders"], r["revenue"]["amount"]) for r in document["rows"]
    ]


def product_sales(world: World, span: DateRange) -> dict[str, list[tuple[Decimal, bytes, dict[str, Any]]]]:
    orders = {o["ID"] for o in revenue_orders(world, span)}
    totals: dict[tuple[UUID, str], dict[str, Any]] = {}
    for item in world.items:
        if item["ORDER_ID"] in orders:
            entry = totals.setdefault(
                (item["PRODUCT_ID"], item["CURRENCY"]), {"units": 0, "orders": set(), "revenue": Decimal(0)}
            )
            entry["units"] += item["QUANTITY"]
            entry["orders"].add(item["ORDER_ID"])
            entry["revenue"] += item["LINE_TOTAL"]
    ranked: dict[str, list[Any]] = defaultdict(list)
    for (product_id, currency), entry in totals.items():
        ranked[currency].append((-entry["revenue"], product_id.bytes, {"product_id": str(product_id), **entry}))
    return {c: sorted(rows, key=lambda r: (r[0], r[1])) for c, rows in ranked.items()}


def test_sales_by_product_agree_with_brute_force_and_with_their_csv(engine, worlds):
    world, _ = worlds
    query = SalesQuery(SPAN, SalesGrouping.PRODUCT, limit=5)
    document = reports.sales_report(ports(engine), world.tenant, query).document
    expected = [
        (e["product_id"], currency, e["units"], len(e["orders"]), cents(e["revenue"]))
        for currency in sorted(product_sales(world, SPAN))
        for _, _, e in product_sales(world, SPAN)[currency][:5]
    ]
    got = [
        (r["product_id"], r["revenue"]["currency"], r["units"], r["orders"], r["revenue"]["amount"])
        for r in document["rows"]
    ]
    assert got == expected
    names = {str(p["ID"]): p["NAME"] for p in world.products}
    assert all(r["name"] == names[r["product_id"]] for r in document["rows"])

    parsed = list(csv.DictReader(io.StringIO(csv_document(document))))
    assert [(r["product_id"], r["currency"], int(r["units"]), int(r["orders"]), r["revenue"]) for r in parsed] == got
    for row in parsed:  # a formula start is shown, never evaluated
        assert not row["name"].startswith(("=", "+", "-", "@")), row["name"]
        assert row["name"].removeprefix("'") == names[row["product_id"]]


# EARLY starts months before the first order (orders go back 90 days from NOW): its series has empty buckets.
EARLY = DateRange(date(2026, 6, 1), date(2026, 9, 10))


@pytest.mark.parametrize("span", [SPAN, EARLY], ids=["span", "early"])
@pytest.mark.parametrize("granularity", list(Granularity))
def test_analytics_agree_with_brute_force(engine, worlds, granularity, span):
    world, _ = worlds
    query = AnalyticsQuery(span, granularity, top=3)
    document = reports.analytics(ports(engine), world.tenant, query).document

    placed = [o for o in live(world.orders) if span.start <= o["CREATED_AT"] < span.end]
    confirmed_ids = {e["ORDER_ID"] for e in world.events if e["KIND"] == "confirmed"}
    confirmed = [o for o in placed if o["ID"] in confirmed_ids]
    assert document["orders"]["placed"] == len(placed)
    assert document["orders"]["confirmed"] == len(confirmed)
    assert Decimal(document["orders"]["confirmation_rate"]) == (Decimal(len(confirmed)) / len(placed)).quantize(
        Decimal("0.0001")
    )

    sums: dict[str, list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    for o in revenue_orders(world, span):
        sums[o["CURRENCY"]][0] += o["TOTAL_AMOUNT"]
        sums[o["CURRENCY"]][1] += 1
    assert {
        a["average"]["currency"]: (a["average"]["amount"], a["orders"]) for a in document["average_order_value"]
    } == {c: (cents(total / n), n) for c, (total, n) in sums.items()}

    # Every bucket of the range, by walking its days one by one: a continuous series, zeros where nothing was placed.
    days = (span.first + timedelta(days=n) for n in range(span.days))
    buckets: dict[str, list[int]] = {period_start(d, granularity).isoformat(): [0, 0] for d in days}
    for o in placed:
        bucket = period_start(o["CREATED_AT"].date(), granularity).isoformat()
        buckets[bucket][0] += 1
        buckets[bucket][1] += o["ID"] in confirmed_ids
    assert {s["period_start"]: [s["placed"], s["confirmed"]] for s in document["series"]} == dict(buckets)
    assert [s["period_start"] for s in document["series"]] == sorted(buckets)
    empty = [s for s in document["series"] if s["placed"] == 0]
    assert all(s["confirmation_rate"] is None and s["revenue"] == [] for s in empty)
    if span == EARLY:
        assert empty, "EARLY has buckets without orders"
    bucket_revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for o in revenue_orders(world, span):
        bucket_revenue[period_start(o["CREATED_AT"].date(), granularity).isoformat(), o["CURRENCY"]] += o[
            "TOTAL_AMOUNT"
        ]
    assert {
        (s["period_start"], r["revenue"]["currency"]): r["revenue"]["amount"]
        for s in document["series"]
        for r in s["revenue"]
    } == {k: cents(v) for k, v in bucket_revenue.items()}

    customers: dict[str, list[Any]] = defaultdict(list)
    spent: dict[tuple[UUID, str], list[Any]] = defaultdict(lambda: [Decimal(0), 0])
    for o in revenue_orders(world, span):
        spent[o["USER_ID"], o["CURRENCY"]][0] += o["TOTAL_AMOUNT"]
        spent[o["USER_ID"], o["CURRENCY"]][1] += 1
    for (user_id, currency), (total, n) in spent.items():
        customers[currency].append((-total, user_id.bytes, (str(user_id), currency, n, cents(total))))
    expected = [row for c in sorted(customers) for *_, row in sorted(customers[c])[:3]]
    assert [
        (c["user_id"], c["revenue"]["currency"], c["orders"], c["revenue"]["amount"]) for c in document["top_customers"]
    ] == expected
    top = product_sales(world, span)
    assert [p["product_id"] for p in document["top_products"]] == [
        e["product_id"] for c in sorted(top) for *_, e in top[c][:3]
    ]


def test_a_tenant_without_orders_gets_zeros_not_errors(engine, worlds):
    lonely = uuid4()
    p = ports(engine)
    stats = reports.admin_stats(p, lonely).document
    assert stats["users"]["total"] == 0
    assert stats["orders"]["total"] == 0
    assert stats["revenue"] == {"today": [], "last_7_days": [], "last_30_days": []}
    analysis = reports.analytics(p, lonely, AnalyticsQuery(SPAN, Granularity.WEEK)).document
    assert analysis["orders"] == {"placed": 0, "confirmed": 0, "confirmation_rate": None}
    weeks = sorted({period_start(SPAN.first + timedelta(days=n), Granularity.WEEK) for n in range(SPAN.days)})
    assert [(s["period_start"], s["placed"], s["confirmed"]) for s in analysis["series"]] == [
        (w.isoformat(), 0, 0) for w in weeks
    ]
    assert analysis["top_products"] == []


def test_figures_are_cached_in_redis_and_computed_when_redis_is_down(engine, worlds, redis_client):
    world, _ = worlds
    live_cache = ReportPorts(lambda: SqlUnitOfWork(engine), RedisCache(redis_client), FixedClock(NOW), 60)
    first = reports.analytics(live_cache, world.tenant, AnalyticsQuery(SPAN, Granularity.MONTH))
    second = reports.analytics(live_cache, world.tenant, AnalyticsQuery(SPAN, Granularity.MONTH))
    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert second.document == first.document
    assert 0 < redis_client.ttl(cache_key(world.tenant, "analytics", PARAMETERS)) <= 60
    redis_client.delete(cache_key(world.tenant, "analytics", PARAMETERS))

    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=0.2, socket_connect_timeout=0.2)
    dead_cache = ReportPorts(lambda: SqlUnitOfWork(engine), RedisCache(unreachable), FixedClock(NOW), 60)
    degraded = reports.analytics(dead_cache, world.tenant, AnalyticsQuery(SPAN, Granularity.MONTH))
    assert not degraded.cache_hit
    assert degraded.document == first.document


PARAMETERS = {"from": SPAN.first, "to": SPAN.last, "granularity": "month", "top": 10}
