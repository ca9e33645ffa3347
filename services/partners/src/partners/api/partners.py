"""`/api/v1/partners`: register, read, list, edit, status, archive, merge, portfolio."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from opp_shared.fields import CountryCode, Name, PersonId
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
    person_or_me,
)
from partners.api.access import Reader, Writer
from partners.api.schemas import ArchivePartner, ChangePartnerStatus, EditPartner, MergePartner, RegisterPartner
from partners.domain.partner import PARTNER, PartnerKind, PartnerStatus, PartnerTier
from partners.handlers.partners import PartnerCommands
from partners.handlers.queries import PortfolioQueries
from partners.store.partners import PartnerQueries

REQUIRED = ("name", "kind", "country", "tier")


def partners_router(commands: PartnerCommands, queries: PartnerQueries, portfolios: PortfolioQueries) -> APIRouter:
    router = APIRouter(prefix=PARTNER.route, tags=["partners"])

    @router.post("", status_code=201, response_model=PARTNER.response, summary="Register a partner organization")
    async def register(
        body: RegisterPartner, principal: Writer, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, replayed = await commands.register(fields, create_request(principal, idempotency_key, fields))
        return created(snapshot, replayed, PARTNER.route)

    @router.get("", response_model=PARTNER.page, summary="List partners")
    async def list_partners(
        page: PageQuery,
        principal: Reader,
        kind: PartnerKind | None = None,
        country: CountryCode | None = None,
        status: PartnerStatus | None = None,
        tier: PartnerTier | None = None,
        q: Annotated[
            Name | None, Query(description="Start of the name or of any word in it, compared without case and accents")
        ] = None,
        sort: Annotated[
            str, Query(pattern="^(created|name)$", description="`created` (default) or `name`")
        ] = "created",
        relationship_owner: Annotated[
            PersonId | None, Query(description="The relationship owner's person id, or `me` for the caller")
        ] = None,
    ) -> dict[str, Any]:
        return page_answer(
            *await queries.list(
                page,
                kind=kind,
                country=country,
                status=status,
                tier=tier,
                name_prefix=q,
                sort_by_name=sort == "name",
                relationship_owner_id=person_or_me(relationship_owner, principal),
            )
        )

    @router.get("/{partner_id}", response_model=PARTNER.response, summary="Read one partner")
    async def get_partner(partner_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(partner_id))

    @router.patch("/{partner_id}", response_model=PARTNER.response, summary="Edit a partner (send If-Match)")
    async def edit_partner(
        partner_id: str, body: EditPartner, _: Writer, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        edits = edits_of(body, not_null=REQUIRED)
        return answer(await commands.edit(partner_id, edits, if_match=parse_if_match(if_match)))

    @router.post(
        "/{partner_id}/status",
        response_model=PARTNER.response,
        summary="Change a partner's status (prospect, active, dormant)",
    )
    async def change_status(
        partner_id: str, body: ChangePartnerStatus, _: Writer, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(
            await commands.change_status(partner_id, body.status, body.reason, if_match=parse_if_match(if_match))
        )

    @router.post(
        "/{partner_id}/archive", response_model=PARTNER.response, summary="Archive a partner: it takes nothing new"
    )
    async def archive(
        partner_id: str, _: Writer, body: ArchivePartner | None = None, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(
            await commands.archive(partner_id, body.reason if body else None, if_match=parse_if_match(if_match))
        )

    @router.post(
        "/{partner_id}/merge",
        response_model=PARTNER.response,
        summary="Merge a partner into another: it is archived with a pointer to its successor, "
        "and what referred to it follows",
    )
    async def merge(partner_id: str, body: MergePartner, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        return answer(await commands.merge(partner_id, body.successor_id, if_match=parse_if_match(if_match)))

    @router.get("/{partner_id}/portfolio", summary="Everything done with a partner, here and in the other services")
    async def portfolio(partner_id: str, _: Reader) -> dict[str, Any]:
        return await portfolios.portfolio(partner_id)

    return router
