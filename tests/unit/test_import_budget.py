"""Import budgets: what a function loads at cold start and on its first invocation.

Each check runs in a fresh interpreter, as a cold Lambda container would.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from localdev.paths import ROOT

PROBE = r"""
import json, os, sys
sys.path[:0] = [os.path.join(ROOT, "functions"), os.path.join(ROOT, "shared"), ROOT]
os.environ.update(GATEWAY_MODE="apigw", DATABASE_URL="sqlite://", POWERTOOLS_METRICS_NAMESPACE="Budget",
                  POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_LOG_LEVEL="ERROR")
import importlib
module = importlib.import_module(MODULE)
from localdev.runtime import LambdaContext
event = json.load(open(os.path.join(ROOT, "events", EVENT)))
from storefront.adapters.db.tables import metadata
from storefront import bootstrap
metadata.create_all(bootstrap.engine())
result = module.handler(event, LambdaContext("budget"))
print(json.dumps({"status": result["statusCode"], "modules": sorted(sys.modules)}))
"""

# Never loaded by a product function: AWS SDK clients, password hashing, X-Ray SDK, other drivers, test tools.
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


def loaded(module: str, event: str) -> tuple[int, list[str]]:
    code = PROBE.replace("ROOT", repr(str(ROOT))).replace("MODULE", repr(module)).replace("EVENT", repr(event))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["status"], result["modules"]


@pytest.mark.parametrize(
    ("module", "event"),
    [("products.get_product", "products/get_product.json"), ("products.list_products", "products/list_products.json")],
)
def test_product_reads_stay_within_their_budget(module, event):
    status, modules = loaded(module, event)
    assert status in (200, 404)
    heavy = [m for m in modules if m.split(".")[0] in FORBIDDEN or m in FORBIDDEN]
    assert heavy == []


def test_in_api_gateway_mode_a_read_needs_no_jwt_library():
    _, modules = loaded("products.get_product", "products/get_product.json")
    assert "jwt" not in modules
