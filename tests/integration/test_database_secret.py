"""The database secret is read through the Parameters and Secrets Lambda Extension (a local stand-in of it)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from localdev.runtime import LambdaContext, load_handler
from localdev.secrets_extension import SecretsExtension
from localdev.stack import free_port
from storefront import bootstrap
from storefront.adapters.secrets.extension import ParametersSecretsExtension
from storefront.domain.errors import ServiceUnavailable
from tests.unit.handlers import event

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:storefront/db-AbCdEf"
SECRET = {"username": "app", "password": "p@ss/word", "host": "db.internal", "port": 1522, "service_name": "FREEPDB1"}
TOKEN = "session-token-of-this-invocation"


@pytest.fixture
def extension() -> Iterator[SecretsExtension]:
    with SecretsExtension({ARN: json.dumps(SECRET), "plain": "not json", "list": "[1]"}, token=TOKEN) as served:
        yield served


def test_the_secret_becomes_an_oracle_url(extension, monkeypatch):
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("DATABASE_SECRET_ARN", ARN)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", str(extension.port))
    bootstrap.reset()
    url = bootstrap.url_from_secret(bootstrap.secret_store().json_secret(ARN))
    assert url.drivername == "oracle+oracledb"
    assert (url.username, url.password, url.host, url.port) == ("app", "p@ss/word", "db.internal", 1522)
    assert url.query["service_name"] == "FREEPDB1"
    assert extension.requests == [f"/secretsmanager/get?secretId={ARN.replace(':', '%3A').replace('/', '%2F')}"]


def test_a_secret_with_dbname_and_default_port():
    url = bootstrap.url_from_secret({"username": "a", "password": "b", "host": "h", "dbname": "ORCL"})
    assert (url.port, url.query["service_name"]) == (1521, "ORCL")


@pytest.mark.parametrize(
    ("secret_id", "token"),
    [
        (ARN, "another-token"),  # the extension refuses a request without this invocation's token
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:missing", TOKEN),
        ("plain", TOKEN),  # SecretString is not JSON
        ("list", TOKEN),  # SecretString is JSON but not an object
    ],
)
def test_a_secret_that_cannot_be_read_is_unavailable(extension, secret_id, token):
    with pytest.raises(ServiceUnavailable):
        ParametersSecretsExtension(token, port=extension.port).json_secret(secret_id)


def test_an_extension_that_does_not_answer_is_unavailable():
    with pytest.raises(ServiceUnavailable):
        ParametersSecretsExtension(TOKEN, port=free_port(), timeout_seconds=0.5).json_secret(ARN)


def test_a_read_whose_secret_cannot_be_read_answers_503_in_the_envelope(monkeypatch):
    monkeypatch.setenv("GATEWAY_MODE", "apigw")
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("DATABASE_SECRET_ARN", ARN)
    monkeypatch.setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", str(free_port()))
    bootstrap.reset()
    result = load_handler("products.get_product.handler")(event("products/get_product.json"), LambdaContext("t"))
    body = json.loads(result["body"])
    assert (result["statusCode"], body["error"]["code"]) == (503, "SYS_003")
    assert body["error"]["message"] == "The database is unavailable"
    assert ARN not in result["body"]
