"""The partners service's settings (`OPP_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from opp_shared.settings import ServiceSettings


class PartnersSettings(ServiceSettings):
    service_name: str = "partners"
    http_port: int = Field(default=8001, ge=1, le=65535)
    signature_overdue_days: int = Field(
        default=60,
        ge=1,
        le=3650,
        description="An agreement waiting this many days before signature (since submission, or drafting) "
        "raises signature_overdue.",
    )
