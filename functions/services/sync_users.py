"""GET services/users/sync: the accounts changed after a cursor, deletions as tombstones, oldest first."""

from storefront import bootstrap
from storefront.application.user_services import sync_users
from storefront.config import CacheSettings, DatabaseSettings, SyncSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.openapi import PROTECTED, SERVICE, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.service_routes import SERVICES_TAG, SYNC_HELP, sync_route
from storefront.http.user_services import UserSyncEnvelope, present_synced_user

app = api_resolver()

app.get(
    f"{PREFIX}/services/users/sync",
    summary="Sync users",
    description="The caller's tenant's accounts changed after `cursor`, oldest change first, each in its newest "
    "state with `deleted: false`, or as a tombstone `{id, deleted: true, deleted_at}`; resume from "
    f"meta.pagination.next_cursor. {SYNC_HELP} Service role with X-Service-Name and X-API-Key.",
    tags=[SERVICES_TAG],
    operation_id="syncUsers",
    security=SERVICE,
    responses=responses(success("One page of changes", UserSyncEnvelope), errors=(*PROTECTED, 422)),
)(sync_route(lambda tenant, *page: sync_users(bootstrap.users(), tenant, *page), present_synced_user))

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings, SyncSettings))
