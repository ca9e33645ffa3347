"""Composition root of the funding service.

`wire` builds the service's parts on a `ServicePorts` (the real runtime in
`create_app`, `InMemoryPorts` in unit tests)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from funding.settings import FundingSettings
from opp_shared.clock import Clock
from opp_shared.foreign_views import PARTNER_DIRECTORY, PartnerDirectory
from opp_shared.ports import ServicePorts
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.app import create_app as create_service_app


@dataclass(frozen=True)
class Funding:
    partners: PartnerDirectory


def wire(ports: ServicePorts, settings: FundingSettings) -> Funding:
    return Funding(partners=ports.add_foreign_view(PARTNER_DIRECTORY, PartnerDirectory))


def create_app(settings: FundingSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or FundingSettings()
    runtime = ServiceRuntime(settings, clock=clock)
    service = wire(runtime, settings)
    app = create_service_app(
        runtime,
        title="Overseas Partnerships Platform: funding",
        description="Joint funds, calls, proposals, reviews, awards, disbursements and projects.",
        routers=[],
    )
    app.state.partner_directory = service.partners
    return app
