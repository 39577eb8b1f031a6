"""A local stand-in of the AWS Parameters and Secrets Lambda Extension (tests and `make bench`; not deployed).

It answers what the real extension answers for Secrets Manager, as its documentation describes it:
``GET /secretsmanager/get?secretId=<id>[&versionId=<id>|&versionStage=<stage>]`` with the header
``X-Aws-Parameters-Secrets-Token`` equal to the function's ``AWS_SESSION_TOKEN``; the body is the JSON of
GetSecretValue (ARN, Name, VersionId, SecretString, VersionStages, CreatedDate). A request without the
right token is refused, an unknown secret is Secrets Manager's ResourceNotFoundException, anything but
GET on that path is refused.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"  # noqa: S105 - a header name, not a secret


class SecretsExtension:
    """Serves ``secrets`` (secret id or ARN -> SecretString) on 127.0.0.1; ``port`` is chosen when 0."""

    def __init__(self, secrets: dict[str, str], token: str, port: int = 0) -> None:
        self.secrets = dict(secrets)
        self.token = token
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="secrets-extension", daemon=True
        )

    def __enter__(self) -> SecretsExtension:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, method: str, target: str, token: str | None) -> tuple[int, dict[str, Any]]:
        """The status and JSON body the extension gives to one request."""
        self.requests.append(target)
        parts = urlsplit(target)
        if parts.path != "/secretsmanager/get":
            return 404, {"message": "not found"}
        if method != "GET":
            return 405, {"message": "method not allowed"}
        if token != self.token:
            return 401, {"message": "missing or invalid X-Aws-Parameters-Secrets-Token"}
        query = parse_qs(parts.query)
        secret_id = (query.get("secretId") or [""])[0]
        if not secret_id:
            return 400, {"__type": "ValidationException", "message": "secretId is required"}
        if secret_id not in self.secrets:
            return 400, {
                "__type": "ResourceNotFoundException",
                "message": "Secrets Manager can't find the specified secret.",
            }
        name = secret_id.rsplit(":", 1)[-1]
        return 200, {
            "ARN": secret_id
            if secret_id.startswith("arn:")
            else f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{name}",
            "Name": name,
            "VersionId": str(uuid.uuid5(uuid.NAMESPACE_URL, secret_id)),
            "SecretString": self.secrets[secret_id],
            "VersionStages": ["AWSCURRENT"],
            "CreatedDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "ResultMetadata": {},
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        extension = self

        class Handler(BaseHTTPRequestHandler):
            def _respond(self) -> None:
                status, body = extension.answer(self.command, self.path, self.headers.get(TOKEN_HEADER))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _respond  # noqa: N815 - the names http.server calls

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
                return None

        return Handler
