"""The local gateway's stand-in for API Gateway's IAM check (localdev/iam.py)."""

from __future__ import annotations

import pytest

from localdev.iam import local_iam_identity

SIGNED = (
    "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261124/eu-west-1/execute-api/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
)


def test_a_sigv4_authorization_reads_as_its_key_ids_iam_user():
    identity = local_iam_identity(SIGNED)
    assert identity is not None
    assert identity["accessKey"] == "AKIAEXAMPLE"
    assert identity["userArn"].startswith("arn:aws:iam::")
    assert identity["userArn"].endswith("local-akiaexample")


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer a.b.c", "AWS4-HMAC-SHA256 Credential=", "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=ab"],
)
def test_anything_else_is_unsigned(authorization):
    assert local_iam_identity(authorization) is None
