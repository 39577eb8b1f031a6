"""The admin's orders list query: any user's orders of the tenant, with the user and total filters besides the
user list's own (status, creation range), sorted and paged alike (the paging of ``queries``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from storefront.application.order_queries import ORDER_SORTS, OrderQuery
from storefront.application.queries import Listing, fingerprint, matching_digest
from storefront.domain.errors import ErrorCode, ValidationFailed


@dataclass(frozen=True, slots=True)
class AdminOrderQuery(OrderQuery):
    """Which live orders of the tenant to list: ``OrderQuery``'s paging, sort, status and creation range, plus
    the owner (``user_id``) and the total's bounds (``min_total``, ``max_total``, both inclusive)."""

    user_id: UUID | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None

    def validate(self) -> None:
        """``OrderQuery.validate``, and VAL_003 for a total range that ends before it starts."""
        OrderQuery.validate(self)
        if self.min_total is not None and self.max_total is not None and self.max_total < self.min_total:
            raise ValidationFailed.single("max_total", ErrorCode.OUT_OF_RANGE, "must not be below min_total")

    def admin_filters(self) -> dict[str, Any]:
        """The filters that define which orders match, in canonical form (never those of a user's own list)."""
        return {
            "list": "admin-orders",
            "user": str(self.user_id) if self.user_id is not None else None,
            "status": self.status.value if self.status is not None else None,
            "created_from": self.created_from.isoformat() if self.created_from is not None else None,
            "created_to": self.created_to.isoformat() if self.created_to is not None else None,
            "min_total": self.min_total.normalize() if self.min_total is not None else None,
            "max_total": self.max_total.normalize() if self.max_total is not None else None,
        }

    def tenant_listing(self, tenant_id: UUID) -> Listing:
        """The paging view of this query over the whole tenant."""
        filters = self.admin_filters()
        return Listing(
            fingerprint(tenant_id, self.sort, self.order, filters),
            ORDER_SORTS[self.sort],
            matching_digest(tenant_id, filters),
        )
