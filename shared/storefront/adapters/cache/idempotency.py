"""Powertools' cache persistence layer for idempotency, with the payload check kept on completed records.

Powertools 3.37's ``CachePersistenceLayer._update_record`` rewrites a record as it completes without its
``validation`` hash, so every repeat of a completed key then reads as "another payload" (409) whatever its body.
This subclass writes the hash with the completed record, which is what its DynamoDB layer does.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency.persistence.cache import CachePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord


class ValidatingCachePersistenceLayer(CachePersistenceLayer):
    """``CachePersistenceLayer`` whose completed records keep the payload hash they were started with."""

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
