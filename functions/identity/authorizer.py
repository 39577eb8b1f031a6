"""API Gateway TOKEN authorizer: Allow with the token's claims as context, or Deny with the reason.

The Deny's ``error_code`` / ``error_message`` feed the ACCESS_DENIED gateway response (401 AUTH_001 or
AUTH_002), the answer a function behind Kong gives the same token. The policy covers the whole stage:
API Gateway caches it per token (ReauthorizeEvery) across routes.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from storefront import bootstrap
from storefront.config import TokenSettings, load
from storefront.domain.errors import AppError
from storefront.domain.token_time import context_expiry
from storefront.http.identity import log_refusal, principal_from_claims, token_of
from storefront.observability import logger

load(TokenSettings)  # fail the cold start, not the first request, when the secrets are missing or short


def stage_arn(method_arn: str) -> str:
    """``arn:...:api-id/stage/*/*`` from the ARN of the method being called."""
    arn, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    return f"{arn}/{stage}/*/*"


def policy(principal_id: str, effect: str, resource: str, context: dict[str, Any]) -> dict[str, Any]:
    """An authorizer response."""
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    resource = stage_arn(str(event.get("methodArn", "")))
    try:
        claims = bootstrap.token_verifier().verify(token_of(str(event.get("authorizationToken") or "")) or "")
        principal = principal_from_claims(claims)
    except AppError as refused:
        log_refusal(refused)
        return policy(
            "anonymous", "Deny", resource, {"error_code": refused.code.value, "error_message": refused.message}
        )
    return policy(
        principal.user_id,
        "Allow",
        resource,
        {
            "sub": principal.user_id,
            "username": principal.username,
            "role": principal.role.value,
            "tenant_id": str(principal.tenant_id),
            "iss": principal.consumer,
            "exp": context_expiry(claims["exp"]),
            # The function checks the token's revocation with these (a context value cannot be null).
            **({"jti": principal.token_id} if principal.token_id else {}),
            **({"iat": principal.issued_at} if principal.issued_at is not None else {}),
            **({"sid": principal.session_id} if principal.session_id else {}),
        },
    )
