"""The local gateway's stand-in for API Gateway's IAM check on the internal routes (``Auth: {Authorizer: AWS_IAM}``).

API Gateway verifies a SigV4 signature against the caller's AWS credentials and hands the function the IAM
principal in ``requestContext.identity`` (``userArn``, ``caller``, ``accessKey``). Locally there are no AWS
credentials to check a signature against, so any ``Authorization: AWS4-HMAC-SHA256 Credential=<key id>/...`` is
taken as signed by a local IAM user of that key id; anything else is refused as API Gateway refuses an unsigned
request (MISSING_AUTHENTICATION_TOKEN, which this template answers as 404 BIZ_001). The service key is the
function's to check, as deployed.
"""

from __future__ import annotations

import re
from typing import Any

LOCAL_ACCOUNT = "123456789012"
_SIGV4 = re.compile(r"^AWS4-HMAC-SHA256\s+Credential=([A-Z0-9]{4,128})/[^,\s]+,.*Signature=[0-9a-f]+\s*$")


def local_iam_identity(authorization: str | None) -> dict[str, Any] | None:
    """The ``requestContext.identity`` fields of a SigV4-signed request, or None for an unsigned one."""
    found = _SIGV4.match(authorization or "")
    if found is None:
        return None
    key_id = found.group(1)
    return {
        "accountId": LOCAL_ACCOUNT,
        "accessKey": key_id,
        "caller": f"{key_id}:local",
        "user": f"{key_id}:local",
        "userArn": f"arn:aws:iam::{LOCAL_ACCOUNT}:user/local-{key_id.lower()}",
    }
