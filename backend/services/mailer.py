"""Outgoing mail over SMTP (aiosmtplib), configured by the SMTP* options like new-api."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

import aiosmtplib

from backend.services import options
from backend.services.errors import ServiceError, msg

log = logging.getLogger(__name__)

_TIMEOUT = 30


def configured() -> bool:
    return bool(options.get("SMTPServer").strip())


def _sender() -> str:
    return (options.get("SMTPFrom") or options.get("SMTPAccount")).strip()


def build_message(to: str, subject: str, html: str) -> EmailMessage:
    sender = _sender()
    if not sender:
        raise ServiceError(msg("the SMTP sender address (SMTPFrom or SMTPAccount) is not configured"), 500)
    mail = EmailMessage()
    mail["From"] = formataddr((options.get("SystemName") or "New API", sender))
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail.set_content(html, subtype="html")
    return mail


async def send(to: str, subject: str, html: str) -> None:
    """Deliver one HTML mail. Port 465 or SMTPSSLEnabled means implicit TLS; otherwise STARTTLS is
    used whenever the server offers it. Any failure becomes a ServiceError without the server's
    reply text, which may echo credentials."""
    if not configured():
        raise ServiceError(msg("mail is not configured: ask the administrator to set the SMTP server"), 500)
    mail = build_message(to, subject, html)
    port = options.get_int("SMTPPort", 587) or 587
    implicit_tls = options.get_bool("SMTPSSLEnabled") or port == 465
    account = options.get("SMTPAccount").strip()
    secret = options.get("SMTPToken")
    try:
        await aiosmtplib.send(
            mail,
            hostname=options.get("SMTPServer").strip(),
            port=port,
            username=account or None,
            password=secret if account else None,
            use_tls=implicit_tls,
            start_tls=False if implicit_tls else None,
            timeout=_TIMEOUT,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning("mail to %s failed: %s", to, type(exc).__name__)
        raise ServiceError(msg("the mail could not be sent; please try again later"), 502) from exc
