"""`/api/v1/centers`: joint research centers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from opp_shared.fields import Reference, ShortText
from opp_shared.web.http import IdempotencyKeyHeader, IfMatchHeader, edits_of, parse_if_match, resource_response
from opp_shared.web.pagination import PageQuery
from partners.api.access import Reader, Writer
from partners.api.schemas import CenterOut, CenterPage, CloseCenter, EditCenter, EstablishCenter
from partners.domain.center import CenterStatus
from partners.handlers.centers import CenterHandlers
from partners.store.centers import CenterStore

PREFIX = "/api/v1/centers"
NOT_NULL = ("name", "partner_ids", "established_on")


def centers_router(store: CenterStore, handlers: CenterHandlers) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["centers"])

    @router.post("", status_code=201, response_model=CenterOut, summary="Establish a joint research center")
    async def establish(body: EstablishCenter, principal: Writer, idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
        snapshot, replayed = await handlers.establish(body.model_dump(mode="json"), caller=principal.sub, idempotency_key=idempotency_key)
        return resource_response(snapshot, dict(snapshot.state), status=201, replayed=replayed, location=f"{PREFIX}/{snapshot.id}")

    @router.get("", response_model=CenterPage, summary="List joint research centers")
    async def list_centers(
        page: PageQuery, _: Reader, status: CenterStatus | None = None, partner_id: Reference | None = None, discipline: ShortText | None = None
    ) -> dict[str, Any]:
        items, cursor = await store.list(page, status=status, partner_id=partner_id, discipline=discipline)
        return {"items": [{k: v for k, v in d.items() if k != "_id"} for d in items], "next_cursor": cursor}

    @router.get("/{center_id}", response_model=CenterOut, summary="Read one joint research center")
    async def get_center(center_id: str, _: Reader) -> JSONResponse:
        snapshot = await store.repository.get(center_id)
        return resource_response(snapshot, dict(snapshot.state))

    @router.patch("/{center_id}", response_model=CenterOut, summary="Edit a center (send If-Match)")
    async def edit(center_id: str, body: EditCenter, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        edits = edits_of(body, not_null=NOT_NULL)
        snapshot = await handlers.update(center_id, edits, if_match=parse_if_match(if_match))
        return resource_response(snapshot, dict(snapshot.state))

    @router.post("/{center_id}/close", response_model=CenterOut, summary="Close a center")
    async def close(center_id: str, _: Writer, body: CloseCenter | None = None, if_match: IfMatchHeader = None) -> JSONResponse:
        snapshot = await handlers.close(
            center_id, body.reason if body else None, body.closed_on if body else None, if_match=parse_if_match(if_match)
        )
        return resource_response(snapshot, dict(snapshot.state))

    return router

