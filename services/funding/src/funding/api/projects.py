"""`/api/v1/projects`: plan, read, list, edit, the life cycle, milestones and invoices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from funding.api.access import Creating, Reader, Writer
from funding.api.schemas import EditProject, OnDay, PlanProject, RequiredReason
from funding.domain.project import PROJECT, ProjectKind, ProjectStatus
from funding.handlers.projects import ProjectCommands
from funding.store.queries import Queries
from opp_shared.fields import Reference
from opp_shared.web.http import (
    PageQuery,
    answer,
    edits_of,
    page_answer,
)
from opp_shared.web.routing import IfMatch


def _day(body: OnDay | None):
    return body.on if body else None


def projects_router(commands: ProjectCommands, queries: Queries, *, names: type[APIRoute] = APIRoute) -> APIRouter:
    router = APIRouter(prefix=PROJECT.route, tags=["projects"], route_class=names)

    @router.post(
        "",
        operation_id="planProject",
        status_code=201,
        response_model=PROJECT.response,
        summary="Plan a project (from an award or not)",
    )
    async def plan(body: PlanProject, by: Creating) -> JSONResponse:
        return await by.create(body, commands.plan, PROJECT.route)

    @router.get("", operation_id="listProjects", response_model=PROJECT.page, summary="List projects")
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

    @router.get("/{project_id}", operation_id="getProject", response_model=PROJECT.response, summary="Read one project")
    async def get_project(project_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(project_id))

    @router.patch(
        "/{project_id}",
        operation_id="editProject",
        response_model=PROJECT.response,
        summary="Edit a project (planned or active)",
    )
    async def edit(project_id: str, body: EditProject, _: Writer, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=("title", "partner_ids"))
        return answer(await commands.edit(project_id, edits, if_match=version))

    @router.post(
        "/{project_id}/start", operation_id="startProject", response_model=PROJECT.response, summary="planned -> active"
    )
    async def start(project_id: str, _: Writer, version: IfMatch, body: OnDay | None = None) -> JSONResponse:
        return answer(await commands.start(project_id, _day(body), if_match=version))

    @router.post(
        "/{project_id}/milestones/{key}/reach",
        operation_id="reachProjectMilestone",
        response_model=PROJECT.response,
        summary="A milestone is reached",
    )
    async def reach(project_id: str, key: str, _: Writer, version: IfMatch, body: OnDay | None = None) -> JSONResponse:
        return answer(await commands.reach_milestone(project_id, key, _day(body), if_match=version))

    @router.post(
        "/{project_id}/invoices/{number}/pay",
        operation_id="payProjectInvoice",
        response_model=PROJECT.response,
        summary="An invoice is paid",
    )
    async def pay_invoice(
        project_id: str, number: str, _: Writer, version: IfMatch, body: OnDay | None = None
    ) -> JSONResponse:
        return answer(await commands.pay_invoice(project_id, number, _day(body), if_match=version))

    @router.post(
        "/{project_id}/complete",
        operation_id="completeProject",
        response_model=PROJECT.response,
        summary="active -> completed",
    )
    async def complete(project_id: str, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.complete(project_id, if_match=version))

    @router.post(
        "/{project_id}/terminate",
        operation_id="terminateProject",
        response_model=PROJECT.response,
        summary="planned or active -> terminated",
    )
    async def terminate(project_id: str, body: RequiredReason, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.terminate(project_id, body.reason, if_match=version))

    return router
