"""The notifications service's settings (`OPP_*` environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from opp_shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    http_port: int = Field(default=8004, ge=1, le=65535)

    # -- email, through an SMTP server ----------------------------------------------
    smtp_host: str = Field(default="127.0.0.1", description="The SMTP server (Mailpit locally).")
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="none", description="none (local Mailpit), starttls (submission, 587) or tls (implicit TLS, 465)."
    )
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    email_sender: str = Field(
        default="Overseas Partnerships Platform <notifications@opp.localhost>", description="The From of every email."
    )
    email_max_attempts: int = Field(default=6, ge=1, le=50)
    email_backoff_seconds: float = Field(default=30.0, gt=0)

    # -- webhooks ---------------------------------------------------------------------
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_backoff_seconds: float = Field(default=5.0, gt=0, description="Wait after the first failed attempt.")
    webhook_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    webhook_disable_after_failures: int = Field(
        default=20, ge=1, description="Failed attempts in a row (since it was last enabled) that disable an endpoint."
    )
    webhook_allow_private_urls: bool = Field(
        default=False,
        description="Allow webhook URLs to loopback, private and link-local addresses (local use, tests).",
    )
    webhook_secret_overlap_seconds: float = Field(
        default=86400.0, ge=0, description="How long a rotated-out secret still signs beside the new one."
    )

    # -- the senders ----------------------------------------------------------------
    delivery_poll_seconds: float = Field(default=1.0, gt=0, description="How often senders look for due retries.")
    delivery_batch_size: int = Field(default=50, ge=1, le=1000)
    delivery_concurrency: int = Field(default=8, ge=1, le=100)
    delivery_stale_attempt_seconds: float = Field(
        default=120.0, gt=0, description="An attempt begun this long ago and never finished counts as interrupted."
    )

    # -- the live stream and the caches ------------------------------------------------
    stream_ticket_seconds: float = Field(default=60.0, gt=0, le=600)
    stream_poll_seconds: float = Field(
        default=0.5, gt=0, description="How often streams look for other processes' notices."
    )
    stream_keepalive_seconds: float = Field(default=15.0, gt=0)
    stream_max_seconds: float = Field(
        default=3600.0, gt=0, description="A stream ends after this; the client opens a new one."
    )
    rules_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How long a process uses the rules and endpoints it read before reading them again.",
    )
