"""Schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS): the internal operations (``/api/v1/...``,
AWS_IAM behind API Gateway) signed with SigV4 and the local credentials, as an IAM caller signs them.

FUZZ_BASE_URL names the gateway; each request is signed afresh (its own X-Amz-Date), over the URL it is sent to.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlencode

import schemathesis

from localdev import sigv4
from localdev.fuzz import INTERNAL_PATHS


@schemathesis.auth(refresh_interval=None).apply_to(path_regex=INTERNAL_PATHS)
class SigV4:
    """Signs each case of an internal operation (GET, no body) for execute-api in the local region."""

    def get(self, case: Any, context: Any) -> str:
        return os.environ["FUZZ_BASE_URL"]

    def set(self, case: Any, data: str, context: Any) -> None:
        query = urlencode(case.query or {}, doseq=True)
        url = data.rstrip("/") + case.path + (f"?{query}" if query else "")
        headers = sigv4.sign(case.method, url)
        case.headers = {**dict(case.headers or {}), **headers}
