"""The two ways out: an SMTP server for email, HTTP for webhooks. Each answers an `Outcome`, never raises.

Email: one message per delivery, `Message-ID` derived from the delivery id (the
same on every attempt), through the SMTP server of the settings (none,
STARTTLS or implicit TLS, optional login). A 5xx reply is permanent.

Webhooks: the CloudEvent (structured JSON) POSTed with the Standard Webhooks
headers: `webhook-id` (the delivery id, the same on every attempt and replay),
`webhook-timestamp` (this attempt) and `webhook-signature`, one `v1,` signature
per secret still valid (two while a secret is being rotated), made with the
`standardwebhooks` library. A 2xx answer is success; redirects are not
followed. Before each send the host is resolved and every address checked, and
the request goes to the checked address (so a name cannot be re-pointed at a
private address between the check and the send).
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook as Signer

from notifications.domain.deliveries import Outcome
from notifications.domain.webhooks import WEBHOOK, unsafe_address
from notifications.handlers.webhooks import WebhookCommands
from notifications.settings import NotificationsSettings
from opp_shared.clock import Clock
from opp_shared.envelope import CONTENT_TYPE


class SmtpSender:
    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings

    def message(self, delivery: dict[str, Any]) -> EmailMessage:
        content = delivery["message"]
        message = EmailMessage()
        message["From"] = self.settings.email_sender
        message["To"] = formataddr((content.get("name") or "", content["to"]))
        message["Subject"] = content["subject"]
        message["Message-ID"] = make_msgid(idstring=delivery["_id"], domain="notifications.opp")
        message["X-OPP-Delivery"] = delivery["_id"]
        message["X-OPP-Event-Type"] = delivery["event_type"]
        message.set_content(content["text"])
        if content.get("html"):
            message.add_alternative(content["html"], subtype="html")
        return message

    def _send(self, message: EmailMessage) -> None:
        s = self.settings
        if s.smtp_security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        with client:
            if s.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                client.login(s.smtp_username, s.smtp_password.get_secret_value() if s.smtp_password else "")
            client.send_message(message)

    async def send(self, delivery: dict[str, Any], attempt: int) -> Outcome:
        try:
            message = self.message(delivery)
        except Exception as exc:  # an address or subject no message can carry: trying again changes nothing
            return Outcome(sent=False, error=f"not a valid message: {exc}"[:500], permanent=True)
        try:
            await asyncio.to_thread(self._send, message)
        except smtplib.SMTPResponseException as exc:
            return Outcome(
                sent=False, error=f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:500], permanent=exc.smtp_code >= 500
            )
        except smtplib.SMTPRecipientsRefused as exc:
            return Outcome(sent=False, error=f"recipient refused: {exc.recipients}"[:500], permanent=True)
        except (OSError, smtplib.SMTPException) as exc:
            return Outcome(sent=False, error=f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(sent=True)


def sign(secrets: list[str], message_id: str, at: datetime, body: str) -> str:
    """The `webhook-signature` header: one `v1,<base64>` per secret, space-separated."""
    return " ".join(Signer(secret).sign(message_id, at, body) for secret in secrets)


class HttpSender:
    def __init__(self, settings: NotificationsSettings, webhooks: WebhookCommands, clock: Clock) -> None:
        self.settings = settings
        self.webhooks = webhooks
        self.clock = clock
        self.client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
        )

    async def _target(self, url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The URL to connect to (a checked address), the Host header and the TLS name to use."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if self.settings.webhook_allow_private_urls:
            return url, {}, {}
        try:
            reason = unsafe_address(host)
            return (url, {}, {}) if reason is None else _refuse(reason)
        except ValueError:
            pass  # a name, resolved below
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        for address in addresses:
            reason = unsafe_address(address)
            if reason:
                _refuse(f"{host} resolves to {reason}")
        if not addresses:
            _refuse(f"{host} has no address")
        pinned = f"[{addresses[0]}]" if ":" in addresses[0] else addresses[0]
        netloc = f"{pinned}:{parts.port}" if parts.port else pinned
        headers = {"Host": parts.netloc.rsplit("@", 1)[-1]}
        return urlunsplit(parts._replace(netloc=netloc)), headers, {"sni_hostname": host}

    async def send(self, delivery: dict[str, Any], attempt: int) -> Outcome:
        snapshot = await self.webhooks.repository.find(delivery["target"])
        if snapshot is None:
            return Outcome(sent=False, error="the endpoint no longer exists", permanent=True)
        endpoint = WEBHOOK.read(snapshot)
        if not endpoint.enabled:
            return Outcome(sent=False, error=f"the endpoint is disabled: {endpoint.disabled_reason}", permanent=True)
        now = self.clock.now()
        secrets = await self.webhooks.signing_secrets(endpoint, now)
        body: str = delivery["message"]["body"]
        try:
            url, headers, extensions = await self._target(endpoint.url)
        except _Refused as refused:
            return Outcome(sent=False, error=str(refused), permanent=True)
        except OSError as exc:
            return Outcome(sent=False, error=f"cannot resolve the endpoint's host: {exc}"[:500])
        headers |= {
            "content-type": CONTENT_TYPE,
            "webhook-id": delivery["_id"],
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": sign(secrets, delivery["_id"], now, body),
            "user-agent": "opp-notifications",
        }
        try:
            answer = await self.client.post(url, content=body.encode(), headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            return Outcome(sent=False, error=f"{type(exc).__name__}: {exc}"[:500])
        if 200 <= answer.status_code < 300:
            return Outcome(sent=True, status_code=answer.status_code)
        return Outcome(sent=False, status_code=answer.status_code, error=f"answered {answer.status_code}")

    async def close(self) -> None:
        await self.client.aclose()


class _Refused(Exception):
    pass


def _refuse(reason: str) -> Any:
    raise _Refused(f"refused: {reason}")
