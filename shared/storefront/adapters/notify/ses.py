"""The Notifier port on Amazon SES (the v2 API's SendEmail), through boto3: only a function that sends
email imports it, when it first sends."""

from __future__ import annotations

from typing import Any

from storefront.adapters.notify.mime import ascii_address
from storefront.application.ports import Email
from storefront.domain.errors import AppError, ErrorCode


class EmailUnavailable(AppError):
    code = ErrorCode.EXTERNAL_UNAVAILABLE
    default_message = "The email service is unavailable"


class SesNotifier:
    """Sends through SES from ``sender`` (a verified identity), optionally with a configuration set.

    SES has no SMTPUTF8: addresses go as 7-bit, an internationalised domain in Punycode; a non-ASCII local part
    cannot be sent (UndeliverableAddress, before SES is called).
    """

    def __init__(self, sender: str, *, region: str | None = None, configuration_set: str | None = None) -> None:
        self._sender = sender
        self._region = region
        self._configuration_set = configuration_set
        self._client: Any = None

    def send(self, email: Email) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

        request: dict[str, Any] = {
            "FromEmailAddress": ascii_address(self._sender),
            "Destination": {"ToAddresses": [ascii_address(email.to)]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                }
            },
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            self._ses().send_email(**request)
        except (BotoCoreError, ClientError) as error:
            raise EmailUnavailable() from error

    def _ses(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sesv2", region_name=self._region)
        return self._client
