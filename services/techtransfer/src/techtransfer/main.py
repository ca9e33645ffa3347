"""Composition root of the techtransfer service.

`wire` builds the service's parts on a `ServicePorts` (the real runtime in
`create_app`, `InMemoryPorts` in unit tests)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from opp_shared.clock import Clock
from opp_shared.foreign_views import PARTNER_DIRECTORY, PartnerDirectory
from opp_shared.ports import ServicePorts
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.app import create_app as create_service_app
from techtransfer.settings import TechtransferSettings


@dataclass(frozen=True)
class Techtransfer:
    partners: PartnerDirectory


def wire(ports: ServicePorts, settings: TechtransferSettings) -> Techtransfer:
    return Techtransfer(partners=ports.add_foreign_view(PARTNER_DIRECTORY, PartnerDirectory))


def create_app(settings: TechtransferSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or TechtransferSettings()
    runtime = ServiceRuntime(settings, clock=clock)
    service = wire(runtime, settings)
    app = create_service_app(
        runtime,
        title="Overseas Partnerships Platform: funding",
        description="Technologies and patents, licenses and assignments, royalties and the distribution of income.",
        routers=[],
    )
    app.state.partner_directory = service.partners
    return app
