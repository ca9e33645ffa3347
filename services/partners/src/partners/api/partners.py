"""`/api/v1/partners`: register, read, list, edit, status, archive, merge, portfolio."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from opp_shared.fields import CountryCode, Name, PersonId
from opp_shared.web.http import (
    PageQuery,
    answer,
    edits_of,
    page_answer,
    person_or_me,
)
from opp_shared.web.openapi import example_answer, example_of
from opp_shared.web.routing import IfMatch
from partners.api.access import Creating, Reader, Writer
from partners.api.schemas import (
    ArchivePartner,
    ChangePartnerStatus,
    EditPartner,
    MergePartner,
    Portfolio,
    RegisterPartner,
)
from partners.domain import partner as rules
from partners.domain.partner import PARTNER, PartnerKind, PartnerStatus, PartnerTier
from partners.handlers.partners import PartnerCommands
from partners.handlers.queries import PortfolioQueries
from partners.store.partners import PartnerQueries

REQUIRED = ("name", "kind", "country", "tier")
TSINGHUA = "ptn_01JD3W5V6Q8ZK4R7N2M0XYBC9T"
EXAMPLE = example_answer(
    rules.register(**RegisterPartner.model_config["json_schema_extra"]["examples"][0]).state, TSINGHUA
)


def partners_router(
    commands: PartnerCommands,
    queries: PartnerQueries,
    portfolios: PortfolioQueries,
    *,
    names: type[APIRoute] = APIRoute,
) -> APIRouter:
    router = APIRouter(prefix=PARTNER.route, tags=["partners"], route_class=names)

    @router.post(
        "",
        operation_id="registerPartner",
        responses=example_of(201, example=EXAMPLE),
        status_code=201,
        response_model=PARTNER.response,
        summary="Register a partner organization",
    )
    async def register(body: RegisterPartner, by: Creating) -> JSONResponse:
        return await by.create(body, commands.register, PARTNER.route)

    @router.get("", operation_id="listPartners", response_model=PARTNER.page, summary="List partners")
    async def list_partners(
        page: PageQuery,
        principal: Reader,
        kind: PartnerKind | None = None,
        country: CountryCode | None = None,
        status: PartnerStatus | None = None,
        tier: PartnerTier | None = None,
        q: Annotated[
            Name | None,
            Query(
                description="Words that start words of the name, the local name or an alias, compared without "
                "case and accents (`zurich`, `清华`, `unsw`); every word must match"
            ),
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
                search=q,
                sort_by_name=sort == "name",
                relationship_owner_id=person_or_me(relationship_owner, principal),
            )
        )

    @router.get(
        "/{partner_id}",
        operation_id="getPartner",
        response_model=PARTNER.response,
        responses=example_of(200, example=EXAMPLE),
        summary="Read one partner",
    )
    async def get_partner(partner_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(partner_id))

    @router.patch(
        "/{partner_id}",
        operation_id="editPartner",
        response_model=PARTNER.response,
        summary="Edit a partner (send If-Match)",
    )
    async def edit_partner(partner_id: str, body: EditPartner, _: Writer, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=REQUIRED)
        return answer(await commands.edit(partner_id, edits, if_match=version))

    @router.post(
        "/{partner_id}/status",
        operation_id="changePartnerStatus",
        response_model=PARTNER.response,
        summary="Change a partner's status (prospect, active, dormant)",
    )
    async def change_status(partner_id: str, body: ChangePartnerStatus, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.change_status(partner_id, body.status, body.reason, if_match=version))

    @router.post(
        "/{partner_id}/archive",
        operation_id="archivePartner",
        response_model=PARTNER.response,
        summary="Archive a partner: it takes nothing new",
    )
    async def archive(partner_id: str, _: Writer, version: IfMatch, body: ArchivePartner | None = None) -> JSONResponse:
        return answer(await commands.archive(partner_id, body.reason if body else None, if_match=version))

    @router.post(
        "/{partner_id}/merge",
        operation_id="mergePartner",
        response_model=PARTNER.response,
        summary="Merge a partner into another: it is archived with a pointer to its successor, "
        "and what referred to it follows",
    )
    async def merge(partner_id: str, body: MergePartner, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.merge(partner_id, body.successor_id, if_match=version))

    @router.get(
        "/{partner_id}/portfolio",
        operation_id="getPartnerPortfolio",
        response_model=Portfolio,
        summary="Everything done with a partner, here and in the other services",
    )
    async def portfolio(partner_id: str, _: Reader) -> JSONResponse:
        # As gathered: what other services announced is shown as they sent it (the document
        # describes its shape; tests hold the answer to it).
        return JSONResponse(await portfolios.portfolio(partner_id))

    return router
