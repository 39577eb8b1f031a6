"""Email headers built with the stdlib email package, so that a Unicode address (an internationalised domain
or a non-ASCII local part) gives a valid header instead of an encoded word inside an address."""

from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr

from storefront.application.ports import Email
from storefront.domain.errors import AppError, ErrorCode

UTF8_HEADERS = policy.SMTPUTF8.clone(linesep="\n")  # RFC 6532 headers; a file's own line ends


class UndeliverableAddress(AppError):
    code = ErrorCode.EXTERNAL_ERROR
    default_message = "The email address cannot be reached by the email service"


def address(value: str) -> Address:
    """``value`` (``local@domain``, or ``Name <local@domain>``) as a header address object."""
    parsed = EmailMessage(policy=UTF8_HEADERS)
    parsed["To"] = value
    (found,) = parsed["To"].addresses
    assert isinstance(found, Address)
    return found


def mime_message(sender: str, email: Email) -> EmailMessage:
    """``email`` from ``sender`` as a MIME message under RFC 6532 (UTF-8 headers): plain text and HTML parts, 8-bit."""
    message = EmailMessage(policy=UTF8_HEADERS)
    message["From"] = address(sender)
    message["To"] = address(email.to)
    message["Subject"] = email.subject
    message.set_content(email.text, cte="8bit")
    message.add_alternative(email.html, subtype="html", cte="8bit")
    return message


def ascii_address(value: str) -> str:
    """``value`` as a 7-bit address for a service without SMTPUTF8 (SES): its domain in Punycode (IDNA), a
    Unicode display name as an RFC 2047 encoded word.

    A non-ASCII local part has no 7-bit form: UndeliverableAddress.
    """
    found = address(value)
    if not found.username.isascii():
        raise UndeliverableAddress()
    domain = found.domain.encode("idna").decode("ascii")
    return formataddr((found.display_name, f"{found.username}@{domain}"))
