"""Composition root of the techtransfer service."""

from __future__ import annotations

from fastapi import FastAPI

from opp_shared.clock import Clock
from opp_shared.foreign_views import PARTNER_DIRECTORY, PartnerDirectory
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.app import create_app as create_service_app
from techtransfer.settings import TechtransferSettings


def create_app(settings: TechtransferSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or TechtransferSettings()
    runtime = ServiceRuntime(settings, clock=clock)
    directory = runtime.add_foreign_view(PARTNER_DIRECTORY, PartnerDirectory)
    app = create_service_app(
        runtime,
        title="Overseas Partnerships Platform: techtransfer",
        description="Technologies, patents, licenses, royalties and income distribution.",
        routers=[],
    )
    app.state.partner_directory = directory
    return app
