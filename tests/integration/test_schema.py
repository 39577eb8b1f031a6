"""The schema: migrations agree with the tables on every backend, and everything compiles for Oracle."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import sqlglot
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import oracle
from sqlalchemy.schema import CreateIndex, CreateTable

from localdev.oracle_sql import oracle_upgrade_sql
from localdev.paths import ROOT
from storefront.adapters.db.tables import metadata
from storefront.adapters.db.unit_of_work import SqlUnitOfWork
from storefront.application.queries import PRODUCT_SORT_FIELDS, ProductQuery
from storefront.domain.errors import Conflict
from storefront.domain.money import Money
from storefront.domain.products import Product, ProductStatus
from tests.conftest import details

ORACLE_SQL = ROOT / "migrations" / "oracle" / "upgrade.sql"
ORACLE_DIALECT = oracle.dialect()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_build_exactly_the_tables_the_code_uses(request, backend):
    engine = create_engine(request.getfixturevalue(f"{backend}_url"))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": "ALEMBIC_VERSION"})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_migrations_go_down_and_up_again(tmp_path):
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{Path(tmp_path, 'cycle.db')}"
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes.update(url=url, skip_logging=True)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")


def oracle_statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split("\n/\n") if s.strip() and not s.strip().startswith("--")]


def test_the_committed_oracle_ddl_is_fresh():
    assert ORACLE_SQL.read_text() == oracle_upgrade_sql(), "run `make oracle-sql` and commit the result"


def test_the_oracle_ddl_parses_and_follows_the_naming_rules():
    statements = oracle_statements(ORACLE_SQL.read_text())
    assert statements
    for statement in statements:
        sqlglot.parse_one(statement, read="oracle")
    ddl = ORACLE_SQL.read_text()
    constraints = re.findall(r'CONSTRAINT "([^"]+)"', ddl) + re.findall(r'CREATE (?:UNIQUE )?INDEX "([^"]+)"', ddl)
    ours = [c for c in constraints if not c.startswith("ALEMBIC")]
    assert ours
    assert all(re.match(r"^(PK|UK|FK|CK|IX)_[A-Z0-9_]+$", c) for c in ours), ours
    assert all(len(c) <= 128 for c in ours)
    assert "DATE" not in re.findall(r"\b[A-Z]+\b", ddl), "timestamps must be TIMESTAMP WITH TIME ZONE"


@pytest.mark.parametrize("table", sorted(metadata.tables))
def test_every_table_compiles_for_oracle(table):
    created = metadata.tables[table]
    assert table == table.upper()
    assert all(c.name == c.name.upper() for c in created.columns)
    assert table not in {"USER", "ORDER", "ORDERS_"}  # reserved words must never need quoting
    sqlglot.parse_one(str(CreateTable(created).compile(dialect=ORACLE_DIALECT)), read="oracle")
    for index in created.indexes:
        sqlglot.parse_one(str(CreateIndex(index).compile(dialect=ORACLE_DIALECT)), read="oracle")


def repository_workout(engine: Engine) -> None:
    """Every kind of statement the repositories issue."""
    tenant = uuid4()
    product = Product.create(tenant, details(), "tester", details_time())
    with SqlUnitOfWork(engine) as uow:
        uow.products.add(product)
        uow.commit()
    with pytest.raises(Conflict), SqlUnitOfWork(engine) as uow:
        uow.products.add(Product.create(tenant, details(), "tester", details_time()))
    with SqlUnitOfWork(engine) as uow:
        uow.products.get(tenant, product.id)
        for sort in PRODUCT_SORT_FIELDS:
            for order in ("asc", "desc"):
                query = ProductQuery(sort=sort, order=order, limit=5)
                uow.products.search(tenant, query, query.keyset_of(product))
            uow.products.search(tenant, ProductQuery(sort=sort, order="asc", limit=5, offset=5))
        uow.products.search(
            tenant,
            ProductQuery(
                status=ProductStatus.ACTIVE,
                category="Kitchen",
                min_price=Decimal("1"),
                max_price=Decimal("9"),
                text="a%_ Tea",
            ),
        )
        for text in ("teapot", "blue teapot"):  # the default order's search page walks the terms
            query = ProductQuery(text=text, status=ProductStatus.ACTIVE, limit=5)
            uow.products.search(tenant, query)
            uow.products.search(tenant, query, query.keyset_of(product), known_matches=1)
        renamed = product.revise(
            details(name="Renamed teapot", price=Money.of("2.00", "EUR")), "tester", details_time()
        )
        uow.products.update(renamed, 1)
        uow.products.update(renamed.delete("tester", details_time()), 2)
        uow.commit()


def details_time() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_every_repository_statement_compiles_for_oracle(sqlite_url):
    engine = create_engine(sqlite_url)
    captured: list[Any] = []

    @event.listens_for(engine, "before_execute")
    def _capture(conn: Any, clauseelement: Any, multiparams: Any, params: Any, execution_options: Any) -> None:
        captured.append(clauseelement)

    repository_workout(engine)
    engine.dispose()
    assert len(captured) >= 10
    compiled = [str(s.compile(dialect=ORACLE_DIALECT, compile_kwargs={"render_postcompile": True})) for s in captured]
    for sql in compiled:
        assert '"PRODUCTS"' in sql or '"PRODUCT_SEARCH_TERMS"' in sql
        sqlglot.parse_one(sql, read="oracle")
        assert "LIMIT" not in sql.upper().split(), "Oracle pages with OFFSET/FETCH"
    assert any('"LEAD_TERMS"' in sql and "EXISTS" in sql for sql in compiled), "the walk of a search's terms"


def users_workout(engine: Engine) -> None:
    """Every kind of statement the user repository issues: adds with terms, reads, every sort and order by
    offset and by cursor (last_login_at with and without a value), searches, edits, a delete."""
    from datetime import UTC, datetime

    from storefront.application.user_queries import USER_SORT_FIELDS, UserQuery
    from storefront.domain.identity import Role
    from storefront.domain.users import Identity, User, UserEdit, UserStatus

    now = datetime.now(UTC)
    tenant = uuid4()
    user = User.create(tenant, Identity("ada@example.com", "ada", "Ada Lovelace"), "h", None, now)
    signed_in = user.logged_in(now)
    with SqlUnitOfWork(engine) as uow:
        uow.users.add(user)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        uow.users.get(tenant, user.id)
        uow.users.find_by_login(tenant, "ADA")
        for sort in USER_SORT_FIELDS:
            for order in ("asc", "desc"):
                query = UserQuery(sort=sort, order=order, limit=5)
                uow.users.search(tenant, query, query.keyset_of(user))
                uow.users.search(tenant, query, query.keyset_of(signed_in))
                uow.users.search(tenant, UserQuery(sort=sort, order=order, limit=5, offset=5))
        for text in ("ada", "ada lovelace"):
            query = UserQuery(text=text, status=UserStatus.ACTIVE, role=Role.USER, limit=5)
            uow.users.search(tenant, query)
            uow.users.search(tenant, query, query.keyset_of(user), known_matches=1)
            uow.users.search(tenant, UserQuery(text=text, sort="email"))
        edited = user.edited(UserEdit(full_name="Ada King", role=Role.ADMIN), "tester", now)
        uow.users.update(edited, 1)
        uow.users.update(edited.deleted("tester", now), 2)
        uow.commit()


def test_every_user_repository_statement_compiles_for_oracle(sqlite_url):
    engine = create_engine(sqlite_url)
    captured: list[Any] = []

    @event.listens_for(engine, "before_execute")
    def _capture(conn: Any, clauseelement: Any, multiparams: Any, params: Any, execution_options: Any) -> None:
        captured.append(clauseelement)

    users_workout(engine)
    engine.dispose()
    compiled = [str(s.compile(dialect=ORACLE_DIALECT, compile_kwargs={"render_postcompile": True})) for s in captured]
    assert len(compiled) >= 40
    for sql in compiled:
        assert '"USERS"' in sql or '"USER_SEARCH_TERMS"' in sql
        sqlglot.parse_one(sql, read="oracle")
        assert "LIMIT" not in sql.upper().split(), "Oracle pages with OFFSET/FETCH"
    assert any("UNION ALL" in sql and '"LAST_LOGIN_AT" IS NULL' in sql for sql in compiled), "the nullable sort"
    assert any('"LEAD_TERMS"' in sql for sql in compiled), "the walk of a search's terms"
