"""Composition root of the funding service.

`wire` builds the service's commands, queries, consumers and schedule on a
`ServicePorts`: the real runtime in `create_app`, `InMemoryPorts` in the unit
tests, so both run the very same handlers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from funding.api import TAGS
from funding.api.awards import awards_router, disbursements_router
from funding.api.funds import calls_router, funds_router
from funding.api.projects import projects_router
from funding.api.proposals import proposals_router, reviews_router
from funding.domain.award import AWARD
from funding.domain.call import CALL
from funding.domain.disbursement import DISBURSEMENT
from funding.domain.fund import FUND
from funding.domain.project import PROJECT
from funding.domain.proposal import PROPOSAL
from funding.handlers.awards import AwardCommands
from funding.handlers.calls import CallCommands
from funding.handlers.disbursements import DisbursementCommands
from funding.handlers.funds import FundCommands
from funding.handlers.projects import ProjectCommands
from funding.handlers.proposals import ProposalCommands
from funding.settings import FundingSettings
from funding.store.agreements import AGREEMENT_VIEW, AgreementDirectory
from funding.store.queries import CallQueries, FundQueries, Queries
from funding.workers import FOLLOW_UP_TOPICS, agreement_watch, follow_ups, schedule
from opp_shared.clock import Clock
from opp_shared.foreign_views import PARTNER_DIRECTORY, ForeignView, PartnerDirectory
from opp_shared.ports import ServicePorts
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.app import create_app as create_service_app
from opp_shared.web.names import naming_partners


@dataclass(frozen=True)
class Funding:
    partners: PartnerDirectory
    agreements: AgreementDirectory
    funds: FundCommands
    calls: CallCommands
    proposals: ProposalCommands
    awards: AwardCommands
    disbursements: DisbursementCommands
    projects: ProjectCommands
    fund_queries: FundQueries
    call_queries: CallQueries
    proposal_queries: Queries
    award_queries: Queries
    disbursement_queries: Queries
    project_queries: Queries


def wire(ports: ServicePorts, settings: FundingSettings) -> Funding:
    # The two ledgers (a fund's awards, an award's disbursements) take more attempts against
    # copies of the service in other processes (within one process, changes queue anyway).
    funds = ports.register(FUND, attempts=settings.ledger_attempts)
    awards = ports.register(AWARD, attempts=settings.ledger_attempts)
    calls = ports.register(CALL)
    proposals = ports.register(PROPOSAL)
    disbursements = ports.register(DISBURSEMENT)
    projects = ports.register(PROJECT)

    def today():
        return settings.local_date(ports.clock.now())

    partners = ports.add_foreign_view(PARTNER_DIRECTORY, PartnerDirectory)
    # The agreement view is fed by a consumer of ours (below), which re-evaluates funds after each event.
    agreement_view = ForeignView(AGREEMENT_VIEW, ports.view(AGREEMENT_VIEW.collection, AGREEMENT_VIEW.indexes))
    agreements = AgreementDirectory(agreement_view)
    fund_queries, call_queries = FundQueries(funds.documents), CallQueries(calls.documents)
    award_commands = AwardCommands(awards, funds, proposals, ports.clock, today)
    service = Funding(
        partners=partners,
        agreements=agreements,
        funds=FundCommands(funds, fund_queries, call_queries, partners, agreements, today),
        calls=CallCommands(calls, call_queries, funds, ports.clock),
        proposals=ProposalCommands(proposals, calls, funds, partners, ports.clock),
        awards=award_commands,
        disbursements=DisbursementCommands(disbursements, awards, funds, today),
        projects=ProjectCommands(projects, awards, partners, today),
        fund_queries=fund_queries,
        call_queries=call_queries,
        proposal_queries=Queries(proposals.documents),
        award_queries=Queries(awards.documents),
        disbursement_queries=Queries(disbursements.documents),
        project_queries=Queries(projects.documents),
    )
    ports.add_consumer(AGREEMENT_VIEW.name, [AGREEMENT_VIEW.topic], agreement_watch(agreement_view, service.funds))
    ports.add_consumer("follow-ups", FOLLOW_UP_TOPICS, follow_ups(service.awards, service.disbursements))
    for job in schedule(service.calls, service.funds):
        ports.add_job(job)
    return service


def create_app(settings: FundingSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or FundingSettings()
    runtime = ServiceRuntime(settings, clock=clock)
    service = wire(runtime, settings)
    names = naming_partners(service.partners.refs)  # `partners` beside `partner_ids` in answers
    app = create_service_app(
        runtime,
        title="Overseas Partnerships Platform: funding",
        tags=TAGS,
        description="Joint funds, calls, proposals and reviews, awards within budget, disbursements, "
        "and projects (joint research, commissioned R&D, multi-party).",
        routers=[
            funds_router(service.funds, service.fund_queries, names=names),
            calls_router(service.calls, service.call_queries, names=names),
            proposals_router(service.proposals, service.awards, service.proposal_queries, names=names),
            reviews_router(service.proposal_queries, names=names),
            awards_router(service.awards, service.award_queries, names=names),
            disbursements_router(service.disbursements, service.disbursement_queries, names=names),
            projects_router(service.projects, service.project_queries, names=names),
        ],
    )
    app.state.partner_directory = service.partners
    app.state.scheduler = runtime.scheduler
    app.state.service = service
    return app
