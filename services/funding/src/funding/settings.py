"""The funding service's settings (`OPP_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from opp_shared.settings import ServiceSettings


class FundingSettings(ServiceSettings):
    service_name: str = "funding"
    http_port: int = Field(default=8002, ge=1, le=65535)
