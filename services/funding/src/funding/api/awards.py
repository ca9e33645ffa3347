"""`/api/v1/awards` (made from proposals: `POST /api/v1/proposals/{id}/award`) and `/api/v1/disbursements`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from funding.api.access import Creating, Reader, Writer
from funding.api.schemas import PayDisbursement, Reason, RequiredReason, ScheduleDisbursement
from funding.domain.award import AWARD, AwardStatus
from funding.domain.disbursement import DISBURSEMENT, DisbursementStatus
from funding.handlers.awards import AwardCommands
from funding.handlers.disbursements import DisbursementCommands
from funding.store.queries import Queries
from opp_shared.fields import Reference
from opp_shared.web.http import (
    PageQuery,
    answer,
    page_answer,
)
from opp_shared.web.routing import IfMatch


def awards_router(commands: AwardCommands, queries: Queries, *, names: type[APIRoute] = APIRoute) -> APIRouter:
    router = APIRouter(prefix=AWARD.route, tags=["awards"], route_class=names)

    @router.get("", operation_id="listAwards", response_model=AWARD.page, summary="List awards")
    async def list_awards(
        page: PageQuery,
        _: Reader,
        fund_id: Reference | None = None,
        call_id: Reference | None = None,
        proposal_id: Reference | None = None,
        status: AwardStatus | None = None,
        partner_id: Reference | None = None,
    ) -> dict[str, Any]:
        found = await queries.list(
            page, fund_id=fund_id, call_id=call_id, proposal_id=proposal_id, status=status, partner_ids=partner_id
        )
        return page_answer(*found)

    @router.get(
        "/{award_id}",
        operation_id="getAward",
        response_model=AWARD.response,
        summary="Read one award, with its disbursement figures",
    )
    async def get_award(award_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(award_id))

    @router.post(
        "/{award_id}/close",
        operation_id="closeAward",
        response_model=AWARD.response,
        summary="granted -> closed (every disbursement paid or cancelled)",
    )
    async def close(award_id: str, _: Writer, version: IfMatch, body: Reason | None = None) -> JSONResponse:
        reason = body.reason if body else None
        return answer(await commands.close(award_id, reason, if_match=version))

    return router


def disbursements_router(
    commands: DisbursementCommands, queries: Queries, *, names: type[APIRoute] = APIRoute
) -> APIRouter:
    router = APIRouter(prefix=DISBURSEMENT.route, tags=["disbursements"], route_class=names)

    @router.post(
        "",
        operation_id="scheduleDisbursement",
        status_code=201,
        response_model=DISBURSEMENT.response,
        summary="Schedule a disbursement of an award (at most what is left of it)",
    )
    async def schedule(body: ScheduleDisbursement, by: Creating) -> JSONResponse:
        return await by.create(body, commands.schedule, DISBURSEMENT.route)

    @router.get("", operation_id="listDisbursements", response_model=DISBURSEMENT.page, summary="List disbursements")
    async def list_disbursements(
        page: PageQuery,
        _: Reader,
        award_id: Reference | None = None,
        fund_id: Reference | None = None,
        status: DisbursementStatus | None = None,
        partner_id: Reference | None = None,
    ) -> dict[str, Any]:
        found = await queries.list(page, award_id=award_id, fund_id=fund_id, status=status, partner_ids=partner_id)
        return page_answer(*found)

    @router.get(
        "/{disbursement_id}",
        operation_id="getDisbursement",
        response_model=DISBURSEMENT.response,
        summary="Read one disbursement",
    )
    async def get_disbursement(disbursement_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(disbursement_id))

    @router.post(
        "/{disbursement_id}/deliverable/accept",
        operation_id="acceptDisbursementDeliverable",
        response_model=DISBURSEMENT.response,
        summary="Accept the deliverable it waits on",
    )
    async def accept(disbursement_id: str, principal: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.accept_deliverable(disbursement_id, principal.sub, if_match=version))

    @router.post(
        "/{disbursement_id}/approve",
        operation_id="approveDisbursement",
        response_model=DISBURSEMENT.response,
        summary="scheduled -> approved (its deliverable accepted, if it waits on one)",
    )
    async def approve(disbursement_id: str, principal: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.approve(disbursement_id, principal.sub, if_match=version))

    @router.post(
        "/{disbursement_id}/pay",
        operation_id="payDisbursement",
        response_model=DISBURSEMENT.response,
        summary="approved -> paid, on the actual day",
    )
    async def pay(
        disbursement_id: str, principal: Writer, version: IfMatch, body: PayDisbursement | None = None
    ) -> JSONResponse:
        body = body or PayDisbursement()
        return answer(
            await commands.pay(disbursement_id, principal.sub, body.paid_on, body.reference, if_match=version)
        )

    @router.post(
        "/{disbursement_id}/cancel",
        operation_id="cancelDisbursement",
        response_model=DISBURSEMENT.response,
        summary="scheduled or approved -> cancelled: its money goes back to the award",
    )
    async def cancel(disbursement_id: str, body: RequiredReason, _: Writer, version: IfMatch) -> JSONResponse:
        return answer(await commands.cancel(disbursement_id, body.reason, if_match=version))

    return router
