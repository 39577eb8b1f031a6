"""The SecretStore port over the AWS Parameters and Secrets Lambda Extension.

The extension layer runs an HTTP server on localhost inside the Lambda sandbox; it calls Secrets Manager
for us and caches the answer. A plain HTTP GET (stdlib ``http.client``) replaces boto3, which would add
about 0.3 s of imports to every cold start. The answer is the JSON of Secrets Manager's GetSecretValue.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlencode

from storefront.domain.errors import ServiceUnavailable
from storefront.observability import logger

DEFAULT_PORT = 2773
TOKEN_HEADER = "X-Aws-Parameters-Secrets-Token"  # noqa: S105 - a header name, not a secret


class ParametersSecretsExtension:
    """Reads Secrets Manager secrets from the extension at ``localhost:<port>``.

    ``token`` is the function's ``AWS_SESSION_TOKEN``: the extension refuses requests without it.
    """

    def __init__(self, token: str, *, port: int = DEFAULT_PORT, timeout_seconds: float = 2.0) -> None:
        self._token = token
        self._port = port
        self._timeout = timeout_seconds

    def json_secret(self, secret_id: str) -> dict[str, Any]:
        """The secret's ``SecretString`` as a JSON object; ServiceUnavailable when it cannot be read."""
        status, body = self._get("/secretsmanager/get?" + urlencode({"secretId": secret_id}))
        if status != 200:
            logger.error("secret unavailable", extra={"status": status, "answer": body[:200].decode(errors="replace")})
            raise ServiceUnavailable("The database is unavailable")
        try:
            secret = json.loads(json.loads(body)["SecretString"])
        except (ValueError, KeyError, TypeError):
            logger.error("secret unreadable: expected GetSecretValue JSON with a JSON SecretString")
            raise ServiceUnavailable("The database is unavailable") from None
        if not isinstance(secret, dict):
            logger.error("secret unreadable: its SecretString is not a JSON object")
            raise ServiceUnavailable("The database is unavailable")
        return secret

    def _get(self, path: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("localhost", self._port, timeout=self._timeout)
        try:
            connection.request("GET", path, headers={TOKEN_HEADER: self._token})
            response = connection.getresponse()
            return response.status, response.read()
        except OSError as error:  # refused, reset, timed out: the extension is not (yet) serving
            logger.error("secrets extension unreachable", extra={"port": self._port, "error": str(error)})
            raise ServiceUnavailable("The database is unavailable") from error
        finally:
            connection.close()
