"""The funding service's settings (`OPP_*` environment variables)."""

from __future__ import annotations

from pydantic import Field

from opp_shared.settings import ServiceSettings


class FundingSettings(ServiceSettings):
    service_name: str = "funding"
    http_port: int = Field(default=8002, ge=1, le=65535)
    ledger_attempts: int = Field(
        default=30,
        ge=1,
        le=1000,
        description="How many times a change of a fund's or an award's ledger is decided again after "
        "losing a race to another copy of the service, before it answers 503 contention.",
    )
