"""Orders over HTTP: request bodies, the representation clients get (never the payment token), sorting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from pydantic.json_schema import SkipJsonSchema

from storefront.application.order_queries import ORDER_SORT_FIELDS
from storefront.application.orders import NewOrder, OrderLine
from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.orders import (
    ITEMS_MAX,
    ITEMS_MIN,
    NOTES_MAX,
    PAYMENT_TOKEN_MAX,
    QUANTITY_MAX,
    QUANTITY_MIN,
    EventKind,
    Order,
    OrderEvent,
    OrderStatus,
    PaymentStatus,
    check_settable,
)
from storefront.domain.timestamps import iso_utc
from storefront.http.addresses import AddressIn, AddressOut, present_address
from storefront.http.openapi import PageMeta, envelope, id_links
from storefront.http.products import MoneyOut
from storefront.http.request_body import RequestBody
from storefront.http.selection import no_field_required, parse_fields, pick_fields

ORDERS_TAG = "orders"
ORDER_FIELDS = (
    "id",
    "user_id",
    "status",
    "payment_status",
    "items",
    "total",
    "shipping_address",
    "notes",
    "history",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
)
DATE_HELP = "An ISO-8601 date (2026-12-01: the whole day, UTC) or date-time with its offset."
# Fields only the server sets: sending one is 403 AUTH_003 naming it. Not in the documented schema.
ServerSet = SkipJsonSchema[Any]


class OrderBody(RequestBody):
    """An order body: unknown fields are 422, the read-only base fields are ignored, and the fields only the
    server sets (``domain.orders.SERVER_SET_FIELDS``) are refused by name (``refuse``), except those of
    ``SETTABLE``, which a subclass declares as its own fields (an admin's ``status``)."""

    SETTABLE: ClassVar[frozenset[str]] = frozenset()

    tenant_id: ServerSet = Field(None, exclude=True)
    user_id: ServerSet = Field(None, exclude=True)
    status: ServerSet = Field(None, exclude=True)
    payment_status: ServerSet = Field(None, exclude=True)
    total: ServerSet = Field(None, exclude=True)
    history: ServerSet = Field(None, exclude=True)

    def refuse(self) -> None:
        """AUTH_003 naming the first field of the body only the server sets."""
        check_settable(self.model_fields_set - self.SETTABLE)


class OrderLineIn(BaseModel):
    """One product and how many of it."""

    model_config = ConfigDict(extra="forbid")

    product_id: UUID
    quantity: StrictInt = Field(json_schema_extra={"minimum": QUANTITY_MIN, "maximum": QUANTITY_MAX})


class OrderIn(OrderBody):
    """A new order: prices are the catalogue's at this moment; the payment token is never shown again."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [{"product_id": "6f1c0a52-3d59-4a8e-9b7e-0c6f0b8a2d11", "quantity": 2}],
                    "shipping_address": {
                        "line1": "1 Rue de la Paix",
                        "city": "Paris",
                        "postal_code": "75002",
                        "country": "FR",
                    },
                    "payment_token": "tok_approve",
                    "notes": "Leave at the door",
                }
            ]
        }
    )

    items: list[OrderLineIn] = Field(json_schema_extra={"minItems": ITEMS_MIN, "maxItems": ITEMS_MAX})
    shipping_address: AddressIn
    payment_token: str = Field(json_schema_extra={"minLength": 1, "maxLength": PAYMENT_TOKEN_MAX, "pattern": r"\S"})
    notes: str | None = Field(None, json_schema_extra={"maxLength": NOTES_MAX})

    def to_request(self) -> NewOrder:
        """The order request; AUTH_003 first for a field only the server sets."""
        self.refuse()
        return NewOrder(
            lines=tuple(OrderLine(i.product_id, i.quantity) for i in self.items),
            shipping_address=self.shipping_address.to_address(),
            payment_token=self.payment_token.strip(),
            notes=self.notes,
        )


class OrderReplace(OrderBody):
    """What a PENDING order's owner may replace: the shipping address and the notes (left out: none)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "shipping_address": {
                        "line1": "2 Rue de Rivoli",
                        "city": "Paris",
                        "postal_code": "75004",
                        "country": "FR",
                    },
                    "notes": None,
                }
            ]
        }
    )

    shipping_address: AddressIn
    notes: str | None = Field(None, json_schema_extra={"maxLength": NOTES_MAX})
    version: StrictInt | None = None

    def to_changes(self) -> dict[str, Any]:
        """The replacement; AUTH_003 first for a field only the server sets."""
        self.refuse()
        return {"shipping_address": self.shipping_address.to_address(), "notes": self.notes}


class OrderPatch(OrderBody):
    """Some of what a PENDING order's owner may change; a field left out keeps its value (`notes: null` clears)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"notes": "Ring twice"}]})

    shipping_address: AddressIn | None = None
    notes: str | None = Field(None, json_schema_extra={"maxLength": NOTES_MAX})
    version: StrictInt | None = None

    def to_changes(self) -> dict[str, Any]:
        """The fields sent, as domain values; AUTH_003 first for a field only the server sets, VAL_001 for an
        empty patch or a null address."""
        self.refuse()
        sent = self.model_fields_set - {"version"}
        if not sent:
            raise ValidationFailed.single("body", ErrorCode.REQUIRED, "names no field to change")
        changes: dict[str, Any] = {}
        if "shipping_address" in sent:
            if self.shipping_address is None:
                raise ValidationFailed.single("shipping_address", ErrorCode.REQUIRED, "may not be null")
            changes["shipping_address"] = self.shipping_address.to_address()
        if "notes" in sent:
            changes["notes"] = self.notes
        return changes


class CancelIn(RequestBody):
    """Optional: the version the cancel expects to replace (as If-Match); the body itself may be left out."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"version": 1}]})

    version: StrictInt | None = None


ANY_VERSION = CancelIn()


class OrderItemOut(BaseModel):
    """A line of an order: the product's SKU and name and the price as they were when the order was placed."""

    product_id: UUID
    sku: str
    name: str
    quantity: int = Field(ge=QUANTITY_MIN, le=QUANTITY_MAX)
    unit_price: MoneyOut
    line_total: MoneyOut


class OrderEventOut(BaseModel):
    """An entry of the order's history."""

    sequence: int = Field(ge=1)
    kind: EventKind
    from_status: OrderStatus | None
    to_status: OrderStatus
    payment_status: PaymentStatus | None = Field(description="the payment status after the event; null: unchanged")
    occurred_at: datetime
    actor: str
    detail: str | None


class OrderOut(BaseModel):
    """An order as its owner gets it (never its payment token)."""

    id: UUID
    user_id: UUID
    status: OrderStatus
    payment_status: PaymentStatus
    items: list[OrderItemOut]
    total: MoneyOut
    shipping_address: AddressOut
    notes: str | None
    history: list[OrderEventOut] = Field(description="the order's events, oldest first")
    version: int = Field(ge=1)
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str


class OrderSelection(OrderOut):
    """An order, or only the fields asked for with `?fields=`."""

    model_config = ConfigDict(json_schema_extra=no_field_required)


OrderEnvelope = envelope("OrderEnvelope", OrderOut)
OrderSelectionEnvelope = envelope("OrderSelectionEnvelope", OrderSelection)
OrderPageEnvelope = envelope("OrderPageEnvelope", list[OrderSelection], PageMeta)
# What a client (or an admin) can do next with an order it has just placed (OpenAPI links; the fuzzer follows them too).
LINKS_FROM_NEW_ORDER = id_links(
    "order_id",
    ("GetOrder", "getOrder"),
    ("ReplaceOrder", "replaceOrder"),
    ("UpdateOrder", "updateOrder"),
    ("CancelOrder", "cancelOrder"),
    ("DeleteOrder", "deleteOrder"),
    ("AdminGetOrder", "adminGetOrder"),
    ("AdminUpdateOrder", "adminUpdateOrder"),
    ("AdminDeleteOrder", "adminDeleteOrder"),
)


def present(order: Order, selected: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The representation of an order, or only the ``selected`` fields of it (the payment token is left out,
    always)."""
    full: dict[str, Any] = {
        "id": str(order.id),
        "user_id": str(order.user_id),
        "status": order.status.value,
        "payment_status": order.payment_status.value,
        "items": [
            {
                "product_id": str(i.product_id),
                "sku": i.sku,
                "name": i.name,
                "quantity": i.quantity,
                "unit_price": i.unit_price.as_dict(),
                "line_total": i.line_total.as_dict(),
            }
            for i in order.items
        ],
        "total": order.total.as_dict(),
        "shipping_address": present_address(order.shipping_address),
        "notes": order.notes,
        "history": [_event(e) for e in order.history],
        "version": order.version,
        "created_at": iso_utc(order.created_at),
        "updated_at": iso_utc(order.updated_at),
        "created_by": order.created_by,
        "updated_by": order.updated_by,
    }
    return pick_fields(full, selected)


def parse_order_fields(value: str | None) -> tuple[str, ...] | None:
    """The fields a client asked for with ``?fields=a,b``; VAL_002 names an unknown one."""
    return parse_fields(value, ORDER_FIELDS)


def _event(e: OrderEvent) -> dict[str, Any]:
    return {
        "sequence": e.sequence,
        "kind": e.kind.value,
        "from_status": e.from_status.value if e.from_status is not None else None,
        "to_status": e.to_status.value,
        "payment_status": e.payment_status.value if e.payment_status is not None else None,
        "occurred_at": iso_utc(e.occurred_at),
        "actor": e.actor,
        "detail": e.detail,
    }


def parse_sort(value: str) -> str:
    """A whitelisted sort field; VAL_002 for any other."""
    if value not in ORDER_SORT_FIELDS:
        raise ValidationFailed.single(
            "sort", ErrorCode.INVALID_FORMAT, f"cannot sort by {value!r}; allowed: {', '.join(ORDER_SORT_FIELDS)}"
        )
    return value


# A date or a date-time with its offset, as query text (the schema Powertools publishes for the parameter).
DATE_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$"
)
DateQuery = Annotated[str, Field(pattern=DATE_PATTERN, description=DATE_HELP)]


def parse_moment(name: str, value: str | None, *, end_of_day: bool) -> datetime | None:
    """A query's date or date-time as an aware UTC datetime: a bare date is its first (or, with ``end_of_day``,
    its last) microsecond in UTC; VAL_002 naming ``name`` for anything else."""
    if value is None:
        return None
    try:
        if "T" not in value:
            start = datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
            moment = start + timedelta(days=1, microseconds=-1) if end_of_day else start
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise ValidationFailed.single(name, ErrorCode.INVALID_FORMAT, "must be a date or date-time") from None
    if moment.tzinfo is None:
        raise ValidationFailed.single(name, ErrorCode.INVALID_FORMAT, "needs its offset (Z or +01:00)")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValidationFailed.single(name, ErrorCode.OUT_OF_RANGE, "is out of range") from None
    if not 1900 <= utc.year <= 9998:
        raise ValidationFailed.single(name, ErrorCode.OUT_OF_RANGE, "is out of range")
    return utc
