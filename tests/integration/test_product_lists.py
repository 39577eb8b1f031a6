"""Product lists on SQLite and PostgreSQL: cursor pages under concurrent writes, foreign cursors, the capped total."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Engine, event, insert

from storefront.adapters.cache.no_cache import NoCache, NoListTotals
from storefront.adapters.db.products import to_row
from storefront.adapters.db.tables import PRODUCTS
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.application import products
from storefront.application.ports import CatalogPorts
from storefront.application.queries import PRODUCT_SORT_FIELDS, TOTAL_CAP, Page, ProductQuery
from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.identity import Principal, Role
from storefront.domain.money import Money
from storefront.domain.products import Product, ProductStatus
from tests.conftest import details
from tests.fakes import FixedClock

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
_numbers = itertools.count()


def ports(engine: Engine) -> CatalogPorts:
    return CatalogPorts(
        unit_of_work=lambda: SqlUnitOfWork(engine), cache=NoCache(), totals=NoListTotals(), clock=FixedClock(T0)
    )


def add(engine: Engine, tenant: UUID) -> Product:
    """A product whose sort values repeat often, so the id tiebreak matters for every sort."""
    n = next(_numbers)
    made = Product.create(
        tenant,
        details(
            sku=f"S-{n:06d}",
            name=f"Item {n % 3}",
            price=Money(Decimal(f"{n % 4 + 1}.50"), "EUR"),
            stock=n % 2,
            status=ProductStatus.ACTIVE if n % 5 else ProductStatus.INACTIVE,
        ),
        "tester",
        T0 + timedelta(seconds=n % 3),
    )
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(made)
        uow.commit()
    return made


def remove(engine: Engine, product: Product) -> None:
    products.delete_product(ports(engine), Principal("x", "x", Role.ADMIN, product.tenant_id), product.id, None)


def listed(engine: Engine, tenant: UUID, **query: object) -> Page[Product]:
    return products.list_products(ports(engine), tenant, ProductQuery(**query))  # type: ignore[arg-type]


@pytest.mark.parametrize("sort", PRODUCT_SORT_FIELDS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_cursor_pages_cover_every_row_once_while_rows_come_and_go(engine, sort, order):
    tenant = uuid4()
    initial = [add(engine, tenant) for _ in range(23)]
    doomed = initial[::4]
    seen: list[UUID] = []
    added: list[Product] = []
    page = listed(engine, tenant, sort=sort, order=order, limit=5)
    while True:
        seen.extend(p.id for p in page.items)
        if page.next_cursor is None:
            break
        added.append(add(engine, tenant))
        if doomed:
            remove(engine, doomed.pop())
        page = listed(engine, tenant, sort=sort, order=order, limit=5, cursor=page.next_cursor)
        assert (page.offset, page.has_prev) == (None, True)
    assert len(seen) == len(set(seen)), "no row twice"
    survivors = {p.id for p in initial} - {p.id for p in initial[::4]}
    assert survivors <= set(seen), "every row present from start to end, once"
    assert set(seen) <= {p.id for p in initial + added}


@pytest.mark.parametrize("sort", PRODUCT_SORT_FIELDS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_cursor_pages_follow_the_order_with_the_id_breaking_ties(engine, sort, order):
    tenant = uuid4()
    made = [add(engine, tenant) for _ in range(12)]
    query = ProductQuery(sort=sort, order=order)
    expected = sorted(made, key=lambda p: (query.keyset_of(p).value, p.id), reverse=order == "desc")
    got: list[UUID] = []
    cursor = None
    while True:
        page = listed(engine, tenant, sort=sort, order=order, limit=4, cursor=cursor)
        got.extend(p.id for p in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert got == [p.id for p in expected]
    by_offset = listed(engine, tenant, sort=sort, order=order, limit=4, offset=4)
    assert [p.id for p in by_offset.items] == got[4:8]


def test_the_last_page_has_no_next_cursor_and_an_empty_cursor_page_keeps_its_total(engine):
    tenant = uuid4()
    made = [add(engine, tenant) for _ in range(4)]
    first = listed(engine, tenant, limit=2)
    assert (first.has_next, first.total, first.total_exact, first.has_prev) == (True, 4, True, False)
    last = listed(engine, tenant, limit=2, cursor=first.next_cursor)
    assert (len(last.items), last.has_next, last.next_cursor) == (2, False, None)
    for product in last.items:
        remove(engine, product)
    emptied = listed(engine, tenant, limit=2, cursor=first.next_cursor)
    assert (emptied.items, emptied.total, emptied.has_next, emptied.has_prev) == ([], 2, False, True)
    beyond = listed(engine, tenant, limit=2, offset=50)
    assert (beyond.items, beyond.total, beyond.offset) == ([], 2, 50)
    assert {p.id for p in listed(engine, tenant).items} == {p.id for p in made} - {p.id for p in last.items}


def foreign(engine: Engine, tenant: UUID, changes: dict[str, object]) -> ValidationFailed:
    """The error for the cursor of a list, used with ``changes`` to it."""
    cursor = listed(engine, tenant, limit=1, sort="price", order="asc", status=ProductStatus.ACTIVE).next_cursor
    assert cursor is not None
    other = dict(changes)
    asked_by = other.pop("tenant", tenant)
    query = {"limit": 1, "sort": "price", "order": "asc", "status": ProductStatus.ACTIVE, **other}
    with pytest.raises(ValidationFailed) as raised:
        listed(engine, asked_by, cursor=cursor, **query)  # type: ignore[arg-type]
    return raised.value


@pytest.mark.parametrize(
    "changes",
    [
        {"sort": "stock"},
        {"order": "desc"},
        {"status": ProductStatus.INACTIVE},
        {"status": None},
        {"category": "Kitchen"},
        {"min_price": Decimal("1")},
        {"text": "item"},
        {"tenant": UUID(int=7)},
    ],
)
def test_a_cursor_of_another_list_is_val_002(engine, changes):
    tenant = uuid4()
    for _ in range(3):
        add(engine, tenant)
    error = foreign(engine, tenant, changes)
    assert (error.code, error.details["field"]) == (ErrorCode.INVALID_FORMAT, "cursor")  # type: ignore[index]


def test_the_same_list_with_another_limit_accepts_the_cursor(engine):
    tenant = uuid4()
    for _ in range(3):
        add(engine, tenant)
    first = listed(engine, tenant, limit=1, min_price=Decimal("1.0"))
    assert len(listed(engine, tenant, limit=5, min_price=Decimal("1.00"), cursor=first.next_cursor).items) == 2


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"offset": TOTAL_CAP + 1}, ErrorCode.OUT_OF_RANGE, "offset"),
        ({"offset": -1}, ErrorCode.OUT_OF_RANGE, "offset"),
        ({"limit": 101}, ErrorCode.OUT_OF_RANGE, "limit"),
        ({"offset": 3, "cursor": "abc"}, ErrorCode.INVALID_FORMAT, "offset"),
        ({"cursor": "not-a-cursor"}, ErrorCode.INVALID_FORMAT, "cursor"),
        ({"text": "a b c d e f g h i"}, ErrorCode.OUT_OF_RANGE, "q"),
    ],
)
def test_paging_bounds(engine, query, code, field):
    with pytest.raises(ValidationFailed) as raised:
        listed(engine, uuid4(), **query)
    assert (raised.value.code, raised.value.details["field"]) == (code, field)  # type: ignore[index]


def test_the_total_is_exact_up_to_the_cap_and_capped_beyond(engine):
    tenant = uuid4()
    cheap, dear = Money(Decimal("5.00"), "EUR"), Money(Decimal("19.99"), "EUR")
    rows = [
        to_row(
            Product.create(
                tenant, details(sku=f"BULK-{n}", price=cheap if n % 2 else dear), "bulk", T0 + timedelta(microseconds=n)
            )
        )
        for n in range(TOTAL_CAP + 5)
    ]
    with engine.begin() as connection:
        connection.execute(insert(PRODUCTS), rows)
    everything = listed(engine, tenant, limit=3)
    assert (everything.total, everything.total_exact, everything.has_next) == (TOTAL_CAP, False, True)
    deepest = listed(engine, tenant, limit=3, offset=TOTAL_CAP, sort="sku", order="asc")
    assert (len(deepest.items), deepest.has_next) == (3, True)
    fewer = listed(engine, tenant, limit=3, max_price=Decimal("10"))
    assert (fewer.total, fewer.total_exact) == ((TOTAL_CAP + 5) // 2, True)


def test_round_trips_a_list_and_the_writes_cost(engine):
    tenant = uuid4()
    admin = Principal("x", "x", Role.ADMIN, tenant)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        created = products.create_product(ports(engine), admin, details(name="Blue teapot"))
        assert statements == ["INSERT", "INSERT"], "the product and its search terms"
        statements.clear()
        products.list_products(ports(engine), tenant, ProductQuery(text="blue", limit=5))
        assert statements == ["SELECT"], "page, has_next and total in one round trip"
        statements.clear()
        products.update_product(ports(engine), admin, created.id, {"stock": 9}, None)
        assert statements == ["SELECT", "UPDATE"], "same name: no term writes"
        statements.clear()
        products.update_product(ports(engine), admin, created.id, {"name": "Red teapot"}, None)
        assert statements == ["SELECT", "UPDATE", "DELETE", "INSERT"]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [p.id for p in listed(engine, tenant, text="teapot red").items] == [created.id]


WORDS = ("blue", "red", "teapot", "mug", "iron")


def named(engine: Engine, tenant: UUID, n: int) -> Product:
    """Product ``n``: a name of two or three words of WORDS, a CREATED_AT shared with others (ties)."""
    name = " ".join(dict.fromkeys([WORDS[n % 5], WORDS[(n // 5) % 5], WORDS[(n * 7) % 5] if n % 3 else ""]))
    made = Product.create(
        tenant,
        details(
            sku=f"W-{n:04d}",
            name=name.strip(),
            status=ProductStatus.ACTIVE if n % 4 else ProductStatus.INACTIVE,
            category="Kitchen" if n % 2 else None,
        ),
        "tester",
        T0 + timedelta(seconds=n % 7),
    )
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(made)
        uow.commit()
    return made


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize(
    "query",
    [
        {"text": "teapot"},
        {"text": "blue teapot"},
        {"text": "teapot blue red"},
        {"text": "iron", "status": ProductStatus.ACTIVE},
        {"text": "mug red", "category": "Kitchen", "max_price": Decimal("100")},
        {"text": "blue nothing"},
    ],
)
def test_a_search_in_the_default_order_walks_the_terms_to_the_same_pages(engine, order, query):
    """The default order's search page is read from PRODUCT_SEARCH_TERMS' own (term, created_at, id) index:
    by cursor and by offset it gives exactly the brute-force order, ties on CREATED_AT broken by the id."""
    from storefront.adapters.db.products import page_statement
    from storefront.domain.search import matches

    tenant = uuid4()
    made = [named(engine, tenant, n) for n in range(60)]
    for gone in made[::9]:
        remove(engine, gone)
    live = [p for p in made if p not in made[::9]]
    asked = ProductQuery(order=order, **query)
    assert "LEAD_TERMS" in str(page_statement(tenant, asked))
    wanted = [
        p
        for p in live
        if matches(asked.words, p.details.name)
        and (asked.status is None or p.details.status == asked.status)
        and (asked.category is None or p.details.category == asked.category)
    ]
    expected = [p.id for p in sorted(wanted, key=lambda p: (p.created_at, p.id), reverse=order == "desc")]
    got: list[UUID] = []
    cursor = None
    while True:
        page = listed(engine, tenant, order=order, limit=4, cursor=cursor, **query)
        assert (page.total, page.total_exact) == (len(expected), True)
        got.extend(p.id for p in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert got == expected
    assert [p.id for p in listed(engine, tenant, order=order, limit=4, offset=4, **query).items] == expected[4:8]


def test_a_search_of_words_that_never_meet_counts_them_and_reads_no_page(engine):
    tenant = uuid4()
    for n in range(10):
        named(engine, tenant, n)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        nothing = listed(engine, tenant, text="teapot nowhere")
        assert (nothing.items, nothing.total, len(statements)) == ([], 0, 1)
        assert "LEAD_TERMS" not in statements[0]
        statements.clear()
        found = listed(engine, tenant, text="blue teapot")
        assert found.total > 0
        assert len(statements) == 2, "the count, then the page alone"
        assert "LEAD_TERMS" in statements[1]
        assert "MATCHES" not in statements[1]
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_search_of_a_word_and_a_filter_is_counted_first(engine):
    """Bench at a million users: a word and a filter that never meet walked the word's whole range (0.5 s)."""
    tenant = uuid4()
    for n in range(10):
        named(engine, tenant, n)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        nothing = listed(engine, tenant, text="teapot", status=ProductStatus.DISCONTINUED)
        assert (nothing.items, nothing.total, len(statements)) == ([], 0, 1), "the count alone"
        statements.clear()
        found = listed(engine, tenant, text="blue", status=ProductStatus.INACTIVE)
        assert found.total == len(found.items) > 0
        assert len(statements) == 2, "the count, then the page alone"
        assert "MATCHES" not in statements[1]
    finally:
        event.remove(engine, "before_cursor_execute", record)
