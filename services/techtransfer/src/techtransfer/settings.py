"""The techtransfer service's settings (`OPP_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from opp_shared.settings import ServiceSettings


class TechtransferSettings(ServiceSettings):
    service_name: str = "techtransfer"
    http_port: int = Field(default=8003, ge=1, le=65535)
