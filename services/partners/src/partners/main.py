"""Composition root of the partners service: the runtime, the stores, the handlers,
the routes, the follow-up and portfolio consumers, and the schedule."""

from __future__ import annotations

from fastapi import FastAPI

from opp_shared.clock import Clock
from opp_shared.consumer import EventRouter
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.app import create_app as create_service_app
from opp_shared.web.routes import history_router
from partners.api.agreements import PREFIX as AGREEMENTS, agreements_router
from partners.api.centers import PREFIX as CENTERS, centers_router
from partners.api.partners import PREFIX as PARTNERS, partners_router
from partners.api.schemas import AgreementOut, CenterOut, PartnerOut
from partners.domain import agreement, center, partner
from partners.domain.portfolio import SECTIONS
from partners.handlers.agreements import AgreementHandlers
from partners.handlers.centers import CenterHandlers
from partners.handlers.partners import PartnerHandlers
from partners.handlers.portfolio import PortfolioQueries
from partners.settings import PartnersSettings
from partners.store import agreements as agreement_store, centers as center_store, partners as partner_store
from partners.store.agreements import AgreementStore
from partners.store.centers import CenterStore
from partners.store.partners import PartnerStore
from partners.store.portfolio import PortfolioStore
from partners.workers import FOLLOW_UP_TOPICS, follow_ups, schedule


def create_app(settings: PartnersSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or PartnersSettings()
    runtime = ServiceRuntime(
        settings,
        projections={
            partner.AGGREGATE: partner_store.COLLECTION,
            agreement.AGGREGATE: agreement_store.COLLECTION,
            center.AGGREGATE: center_store.COLLECTION,
        },
        clock=clock,
    )

    def today():
        return settings.local_date(runtime.clock.now())

    runtime.describe_events({partner.AGGREGATE: PartnerOut, agreement.AGGREGATE: AgreementOut, center.AGGREGATE: CenterOut})
    partners = PartnerStore(runtime)
    agreements = AgreementStore(runtime)
    centers = CenterStore(runtime)
    announced = PortfolioStore(runtime.db)
    for store in (partners, agreements, centers, announced):
        runtime.add_index_setup(store.ensure_indexes)

    partner_handlers = PartnerHandlers(partners)
    agreement_handlers = AgreementHandlers(agreements, partner_handlers, today, overdue_after_days=settings.signature_overdue_days)
    center_handlers = CenterHandlers(centers, partner_handlers, today)
    portfolios = PortfolioQueries(partner_handlers, agreements, centers, announced)

    runtime.add_consumer("follow-ups", FOLLOW_UP_TOPICS, follow_ups(partner_handlers, agreement_handlers, center_handlers))
    portfolio_feed = EventRouter()
    announced.route(portfolio_feed)
    runtime.add_consumer("portfolio", list(SECTIONS), portfolio_feed)
    for job in schedule(agreement_handlers, settings):
        runtime.add_job(job)

    app = create_service_app(
        runtime,
        title="Overseas Partnerships Platform: partners",
        description="Partner organizations, agreements with their whole life cycle, joint research centers, and each partner's portfolio.",
        routers=[
            partners_router(partners, partner_handlers, portfolios),
            history_router(PARTNERS, partners.repository, tag="partners"),
            agreements_router(agreements, agreement_handlers),
            history_router(AGREEMENTS, agreements.repository, tag="agreements"),
            centers_router(centers, center_handlers),
            history_router(CENTERS, centers.repository, tag="centers"),
        ],
    )
    app.state.scheduler = runtime.scheduler
    return app
