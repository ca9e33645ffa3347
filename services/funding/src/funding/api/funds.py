"""`/api/v1/funds` and `/api/v1/calls`: create, read, list, edit; close a fund."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from funding.api.access import Creating, Reader, Writer
from funding.api.schemas import Area, CreateFund, EditCall, EditFund, Reason, ScheduleCall
from funding.domain.call import CALL, CallStatus
from funding.domain.fund import FUND, FundStatus
from funding.handlers.calls import CallCommands
from funding.handlers.funds import FundCommands
from funding.store.queries import CallQueries, FundQueries
from opp_shared.fields import CurrencyCode, Reference
from opp_shared.web.http import (
    PageQuery,
    answer,
    edits_of,
    page_answer,
)
from opp_shared.web.routing import IfMatch


def funds_router(commands: FundCommands, queries: FundQueries, *, names: type[APIRoute] = APIRoute) -> APIRouter:
    router = APIRouter(prefix=FUND.route, tags=["funds"], route_class=names)

    @router.post("", operation_id="createFund", status_code=201, response_model=FUND.response, summary="Create a fund")
    async def create(body: CreateFund, by: Creating) -> JSONResponse:
        return await by.create(body, commands.create, FUND.route)

    @router.get("", operation_id="listFunds", response_model=FUND.page, summary="List funds")
    async def list_funds(
        page: PageQuery,
        _: Reader,
        status: FundStatus | None = None,
        partner_id: Reference | None = None,
        currency: CurrencyCode | None = None,
        research_area: Area | None = None,
        flagged: bool | None = None,
    ) -> dict[str, Any]:
        return page_answer(
            *await queries.list(
                page,
                status=status,
                partner_ids=partner_id,
                currency=currency,
                research_areas=research_area,
                flagged=flagged,
            )
        )

    @router.get(
        "/{fund_id}",
        operation_id="getFund",
        response_model=FUND.response,
        summary="Read one fund, with its live figures",
    )
    async def get_fund(fund_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(fund_id))

    @router.patch(
        "/{fund_id}",
        operation_id="editFund",
        response_model=FUND.response,
        summary="Edit a fund (budget not below its awards)",
    )
    async def edit(fund_id: str, body: EditFund, _: Writer, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=("name", "partner_ids", "budget", "agreement_required"))
        return answer(await commands.edit(fund_id, edits, if_match=version))

    @router.post(
        "/{fund_id}/close",
        operation_id="closeFund",
        response_model=FUND.response,
        summary="open -> closed: no new calls or awards",
    )
    async def close(fund_id: str, _: Writer, version: IfMatch, body: Reason | None = None) -> JSONResponse:
        return answer(await commands.close(fund_id, body.reason if body else None, if_match=version))

    return router


def calls_router(commands: CallCommands, queries: CallQueries, *, names: type[APIRoute] = APIRoute) -> APIRouter:
    router = APIRouter(prefix=CALL.route, tags=["calls"], route_class=names)

    @router.post(
        "",
        operation_id="scheduleCall",
        status_code=201,
        response_model=CALL.response,
        summary="Schedule a call of a fund",
    )
    async def schedule(body: ScheduleCall, by: Creating) -> JSONResponse:
        return await by.create(body, commands.schedule, CALL.route)

    @router.get("", operation_id="listCalls", response_model=CALL.page, summary="List calls")
    async def list_calls(
        page: PageQuery,
        _: Reader,
        fund_id: Reference | None = None,
        status: CallStatus | None = None,
        research_area: Area | None = None,
    ) -> dict[str, Any]:
        return page_answer(*await queries.list(page, fund_id=fund_id, status=status, research_areas=research_area))

    @router.get("/{call_id}", operation_id="getCall", response_model=CALL.response, summary="Read one call")
    async def get_call(call_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(call_id))

    @router.patch(
        "/{call_id}",
        operation_id="editCall",
        response_model=CALL.response,
        summary="Edit a call (its rules only until its first proposal)",
    )
    async def edit(call_id: str, body: EditCall, _: Writer, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=("title", "opens_at", "closes_at", "max_award", "sponsor_co_pi_required"))
        return answer(await commands.edit(call_id, edits, if_match=version))

    return router
