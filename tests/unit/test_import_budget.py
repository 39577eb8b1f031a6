"""Import budgets: what a function loads at cold start and on its first invocation.

Each check runs in a fresh interpreter, as a cold Lambda container would.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from localdev.paths import ROOT

PRELUDE = r"""
import json, os, sys
sys.path[:0] = [os.path.join(ROOT, "functions"), os.path.join(ROOT, "shared"), ROOT]
os.environ.update(GATEWAY_MODE="apigw", POWERTOOLS_METRICS_NAMESPACE="Budget",
                  POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="CRITICAL")
os.environ.update(ENVIRONMENT)
for name in REMOVED:
    os.environ.pop(name, None)
import importlib
from localdev.runtime import LambdaContext
event = json.load(open(os.path.join(ROOT, "events", EVENT)))
"""

# A request served by an in-memory SQLite database.
SQLITE_REQUEST = r"""
module = importlib.import_module(MODULE)
from storefront.adapters.db.tables import metadata
from storefront import bootstrap
metadata.create_all(bootstrap.engine())
result = module.handler(event, LambdaContext("budget"))
print(json.dumps({"status": result["statusCode"], "modules": sorted(sys.modules)}))
"""

# A fresh container under production settings whose product is in the cache. The database secret's
# extension does not answer: had the function built the engine, the request would be a 503.
CACHE_HIT = r"""
from tests.fakes import FakeCatalog
from tests.conftest import details
from storefront.application import products
from storefront.domain.products import Product
from storefront.domain.identity import Principal
from storefront import bootstrap
from uuid import UUID
claims = event["requestContext"]["authorizer"]
tenant = UUID(claims["tenant_id"])
warm = FakeCatalog()
product = Product.create(tenant, details(), "budget", warm.clock.now())
warm.repository.add(product)
products.get_product(warm.ports, tenant, product.id)  # fills warm.cache
bootstrap.provide(cache=warm.cache)
event["path"] = event["path"].rsplit("/", 1)[0] + "/" + str(product.id)
event["pathParameters"] = {"product_id": str(product.id)}
module = importlib.import_module(MODULE)
result = module.handler(event, LambdaContext("budget"))
print(json.dumps({"status": result["statusCode"], "x_cache": result["multiValueHeaders"].get("X-Cache"),
                  "modules": sorted(sys.modules)}))
"""

# Cold start only: the module is imported and its settings are checked, as Lambda's INIT phase does.
IMPORT_ONLY = r"""
module = importlib.import_module(MODULE)
print(json.dumps({"status": 0, "modules": sorted(sys.modules)}))
"""

PRODUCTION = {
    "DATABASE_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:storefront/db",
    "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "9",  # discard: nothing answers there
    "AWS_SESSION_TOKEN": "budget",
    "JWT_SECRETS": json.dumps({"storefront-web": "budget-secret-of-at-least-32-bytes!!"}),
}
SQLITE = {"DATABASE_URL": "sqlite://"}

# Never loaded by a product function: AWS SDK clients, password hashing, X-Ray SDK, other drivers, test tools.
# (Powertools imports the bare botocore package to tag its user agent: its session and client show SDK use.)
FORBIDDEN = (
    "boto3",
    "botocore.session",
    "botocore.client",
    "argon2",
    "aws_xray_sdk",
    "psycopg",
    "oracledb",
    "moto",
    "fakeredis",
    "alembic",
    "yaml",
)
HTTP_FUNCTIONS = [
    ("products.get_product", "products/get_product.json"),
    ("products.list_products", "products/list_products.json"),
    ("products.create_product", "products/create_product.json"),
    ("products.update_product", "products/update_product.json"),
    ("products.replace_product", "products/replace_product.json"),
    ("products.delete_product", "products/delete_product.json"),
]


def loaded(
    module: str, event: str, script: str = SQLITE_REQUEST, environment: dict[str, str] | None = None
) -> dict[str, object]:
    environment = SQLITE if environment is None else environment
    removed = [name for name in ("DATABASE_URL", "DATABASE_SECRET_ARN", "REDIS_URL") if name not in environment]
    code = (
        (PRELUDE + script)
        .replace("ROOT", repr(str(ROOT)))
        .replace("MODULE", repr(module))
        .replace("EVENT", repr(event))
        .replace("ENVIRONMENT", repr(environment))
        .replace("REMOVED", repr(removed))
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def heavy(modules: object, forbidden: tuple[str, ...] = FORBIDDEN) -> list[str]:
    assert isinstance(modules, list)
    return [m for m in modules if m.split(".")[0] in forbidden or m in forbidden]


@pytest.mark.parametrize(
    ("module", "event"),
    [("products.get_product", "products/get_product.json"), ("products.list_products", "products/list_products.json")],
)
def test_product_reads_stay_within_their_budget(module, event):
    result = loaded(module, event)
    assert result["status"] in (200, 404)
    assert heavy(result["modules"]) == []


def test_in_api_gateway_mode_a_read_needs_no_jwt_library():
    result = loaded("products.get_product", "products/get_product.json")
    assert "jwt" not in result["modules"]  # type: ignore[operator]


@pytest.mark.parametrize(("module", "event"), HTTP_FUNCTIONS)
def test_no_http_function_loads_the_aws_sdk_under_production_settings(module, event):
    result = loaded(module, event, IMPORT_ONLY, PRODUCTION)
    assert (
        heavy(result["modules"], ("boto3", "botocore.session", "botocore.client", "sqlalchemy", "oracledb", "redis"))
        == []
    )


def test_a_cache_hit_on_a_fresh_container_loads_no_database_library():
    result = loaded("products.get_product", "products/get_product.json", CACHE_HIT, PRODUCTION)
    assert (result["status"], result["x_cache"]) == (200, ["HIT"])
    assert heavy(result["modules"], (*FORBIDDEN, "sqlalchemy")) == []


AUTH_FUNCTIONS = [
    ("auth.register", "auth/register.json"),
    ("auth.login", "auth/login.json"),
    ("auth.refresh", "auth/refresh.json"),
    ("auth.logout", "auth/logout.json"),
    ("auth.forgot_password", "auth/forgot_password.json"),
    ("auth.reset_password", "auth/reset_password.json"),
]
AUTH = {
    "DEFAULT_TENANT_ID": "00000000-0000-4000-8000-000000000001",
    "REDIS_URL": "redis://127.0.0.1:9/0",  # discard: nothing answers (the throttle fails open)
    "JWT_ISSUER": "storefront-web",
    "MAIL_TRANSPORT": "ses",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


@pytest.mark.parametrize(("module", "event"), AUTH_FUNCTIONS)
def test_auth_functions_load_neither_the_aws_sdk_nor_argon2_to_start(module, event):
    """Settings and secrets never need boto3; argon2 loads on the first password it hashes or checks."""
    result = loaded(module, event, IMPORT_ONLY, {**PRODUCTION, **AUTH})
    forbidden = ("boto3", "botocore.session", "botocore.client", "argon2", "sqlalchemy", "oracledb")
    assert heavy(result["modules"], forbidden) == []


def test_only_a_reset_email_that_is_sent_loads_boto3():
    """A forgot-password request for an unknown email sends nothing, so SES's client is never imported."""
    result = loaded("auth.forgot_password", "auth/forgot_password.json", environment={**SQLITE, **AUTH})
    assert result["status"] == 202
    assert heavy(result["modules"], ("boto3", "botocore.session", "botocore.client")) == []


USERS_FUNCTIONS = [
    ("users.list_users", "users/list_users.json"),
    ("users.create_user", "users/create_user.json"),
    ("users.get_user", "users/get_user.json"),
    ("users.replace_user", "users/replace_user.json"),
    ("users.update_user", "users/update_user.json"),
    ("users.delete_user", "users/delete_user.json"),
    ("users.get_user_profile", "users/get_user_profile.json"),
    ("users.replace_user_profile", "users/replace_user_profile.json"),
    ("me.get_profile", "me/get_profile.json"),
    ("me.replace_profile", "me/replace_profile.json"),
    ("me.get_settings", "me/get_settings.json"),
    ("me.replace_settings", "me/replace_settings.json"),
    ("admin.list_users", "admin/list_users.json"),
    ("admin.get_user", "admin/get_user.json"),
    ("admin.replace_user", "admin/replace_user.json"),
    ("admin.delete_user", "admin/delete_user.json"),
    ("admin.ban_user", "admin/ban_user.json"),
    ("admin.unban_user", "admin/unban_user.json"),
]


@pytest.mark.parametrize(("module", "event"), USERS_FUNCTIONS)
def test_users_functions_start_without_the_aws_sdk_argon2_or_a_database_or_redis_library(module, event):
    """None of them hashes a password (no argon2 ever); the rest loads on the first request, as for products."""
    result = loaded(module, event, IMPORT_ONLY, {**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:9/0"})
    forbidden = ("boto3", "botocore.session", "botocore.client", "argon2", "sqlalchemy", "oracledb", "redis")
    assert heavy(result["modules"], forbidden) == []


@pytest.mark.parametrize(
    ("module", "event"),
    [f for f in USERS_FUNCTIONS if f[0].split(".")[1].startswith(("get_", "list_"))],
)
def test_users_reads_stay_within_their_budget(module, event):
    result = loaded(module, event)
    assert result["status"] in (200, 404)
    assert heavy(result["modules"]) == []


# An SQS consumer built with sqs_entry (the test-only one in tests/consumers) processing a batch.
SQS_BATCH = r"""
module = importlib.import_module(MODULE)
from datetime import UTC, datetime
from uuid import uuid4
from localdev.aws_events import queue_arn, sqs_event
from storefront.messages.envelope import envelope
body = envelope(module.Work(key="k"), tenant_id=uuid4(), occurred_at=datetime.now(UTC)).to_json()
received = {"MessageId": "m1", "ReceiptHandle": "r1", "MD5OfBody": "x", "Body": body,
            "Attributes": {"ApproximateReceiveCount": "1"}}
result = module.handler(sqs_event([received], queue_arn("q")), LambdaContext("budget"))
print(json.dumps({"status": len(result["batchItemFailures"]), "modules": sorted(sys.modules)}))
"""


def test_an_sqs_consumer_loads_no_aws_sdk_client_until_it_must_dead_letter_a_message():
    """The entry (Powertools' batch processor) needs no boto3: only sending a refused message to the DLQ does."""
    result = loaded("tests.consumers.work", "products/get_product.json", SQS_BATCH, PRODUCTION)
    assert result["status"] == 0
    assert heavy(result["modules"], ("boto3", "botocore.session", "botocore.client", "aws_xray_sdk", "moto")) == []


ORDER_FUNCTIONS = [
    ("orders.list_orders", "orders/list_orders.json"),
    ("orders.create_order", "orders/create_order.json"),
    ("orders.get_order", "orders/get_order.json"),
    ("orders.replace_order", "orders/replace_order.json"),
    ("orders.update_order", "orders/update_order.json"),
    ("orders.delete_order", "orders/delete_order.json"),
    ("orders.cancel_order", "orders/cancel_order.json"),
]


@pytest.mark.parametrize(("module", "event"), [*ORDER_FUNCTIONS, ("orders.relay_outbox", "orders/relay_outbox.json")])
def test_order_functions_start_without_the_aws_sdk_argon2_or_a_database_or_redis_library(module, event):
    """Nothing of the database, Redis, Powertools' idempotency utility or the AWS SDK loads before the first
    request (the relay included: it has no queue client of its own on this branch)."""
    result = loaded(module, event, IMPORT_ONLY, {**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:9/0"})
    forbidden = ("boto3", "botocore.session", "botocore.client", "argon2", "sqlalchemy", "oracledb", "redis")
    assert heavy(result["modules"], forbidden) == []
    modules = result["modules"]
    assert isinstance(modules, list)
    assert not [m for m in modules if m.startswith("aws_lambda_powertools.utilities.idempotency")]


@pytest.mark.parametrize(("module", "event"), [f for f in ORDER_FUNCTIONS if ".get_" in f[0] or ".list_" in f[0]])
def test_order_reads_stay_within_their_budget(module, event):
    result = loaded(module, event)
    assert result["status"] in (200, 404)
    assert heavy(result["modules"]) == []


ADMIN_ORDER_FUNCTIONS = [
    ("admin.list_orders", "admin/list_orders.json"),
    ("admin.get_order", "admin/get_order.json"),
    ("admin.replace_order", "admin/replace_order.json"),
    ("admin.delete_order", "admin/delete_order.json"),
]


@pytest.mark.parametrize(("module", "event"), ADMIN_ORDER_FUNCTIONS)
def test_admin_order_functions_start_without_the_aws_sdk_argon2_or_a_database_or_redis_library(module, event):
    result = loaded(module, event, IMPORT_ONLY, {**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:9/0"})
    forbidden = ("boto3", "botocore.session", "botocore.client", "argon2", "sqlalchemy", "oracledb", "redis")
    assert heavy(result["modules"], forbidden) == []


@pytest.mark.parametrize(("module", "event"), ADMIN_ORDER_FUNCTIONS[:2])
def test_admin_order_reads_stay_within_their_budget(module, event):
    result = loaded(module, event)
    assert result["status"] in (200, 404)
    assert heavy(result["modules"]) == []


# The payment gateway as the payment consumer will build it at cold start (AWS settings: the key in a secret,
# Redis for the breaker). The extension and Redis do not answer: building must need neither.
PAYMENTS_BUILD = r"""
from storefront import bootstrap
gateway = bootstrap.payment_gateway()
print(json.dumps({"status": 0, "modules": sorted(sys.modules)}))
"""
PAYMENTS = {
    "PAYMENT_PROVIDER_URL": "https://api.payments.example.com",
    "PAYMENT_PROVIDER_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:storefront/payments",
    "REDIS_URL": "redis://127.0.0.1:9/0",  # discard: nothing answers
}


def test_building_the_payment_gateway_loads_no_aws_sdk_and_no_retry_library():
    """No boto3 (the key comes through the extension, on the first charge); tenacity loads on the first call."""
    result = loaded("unused", "products/get_product.json", PAYMENTS_BUILD, {**PRODUCTION, **PAYMENTS})
    forbidden = ("boto3", "botocore.session", "botocore.client", "tenacity", "sqlalchemy", "oracledb")
    assert heavy(result["modules"], (*FORBIDDEN, *forbidden)) == []


@pytest.mark.parametrize(
    ("module", "event"),
    [
        ("orders.process_order", "orders/process_order.json"),
        ("orders.process_payment", "orders/process_payment.json"),
        ("notifications.send_notification", "notifications/send_notification.json"),
    ],
)
def test_the_saga_consumers_start_without_the_aws_sdk_a_database_redis_or_the_retry_library(module, event):
    """A consumer's cold start reads its settings only: the database, Redis, boto3 (only a deferral or a
    dead-lettered message sends) and tenacity (the first charge) load when a message needs them."""
    result = loaded(module, event, IMPORT_ONLY, {**PRODUCTION, **PAYMENTS})
    forbidden = ("boto3", "botocore.session", "botocore.client", "sqlalchemy", "oracledb", "redis", "tenacity")
    assert heavy(result["modules"], (*FORBIDDEN, *forbidden)) == []


OPERATIONS_FUNCTIONS = [
    (f"operations.{name}", f"operations/{name}.json")
    for name in ("health", "live", "ready", "metrics", "public_health", "public_ready", "info", "version", "status")
]


@pytest.mark.parametrize(("module", "event"), OPERATIONS_FUNCTIONS)
def test_the_operational_functions_load_no_client_library_to_start(module, event):
    """A probe's cold start is not a database's, Redis's or the AWS SDK's: those load when a check runs."""
    result = loaded(module, event, IMPORT_ONLY, PRODUCTION)
    heavy_modules = ("boto3", "botocore.session", "botocore.client", "sqlalchemy", "oracledb", "redis", "cProfile")
    assert heavy(result["modules"], heavy_modules) == []


REPORT_FUNCTIONS = [
    ("admin.get_stats", "admin/get_stats.json"),
    ("admin.get_reports", "admin/get_reports.json"),
    ("admin.get_analytics", "admin/get_analytics.json"),
]
# A fresh container under production settings whose stats are in the cache (filled by the use case on fakes).
STATS_HIT = r"""
from uuid import UUID
from tests.fakes import FakeReportRepository, FakeReports
from storefront.application import reports
from storefront import bootstrap
tenant = UUID(event["requestContext"]["authorizer"]["tenant_id"])
warm = FakeReports(FakeReportRepository(tenant))
reports.admin_stats(warm.ports, tenant, int(event["queryStringParameters"]["low_stock_threshold"]))
bootstrap.provide(cache=warm.cache)
module = importlib.import_module(MODULE)
result = module.handler(event, LambdaContext("budget"))
print(json.dumps({"status": result["statusCode"], "x_cache": result["multiValueHeaders"].get("X-Cache"),
                  "modules": sorted(sys.modules)}))
"""


@pytest.mark.parametrize(("module", "event"), REPORT_FUNCTIONS)
def test_report_functions_start_without_a_database_library_and_answer_within_budget(module, event):
    started = loaded(module, event, IMPORT_ONLY, PRODUCTION)
    forbidden = ("boto3", "botocore.session", "botocore.client", "sqlalchemy", "oracledb", "redis")
    assert heavy(started["modules"], forbidden) == []
    served = loaded(module, event)
    assert served["status"] == 200
    assert heavy(served["modules"]) == []


def test_cached_stats_on_a_fresh_container_load_no_database_library():
    result = loaded("admin.get_stats", "admin/get_stats.json", STATS_HIT, PRODUCTION)
    assert (result["status"], result["x_cache"]) == (200, ["HIT"])
    assert heavy(result["modules"], (*FORBIDDEN, "sqlalchemy")) == []
