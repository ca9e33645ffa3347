"""Distribution commands: share an income between cost recovery, inventors, department and university.

An income may come from a payment recorded against a royalty report. Such a
payment is distributed at most once per technology: the distribution's id is
made from the payment and the technology, so a second one cannot be inserted
(409 naming the first), while the same request sent again answers the first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from opp_shared.aggregate import Change, Snapshot
from opp_shared.errors import AlreadyExists, InvalidInput, RuleViolation, VersionConflict
from opp_shared.ids import derived_id
from opp_shared.money import Money
from opp_shared.repository import CreateRequest, Repository
from techtransfer.domain import distribution as rules
from techtransfer.domain.distribution import DirectCost, Distribution, SharingRule
from techtransfer.domain.license import License
from techtransfer.domain.royalty import ReportStatus, RoyaltyReport
from techtransfer.domain.technology import Technology


class DistributionCommands:
    def __init__(
        self,
        distributions: Repository[Distribution],
        technologies: Repository[Technology],
        licenses: Repository[License],
        reports: Repository[RoyaltyReport],
        *,
        rule: SharingRule,
        minimum_inventors: Decimal,
    ) -> None:
        self.repository = distributions
        self.technologies = technologies
        self.licenses = licenses
        self.reports = reports
        self.rule = rule
        self.minimum_inventors = minimum_inventors

    async def make(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        rules.check_rule(self.rule, self.minimum_inventors)
        technology_id = fields["technology_id"]
        snapshot = await self.technologies.find(technology_id)
        if snapshot is None:
            raise RuleViolation(f"no technology {technology_id!r}", technology_id=technology_id)
        technology = self.technologies.kind.read(snapshot)
        costs = [DirectCost.model_validate(c) for c in fields.get("direct_costs") or []]
        income = Money.model_validate(fields["income"]) if fields.get("income") else None
        source = await self._source(fields, technology_id, income)
        payment_amount, paid_on = source.pop("payment_amount", None), source.pop("paid_on", None)
        income = income or payment_amount
        if income is None:
            raise InvalidInput(
                "name the income, or the payment it comes from",
                errors=[{"pointer": "#/income", "detail": "required without payment_id"}],
            )
        change = rules.make(
            technology_id=technology_id,
            technology=technology,
            income=income,
            direct_costs=costs,
            rule=self.rule,
            made_by=request.caller,
            notes=fields.get("notes"),
            **source,
        )
        if paid_on is not None:
            return await self._make_once_per_payment(change, source["payment_id"], paid_on, technology_id)
        return await self.repository.create_once(
            "techtransfer.distributions.make", request, lambda did: self.repository.create(did, change)
        )

    async def _source(self, fields: dict[str, Any], technology_id: str, income: Money | None) -> dict[str, Any]:
        """Where the income comes from, checked: the license, the report, the payment."""
        source: dict[str, Any] = {}
        report_id, payment_id, license_id = (
            fields.get("royalty_report_id"),
            fields.get("payment_id"),
            fields.get("license_id"),
        )
        if payment_id and not report_id:
            raise InvalidInput(
                "a payment is named with its royalty report",
                errors=[{"pointer": "#/royalty_report_id", "detail": "required with payment_id"}],
            )
        if report_id:
            found = await self.reports.find(report_id)
            if found is None:
                raise RuleViolation(f"no royalty report {report_id!r}", royalty_report_id=report_id)
            report = self.reports.kind.read(found)
            if license_id and license_id != report.license_id:
                raise RuleViolation(
                    f"royalty report {report_id} belongs to license {report.license_id}, not {license_id}"
                )
            if report.status != ReportStatus.RECEIVED:
                raise RuleViolation(f"royalty report {report_id} is {report.status.value}, not received")
            license_id = report.license_id
            source["royalty_report_id"] = report_id
            if payment_id:
                payment = next((p for p in report.payments if p.id == payment_id), None)
                if payment is None:
                    raise RuleViolation(
                        f"no payment {payment_id!r} on royalty report {report_id}", payment_id=payment_id
                    )
                if income is not None and (income.currency != payment.amount.currency or income > payment.amount):
                    raise RuleViolation(
                        f"the income distributed from payment {payment_id} is at most its "
                        f"{payment.amount.to_api()['amount']} {payment.amount.currency}"
                    )
                source.update(payment_id=payment_id, payment_amount=payment.amount, paid_on=payment.received_on)
        if license_id:
            found = await self.licenses.find(license_id)
            if found is None:
                raise RuleViolation(f"no license {license_id!r}", license_id=license_id)
            license = self.licenses.kind.read(found)
            if technology_id not in license.technology_ids:
                raise RuleViolation(f"license {license_id} does not cover technology {technology_id}")
            source.update(license_id=license_id, licensee_id=license.licensee_id)
        return source

    async def _make_once_per_payment(
        self, change: Change, payment_id: str, paid_on: date, technology_id: str
    ) -> tuple[Snapshot, bool]:
        at = datetime(paid_on.year, paid_on.month, paid_on.day, tzinfo=UTC)
        distribution_id = derived_id("dst", f"{payment_id}:{technology_id}", at_ms=int(at.timestamp() * 1000))
        try:
            return await self.repository.create(distribution_id, change), False
        except VersionConflict:
            first = await self.repository.get(distribution_id)
        asked = {k: change.state.get(k) for k in ("income", "direct_costs", "notes")}
        if {k: first.state.get(k) for k in asked} == asked:
            return first, True  # the same distribution asked again
        raise AlreadyExists(
            f"payment {payment_id} was already distributed for technology {technology_id}",
            conflicting_id=distribution_id,
        )
