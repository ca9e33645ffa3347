"""Composition root of the techtransfer service.

`wire` builds the service's commands, queries, consumers and schedule on a
`ServicePorts`: the real runtime in `create_app`, `InMemoryPorts` in the unit
tests, so both run the very same handlers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from opp_shared.clock import Clock
from opp_shared.foreign_views import PARTNER_DIRECTORY, PartnerDirectory
from opp_shared.ports import ServicePorts
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.app import create_app as create_service_app
from opp_shared.web.names import naming_partners
from techtransfer.api import TAGS
from techtransfer.api.distributions import distributions_router
from techtransfer.api.licenses import licenses_router
from techtransfer.api.royalty_reports import royalty_reports_router
from techtransfer.api.technologies import technologies_router
from techtransfer.domain.distribution import DISTRIBUTION
from techtransfer.domain.license import LICENSE
from techtransfer.domain.royalty import ROYALTY_REPORT
from techtransfer.domain.technology import TECHNOLOGY
from techtransfer.handlers.distributions import DistributionCommands
from techtransfer.handlers.licenses import LicenseCommands
from techtransfer.handlers.royalties import RoyaltyCommands
from techtransfer.handlers.technologies import TechnologyCommands
from techtransfer.settings import TechtransferSettings
from techtransfer.store.distributions import DistributionQueries
from techtransfer.store.licenses import LicenseQueries
from techtransfer.store.projects import PROJECT_VIEW, ProjectView
from techtransfer.store.royalty_reports import ReportQueries
from techtransfer.store.technologies import TechnologyQueries
from techtransfer.workers import FOLLOW_UP_TOPICS, follow_ups, schedule


@dataclass(frozen=True)
class Techtransfer:
    partners: PartnerDirectory
    projects: ProjectView
    technologies: TechnologyCommands
    licenses: LicenseCommands
    royalties: RoyaltyCommands
    distributions: DistributionCommands
    technology_queries: TechnologyQueries
    license_queries: LicenseQueries
    report_queries: ReportQueries
    distribution_queries: DistributionQueries


def wire(ports: ServicePorts, settings: TechtransferSettings) -> Techtransfer:
    technologies = ports.register(TECHNOLOGY)
    licenses = ports.register(LICENSE)
    reports = ports.register(ROYALTY_REPORT)
    distributions = ports.register(DISTRIBUTION)
    partners = ports.add_foreign_view(PARTNER_DIRECTORY, PartnerDirectory)
    projects = ports.add_foreign_view(PROJECT_VIEW, ProjectView)

    def today():
        return settings.local_date(ports.clock.now())

    technology_queries = TechnologyQueries(technologies.documents)
    license_queries = LicenseQueries(licenses.documents)
    report_queries = ReportQueries(reports.documents)
    service = Techtransfer(
        partners=partners,
        projects=projects,
        technologies=TechnologyCommands(
            technologies,
            technology_queries,
            projects,
            today,
            lead_days=tuple(settings.patent_deadline_lead_days),
        ),
        licenses=LicenseCommands(
            licenses,
            license_queries,
            technologies,
            partners,
            today,
            university_country=settings.university_country,
            default_grace_days=settings.royalty_grace_days,
        ),
        royalties=RoyaltyCommands(reports, report_queries, licenses, license_queries, today),
        distributions=DistributionCommands(
            distributions,
            technologies,
            licenses,
            reports,
            rule=settings.sharing_rule,
            minimum_inventors=settings.distribution_minimum_inventors_percent,
        ),
        technology_queries=technology_queries,
        license_queries=license_queries,
        report_queries=report_queries,
        distribution_queries=DistributionQueries(distributions.documents),
    )
    ports.add_consumer("follow-ups", FOLLOW_UP_TOPICS, follow_ups(service.licenses))
    for job in schedule(service.technologies, service.licenses, service.royalties, settings):
        ports.add_job(job)
    return service


def create_app(settings: TechtransferSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or TechtransferSettings()
    runtime = ServiceRuntime(settings, clock=clock)
    service = wire(runtime, settings)
    names = naming_partners(service.partners.refs)  # `partners` beside `partner_ids` in answers
    app = create_service_app(
        runtime,
        title="Overseas Partnerships Platform: techtransfer",
        tags=TAGS,
        description="Technologies and patents, licenses and assignments with export control and exclusivity, "
        "royalties, and the distribution of income.",
        routers=[
            technologies_router(service.technologies, service.technology_queries, names=names),
            licenses_router(service.licenses, service.license_queries, names=names),
            royalty_reports_router(service.royalties, service.report_queries, names=names),
            distributions_router(service.distributions, service.distribution_queries, names=names),
        ],
    )
    app.state.partner_directory = service.partners
    app.state.scheduler = runtime.scheduler
    app.state.service = service
    return app
