"""`/api/v1/funds` and `/api/v1/calls`: create, read, list, edit; close a fund."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from funding.api.access import Reader, Writer
from funding.api.schemas import Area, CreateFund, EditCall, EditFund, Reason, ScheduleCall
from funding.domain.call import CALL, CallStatus
from funding.domain.fund import FUND, FundStatus
from funding.handlers.calls import CallCommands
from funding.handlers.funds import FundCommands
from funding.store.queries import CallQueries, FundQueries
from opp_shared.fields import CurrencyCode, Reference
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


def funds_router(commands: FundCommands, queries: FundQueries) -> APIRouter:
    router = APIRouter(prefix=FUND.route, tags=["funds"])

    @router.post("", status_code=201, response_model=FUND.response, summary="Create a fund")
    async def create(body: CreateFund, principal: Writer, idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, replayed = await commands.create(fields, create_request(principal, idempotency_key, fields))
        return created(snapshot, replayed, FUND.route)

    @router.get("", response_model=FUND.page, summary="List funds")
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

    @router.get("/{fund_id}", response_model=FUND.response, summary="Read one fund, with its live figures")
    async def get_fund(fund_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(fund_id))

    @router.patch("/{fund_id}", response_model=FUND.response, summary="Edit a fund (budget not below its awards)")
    async def edit(fund_id: str, body: EditFund, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        edits = edits_of(body, not_null=("name", "partner_ids", "budget", "agreement_required"))
        return answer(await commands.edit(fund_id, edits, if_match=parse_if_match(if_match)))

    @router.post("/{fund_id}/close", response_model=FUND.response, summary="open -> closed: no new calls or awards")
    async def close(
        fund_id: str, _: Writer, body: Reason | None = None, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        return answer(await commands.close(fund_id, body.reason if body else None, if_match=parse_if_match(if_match)))

    return router


def calls_router(commands: CallCommands, queries: CallQueries) -> APIRouter:
    router = APIRouter(prefix=CALL.route, tags=["calls"])

    @router.post("", status_code=201, response_model=CALL.response, summary="Schedule a call of a fund")
    async def schedule(
        body: ScheduleCall, principal: Writer, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, replayed = await commands.schedule(fields, create_request(principal, idempotency_key, fields))
        return created(snapshot, replayed, CALL.route)

    @router.get("", response_model=CALL.page, summary="List calls")
    async def list_calls(
        page: PageQuery,
        _: Reader,
        fund_id: Reference | None = None,
        status: CallStatus | None = None,
        research_area: Area | None = None,
    ) -> dict[str, Any]:
        return page_answer(*await queries.list(page, fund_id=fund_id, status=status, research_areas=research_area))

    @router.get("/{call_id}", response_model=CALL.response, summary="Read one call")
    async def get_call(call_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(call_id))

    @router.patch(
        "/{call_id}", response_model=CALL.response, summary="Edit a call (its rules only until its first proposal)"
    )
    async def edit(call_id: str, body: EditCall, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        edits = edits_of(body, not_null=("title", "opens_at", "closes_at", "max_award", "sponsor_co_pi_required"))
        return answer(await commands.edit(call_id, edits, if_match=parse_if_match(if_match)))

    return router
