"""`/api/v1/projects`: plan, read, list, edit, the life cycle, milestones and invoices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from funding.api.access import Reader, Writer
from funding.api.schemas import EditProject, OnDay, PlanProject, RequiredReason
from funding.domain.project import PROJECT, ProjectKind, ProjectStatus
from funding.handlers.projects import ProjectCommands
from funding.store.queries import Queries
from opp_shared.fields import Reference
from opp_shared.web.http import (
    IdempotencyKeyHeader,
    IfMatchHeader,
    PageQuery,
    answer,
    create_request,
    created,
    edits_of,
    page_answer,
    parse_if_match,
)


def _day(body: OnDay | None):
    return body.on if body else None


def projects_router(commands: ProjectCommands, queries: Queries) -> APIRouter:
    router = APIRouter(prefix=PROJECT.route, tags=["projects"])

    @router.post("", status_code=201, response_model=PROJECT.response, summary="Plan a project (from an award or not)")
    async def plan(body: PlanProject, principal: Writer, idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, replayed = await commands.plan(fields, create_request(principal, idempotency_key, fields))
        return created(snapshot, replayed, PROJECT.route)

    @router.get("", response_model=PROJECT.page, summary="List projects")
    async def list_projects(
        page: PageQuery,
        _: Reader,
        kind: ProjectKind | None = None,
        status: ProjectStatus | None = None,
        partner_id: Reference | None = None,
        lead_partner_id: Reference | None = None,
        award_id: Reference | None = None,
        fund_id: Reference | None = None,
    ) -> dict[str, Any]:
        found = await queries.list(
            page,
            kind=kind,
            status=status,
            partner_ids=partner_id,
            lead_partner_id=lead_partner_id,
            award_id=award_id,
            fund_id=fund_id,
        )
        return page_answer(*found)

    @router.get("/{project_id}", response_model=PROJECT.response, summary="Read one project")
    async def get_project(project_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(project_id))

    @router.patch("/{project_id}", response_model=PROJECT.response, summary="Edit a project (planned or active)")
    async def edit(project_id: str, body: EditProject, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        edits = edits_of(body, not_null=("title", "partner_ids"))
        return answer(await commands.edit(project_id, edits, if_match=parse_if_match(if_match)))

    @router.post("/{project_id}/start", response_model=PROJECT.response, summary="planned -> active")
    async def start(
        project_id: str, _: Writer, body: OnDay | None = None, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(await commands.start(project_id, _day(body), if_match=parse_if_match(if_match)))

    @router.post(
        "/{project_id}/milestones/{key}/reach", response_model=PROJECT.response, summary="A milestone is reached"
    )
    async def reach(
        project_id: str, key: str, _: Writer, body: OnDay | None = None, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(await commands.reach_milestone(project_id, key, _day(body), if_match=parse_if_match(if_match)))

    @router.post("/{project_id}/invoices/{number}/pay", response_model=PROJECT.response, summary="An invoice is paid")
    async def pay_invoice(
        project_id: str, number: str, _: Writer, body: OnDay | None = None, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(await commands.pay_invoice(project_id, number, _day(body), if_match=parse_if_match(if_match)))

    @router.post("/{project_id}/complete", response_model=PROJECT.response, summary="active -> completed")
    async def complete(project_id: str, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        return answer(await commands.complete(project_id, if_match=parse_if_match(if_match)))

    @router.post("/{project_id}/terminate", response_model=PROJECT.response, summary="planned or active -> terminated")
    async def terminate(
        project_id: str, body: RequiredReason, _: Writer, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(await commands.terminate(project_id, body.reason, if_match=parse_if_match(if_match)))

    return router
