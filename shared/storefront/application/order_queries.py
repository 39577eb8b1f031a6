"""The orders list query: which of a user's orders, in which order, which page (the paging of ``queries``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from storefront.application.queries import (
    Keyset,
    Listing,
    PageQuery,
    SortKind,
    SortValue,
    fingerprint,
    matching_digest,
    validate_paging,
)
from storefront.domain.errors import ErrorCode, ValidationFailed
from storefront.domain.orders import Order, OrderStatus

# Every offered sort has its index (tables.ORDER_LIST_INDEXES).
ORDER_SORTS: dict[str, SortKind] = {
    "created_at": SortKind.TIMESTAMP,
    "updated_at": SortKind.TIMESTAMP,
    "total": SortKind.DECIMAL,
}
ORDER_SORT_FIELDS = tuple(ORDER_SORTS)

_ORDER_SORT_VALUES: dict[str, Callable[[Order], SortValue]] = {
    "created_at": lambda o: o.created_at,
    "updated_at": lambda o: o.updated_at,
    "total": lambda o: o.total.amount,
}


def totals_scope(tenant_id: UUID, user_id: UUID) -> str:
    """The totals memo's scope of one user's orders: every write to one of them makes it forget."""
    return f"orders:{tenant_id}:{user_id}"


@dataclass(frozen=True, slots=True)
class OrderQuery(PageQuery):
    """Which of a user's live orders to list, in which order, and which page (``PageQuery``).
    ``created_from`` and ``created_to`` bound the creation time, both inclusive."""

    status: OrderStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    @property
    def words(self) -> tuple[str, ...]:
        """Orders are not searched by words."""
        return ()

    def validate(self) -> None:
        """VAL_003/VAL_002 for paging out of bounds, a cursor with an offset, or a date range that ends before
        it starts."""
        validate_paging(self.limit, self.offset, self.cursor)
        if self.created_from is not None and self.created_to is not None and self.created_to < self.created_from:
            raise ValidationFailed.single("created_to", ErrorCode.OUT_OF_RANGE, "must not be before created_from")

    def filters(self, user_id: UUID) -> dict[str, Any]:
        """The filters that define which orders match, in canonical form."""
        return {
            "list": "orders",
            "user": str(user_id),
            "status": self.status.value if self.status is not None else None,
            "created_from": self.created_from.isoformat() if self.created_from is not None else None,
            "created_to": self.created_to.isoformat() if self.created_to is not None else None,
        }

    def listing(self, tenant_id: UUID, user_id: UUID) -> Listing:
        """The paging view of this query for one user of one tenant."""
        filters = self.filters(user_id)
        return Listing(
            fingerprint(tenant_id, self.sort, self.order, filters),
            ORDER_SORTS[self.sort],
            matching_digest(tenant_id, filters),
        )

    def keyset_of(self, order: Order) -> Keyset:
        """Where ``order`` stands in this query's order."""
        return Keyset(_ORDER_SORT_VALUES[self.sort](order), order.id)
