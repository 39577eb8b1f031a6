"""The base of every request body model: unknown fields are 422 VAL_002, and the read-only fields every
resource carries (the contract's base fields) are ignored when a client sends a representation back."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

# The contract's base fields ("HTTP behaviour"): a body may carry them, the server owns them.
READ_ONLY = frozenset({"id", "version", "created_at", "updated_at", "created_by", "updated_by"})


class StrictBody(BaseModel):
    """A JSON object with exactly the declared fields: any other is 422 VAL_002."""

    model_config = ConfigDict(extra="forbid")


class RequestBody(StrictBody):
    """A resource's request body: unknown fields are 422, the fields of ``IGNORED`` (the read-only base fields
    unless a subclass names more) are dropped before validation, except those the model declares itself
    (``version`` where a body may carry the version it expects to replace)."""

    IGNORED: ClassVar[frozenset[str]] = READ_ONLY

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        if isinstance(data, dict):
            dropped = cls.IGNORED - cls.model_fields.keys()
            return {k: v for k, v in data.items() if k not in dropped}
        return data
