"""GET /products: one page of the caller's tenant's products, filtered and sorted, by offset or cursor."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from storefront import bootstrap
from storefront.application import products
from storefront.application.queries import ProductQuery
from storefront.config import CacheSettings, DatabaseSettings
from storefront.domain.products import CATEGORY_MAX, ProductStatus
from storefront.http.entry import lambda_entry
from storefront.http.envelope import listed
from storefront.http.identity import READERS
from storefront.http.openapi import BEARER, PRODUCTS_TAG, PROTECTED, responses, success
from storefront.http.products import (
    SEARCH_HELP,
    PriceQuery,
    ProductPageEnvelope,
    parse_fields,
    parse_sort,
    present,
)
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.route_parameters import Context, Cursor, Limit, Offset, SortOrder

app = api_resolver()


@app.get(
    f"{PREFIX}/products",
    summary="List products",
    description="One page of the caller's tenant's products: `limit` (1..100) and `offset` (0..10000) or "
    "`cursor` (from `meta.pagination.next_cursor`), `sort` (created_at, updated_at, name, sku, price, stock) and "
    "`order`, filters `status`, `category`, `min_price`, `max_price` and `q` (whole-word search), `fields` to "
    "select fields. Any role.",
    tags=[PRODUCTS_TAG],
    operation_id="listProducts",
    security=BEARER,
    responses=responses(success("One page of products", ProductPageEnvelope), errors=(*PROTECTED, 422)),
)
def list_products(
    ctx: Context,
    limit: Limit = 20,
    offset: Offset = 0,
    cursor: Cursor = None,
    sort: str = "created_at",
    order: SortOrder = "desc",
    status: ProductStatus | None = None,
    category: Annotated[str | None, Query(max_length=CATEGORY_MAX)] = None,
    min_price: PriceQuery | None = None,
    max_price: PriceQuery | None = None,
    q: Annotated[str | None, Query(max_length=200, description=SEARCH_HELP)] = None,
    fields: str | None = None,
) -> Response[str]:
    selected = parse_fields(fields)
    query = ProductQuery(
        limit=limit,
        offset=offset,
        cursor=cursor,
        sort=parse_sort(sort),
        order=order,
        status=status,
        category=category,
        min_price=min_price,
        max_price=max_price,
        text=q,
    )
    page = products.list_products(bootstrap.catalog(), ctx.tenant_id, query)
    return listed(page, lambda p: present(p, selected))


handler = lambda_entry(app, allow=READERS, requires=(DatabaseSettings, CacheSettings))
