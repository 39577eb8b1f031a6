"""Powertools' cache persistence layer for idempotency, with the payload check kept on completed records and the
race of a key whose first request fails handled.

Powertools 3.37's ``CachePersistenceLayer._update_record`` rewrites a record as it completes without its
``validation`` hash, so every repeat of a completed key then reads as "another payload" (409) whatever its body.
This subclass writes the hash with the completed record, which is what its DynamoDB layer does.

Its ``_put_in_progress_record`` reads the record that made its ``SET NX`` fail; when that record is deleted in
between (the first request with the key failed, and a failed request's record is removed so the key can be used
again), the read raises "not found", which Powertools reports as a failed save: the store looked unreachable and
the retry got 503 while Redis was fine (outside pass: concurrent retries of a refused order). The key is free
again, so the save is tried again, a few times; a key still contended after that is answered as in progress.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.cache import CachePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

SAVE_ATTEMPTS = 3


class ValidatingCachePersistenceLayer(CachePersistenceLayer):
    """``CachePersistenceLayer`` whose completed records keep the payload hash they were started with, and whose
    in-progress save takes a key freed while it looked at it."""

    def _put_in_progress_record(self, data_record: DataRecord) -> None:
        for _ in range(SAVE_ATTEMPTS):
            try:
                super()._put_in_progress_record(data_record)
                return
            except IdempotencyItemNotFoundError:
                continue  # the record that held the key was deleted before it could be read: the key is free
        raise IdempotencyItemAlreadyExistsError  # still contended: Powertools reads the record and answers for it

    def _update_record(self, data_record: DataRecord) -> None:
        mapping: dict[str, Any] = {
            self.data_attr: data_record.response_data,
            self.status_attr: data_record.status,
            self.expiry_attr: data_record.expiry_timestamp,
        }
        if self.payload_validation_enabled:
            mapping[self.validation_key_attr] = data_record.payload_hash
        ttl = self._get_expiry_second(data_record.expiry_timestamp)
        self.client.set(name=data_record.idempotency_key, value=self._json_serializer(mapping), ex=ttl)
