"""The identity adapters against real things: argon2id, the Redis login throttle (and the local stand-in),
the file notifier and SES (moto)."""

from __future__ import annotations

import email
import uuid
from email import policy

import boto3
import fakeredis
import pytest
from moto import mock_aws

from storefront.adapters.cache.login_throttle import RedisLoginThrottle
from storefront.adapters.notify.files import FileNotifier
from storefront.adapters.notify.ses import SesNotifier
from storefront.adapters.passwords import Argon2Hasher
from storefront.application.ports import Email

MESSAGE = Email(to="ada@example.com", subject="Reset ✓", text="Open https://x/?token=abc", html="<p>Open</p>")


def test_argon2id_at_owasp_parameters_verifies_and_asks_for_a_rehash_when_they_change():
    hasher = Argon2Hasher()
    encoded = hasher.hash("correct horse battery")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify(encoded, "correct horse battery")
    assert not hasher.verify(encoded, "wrong horse battery")
    assert not hasher.verify("not a hash", "correct horse battery")
    assert not hasher.needs_rehash(encoded)
    assert Argon2Hasher(time_cost=3).needs_rehash(encoded)
    assert hasher.needs_rehash("not a hash")
    hasher.verify_nothing("anything")


@pytest.fixture(params=["redis", "stand-in"])
def throttle_client(request, redis_client):
    return redis_client if request.param == "redis" else fakeredis.FakeRedis()


def test_the_throttle_locks_a_key_at_its_threshold_for_the_lock_time(throttle_client):
    throttle = RedisLoginThrottle(
        throttle_client, thresholds={"account": 3, "ip": 5}, window_seconds=60, lock_seconds=120
    )
    account, ip = f"account:{uuid.uuid4()}", f"ip:{uuid.uuid4()}"
    assert throttle.retry_after((account, ip)) is None
    assert throttle.failed((account, ip)) is None
    assert throttle.failed((account, ip)) is None
    assert throttle.failed((account, ip)) == 120
    assert 110 < (throttle.retry_after((account, ip)) or 0) <= 120
    other_account = f"account:{uuid.uuid4()}"
    assert throttle.retry_after((other_account, ip)) is None  # the address has 3 failures of its 5
    throttle.failed((other_account, ip))
    assert throttle.failed((f"account:{uuid.uuid4()}", ip)) == 120  # the address's fifth
    assert throttle.retry_after((f"account:{uuid.uuid4()}", ip)) is not None


def test_a_success_clears_the_failures_of_its_key(throttle_client):
    throttle = RedisLoginThrottle(throttle_client, thresholds={"account": 2}, window_seconds=60, lock_seconds=60)
    account = f"account:{uuid.uuid4()}"
    throttle.failed((account,))
    throttle.succeeded(account)
    assert throttle.failed((account,)) is None


def test_an_unreachable_redis_counts_nothing_and_locks_nothing():
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from localdev.stack import free_port

    dead = Redis(port=free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    throttle = RedisLoginThrottle(dead, thresholds={"account": 1}, window_seconds=60, lock_seconds=60)
    assert throttle.failed(("account:x",)) is None
    assert throttle.retry_after(("account:x",)) is None


def test_the_file_notifier_writes_an_email_a_person_can_open(tmp_path):
    FileNotifier(tmp_path / "mail", "Storefront <no-reply@storefront.test>").send(MESSAGE)
    (path,) = (tmp_path / "mail").glob("*.eml")
    assert "ada@example.com" in path.name
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert (parsed["To"], parsed["Subject"]) == ("ada@example.com", "Reset ✓")
    assert "token=abc" in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert parsed.get_body(("html",)) is not None


def test_a_long_link_reads_whole_in_the_file_as_it_is(tmp_path):
    """Outside pass: quoted-printable broke the reset link over two lines and turned `=` into `=3D`."""
    link = "http://127.0.0.1:3000/reset-password?token=a93pPajyK3qeFjiHW8VLJzW1IRvHB69lbndeNk_rxVI"
    message = Email(
        to="ada@example.com", subject="Reset", text=f"Hello Zoë,\n\n{link}\n", html=f'<a href="{link}">x</a>'
    )
    FileNotifier(tmp_path / "mail", "Storefront <no-reply@storefront.test>").send(message)
    raw = next((tmp_path / "mail").glob("*.eml")).read_text(encoding="utf-8")
    assert raw.count(link) == 2
    assert "Zoë" in raw


@mock_aws
def test_ses_sends_text_and_html_from_a_verified_identity(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    ses = boto3.client("ses", region_name="eu-west-1")
    ses.verify_email_identity(EmailAddress="no-reply@storefront.test")
    SesNotifier("no-reply@storefront.test", region="eu-west-1").send(MESSAGE)
    backend_quota = ses.get_send_quota()
    assert backend_quota["SentLast24Hours"] == 1


@mock_aws
def test_ses_failures_are_ext_002_not_driver_text(monkeypatch):
    from storefront.adapters.notify.ses import EmailUnavailable

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(EmailUnavailable) as raised:  # the sender was never verified: SES refuses
        SesNotifier("unverified@storefront.test", region="eu-west-1").send(MESSAGE)
    assert raised.value.message == "The email service is unavailable"


def test_an_account_without_a_password_refuses_every_password_in_a_real_checks_time():
    import time

    from storefront.domain.users import NO_PASSWORD

    hasher = Argon2Hasher()
    encoded = hasher.hash("correct horse battery")
    hasher.verify_nothing("warm")  # the dummy hash is made once per container

    def timed(stored: str) -> float:
        start = time.perf_counter()
        assert not hasher.verify(stored, "any password at all")
        return time.perf_counter() - start

    real = min(timed(encoded) for _ in range(3))
    none = min(timed(NO_PASSWORD) for _ in range(3))
    assert none > real / 3, (none, real)  # a verification, not an instant refusal


UNICODE_RECIPIENTS = [
    # (address, what the .eml's To: reads, what SES is given)
    ("zoë@bücher.example", "zoë@bücher.example", None),  # a non-ASCII local part: no 7-bit form for SES
    ("ada@bücher.example", "ada@bücher.example", "ada@xn--bcher-kva.example"),
    ("ада@пример.рф", "ада@пример.рф", None),
    ("ada@example.com", "ada@example.com", "ada@example.com"),
]


@pytest.mark.parametrize(("to", "header", "_"), UNICODE_RECIPIENTS)
def test_the_file_notifier_writes_a_valid_to_header_for_a_unicode_address(tmp_path, to, header, _):
    """Outside pass: an encoded word inside the address (``=?utf-8?b?...?=@example.com``) is no address."""
    FileNotifier(tmp_path / "mail", "Störefront <no-reply@storefront.test>").send(
        Email(to=to, subject="Ordér ✓", text="hi", html="<p>hi</p>")
    )
    raw = next((tmp_path / "mail").glob("*.eml")).read_bytes()
    assert b"=?" not in raw.split(b"\n\n", 1)[0]  # RFC 6532: UTF-8 headers, no encoded words
    parsed = email.message_from_string(raw.decode("utf-8"), policy=policy.SMTPUTF8)
    (address,) = parsed["To"].addresses
    assert (address.addr_spec, str(parsed["To"]), parsed["Subject"]) == (header, header, "Ordér ✓")
    # the parser flags any non-ASCII local part (RFC 5322); RFC 6532 allows it: no other defect
    assert {type(d).__name__ for d in parsed["To"].defects} <= {"NonASCIILocalPartDefect"}
    assert parsed["From"].addresses[0].display_name == "Störefront"


@mock_aws
@pytest.mark.parametrize(("to", "_", "destination"), UNICODE_RECIPIENTS)
def test_ses_gets_a_7_bit_address_with_a_punycode_domain_or_a_clear_refusal(monkeypatch, to, _, destination):
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    from storefront.adapters.notify.mime import UndeliverableAddress

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    boto3.client("ses", region_name="eu-west-1").verify_email_identity(EmailAddress="no-reply@storefront.test")
    notifier = SesNotifier("Störefront <no-reply@storefront.test>", region="eu-west-1")
    message = Email(to=to, subject="Ordér", text="hi", html="<p>hi</p>")
    if destination is None:  # SES has no SMTPUTF8: refused before SES is called, not sent mangled
        with pytest.raises(UndeliverableAddress):
            notifier.send(message)
        return
    notifier.send(message)
    (sent,) = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages
    assert sent.destinations["ToAddresses"] == [destination]
    assert sent.source == "=?utf-8?q?St=C3=B6refront?= <no-reply@storefront.test>"
