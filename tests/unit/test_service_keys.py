"""Service keys: the name rules, making keys (two active at most), and checking them."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from storefront.application.service_keys import ServiceKeyVerifier, issue_service_key, retire_service_key
from storefront.domain.errors import Unauthenticated, ValidationFailed
from storefront.domain.service_keys import ACTIVE_KEYS_MAX, check_service_name, digest_matches, key_digest
from tests.fakes import FakeServiceKeyStore

TENANT = UUID("00000000-0000-4000-8000-000000000001")


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("billing", True),
        ("search-indexer", True),
        ("erp.sync_2", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("", False),
        ("-billing", False),
        ("Billing", False),
        ("bill ing", False),
        ("billing\n", False),
    ],
)
def test_service_names(name, valid):
    if valid:
        assert check_service_name(name) == name
    else:
        with pytest.raises(ValidationFailed):
            check_service_name(name)


def test_a_key_is_stored_only_as_its_digest():
    store = FakeServiceKeyStore()
    issued = issue_service_key(store.ports, TENANT, "billing", "ops")
    (record,) = store.rows.values()
    assert issued.key.startswith("sk_")
    assert len(issued.key) >= 40
    assert record.key_hash == key_digest(issued.key) != issued.key
    assert issued.key not in repr(record)


def test_digests_compare_equal_only_when_equal():
    assert digest_matches(key_digest("a"), key_digest("a"))
    assert not digest_matches(key_digest("a"), key_digest("b"))


def test_a_third_key_retires_the_oldest_so_two_stay_active():
    store = FakeServiceKeyStore()
    keys = []
    for _ in range(4):
        keys.append(issue_service_key(store.ports, TENANT, "billing", "ops"))
        store.clock.advance(1)
    active = [k for k in store.rows.values() if k.retired_at is None]
    assert len(active) == ACTIVE_KEYS_MAX
    assert {k.id for k in active} == {keys[2].record.id, keys[3].record.id}
    verifier = ServiceKeyVerifier(store.ports)
    for old in keys[:2]:
        with pytest.raises(Unauthenticated):
            verifier.verify(TENANT, "billing", old.key)
    for new in keys[2:]:  # both keys of a rotation work
        assert verifier.verify(TENANT, "billing", new.key) == "billing"


def test_keys_of_other_services_and_tenants_are_apart():
    store = FakeServiceKeyStore()
    for name in ("billing", "billing", "search"):
        issue_service_key(store.ports, TENANT, name, "ops")
    other = issue_service_key(store.ports, uuid4(), "billing", "ops")
    assert len([k for k in store.rows.values() if k.retired_at is None]) == 4
    verifier = ServiceKeyVerifier(store.ports)
    with pytest.raises(Unauthenticated):
        verifier.verify(TENANT, "billing", other.key)


@pytest.mark.parametrize(
    ("service", "key"),
    [
        (None, "KEY"),
        ("billing", None),
        ("", "KEY"),
        ("billing", ""),
        ("search", "KEY"),
        ("Billing", "KEY"),
        ("billing", "KEY-but-longer"),
        ("billing", "x" * 500),
    ],
)
def test_a_missing_or_wrong_name_or_key_is_refused(service, key):
    store = FakeServiceKeyStore()
    issued = issue_service_key(store.ports, TENANT, "billing", "ops")
    presented = key.replace("KEY", issued.key) if key else key
    with pytest.raises(Unauthenticated):
        ServiceKeyVerifier(store.ports).verify(TENANT, service, presented)


def test_a_valid_key_is_remembered_for_a_while_then_checked_again():
    store = FakeServiceKeyStore()
    issued = issue_service_key(store.ports, TENANT, "billing", "ops")
    now = [100.0]
    verifier = ServiceKeyVerifier(store.ports, remember_seconds=60, monotonic=lambda: now[0])
    store.opened.clear()
    verifier.verify(TENANT, "billing", issued.key)
    verifier.verify(TENANT, "billing", issued.key)
    assert len(store.opened) == 1
    assert retire_service_key(store.ports, TENANT, "billing", issued.record.id)
    now[0] += 61
    with pytest.raises(Unauthenticated):
        verifier.verify(TENANT, "billing", issued.key)


def test_retiring_names_an_active_key_of_that_service():
    store = FakeServiceKeyStore()
    issued = issue_service_key(store.ports, TENANT, "billing", "ops")
    assert not retire_service_key(store.ports, TENANT, "search", issued.record.id)
    assert not retire_service_key(store.ports, TENANT, "billing", uuid4())
    assert retire_service_key(store.ports, TENANT, "billing", issued.record.id)
    assert not retire_service_key(store.ports, TENANT, "billing", issued.record.id)


def test_an_invalid_service_name_makes_no_key():
    store = FakeServiceKeyStore()
    with pytest.raises(ValidationFailed):
        issue_service_key(store.ports, TENANT, "Not Valid", "ops")
    assert store.rows == {}
