"""The database secret is read from Secrets Manager (moto) and becomes an Oracle URL."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from storefront import bootstrap


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("secretsmanager")


def test_secret_to_oracle_url(aws):
    secret = {
        "username": "app",
        "password": "p@ss/word",
        "host": "db.internal",
        "port": 1522,
        "service_name": "FREEPDB1",
    }
    arn = aws.create_secret(Name="storefront/db", SecretString=json.dumps(secret))["ARN"]
    url = bootstrap.url_from_secret(bootstrap.read_secret(arn))
    assert url.drivername == "oracle+oracledb"
    assert (url.username, url.password, url.host, url.port) == ("app", "p@ss/word", "db.internal", 1522)
    assert url.query["service_name"] == "FREEPDB1"


def test_a_secret_with_dbname_and_default_port(aws):
    arn = aws.create_secret(
        Name="db2", SecretString=json.dumps({"username": "a", "password": "b", "host": "h", "dbname": "ORCL"})
    )["ARN"]
    url = bootstrap.url_from_secret(bootstrap.read_secret(arn))
    assert (url.port, url.query["service_name"]) == (1521, "ORCL")
