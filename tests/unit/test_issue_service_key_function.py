"""The IssueServiceKey function (an operator's `aws lambda invoke`): a key made, a key retired, a bad payload."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from localdev.runtime import LambdaContext, load_handler
from storefront import bootstrap
from storefront.domain.service_keys import key_digest
from tests.fakes import FakeServiceKeyStore

TENANT = "00000000-0000-4000-8000-000000000001"


@pytest.fixture
def store() -> FakeServiceKeyStore:
    keys = FakeServiceKeyStore()
    bootstrap.provide(service_keys=keys.ports)
    return keys


def invoke(payload: dict[str, object]) -> dict[str, object]:
    answer: dict[str, object] = load_handler("services.issue_service_key.handler")(payload, LambdaContext("ops"))
    return answer


def test_it_answers_a_new_key_once_and_stores_only_its_digest(store):
    answer = invoke({"service": "billing", "tenant_id": TENANT})
    assert answer["service"] == "billing"
    assert answer["tenant_id"] == TENANT
    record = store.rows[UUID(str(answer["key_id"]))]
    assert record.key_hash == key_digest(str(answer["key"]))
    assert record.created_by.startswith("lambda:")


def test_it_retires_a_key_by_its_id(store):
    made = invoke({"service": "billing", "tenant_id": TENANT})
    assert invoke({"service": "billing", "tenant_id": TENANT, "retire_key_id": made["key_id"]}) == {"retired": True}
    assert invoke({"service": "billing", "tenant_id": TENANT, "retire_key_id": str(uuid4())}) == {"retired": False}
    assert store.rows[UUID(str(made["key_id"]))].retired_at is not None


@pytest.mark.parametrize(
    "payload",
    [{}, {"service": "billing"}, {"service": "billing", "tenant_id": "not-a-uuid"}, {"tenant_id": TENANT}],
)
def test_a_payload_without_service_and_tenant_makes_nothing(store, payload):
    assert "error" in invoke(payload)
    assert store.rows == {}


def test_an_invalid_service_name_says_why(store):
    answer = invoke({"service": "Not Valid", "tenant_id": TENANT})
    assert "error" in answer
    assert "key" not in answer
    assert store.rows == {}
