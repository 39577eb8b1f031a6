"""The product service routes over HTTP: items parsed as POST /products and PATCH /products/{id} take them,
and the sync page's rows (a product, or a tombstone once deleted)."""

from __future__ import annotations

from typing import Any, Literal

from storefront.application.product_services import ProductChange
from storefront.domain.products import Product, ProductDetails
from storefront.http.openapi import envelope
from storefront.http.products import ProductIn, ProductOut, ProductPatch, present
from storefront.http.service_routes import BulkChangeIn, SyncMeta, Tombstone, nested, synced


def product_item(item: dict[str, Any]) -> ProductDetails:
    """A batch item: a product as POST /products takes it."""
    return ProductIn.model_validate(item).to_details()


def product_change(item: dict[str, Any]) -> ProductChange:
    """A bulk-update item: ``{id, version, changes}``, the changes as PATCH /products/{id} takes them."""
    parsed = BulkChangeIn.model_validate(item)
    patch = nested("changes", ProductPatch.model_validate, parsed.changes)
    return ProductChange(parsed.id, parsed.version, patch.to_changes())


class SyncedProductOut(ProductOut):
    """A live product in a sync page."""

    deleted: Literal[False]


ProductSyncEnvelope = envelope("ProductSyncEnvelope", list[SyncedProductOut | Tombstone], SyncMeta)


def present_synced(product: Product) -> dict[str, Any]:
    """A product as a sync page shows it: the whole product, or a tombstone once deleted."""
    return synced(product, present)
