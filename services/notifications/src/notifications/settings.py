"""The notifications service's settings (`OPP_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from opp_shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    service_name: str = "notifications"
    http_port: int = Field(default=8004, ge=1, le=65535)
