"""A real SMTP server for tests that follow an email to the end: aiosmtpd, in the test's process.

The `mailbox` fixture (the plugin's, one per test module) starts one on a free
port; point the notifications service's `smtp_port` at `mailbox.port` and read
what arrived in `mailbox.messages`, each as (envelope recipients, parsed message).
"""

from __future__ import annotations

from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from typing import Any


class Mailbox:
    """An SMTP server (aiosmtpd) that keeps every message it accepts."""

    def __init__(self) -> None:
        # Imported here: opp_shared must import without the development packages.
        from aiosmtpd.controller import Controller

        from opp_devstack import free_ports

        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.port = free_ports(1)[0]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's handler hook
        message = message_from_bytes(envelope.content, policy=email_policy)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages that went to one address, in the order they came."""
        return [message for recipients, message in self.messages if address in recipients]

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
