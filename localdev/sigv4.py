"""API Gateway's AWS_IAM authorization, for the local gateway in API Gateway mode: a request to an IAM route must
carry an AWS Signature Version 4 (service ``execute-api``) made with credentials the local IAM knows.

As API Gateway answers: no Authorization header is MISSING_AUTHENTICATION_TOKEN (the same answer as a path no
resource serves); a header that is not a complete SigV4 one (a ``Bearer`` token included), a signature that does
not match, an unknown access key, another region or service, or a signing time more than 5 minutes away is
INVALID_SIGNATURE. (AWS calls the first case IncompleteSignatureException, 403 by default, and documents no gateway
response type for it: README "Operations" says what that means deployed.) The signature
is recomputed with botocore's own signer over the headers the request says it signed.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from localdev.aws_events import ACCOUNT, REGION
from localdev.events import HttpRequest
from localdev.sqs import LOCAL_AWS

SERVICE = "execute-api"
MAX_SKEW_SECONDS = 300
# The local IAM: the local credentials every local process uses (access key id -> secret access key).
LOCAL_IAM: dict[str, str] = {LOCAL_AWS["AWS_ACCESS_KEY_ID"]: LOCAL_AWS["AWS_SECRET_ACCESS_KEY"]}
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
_FIELD = re.compile(r"^\s*(Credential|SignedHeaders|Signature)=([^,\s]+)\s*$")


@dataclass(frozen=True)
class IamCaller:
    """Who signed: what API Gateway puts in ``requestContext.identity`` for an IAM-authorized request."""

    access_key: str

    def identity(self) -> dict[str, str]:
        user = f"local-{self.access_key}"
        return {
            "accessKey": self.access_key,
            "accountId": ACCOUNT,
            "caller": user,
            "user": user,
            "userArn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
        }


def verify(
    request: HttpRequest, now: datetime | None = None, users: Mapping[str, str] = LOCAL_IAM, region: str = REGION
) -> IamCaller | str:
    """The caller whose SigV4 signature ``request`` carries, or the gateway response type that refuses it."""
    headers = request.header_map()
    authorization = headers.get("authorization")
    if not authorization:
        return "MISSING_AUTHENTICATION_TOKEN"
    scheme, _, rest = authorization.partition(" ")
    fields: dict[str, str] = {m[1]: m[2] for part in rest.split(",") if (m := _FIELD.match(part))}
    amz_date = headers.get("x-amz-date", "")
    if scheme != "AWS4-HMAC-SHA256" or set(fields) != {"Credential", "SignedHeaders", "Signature"}:
        return "INVALID_SIGNATURE"
    try:
        signed_at = datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=UTC)
    except ValueError:
        return "INVALID_SIGNATURE"
    key, scope_date, scope_region, scope_service, terminator = (fields["Credential"].split("/") + [""] * 5)[:5]
    secret = users.get(key)
    if (
        secret is None
        or (scope_date, scope_region, scope_service, terminator) != (amz_date[:8], region, SERVICE, "aws4_request")
        or abs(((now or datetime.now(UTC)) - signed_at).total_seconds()) > MAX_SKEW_SECONDS
    ):
        return "INVALID_SIGNATURE"
    signed_names = fields["SignedHeaders"].split(";")
    if "host" not in signed_names or any(name not in headers for name in signed_names):
        return "INVALID_SIGNATURE"
    expected = signature(request, {name: headers[name] for name in signed_names}, key, secret, amz_date, region)
    if not hmac.compare_digest(expected, fields["Signature"]):
        return "INVALID_SIGNATURE"
    return IamCaller(key)


def signature(
    request: HttpRequest, signed: Mapping[str, str], key: str, secret: str, amz_date: str, region: str = REGION
) -> str:
    """The SigV4 signature of ``request`` over the ``signed`` headers, as botocore computes it."""
    from botocore.auth import SigV4Auth  # type: ignore[import-untyped]
    from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
    from botocore.credentials import Credentials  # type: ignore[import-untyped]

    url = f"http://{signed['host']}{request.path}" + (f"?{request.query}" if request.query else "")
    aws_request = AWSRequest(method=request.method, url=url, headers=dict(signed), data=request.body)
    aws_request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(key, secret), SERVICE, region)
    canonical = signer.canonical_request(aws_request)
    return str(signer.signature(signer.string_to_sign(aws_request, canonical), aws_request))


def sign(
    method: str, url: str, body: bytes = b"", key: str = "", secret: str = "", region: str = REGION
) -> dict[str, str]:
    """The headers (Authorization, X-Amz-Date, Host) botocore signs a request with: for clients of the local
    gateway's IAM routes (tests, `make fuzz`). Defaults to the local credentials."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key = key or LOCAL_AWS["AWS_ACCESS_KEY_ID"]
    secret = secret or LOCAL_AWS["AWS_SECRET_ACCESS_KEY"]
    aws_request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(Credentials(key, secret), SERVICE, region).add_auth(aws_request)
    return {name: str(value) for name, value in aws_request.headers.items()}
