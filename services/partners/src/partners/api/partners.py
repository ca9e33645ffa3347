"""`/api/v1/partners`: register, read, list, edit, status, archive, merge, portfolio."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from opp_shared.fields import CountryCode, Name
from opp_shared.web.http import IdempotencyKeyHeader, IfMatchHeader, edits_of, parse_if_match, resource_response
from opp_shared.web.pagination import PageQuery
from partners.api.access import Reader, Writer
from partners.api.schemas import (
    ArchivePartner,
    ChangePartnerStatus,
    EditPartner,
    MergePartner,
    PartnerOut,
    PartnerPage,
    RegisterPartner,
)
from partners.domain.partner import PartnerKind, PartnerStatus, PartnerTier
from partners.handlers.partners import PartnerHandlers
from partners.handlers.portfolio import PortfolioQueries
from partners.store.partners import PartnerStore

PREFIX = "/api/v1/partners"
REQUIRED = ("name", "kind", "country", "tier")


def partners_router(store: PartnerStore, handlers: PartnerHandlers, portfolios: PortfolioQueries) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["partners"])

    @router.post("", status_code=201, response_model=PartnerOut, summary="Register a partner organization")
    async def register(body: RegisterPartner, principal: Writer, idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
        snapshot, replayed = await handlers.register(
            body.model_dump(mode="json"), caller=principal.sub, idempotency_key=idempotency_key
        )
        return resource_response(snapshot, dict(snapshot.state), status=201, replayed=replayed, location=f"{PREFIX}/{snapshot.id}")

    @router.get("", response_model=PartnerPage, summary="List partners")
    async def list_partners(
        page: PageQuery,
        _: Reader,
        kind: PartnerKind | None = None,
        country: CountryCode | None = None,
        status: PartnerStatus | None = None,
        tier: PartnerTier | None = None,
        q: Annotated[Name | None, Query(description="Start of the name or of any word in it, compared without case and accents")] = None,
        sort: Annotated[str, Query(pattern="^(created|name)$", description="`created` (default) or `name`")] = "created",
    ) -> dict[str, Any]:
        items, cursor = await store.list(
            page, kind=kind, country=country, status=status, tier=tier, name_prefix=q, sort_by_name=sort == "name"
        )
        return {"items": [_without_id(d) for d in items], "next_cursor": cursor}

    @router.get("/{partner_id}", response_model=PartnerOut, summary="Read one partner")
    async def get_partner(partner_id: str, _: Reader) -> JSONResponse:
        snapshot = await store.get(partner_id)
        return resource_response(snapshot, dict(snapshot.state))

    @router.patch("/{partner_id}", response_model=PartnerOut, summary="Edit a partner (send If-Match)")
    async def edit_partner(partner_id: str, body: EditPartner, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        edits = edits_of(body, not_null=REQUIRED)
        snapshot = await handlers.edit(partner_id, edits, if_match=parse_if_match(if_match))
        return resource_response(snapshot, dict(snapshot.state))

    @router.post("/{partner_id}/status", response_model=PartnerOut, summary="Change a partner's status (prospect, active, dormant)")
    async def change_status(partner_id: str, body: ChangePartnerStatus, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        snapshot = await handlers.change_status(partner_id, body.status, body.reason, if_match=parse_if_match(if_match))
        return resource_response(snapshot, dict(snapshot.state))

    @router.post("/{partner_id}/archive", response_model=PartnerOut, summary="Archive a partner: it takes nothing new")
    async def archive(partner_id: str, _: Writer, body: ArchivePartner | None = None, if_match: IfMatchHeader = None) -> JSONResponse:
        snapshot = await handlers.archive(partner_id, body.reason if body else None, if_match=parse_if_match(if_match))
        return resource_response(snapshot, dict(snapshot.state))

    @router.post(
        "/{partner_id}/merge",
        response_model=PartnerOut,
        summary="Merge a partner into another: it is archived with a pointer to its successor, and what referred to it follows",
    )
    async def merge(partner_id: str, body: MergePartner, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        snapshot = await handlers.merge(partner_id, body.successor_id, if_match=parse_if_match(if_match))
        return resource_response(snapshot, dict(snapshot.state))

    @router.get("/{partner_id}/portfolio", summary="Everything done with a partner, here and in the other services")
    async def portfolio(partner_id: str, _: Reader) -> dict[str, Any]:
        return await portfolios.portfolio(partner_id)

    return router


def _without_id(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "_id"}
