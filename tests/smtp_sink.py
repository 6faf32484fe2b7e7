"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for mail tests."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from backend.services import options
from tests.support import free_port


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._cond = threading.Condition()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._cond:
            self.messages.append(msg)
            self._cond.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 20) -> list[EmailMessage]:
        """Block until `count` mails have arrived (a generous bound, only so a bug cannot hang)."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.messages) >= count, timeout)
            assert len(self.messages) >= count, f"expected {count} mails, got {len(self.messages)}"
            return list(self.messages)

    def configure_options(self) -> None:
        options.update("SMTPServer", "127.0.0.1")
        options.update("SMTPPort", str(self.port))
        options.update("SMTPFrom", "noreply@example.com")

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def body_text(msg: EmailMessage) -> str:
    return msg.get_body(("html", "plain")).get_content()
