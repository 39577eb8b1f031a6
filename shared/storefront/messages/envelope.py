"""The envelope every queued message travels in, and the registry that validates each type's ``data``.

A message is ``{type, version, id, occurred_at, tenant_id, data}``. ``id`` is unique per message and is
what consumers deduplicate on; ``type`` and ``version`` together name exactly one pydantic model for
``data``. A consumer that meets a type or version it does not know refuses it (``UnknownMessage``): the
message goes to the dead-letter queue instead of being guessed at. Producers register their types with
``message_type`` next to the model; consumers parse with ``parse``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError


class Queue(StrEnum):
    """The logical queues of the system (each with its DLQ in template.yaml)."""

    ORDER_PROCESSING = "order-processing"
    PAYMENT = "payment"
    NOTIFICATION = "notification"


class MessageData(BaseModel):
    """The base of every type's ``data``: strict, frozen, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Envelope(BaseModel):
    """What travels on a queue; ``data`` stays a plain mapping until ``parse`` validates it for its type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    version: int
    id: UUID
    occurred_at: AwareDatetime
    tenant_id: UUID
    data: dict[str, Any]

    def to_json(self) -> str:
        """The message body as sent on the queue."""
        return self.model_dump_json()


class UnknownMessage(ValueError):
    """A body that is not an envelope, or one whose type and version no model is registered for, or whose
    ``data`` its model refuses: never retried into success, so its place is the dead-letter queue."""


D = TypeVar("D", bound=MessageData)

_MODELS: dict[tuple[str, int], type[MessageData]] = {}
_NAMES: dict[type[MessageData], tuple[str, int]] = {}


def message_type(name: str, version: int) -> Callable[[type[D]], type[D]]:
    """Register ``data``'s model for ``(name, version)``; a second model for the same pair is a bug."""

    def register(model: type[D]) -> type[D]:
        key = (name, version)
        if key in _MODELS and _MODELS[key] is not model:
            raise RuntimeError(f"message type {name} v{version} is registered twice")
        _MODELS[key] = model
        _NAMES[model] = key
        return model

    return register


def envelope(data: MessageData, *, tenant_id: UUID, occurred_at: datetime, message_id: UUID | None = None) -> Envelope:
    """Wrap ``data`` (an instance of a registered model) for sending."""
    name, version = _NAMES[type(data)]
    return Envelope(
        type=name,
        version=version,
        id=message_id or uuid4(),
        occurred_at=occurred_at,
        tenant_id=tenant_id,
        data=data.model_dump(mode="json"),
    )


def parse(body: str | bytes) -> tuple[Envelope, MessageData]:
    """The envelope of ``body`` and its validated ``data`` (UnknownMessage when either is not recognised)."""
    try:
        raw = json.loads(body)
        message = Envelope.model_validate(raw)
    except (ValueError, ValidationError) as error:
        raise UnknownMessage(f"not a message envelope: {_reason(error)}") from None
    model = _MODELS.get((message.type, message.version))
    if model is None:
        raise UnknownMessage(f"unknown message type {message.type!r} version {message.version}")
    try:
        return message, model.model_validate(message.data)
    except ValidationError as error:
        raise UnknownMessage(f"{message.type} v{message.version}: {_reason(error)}") from None


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}"
    return type(error).__name__
