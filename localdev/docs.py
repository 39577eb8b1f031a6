"""The API's documentation on the local gateway: the OpenAPI document and Swagger UI, with nothing from a CDN.

``GET /openapi.json`` is the committed docs/openapi.json; ``GET /docs`` is Swagger UI, whose script and
stylesheet are the copies the Powertools package ships (the ones its own ``enable_swagger`` serves).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

from localdev.openapi import SPEC

SWAGGER_UI = files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
# The page may load only from this gateway: a Swagger UI that tried to reach a CDN would show nothing.
CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Storefront API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/start.js"></script>
</body>
</html>
"""

# validatorUrl null: Swagger UI would otherwise fetch a badge from swagger.io.
START = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  deepLinking: true,
  docExpansion: "list",
  validatorUrl: null
});
"""


@dataclass(frozen=True)
class Document:
    content_type: str
    body: bytes


def _asset(name: str, content_type: str) -> Document:
    return Document(content_type, SWAGGER_UI.joinpath(name).read_bytes())


def document(method: str, path: str) -> Document | None:
    """What the gateway serves itself at ``path`` (GET or HEAD), or None when the path is the API's."""
    if method not in ("GET", "HEAD"):
        return None
    if path == "/openapi.json":
        return Document("application/json", SPEC.read_bytes())
    if path in ("/docs", "/docs/"):
        return Document("text/html; charset=utf-8", PAGE.encode())
    if path == "/docs/start.js":
        return Document("text/javascript; charset=utf-8", START.encode())
    if path == "/docs/swagger-ui-bundle.js":
        return _asset("swagger-ui-bundle.min.js", "text/javascript; charset=utf-8")
    if path == "/docs/swagger-ui.css":
        return _asset("swagger-ui.min.css", "text/css; charset=utf-8")
    return None
