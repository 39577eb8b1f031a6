"""GET services/users/sync: the accounts changed after a cursor, deletions as tombstones, oldest first."""

from storefront import bootstrap
from storefront.application.user_services import sync_users
from storefront.config import CacheSettings, DatabaseSettings, SyncSettings
from storefront.http.entry import lambda_entry
from storefront.http.identity import SERVICES
from storefront.http.resolver import api_resolver
from storefront.http.service_routes import add_sync_route
from storefront.http.user_services import UserSyncEnvelope, present_synced_user

app = api_resolver()

add_sync_route(
    app,
    "users",
    summary="Sync users",
    description="The caller's tenant's accounts changed after `cursor`, oldest change first, each in its newest "
    "state with `deleted: false`, or as a tombstone `{id, deleted: true, deleted_at}`; resume from "
    "meta.pagination.next_cursor.",
    operation_id="syncUsers",
    page_envelope=UserSyncEnvelope,
    read=lambda tenant, *page: sync_users(bootstrap.users(), tenant, *page),
    present=present_synced_user,
)

handler = lambda_entry(app, allow=SERVICES, service_key=True, requires=(DatabaseSettings, CacheSettings, SyncSettings))
