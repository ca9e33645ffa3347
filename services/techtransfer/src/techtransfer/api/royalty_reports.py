"""`/api/v1/royalty-reports`: open a period's report, receive it, record payments, totals."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from opp_shared.errors import InvalidInput, NotFound
from opp_shared.fields import CurrencyCode, Reference
from opp_shared.web.http import (
    IdempotencyKeyHeader,
    PageQuery,
    answer,
    page_answer,
)
from opp_shared.web.routing import IfMatch
from techtransfer.api.access import Creating, Reader, Writer
from techtransfer.api.schemas import OpenReport, ReceiveReport, RecordPayment, RoyaltyTotals
from techtransfer.domain.royalty import ROYALTY_REPORT, Payment, ReportStatus
from techtransfer.handlers.royalties import RoyaltyCommands
from techtransfer.store.royalty_reports import ReportQueries

Out = ROYALTY_REPORT.response


def royalty_reports_router(
    commands: RoyaltyCommands, queries: ReportQueries, *, names: type[APIRoute] = APIRoute
) -> APIRouter:
    router = APIRouter(prefix=ROYALTY_REPORT.route, tags=["royalty-reports"], route_class=names)

    @router.post(
        "",
        operation_id="openRoyaltyReport",
        status_code=201,
        response_model=Out,
        summary="Open the report of a license's ended period (in another currency, too); 200 when it is open already",
    )
    async def open_report(body: OpenReport, _: Writer, idempotency_key: IdempotencyKeyHeader = None) -> JSONResponse:
        # One report per license, period and currency: its id is made from them, which makes
        # this create idempotent with or without a key.
        snapshot, opened = await commands.open(body.license_id, body.period_start, body.currency)
        return answer(snapshot, status=201 if opened else 200, location=f"{ROYALTY_REPORT.route}/{snapshot.id}")

    @router.get(
        "", operation_id="listRoyaltyReports", response_model=ROYALTY_REPORT.page, summary="List royalty reports"
    )
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
        operation_id="getRoyaltyTotals",
        response_model=RoyaltyTotals,
        responses={404: {"description": "No license or licensee with this id"}},
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

    @router.get("/{report_id}", operation_id="getRoyaltyReport", response_model=Out, summary="Read one royalty report")
    async def get_report(report_id: str, _: Reader) -> JSONResponse:
        return answer(await commands.repository.get(report_id))

    @router.post(
        "/{report_id}/receive",
        operation_id="receiveRoyaltyReport",
        response_model=Out,
        summary="Receive the licensee's report: its revenue; the service computes the royalty due",
    )
    async def receive(report_id: str, body: ReceiveReport, _: Writer, version: IfMatch) -> JSONResponse:
        fields = body.model_dump(mode="json")
        return answer(
            await commands.receive(report_id, fields["revenue"], body.received_on, body.reference, if_match=version)
        )

    @router.post(
        "/{report_id}/payments",
        operation_id="recordRoyaltyPayment",
        status_code=201,
        response_model=Out,
        summary="Record a payment against a received report (never more than is due)",
    )
    async def record_payment(
        report_id: str,
        body: RecordPayment,
        by: Creating,
        version: IfMatch,
    ) -> JSONResponse:
        fields = body.model_dump(mode="json")
        snapshot, payment_id, replayed = await commands.record_payment(
            report_id, fields, by.request(fields), if_match=version
        )
        return answer(
            snapshot,
            status=201,
            replayed=replayed,
            location=f"{ROYALTY_REPORT.route}/{report_id}/payments/{payment_id}",
        )

    @router.get(
        "/{report_id}/payments/{payment_id}",
        operation_id="getRoyaltyPayment",
        response_model=Payment,
        summary="Read one payment",
    )
    async def get_payment(report_id: str, payment_id: str, _: Reader) -> dict[str, Any]:
        report = await commands.repository.read(report_id)
        for payment in report.payments:
            if payment.id == payment_id:
                return payment.model_dump(mode="json")
        raise NotFound(f"no payment {payment_id!r} on this royalty report")

    return router
