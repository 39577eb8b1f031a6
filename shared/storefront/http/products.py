"""Products over HTTP: request bodies, the representation clients get, field selection and sorting."""

from __future__ import annotations

import re
from dataclasses import fields as dataclass_fields
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from storefront.application.queries import PRODUCT_SORT_FIELDS
from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.money import CURRENCIES, Money
from storefront.domain.products import (
    CATEGORY_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    SKU_MAX,
    STOCK_MAX,
    Product,
    ProductDetails,
    ProductStatus,
)
from storefront.domain.timestamps import iso_utc
from storefront.http.openapi import PageMeta, envelope, id_links
from storefront.http.request_body import RequestBody
from storefront.http.selection import no_field_required, pick_fields
from storefront.http.selection import parse_fields as select_fields

PRODUCT_FIELDS = (
    "id",
    "sku",
    "name",
    "description",
    "price",
    "stock",
    "status",
    "category",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
)
SEARCH_HELP = (
    "Whole-word search over the product name: every word of q (up to 8) must be a word of the name, in any "
    "order, case-insensitively; words are runs of letters and digits, punctuation is ignored. "
    "'pot tea' finds 'Cast-iron tea pot', not 'Teapot' nor 'Teacup with potholder'."
)
NULLABLE = frozenset({"category"})


# A decimal number in ASCII digits: Python's Decimal (and \d) read any script's digits ("٣" is 3).
DECIMAL_TEXT = r"-?[0-9]+(\.[0-9]+)?"


def _ascii_decimal(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(DECIMAL_TEXT, value.strip()):
        raise ValueError("must be a decimal number such as 12.50")
    return value


# A money bound in a query (?min_price=12.50, ?min_total=99.90): ASCII digits, at most 12 of them before the
# point and at most 2 after it (money has at most 2 decimals, as a price in a body), never negative. One
# pattern, checked here and published in the OpenAPI document as it is (JSON Schema keywords only), so a
# client reads the same rule the API applies.
PRICE_QUERY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


def _price_text(value: object) -> object:
    if not isinstance(value, str) or re.fullmatch(PRICE_QUERY_PATTERN, value):
        return value
    if re.fullmatch(r"-[0-9]+(\.[0-9]+)?", value):
        raise PydanticCustomError("greater_than_equal", "must be at least 0")  # VAL_003, as the contract says
    if re.fullmatch(r"[0-9]+\.[0-9]{3,}", value):
        raise PydanticCustomError("decimal_max_places", "must have at most 2 decimal places")
    if re.fullmatch(DECIMAL_TEXT, value):
        raise PydanticCustomError("decimal_max_digits", "must have at most 12 digits before the point")
    raise PydanticCustomError("price_format", "must be a price such as 12.50")


PriceQuery = Annotated[
    Decimal,
    BeforeValidator(_price_text),
    WithJsonSchema({"type": "string", "pattern": PRICE_QUERY_PATTERN, "examples": ["12.50"]}),
]


def _iso_currency(code: str) -> str:
    if code not in CURRENCIES:
        raise ValueError("is not an ISO-4217 currency code in circulation")
    return code


Amount = Annotated[str, StringConstraints(pattern=f"^{DECIMAL_TEXT}$", max_length=24)]
Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(_iso_currency),
    Field(json_schema_extra={"enum": sorted(CURRENCIES)}),
]


# The domain's rules for body fields, in the OpenAPI schema only: the domain checks them and answers with
# its own field errors, so validation here stays as it is. A trimmed SKU or name has a non-blank character.
SKU_RULES: JsonDict = {"minLength": 1, "maxLength": SKU_MAX, "pattern": r"\S"}
NAME_RULES: JsonDict = {"minLength": 1, "maxLength": NAME_MAX, "pattern": r"\S"}
DESCRIPTION_RULES: JsonDict = {"maxLength": DESCRIPTION_MAX}
CATEGORY_RULES: JsonDict = {"minLength": 1, "maxLength": CATEGORY_MAX}
AMOUNT_RULES: JsonDict = {
    "pattern": r"^[0-9]{1,10}(\.[0-9]{1,2})?$",
    "description": "Greater than 0, at most 2 places.",
}
STOCK_RULES: JsonDict = {"minimum": 0, "maximum": STOCK_MAX}


class MoneyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Amount = Field(json_schema_extra=AMOUNT_RULES)
    currency: Currency

    def to_money(self) -> Money:
        return Money.of(self.amount, self.currency)


class ProductIn(RequestBody):
    """A whole product (POST and PUT)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sku": "TEA-001",
                    "name": "Sencha green tea",
                    "description": "Loose leaf, 100 g",
                    "price": {"amount": "8.90", "currency": "EUR"},
                    "stock": 50,
                    "category": "Tea",
                }
            ]
        }
    )

    sku: str = Field(json_schema_extra=SKU_RULES)
    name: str = Field(json_schema_extra=NAME_RULES)
    description: str = Field("", json_schema_extra=DESCRIPTION_RULES)
    price: MoneyIn
    stock: StrictInt = Field(json_schema_extra=STOCK_RULES)
    status: ProductStatus = ProductStatus.ACTIVE
    category: str | None = Field(None, json_schema_extra=CATEGORY_RULES)
    version: StrictInt | None = None

    def to_details(self) -> ProductDetails:
        return ProductDetails(
            sku=self.sku.strip(),
            name=self.name.strip(),
            description=self.description,
            price=self.price.to_money(),
            stock=self.stock,
            status=self.status,
            category=self.category,
        )


class ProductPatch(RequestBody):
    """Some fields of a product (PATCH); a field left out keeps its value."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"stock": 45}, {"price": {"amount": "7.50", "currency": "EUR"}}]}
    )

    sku: str | None = Field(None, json_schema_extra=SKU_RULES)
    name: str | None = Field(None, json_schema_extra=NAME_RULES)
    description: str | None = Field(None, json_schema_extra=DESCRIPTION_RULES)
    price: MoneyIn | None = None
    stock: StrictInt | None = Field(None, json_schema_extra=STOCK_RULES)
    status: ProductStatus | None = None
    category: str | None = Field(None, json_schema_extra=CATEGORY_RULES)
    version: StrictInt | None = None

    def to_changes(self) -> dict[str, Any]:
        """The detail fields the client sent, as domain values; VAL_001 for a null that is not allowed."""
        sent = self.model_fields_set - {"version"}
        if not sent:
            raise ValidationFailed.single("body", ErrorCode.REQUIRED, "names no field to change")
        nulls = sorted(name for name in sent if getattr(self, name) is None and name not in NULLABLE)
        if nulls:
            raise ValidationFailed.single(nulls[0], ErrorCode.REQUIRED, "may not be null")
        changes: dict[str, Any] = {name: getattr(self, name) for name in sent}
        if self.price is not None and "price" in sent:
            changes["price"] = self.price.to_money()
        for name in ("sku", "name"):
            if name in changes:
                changes[name] = changes[name].strip()
        known = {f.name for f in dataclass_fields(ProductDetails)}
        return {k: v for k, v in changes.items() if k in known}


class MoneyOut(BaseModel):
    """Money as clients get it: a decimal string with two places and an ISO-4217 currency."""

    amount: str = Field(pattern=r"^[0-9]+\.[0-9]{2}$", examples=["8.90"])
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])


class ProductOut(BaseModel):
    """A product as clients get it."""

    id: UUID
    sku: str
    name: str
    description: str
    price: MoneyOut
    stock: int = Field(ge=0)
    status: ProductStatus
    category: str | None
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str


class ProductSelection(ProductOut):
    """A product, or only the fields asked for with `?fields=`."""

    model_config = ConfigDict(json_schema_extra=no_field_required)


ProductEnvelope = envelope("ProductEnvelope", ProductOut)
ProductSelectionEnvelope = envelope("ProductSelectionEnvelope", ProductSelection)
ProductPageEnvelope = envelope("ProductPageEnvelope", list[ProductSelection], PageMeta)
# What a client can do next with a product it has just made (OpenAPI links; the fuzzer follows them too).
LINKS_FROM_NEW_PRODUCT = id_links(
    "product_id",
    ("GetProduct", "getProduct"),
    ("ReplaceProduct", "replaceProduct"),
    ("UpdateProduct", "updateProduct"),
    ("DeleteProduct", "deleteProduct"),
)


def present(product: Product, selected: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The representation of a product, or only the ``selected`` fields of it."""
    d = product.details
    full: dict[str, Any] = {
        "id": str(product.id),
        "sku": d.sku,
        "name": d.name,
        "description": d.description,
        "price": d.price.as_dict(),
        "stock": d.stock,
        "status": d.status.value,
        "category": d.category,
        "version": product.version,
        "created_at": iso_utc(product.created_at),
        "updated_at": iso_utc(product.updated_at),
        "created_by": product.created_by,
        "updated_by": product.updated_by,
    }
    return pick_fields(full, selected)


def parse_fields(value: str | None) -> tuple[str, ...] | None:
    """The fields a client asked for with ``?fields=a,b``; VAL_002 names an unknown one."""
    return select_fields(value, PRODUCT_FIELDS)


def parse_sort(value: str) -> str:
    """A whitelisted sort field; VAL_002 for any other."""
    if value not in PRODUCT_SORT_FIELDS:
        raise ValidationFailed.single(
            "sort", ErrorCode.INVALID_FORMAT, f"cannot sort by {value!r}; allowed: {', '.join(PRODUCT_SORT_FIELDS)}"
        )
    return value
