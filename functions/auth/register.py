"""POST /public/auth/register: open an account in the request's tenant (public)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from storefront import bootstrap
from storefront.application import auth
from storefront.config import AuthSettings, DatabaseSettings, RedisRequiredSettings
from storefront.domain.users import Identity
from storefront.http.auth import AUTH_TAG, RegisterIn, TenantHeader, client_ip, requested_tenant
from storefront.http.entry import lambda_entry
from storefront.http.envelope import ok
from storefront.http.openapi import LOCATION, WITH_BODY, responses, success
from storefront.http.resolver import PREFIX, api_resolver
from storefront.http.users import UserEnvelope, present_user

app = api_resolver()


@app.post(
    f"{PREFIX}/public/auth/register",
    summary="Register",
    description="Opens an account (role user) in the tenant of X-Tenant-ID, else the default tenant. The password "
    "is 12 to 128 characters, not the email or username and not a common password; emails and usernames are "
    "unique per tenant whatever their case (409 otherwise). Public.",
    tags=[AUTH_TAG],
    operation_id="register",
    responses=responses(success("Created", UserEnvelope, 201, headers=(LOCATION,)), errors=(*WITH_BODY, 409)),
)
def register(
    body: Annotated[RegisterIn, Body()],
    x_tenant_id: TenantHeader = None,
) -> Response[str]:
    tenant = requested_tenant(x_tenant_id)
    identity = Identity(body.email, body.username, body.full_name)
    user = auth.register(bootstrap.identity(), tenant, identity, body.password, client_ip(app.current_event))
    return ok(present_user(user), 201, headers={"Location": f"{PREFIX}/users/{user.id}"})


handler = lambda_entry(app, allow=None, requires=(AuthSettings, DatabaseSettings, RedisRequiredSettings), no_store=True)
