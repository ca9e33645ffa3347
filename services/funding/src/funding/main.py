"""Composition root of the funding service."""

from __future__ import annotations

from fastapi import FastAPI

from opp_shared.clock import Clock
from opp_shared.foreign_views import PARTNER_DIRECTORY, PartnerDirectory
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.app import create_app as create_service_app
from funding.settings import FundingSettings


def create_app(settings: FundingSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or FundingSettings()
    runtime = ServiceRuntime(settings, clock=clock)
    directory = runtime.add_foreign_view(PARTNER_DIRECTORY, PartnerDirectory)
    app = create_service_app(
        runtime,
        title="Overseas Partnerships Platform: funding",
        description="Joint funds, calls, proposals, reviews, awards, disbursements and projects.",
        routers=[],
    )
    app.state.partner_directory = directory
    return app
