"""`/api/v1/royalty-reports`: open a period's report, receive it, record payments, totals."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from opp_shared.errors import InvalidInput, NotFound
from opp_shared.fields import CurrencyCode, Reference
from opp_shared.web.http import (
    IdempotencyKeyHeader,
    IfMatchHeader,
    PageQuery,
    answer,
    create_request,
    page_answer,
    parse_if_match,
)
from techtransfer.api.access import Reader, Writer
from techtransfer.api.schemas import OpenReport, ReceiveReport, RecordPayment, RoyaltyTotals
from techtransfer.domain.royalty import ROYALTY_REPORT, Payment, ReportStatus
from techtransfer.handlers.royalties import RoyaltyCommands
from techtransfer.store.royalty_reports import ReportQueries

Out = ROYALTY_REPORT.response


def royalty_reports_router(commands: RoyaltyCommands, queries: ReportQueries) -> APIRouter:
    router = APIRouter(prefix=ROYALTY_REPORT.route, tags=["royalty-reports"])

    @router.post(
        "",
        status_code=201,
        response_model=Out,
        summary="Open the report of a license's ended period (in another currency, too); 200 when it is open already",
    )
    async def open_report(body: OpenReport, _: Writer, idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
        # One report per license, period and currency: its id is made from them, which makes
        # this create idempotent with or without a key.
        snapshot, opened = await commands.open(body.license_id, body.period_start, body.currency)
        return answer(snapshot, status=201 if opened else 200, location=f"{ROYALTY_REPORT.route}/{snapshot.id}")

    @router.get("", response_model=ROYALTY_REPORT.page, summary="List royalty reports")
    async def list_reports(
        page: PageQuery,
        _: Reader,
        license_id: Reference | None = None,
        licensee_id: Reference | None = None,
        status: ReportStatus | None = None,
        currency: CurrencyCode | None = None,
        due_before: date | None = None,
    ) -> dict[str, Any]:
        found = await queries.list(
            page,
            license_id=license_id,
            licensee_id=licensee_id,
            status=status,
            currency=currency,
            due_before=due_before,
        )
        return page_answer(*found)

    @router.get(
        "/totals",
        response_model=RoyaltyTotals,
        summary="Revenue, royalty due, paid and outstanding per currency, of a license or a licensee",
    )
    async def totals(
        _: Reader, license_id: Reference | None = None, licensee_id: Reference | None = None
    ) -> dict[str, Any]:
        if (license_id is None) == (licensee_id is None):
            raise InvalidInput(
                "name either a license_id or a licensee_id",
                errors=[{"in": "query", "parameter": "license_id", "detail": "exactly one of license_id, licensee_id"}],
            )
        return {
            "license_id": license_id,
            "licensee_id": licensee_id,
            "totals": await commands.totals(license_id=license_id, licensee_id=licensee_id),
        }

    @router.get("/{report_id}", response_model=Out, summary="Read one royalty report")
    async def get_report(report_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(report_id))

    @router.post(
        "/{report_id}/receive",
        response_model=Out,
        summary="Receive the licensee's report: its revenue; the service computes the royalty due",
    )
    async def receive(report_id: str, body: ReceiveReport, _: Writer, if_match: IfMatchHeader = None) -> JSONResponse:
        fields = body.model_dump(mode="json")
        return answer(
            await commands.receive(
                report_id, fields["revenue"], body.received_on, body.reference, if_match=parse_if_match(if_match)
            )
        )

    @router.post(
        "/{report_id}/payments",
        status_code=201,
        response_model=Out,
        summary="Record a payment against a received report (never more than is due)",
    )
    async def record_payment(
        report_id: str,
        body: RecordPayment,
        principal: Writer,
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: IfMatchHeader = None,
    ) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, payment_id, replayed = await commands.record_payment(
            report_id, fields, create_request(principal, idempotency_key, fields), if_match=parse_if_match(if_match)
        )
        return answer(
            snapshot,
            status=201,
            replayed=replayed,
            location=f"{ROYALTY_REPORT.route}/{report_id}/payments/{payment_id}",
        )

    @router.get("/{report_id}/payments/{payment_id}", response_model=Payment, summary="Read one payment")
    async def get_payment(report_id: str, payment_id: str, _: Reader) -> dict[str, Any]:
        report = await commands.repository.read(report_id)
        for payment in report.payments:
            if payment.id == payment_id:
                return payment.model_dump(mode="json")
        raise NotFound(f"no payment {payment_id!r} on this royalty report")

    return router
