"""Composition root of the partners service: builds the runtime, the stores, the routes."""

from __future__ import annotations

from fastapi import FastAPI

from opp_shared.clock import Clock
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.app import create_app as create_service_app
from opp_shared.web.routes import history_router
from partners.api.partners import PREFIX as PARTNERS, partners_router
from partners.domain.partner import AGGREGATE as PARTNER
from partners.handlers import PartnerHandlers
from partners.settings import PartnersSettings
from partners.store.partners import COLLECTION as PARTNER_COLLECTION, PartnerStore


def build_runtime(settings: PartnersSettings, clock: Clock | None = None) -> ServiceRuntime:
    return ServiceRuntime(settings, projections={PARTNER: PARTNER_COLLECTION}, clock=clock)


def create_app(settings: PartnersSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or PartnersSettings()
    runtime = build_runtime(settings, clock)
    partners = PartnerStore(runtime)
    runtime.add_index_setup(partners.ensure_indexes)
    handlers = PartnerHandlers(partners)
    return create_service_app(
        runtime,
        title="Overseas Partnerships Platform: partners",
        description="Partner organizations, agreements and joint research centers.",
        routers=[
            partners_router(partners, handlers),
            history_router(PARTNERS, partners.repository, tag="partners"),
        ],
    )
