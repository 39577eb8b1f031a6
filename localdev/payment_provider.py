"""A fake payment provider for the local run and the tests (never deployed): the API of
storefront.adapters.payments.http_provider, deciding by the payment token as the API contract says.

    tok_approve  approved
    tok_decline  declined (card_declined)
    tok_timeout  charged (approved), but the answer comes only after ``slow_seconds``: past any read timeout
    tok_error    500, nothing charged
    other        declined (invalid_token)

A refund names its charge by ``charge_id`` or, when the charge's answer never arrived, by the charge's
``charge_idempotency_key``; either way it is answered at once (a slow charge does not slow its refund), and a key
no charge was made under is declined ``charge_not_found``.

Idempotency-Key is honoured: a key seen before gets the first request's charge again (200,
``Idempotent-Replayed: true``), never a second charge, and the key reused for another body is 422.
The ledger (``ledger()`` in process, ``GET <base>/v1/ledger`` over HTTP) lists every charge and refund made
and how many requests each key got. The local gateway serves it under PATH_PREFIX on its own port
(README "Payments"); tests run one of their own with ``serve()``.

With ``ledger_file`` the ledger belongs to a database, not to a process: the gateway keeps it in
``.local/payments-<hash of the database URL>.json`` (as the local SQS is recorded per database), read and
written under a file lock on every request, so every gateway on that database sees the same charges: a
refund reaches the charge whichever gateway made it.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PATH_PREFIX = "/_local/payment-provider"
LOCAL_API_KEY = "sk_local_fake_provider_key"  # the fake's own key, known to the local run only
SLOW_TOKEN = "tok_timeout"  # noqa: S105 - a payment token of the contract, not a secret
ERROR_TOKEN = "tok_error"  # noqa: S105 - a payment token of the contract, not a secret
TOKENS = {
    "tok_approve": ("approved", None),
    "tok_decline": ("declined", "card_declined"),
    "tok_timeout": ("approved", None),
}
_KEY = re.compile(r"^[A-Za-z0-9:_.\-]{1,255}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass
class Charge:
    """A charge the fake made."""

    id: str
    idempotency_key: str
    payment_token: str
    amount: str
    currency: str
    reference: str
    status: str
    decline_reason: str | None
    refunded: str = "0"


@dataclass
class Refund:
    """A refund the fake made (or declined)."""

    id: str
    idempotency_key: str
    charge_id: str
    amount: str
    currency: str
    status: str
    decline_reason: str | None


Answer = tuple[int, dict[str, str], dict[str, Any]]


class FakePaymentProvider:
    """The fake's state and answers; ``slow_seconds`` is how long tok_timeout (and ``delay_next``) hold an
    answer: longer than the client's read timeout."""

    def __init__(
        self, *, api_key: str = LOCAL_API_KEY, slow_seconds: float = 10.0, ledger_file: Path | None = None
    ) -> None:
        self.api_key = api_key
        self.slow_seconds = slow_seconds
        self.ledger_file = ledger_file
        self._lock = threading.Lock()
        self._charges: dict[str, Charge] = {}
        self._refunds: dict[str, Refund] = {}
        self._fingerprints: dict[str, str] = {}
        self._made: list[tuple[str, str]] = []  # (kind, idempotency key) per charge or refund made
        self._requests: Counter[str] = Counter()
        self._delays: list[float] = []
        self._closing = threading.Event()

    # --- what a test reads and steers -------------------------------------------------------------------
    def ledger(self) -> dict[str, Any]:
        """Every charge and refund made, how many were made under each key and how many requests each key got."""
        with self._shared():
            made = Counter(key for _, key in self._made)
            return {
                "charges": [asdict(c) for c in self._charges.values()],
                "refunds": [asdict(r) for r in self._refunds.values()],
                "made_per_key": dict(made),
                "requests_per_key": dict(self._requests),
            }

    def made(self, idempotency_key: str) -> int:
        """How many charges or refunds were made under ``idempotency_key`` (never more than one)."""
        with self._shared():
            return sum(1 for _, key in self._made if key == idempotency_key)

    def requests(self, idempotency_key: str) -> int:
        """How many requests arrived with ``idempotency_key``."""
        with self._shared():
            return self._requests[idempotency_key]

    def delay_next(self, count: int = 1) -> None:
        """Hold the next ``count`` answers (whatever their token) for ``slow_seconds``: after the charge is
        made, as a provider whose answer is lost on the way back."""
        with self._lock:
            self._delays.extend([self.slow_seconds] * count)

    def close(self) -> None:
        """Release every answer being held (a stopping server does not wait for them)."""
        self._closing.set()

    @contextmanager
    def _shared(self) -> Iterator[None]:
        """The ledger for one read or change: this process's threads take turns; with a ledger file, other
        processes too (a file lock), the file read before and written after a change."""
        with self._lock:
            if self.ledger_file is None:
                yield
                return
            self.ledger_file.parent.mkdir(parents=True, exist_ok=True)
            with self.ledger_file.with_suffix(".lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._load(self.ledger_file)
                before = self._snapshot()
                yield
                if self._snapshot() != before:
                    temporary = self.ledger_file.with_suffix(f".{os.getpid()}.tmp")
                    temporary.write_text(json.dumps(self._snapshot()))
                    temporary.replace(self.ledger_file)

    def _snapshot(self) -> dict[str, Any]:
        return {
            "charges": {k: asdict(c) for k, c in self._charges.items()},
            "refunds": {k: asdict(r) for k, r in self._refunds.items()},
            "fingerprints": dict(self._fingerprints),
            "made": [list(pair) for pair in self._made],
            "requests": dict(self._requests),
        }

    def _load(self, path: Path) -> None:
        """The ledger as the file holds it (empty when there is none: a fresh database)."""
        try:
            saved = json.loads(path.read_text())
        except FileNotFoundError:
            saved = {}
        self._charges = {k: Charge(**v) for k, v in saved.get("charges", {}).items()}
        self._refunds = {k: Refund(**v) for k, v in saved.get("refunds", {}).items()}
        self._fingerprints = dict(saved.get("fingerprints", {}))
        self._made = [(kind, key) for kind, key in saved.get("made", [])]
        self._requests = Counter(saved.get("requests", {}))

    # --- the API --------------------------------------------------------------------------------------
    def answer(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        """The status, headers and JSON body for one request (``path`` without PATH_PREFIX; ``headers``
        with lower-case names)."""
        routes = {"/v1/charges": ("POST", self._charge), "/v1/refunds": ("POST", self._refund)}
        if path == "/v1/ledger":
            return (200, {}, self.ledger()) if method == "GET" else _error(405, "method_not_allowed")
        if path not in routes:
            return _error(404, "not_found")
        allowed, handler = routes[path]
        if method != allowed:
            return _error(405, "method_not_allowed")
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "authentication_error")
        key = headers.get("idempotency-key", "")
        if not _KEY.match(key):
            return _error(400, "invalid_idempotency_key")
        try:
            request = json.loads(body)
        except ValueError:
            return _error(400, "invalid_json")
        if not isinstance(request, dict):
            return _error(400, "invalid_json")
        answer, slow = handler(key, request)
        if slow:
            self._closing.wait(slow)
        return answer

    def _charge(self, key: str, request: dict[str, Any]) -> tuple[Answer, float]:
        token = request.get("payment_token")
        money = _money(request)
        if not isinstance(token, str) or not token or money is None:
            return _error(400, "invalid_request"), 0.0
        fingerprint = json.dumps(request, sort_keys=True)
        with self._shared():
            self._requests[key] += 1
            slow = self._delays.pop(0) if self._delays else 0.0
            if token == SLOW_TOKEN:
                slow = max(slow, self.slow_seconds)
            if key in self._fingerprints:
                if self._fingerprints[key] != fingerprint:
                    return _error(422, "idempotency_key_reused"), 0.0
                charge = self._charges.get(key)
                if charge is not None:
                    return (200, {"Idempotent-Replayed": "true"}, _charge_view(charge)), slow
            if token == ERROR_TOKEN:
                return _error(500, "api_error"), slow
            status, reason = TOKENS.get(token, ("declined", "invalid_token"))
            charge = Charge(
                id=f"ch_{uuid.uuid4().hex}",
                idempotency_key=key,
                payment_token=token,
                amount=money[0],
                currency=money[1],
                reference=str(request.get("reference", "")),
                status=status,
                decline_reason=reason,
            )
            self._fingerprints[key] = fingerprint
            self._charges[key] = charge
            self._made.append(("charge", key))
        return (201, {}, _charge_view(charge)), slow

    def _refund(self, key: str, request: dict[str, Any]) -> tuple[Answer, float]:
        charge_id, charge_key = request.get("charge_id"), request.get("charge_idempotency_key")
        named = [n for n in (charge_id, charge_key) if n is not None]
        money = _money(request)
        if len(named) != 1 or not isinstance(named[0], str) or not named[0] or money is None:
            return _error(400, "invalid_request"), 0.0
        fingerprint = json.dumps(request, sort_keys=True)
        with self._shared():
            self._requests[key] += 1
            slow = self._delays.pop(0) if self._delays else 0.0
            if key in self._fingerprints:
                if self._fingerprints[key] != fingerprint:
                    return _error(422, "idempotency_key_reused"), 0.0
                return (200, {"Idempotent-Replayed": "true"}, _refund_view(self._refunds[key])), slow
            charge = self._charges.get(charge_key) if charge_key is not None else self._charge_of(charge_id)
            status, reason = self._refund_decision(charge, money)
            refunded_id = charge.id if charge is not None else str(charge_id or "")
            refund = Refund(f"re_{uuid.uuid4().hex}", key, refunded_id, money[0], money[1], status, reason)
            self._fingerprints[key] = fingerprint
            self._refunds[key] = refund
            self._made.append(("refund", key))
        return (201, {}, _refund_view(refund)), slow

    def _charge_of(self, charge_id: object) -> Charge | None:
        return next((c for c in self._charges.values() if c.id == charge_id), None)

    def _refund_decision(self, charge: Charge | None, money: tuple[str, str]) -> tuple[str, str | None]:
        if charge is None:
            return "declined", "charge_not_found"
        if charge.status != "approved":
            return "declined", "charge_not_approved"
        if charge.currency != money[1]:
            return "declined", "currency_mismatch"
        left = Decimal(charge.amount) - Decimal(charge.refunded)
        if Decimal(money[0]) > left:
            return "declined", "amount_exceeds_charge"
        charge.refunded = str(Decimal(charge.refunded) + Decimal(money[0]))
        return "refunded", None


def _money(request: dict[str, Any]) -> tuple[str, str] | None:
    amount, currency = request.get("amount"), request.get("currency")
    if not isinstance(amount, str) or not isinstance(currency, str) or not _CURRENCY.match(currency):
        return None
    try:
        value = Decimal(amount)
    except InvalidOperation:
        return None
    return (amount, currency) if value.is_finite() and value > 0 else None


def _charge_view(charge: Charge) -> dict[str, Any]:
    return {
        "id": charge.id,
        "object": "charge",
        "status": charge.status,
        "decline_reason": charge.decline_reason,
        "amount": charge.amount,
        "currency": charge.currency,
        "reference": charge.reference,
    }


def _refund_view(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "object": "refund",
        "status": refund.status,
        "decline_reason": refund.decline_reason,
        "charge_id": refund.charge_id,
        "amount": refund.amount,
        "currency": refund.currency,
    }


def _error(status: int, error_type: str) -> Answer:
    return status, {}, {"error": {"type": error_type}}


def encode(answer: Answer) -> tuple[int, list[tuple[str, str]], bytes]:
    """The HTTP status, headers and body bytes of an answer."""
    status, headers, body = answer
    return status, [("Content-Type", "application/json"), *headers.items()], json.dumps(body).encode()


class ServedProvider:
    """A FakePaymentProvider on a port of its own (``url`` is its base URL)."""

    def __init__(self, provider: FakePaymentProvider, server: ThreadingHTTPServer) -> None:
        self.provider = provider
        self.server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"


@contextmanager
def serve(provider: FakePaymentProvider | None = None, port: int = 0) -> Iterator[ServedProvider]:
    """Serve ``provider`` (a new one by default) on 127.0.0.1 for the block."""
    fake = provider or FakePaymentProvider()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer_headers, payload = encode(fake.answer(self.command, self.path, headers, body))
            self.send_response(status)
            for name, value in answer_headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except OSError:  # the client gave up (its read timeout): nothing more to do
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = _respond  # noqa: N815 - the names http.server calls

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
            return None

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-payment-provider", daemon=True
    )
    thread.start()
    try:
        yield ServedProvider(fake, server)
    finally:
        fake.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
