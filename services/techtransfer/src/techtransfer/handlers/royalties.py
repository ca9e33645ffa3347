"""Royalty report commands: open a period's report, receive it, record payments; the schedule; totals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.errors import RuleViolation, VersionConflict
from opp_shared.money import Money
from opp_shared.repository import CreateRequest, Repository
from techtransfer.domain import royalty as rules
from techtransfer.domain.license import License
from techtransfer.domain.royalty import Payment, Period, RoyaltyReport, period_starting, periods, report_id
from techtransfer.handlers.entries import entry_id
from techtransfer.store.licenses import LicenseQueries
from techtransfer.store.royalty_reports import ReportQueries


class RoyaltyCommands:
    def __init__(
        self,
        reports: Repository[RoyaltyReport],
        queries: ReportQueries,
        licenses: Repository[License],
        license_queries: LicenseQueries,
        today: Callable[[], date],
    ) -> None:
        self.repository = reports
        self.queries = queries
        self.licenses = licenses
        self.license_queries = license_queries
        self.today = today

    async def open(self, license_id: str, period_start: date, currency: str | None) -> tuple[Snapshot, bool]:
        """The report of one license's period in one currency (by default the license's own);
        answers (report, whether this call opened it). A period's report opens once the
        period has ended; opening it again answers the one there is."""
        snapshot = await self.licenses.find(license_id)
        if snapshot is None:
            raise RuleViolation(f"no license {license_id!r}", license_id=license_id)
        license = self.licenses.kind.read(snapshot)
        if not license.royalty_bearing:
            raise RuleViolation(f"license {license_id} bears no royalties (no rate, no minimum)")
        period = period_starting(license, period_start, self.today() - timedelta(days=1))
        if period is None:
            ended = [p.start.isoformat() for p in periods(license, self.today() - timedelta(days=1))]
            raise RuleViolation(
                f"no reporting period of license {license_id} that has ended starts on {period_start.isoformat()}",
                period_starts=ended[-12:],
            )
        return await self._open(license_id, license, period, currency or license.currency)

    async def _open(self, license_id: str, license: License, period: Period, currency: str) -> tuple[Snapshot, bool]:
        rid = report_id(license_id, period.start, currency, period.end)
        existing = await self.repository.find(rid)
        if existing is not None:
            return existing, False
        try:
            return await self.repository.create(rid, rules.open_report(license_id, license, period, currency)), True
        except VersionConflict:  # opened a moment ago by someone else (the schedule, another copy)
            return await self.repository.get(rid), False

    async def receive(
        self,
        report_id: str,
        revenue: dict[str, Any],
        received_on: date | None,
        reference: str | None,
        *,
        if_match: int | None,
    ) -> Snapshot:
        money = Money.model_validate(revenue)
        return await self.repository.change(
            report_id,
            lambda r: rules.receive(r, money, received_on or self.today(), reference, self.today()),
            if_match=if_match,
        )

    async def record_payment(
        self, report_id: str, fields: dict[str, Any], request: CreateRequest, *, if_match: int | None
    ) -> tuple[Snapshot, str, bool]:
        """Answer the report, the payment's id, and whether this was a replay."""
        payment = Payment(
            id=entry_id("pay", request),
            amount=Money.model_validate(fields["amount"]),
            received_on=fields.get("received_on") or self.today(),
            reference=fields.get("reference"),
        )
        snapshot, recorded = await self.repository.execute(
            report_id, lambda r: rules.record_payment(r, payment, self.today()), if_match=if_match
        )
        return snapshot, payment.id, not recorded

    async def totals(self, *, license_id: str | None, licensee_id: str | None) -> list[dict[str, Any]]:
        if license_id is not None:
            await self.licenses.get(license_id)  # 404 for an unknown license rather than no totals
        return rules.totals(await self.queries.for_totals(license_id=license_id, licensee_id=licensee_id))

    # -- the schedule ----------------------------------------------------------------------

    async def run(self, today: date) -> int:
        """Open the report of every period that has ended (in the license's currency), then
        flag every report past its due date and not received as overdue (each once)."""
        fired = 0
        license_ids = await self.license_queries.reporting()
        existing = await self.queries.existing(license_ids) if license_ids else set()
        for license_id in license_ids:
            license = await self.licenses.read(license_id)
            for period in periods(license, today - timedelta(days=1)):
                if report_id(license_id, period.start, license.currency, period.end) in existing:
                    continue
                _, opened = await self._open(license_id, license, period, license.currency)
                fired += opened
        for rid in await self.queries.past_due(today):
            _, flagged = await self.repository.execute(rid, lambda r: rules.flag_overdue(r, today))
            fired += flagged
        return fired
