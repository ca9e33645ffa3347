"""`/api/v1/centers`: joint research centers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from opp_shared.fields import Reference, ShortText
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
from partners.api.access import Reader, Writer
from partners.api.schemas import CloseCenter, EditCenter, EstablishCenter
from partners.domain.center import CENTER, CenterStatus
from partners.handlers.centers import CenterCommands
from partners.store.centers import CenterQueries

NOT_NULL = ("name", "partner_ids", "established_on")


def centers_router(commands: CenterCommands, queries: CenterQueries) -> APIRouter:
    router = APIRouter(prefix=CENTER.route, tags=["centers"])

    @router.post("", status_code=201, response_model=CENTER.response, summary="Establish a joint research center")
    async def establish(
        body: EstablishCenter, principal: Writer, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        body_json = body.model_dump(mode="json")
        snapshot, replayed = await commands.establish(body_json, create_request(principal, idempotency_key, body_json))
        return created(snapshot, replayed, CENTER.route)

    @router.get("", response_model=CENTER.page, summary="List joint research centers")
    async def list_centers(
        page: PageQuery,
        _: Reader,
        status: CenterStatus | None = None,
        partner_id: Reference | None = None,
        discipline: ShortText | None = None,
    ) -> dict[str, Any]:
        return page_answer(*await queries.list(page, status=status, partner_id=partner_id, discipline=discipline))

    @router.get("/{center_id}", response_model=CENTER.response, summary="Read one joint research center")
    async def get_center(center_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(center_id))

    @router.patch("/{center_id}", response_model=CENTER.response, summary="Edit a center (send If-Match)")
    async def edit(center_id: str, body: EditCenter, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        edits = edits_of(body, not_null=NOT_NULL)
        return answer(await commands.update(center_id, edits, if_match=parse_if_match(if_match)))

    @router.post("/{center_id}/close", response_model=CENTER.response, summary="Close a center")
    async def close(
        center_id: str, _: Writer, body: CloseCenter | None = None, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        reason, closed_on = (body.reason, body.closed_on) if body else (None, None)
        return answer(await commands.close(center_id, reason, closed_on, if_match=parse_if_match(if_match)))

    return router
