"""Schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS): the operational and internal operations
(``/api/v1/...``, AWS_IAM behind API Gateway) signed with SigV4 and the local credentials, as an IAM caller signs
them.

FUZZ_BASE_URL names the gateway; each request is signed afresh (its own X-Amz-Date), over the URL and the body
bytes it is sent with: the case is serialised as schemathesis's requests transport serialises it, and its body
replaced by those very bytes, so what goes on the wire is what was signed.
"""

from __future__ import annotations

import os
from typing import Any

import requests
import schemathesis

from localdev import sigv4
from localdev.fuzz import SIGNED_PATHS


def signed_request(case: Any, base_url: str) -> requests.PreparedRequest:
    """The request schemathesis sends for ``case`` (URL with its query, body bytes), prepared by requests."""
    kwargs = case.as_transport_kwargs(base_url=base_url)
    fields = ("method", "url", "headers", "params", "data", "json", "files")
    return requests.Request(**{name: kwargs[name] for name in fields if name in kwargs}).prepare()


@schemathesis.auth(refresh_interval=None).apply_to(path_regex=SIGNED_PATHS)
class SigV4:
    """Signs each case of an operational or internal operation for execute-api in the local region."""

    def get(self, case: Any, context: Any) -> str:
        return os.environ["FUZZ_BASE_URL"]

    def set(self, case: Any, data: str, context: Any) -> None:
        prepared = signed_request(case, data.rstrip("/"))
        sent = prepared.body
        body = sent.encode() if isinstance(sent, str) else sent if isinstance(sent, bytes) else b""
        if sent is not None:
            case.body = body  # sent as these bytes (schemathesis sends a bytes body as it is)
            content_type = prepared.headers.get("Content-Type")
            if content_type:
                case.headers = {**dict(case.headers or {}), "Content-Type": content_type}
        headers = sigv4.sign(case.method, str(prepared.url), body)
        case.headers = {**dict(case.headers or {}), **headers}
