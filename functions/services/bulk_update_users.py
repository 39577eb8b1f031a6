"""POST services/users/bulk-update: another service changes up to 1000 accounts, each at a known version."""

from storefront import bootstrap
from storefront.application.user_services import bulk_update_users
from storefront.config import CacheSettings, DatabaseSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.resolver import api_resolver
from storefront.http.service_routes import add_bulk_update_route, parse_items
from storefront.http.user_services import user_change

app = api_resolver()

add_bulk_update_route(
    app,
    "users",
    summary="Update users in bulk",
    description="Each item is `{id, version, changes}` (changes as PATCH /users/{id} takes them); an item whose "
    "version is current is applied (identity, profile, settings; role, status and email_verified are an "
    "admin's: AUTH_003) as `updated`, a stale one is `conflict` (the current version in "
    "error.details.current_version), an invalid or missing one `failed`; results in input order. "
    "Service role with X-Service-Name and X-API-Key.",
    operation_id="bulkUpdateUsers",
    run=lambda caller, items: bulk_update_users(bootstrap.users(), caller, parse_items(items, user_change(caller))),
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings))
