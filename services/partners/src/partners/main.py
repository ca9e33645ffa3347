"""Composition root of the partners service.

`wire` builds the service's commands, queries, consumers and schedule on a
`ServicePorts`: the real runtime in `create_app`, `InMemoryPorts` in the unit
tests, so both run the very same handlers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from opp_shared.clock import Clock
from opp_shared.ports import ServicePorts
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.app import create_app as create_service_app
from opp_shared.web.names import naming_partners
from partners.api import TAGS
from partners.api.agreements import agreements_router
from partners.api.centers import centers_router
from partners.api.partners import partners_router
from partners.domain.agreement import AGREEMENT
from partners.domain.center import CENTER
from partners.domain.partner import PARTNER
from partners.domain.portfolio import SECTIONS
from partners.handlers.agreements import AgreementCommands
from partners.handlers.centers import CenterCommands
from partners.handlers.partners import PartnerCommands
from partners.handlers.queries import AgreementFamilies, PortfolioQueries
from partners.settings import PartnersSettings
from partners.store import portfolio
from partners.store.agreements import AgreementQueries
from partners.store.centers import CenterQueries
from partners.store.partners import PartnerNames, PartnerQueries
from partners.workers import FOLLOW_UP_TOPICS, follow_ups, schedule


@dataclass(frozen=True)
class Partners:
    partners: PartnerCommands
    agreements: AgreementCommands
    centers: CenterCommands
    partner_queries: PartnerQueries
    agreement_queries: AgreementQueries
    center_queries: CenterQueries
    families: AgreementFamilies
    portfolios: PortfolioQueries


def wire(ports: ServicePorts, settings: PartnersSettings) -> Partners:
    partners = ports.register(PARTNER)
    agreements = ports.register(AGREEMENT)
    centers = ports.register(CENTER)

    def today():
        return settings.local_date(ports.clock.now())

    agreement_queries = AgreementQueries(agreements.documents)
    center_queries = CenterQueries(centers.documents)
    feed = portfolio.PortfolioFeed(ports.view(portfolio.COLLECTION, portfolio.INDEXES))
    service = Partners(
        partners=PartnerCommands(partners, PartnerNames(ports.claims, partners, ports.clock)),
        agreements=AgreementCommands(
            agreements, agreement_queries, partners, today, overdue_after_days=settings.signature_overdue_days
        ),
        centers=CenterCommands(centers, center_queries, partners, today),
        partner_queries=PartnerQueries(partners.documents),
        agreement_queries=agreement_queries,
        center_queries=center_queries,
        families=AgreementFamilies(agreements, agreement_queries),
        portfolios=PortfolioQueries(partners, agreement_queries, center_queries, feed),
    )
    ports.add_consumer(
        "follow-ups", FOLLOW_UP_TOPICS, follow_ups(service.partners, service.agreements, service.centers)
    )
    ports.add_consumer("portfolio", list(SECTIONS), feed.router())
    for job in schedule(service.agreements, settings):
        ports.add_job(job)
    return service


def create_app(settings: PartnersSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or PartnersSettings()
    runtime = ServiceRuntime(settings, clock=clock)
    service = wire(runtime, settings)
    names = naming_partners(service.partner_queries.refs)  # `partners` beside `partner_ids` in answers
    app = create_service_app(
        runtime,
        title="Overseas Partnerships Platform: partners",
        tags=TAGS,
        description="Partner organizations, agreements with their whole life cycle, joint research centers, "
        "and each partner's portfolio.",
        routers=[
            partners_router(service.partners, service.partner_queries, service.portfolios, names=names),
            agreements_router(service.agreements, service.agreement_queries, service.families, names=names),
            centers_router(service.centers, service.center_queries, names=names),
        ],
    )
    app.state.scheduler = runtime.scheduler
    return app
