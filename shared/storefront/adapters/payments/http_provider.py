"""The PaymentGateway port over the payment provider's JSON API (README "Payment provider API").

    POST {base}/v1/charges   {"amount": "12.50", "currency": "EUR", "payment_token": "...",
                              "reference": "<order id>", "metadata": {"tenant_id": ..., "order_id": ...}}
    POST {base}/v1/refunds   {"charge_id": "ch_...", "amount": "12.50", "currency": "EUR",
                              "reference": "<order id>", "metadata": {...}}

Both send ``Authorization: Bearer <api key>`` and ``Idempotency-Key`` (``charge:<order id>``,
``refund:<order id>``): the provider answers a repeated key with the first request's result (200 and
``Idempotent-Replayed: true``) instead of charging again, and refuses the key reused for another body
(422). A charge answers 201 ``{"id": "ch_...", "status": "approved"|"declined", "decline_reason": ...}``,
a refund 201 ``{"id": "re_...", "status": "refunded"|"declined", "decline_reason": ...}``.

The HTTP client is the standard library's ``http.client`` (the deps layer has no HTTP client, and it
costs no import time): a connection per attempt, with its own connect timeout and then a read timeout
on every socket read. Attempts are retried per ``retries.py``; the whole call goes through the circuit
breaker (``breaker.py``): open -> ExternalUnavailable at once, without calling the provider.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit
from uuid import UUID

from storefront.adapters.payments.retries import (
    AttemptFailed,
    FailureKind,
    RetryPolicy,
    call_with_retries,
    caller_error,
    classify_status,
)
from storefront.domain.errors import AppError
from storefront.domain.money import Money
from storefront.domain.payments import (
    PaymentOutcome,
    PaymentResult,
    RefundOutcome,
    RefundResult,
    valid_idempotency_key,
)
from storefront.observability import logger

MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "storefront-payments/1"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to connect (TLS included) and to wait for each read of the answer."""

    connect_seconds: float
    read_seconds: float


class Transport(Protocol):
    def __call__(self, url: str, headers: Mapping[str, str], body: bytes, timeouts: Timeouts) -> tuple[int, bytes]:
        """POST ``body`` to ``url``: the answer's status and body, or AttemptFailed for a transport failure."""


class CircuitBreaker(Protocol):
    def acquire(self) -> bool:
        """Let a call go (True when it is the half-open trial), or raise ExternalUnavailable while open."""

    def record(self, success: bool) -> str:
        """Count the outcome of a call that ``acquire`` let go; the breaker's state after it."""


def http_transport(url: str, headers: Mapping[str, str], body: bytes, timeouts: Timeouts) -> tuple[int, bytes]:
    """One POST with ``http.client``: a connect timeout, then a read timeout on every read of the answer."""
    parts = urlsplit(url)
    if parts.hostname is None:
        raise AttemptFailed(FailureKind.CONNECTION, detail="no host in the provider URL")
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeouts.connect_seconds)
    try:
        try:
            connection.connect()
        except TimeoutError as error:
            raise AttemptFailed(FailureKind.CONNECT_TIMEOUT) from error
        except OSError as error:
            raise AttemptFailed(FailureKind.CONNECTION, detail=type(error).__name__) from error
        if connection.sock is not None:
            connection.sock.settimeout(timeouts.read_seconds)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", target, body=body, headers=dict(headers))
            response = connection.getresponse()
            return response.status, response.read(MAX_ANSWER_BYTES)
        except TimeoutError as error:
            raise AttemptFailed(FailureKind.READ_TIMEOUT) from error
        except (OSError, http.client.HTTPException) as error:
            raise AttemptFailed(FailureKind.CONNECTION, detail=type(error).__name__) from error
    finally:
        connection.close()


class HttpPaymentProvider:
    """The PaymentGateway port: charges and refunds at ``base_url`` (e.g. https://api.provider.example).

    ``api_key`` is asked once, on the first call (in AWS it reads the secret through the extension).
    ``transport``, ``clock`` and ``sleep`` are the real ones unless a test replaces them.
    """

    def __init__(
        self,
        base_url: str,
        api_key: Callable[[], str],
        *,
        timeouts: Timeouts,
        retries: RetryPolicy,
        breaker: CircuitBreaker,
        transport: Transport = http_transport,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._api_key = api_key
        self._key: str | None = None
        self._timeouts = timeouts
        self._retries = retries
        self._breaker = breaker
        self._transport = transport
        self._clock = clock
        self._sleep = sleep

    def charge(
        self, tenant_id: UUID, order_id: UUID, amount: Money, payment_token: str, idempotency_key: str
    ) -> PaymentResult:
        """Charge ``amount`` once per ``idempotency_key``: approved or declined, else EXT_001/EXT_002/EXT_003."""
        body = {**_money(amount), "payment_token": payment_token, **_reference(tenant_id, order_id)}
        answer = self._post("charge", "/v1/charges", body, idempotency_key)
        try:
            status = PaymentOutcome(_text(answer.get("status")))
            return PaymentResult(status, _text(answer.get("id")), _reason(answer))
        except ValueError:
            raise self._unreadable("charge") from None

    def refund(
        self, tenant_id: UUID, order_id: UUID, charge_id: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        """Refund ``amount`` of ``charge_id`` once per ``idempotency_key``: refunded or declined, else EXT_00x."""
        body = {"charge_id": charge_id, **_money(amount), **_reference(tenant_id, order_id)}
        return self._refund(body, idempotency_key)

    def refund_charge(
        self, tenant_id: UUID, order_id: UUID, charge_idempotency_key: str, amount: Money, idempotency_key: str
    ) -> RefundResult:
        """Refund ``amount`` of the charge made under ``charge_idempotency_key`` once per ``idempotency_key``."""
        body = {
            "charge_idempotency_key": charge_idempotency_key,
            **_money(amount),
            **_reference(tenant_id, order_id),
        }
        return self._refund(body, idempotency_key)

    def _refund(self, body: dict[str, Any], idempotency_key: str) -> RefundResult:
        answer = self._post("refund", "/v1/refunds", body, idempotency_key)
        try:
            status = RefundOutcome(_text(answer.get("status")))
            return RefundResult(status, _text(answer.get("id")), _reason(answer))
        except ValueError:
            raise self._unreadable("refund") from None

    def _post(self, operation: str, path: str, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        if not valid_idempotency_key(idempotency_key):
            raise ValueError("an idempotency key is 1..255 letters, digits or :_.-")
        payload = json.dumps(body, separators=(",", ":")).encode()
        headers = self._headers(idempotency_key)  # before the breaker: an unreadable secret is not the provider's
        self._breaker.acquire()  # ExternalUnavailable while open: the provider is not called
        try:
            answer = call_with_retries(
                lambda: self._attempt(path, headers, payload),
                self._retries,
                clock=self._clock,
                sleep=self._sleep,
                operation=operation,
            )
        except AttemptFailed as failure:
            self._breaker.record(success=not failure.provider_fault)
            logger.error(
                "payment provider call failed",
                extra={"operation": operation, "idempotency_key": idempotency_key, "failure": str(failure)},
            )
            raise caller_error(failure) from None
        self._breaker.record(success=True)
        return answer

    def _attempt(self, path: str, headers: Mapping[str, str], payload: bytes) -> dict[str, Any]:
        status, raw = self._transport(self._base + path, headers, payload, self._timeouts)
        kind = classify_status(status)
        if kind is not None:
            raise AttemptFailed(kind, status, _error_type(raw))
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise AttemptFailed(FailureKind.UNREADABLE, status, "not a JSON object")
        return answer

    def _headers(self, idempotency_key: str) -> dict[str, str]:
        if self._key is None:
            self._key = self._api_key()
        return {
            "Authorization": f"Bearer {self._key}",
            "Idempotency-Key": idempotency_key,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    def _unreadable(self, operation: str) -> AppError:
        logger.error("payment provider answer unreadable", extra={"operation": operation})
        return caller_error(AttemptFailed(FailureKind.UNREADABLE))


def _money(amount: Money) -> dict[str, str]:
    return {"amount": format(amount.amount, "f"), "currency": amount.currency}


def _reference(tenant_id: UUID, order_id: UUID) -> dict[str, Any]:
    return {"reference": str(order_id), "metadata": {"tenant_id": str(tenant_id), "order_id": str(order_id)}}


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("not a non-empty string")
    return value


def _reason(answer: dict[str, Any]) -> str | None:
    reason = answer.get("decline_reason")
    if reason is not None and not isinstance(reason, str):
        raise ValueError("decline_reason is not a string")
    return reason


def _error_type(raw: bytes) -> str:
    """The provider's error type for the logs ({"error": {"type": ...}}), never its free text."""
    try:
        answer = json.loads(raw)
        error_type = answer["error"]["type"]
    except (ValueError, KeyError, TypeError):
        return ""
    return error_type if isinstance(error_type, str) and error_type.isidentifier() else ""
