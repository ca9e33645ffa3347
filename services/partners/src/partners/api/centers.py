"""`/api/v1/centers`: joint research centers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from opp_shared.fields import Reference, ShortText
from opp_shared.web.http import (
    PageQuery,
    answer,
    edits_of,
    page_answer,
)
from opp_shared.web.routing import IfMatch
from partners.api.access import Creating, Reader, Writer
from partners.api.schemas import CloseCenter, EditCenter, EstablishCenter
from partners.domain.center import CENTER, CenterStatus
from partners.handlers.centers import CenterCommands
from partners.store.centers import CenterQueries

NOT_NULL = ("name", "partner_ids", "established_on")


def centers_router(commands: CenterCommands, queries: CenterQueries, *, names: type[APIRoute] = APIRoute) -> APIRouter:
    router = APIRouter(prefix=CENTER.route, tags=["centers"], route_class=names)

    @router.post(
        "",
        operation_id="establishCenter",
        status_code=201,
        response_model=CENTER.response,
        summary="Establish a joint research center",
    )
    async def establish(body: EstablishCenter, by: Creating) -> JSONResponse:
        return await by.create(body, commands.establish, CENTER.route)

    @router.get("", operation_id="listCenters", response_model=CENTER.page, summary="List joint research centers")
    async def list_centers(
        page: PageQuery,
        _: Reader,
        status: CenterStatus | None = None,
        partner_id: Reference | None = None,
        discipline: ShortText | None = None,
    ) -> dict[str, Any]:
        return page_answer(*await queries.list(page, status=status, partner_id=partner_id, discipline=discipline))

    @router.get(
        "/{center_id}",
        operation_id="getCenter",
        response_model=CENTER.response,
        summary="Read one joint research center",
    )
    async def get_center(center_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(center_id))

    @router.patch(
        "/{center_id}",
        operation_id="editCenter",
        response_model=CENTER.response,
        summary="Edit a center (send If-Match)",
    )
    async def edit(center_id: str, body: EditCenter, _: Writer, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=NOT_NULL)
        return answer(await commands.update(center_id, edits, if_match=version))

    @router.post(
        "/{center_id}/close", operation_id="closeCenter", response_model=CENTER.response, summary="Close a center"
    )
    async def close(center_id: str, _: Writer, version: IfMatch, body: CloseCenter | None = None) -> JSONResponse:
        reason, closed_on = (body.reason, body.closed_on) if body else (None, None)
        return answer(await commands.close(center_id, reason, closed_on, if_match=version))

    return router
