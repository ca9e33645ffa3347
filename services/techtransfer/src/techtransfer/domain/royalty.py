"""Royalty reports: the periods a license reports on, what is due for each, what was paid.

Periods follow the calendar (quarters, half-years or years, the license's
`report_frequency`), the first starting on the license's `effective_from` and
the last ending on its termination or expiry. A period's report falls due
when the period ends, and is due by its last day plus the license's
`report_grace_days` (counted from its execution instead, for a period that
ended before the license was executed). One report per license, period and currency: the
license's own currency is the one the service expects (and watches for being
overdue); a licensee with revenue in other currencies files a report in each.

    due -> received
    due -> overdue -> received

The royalty is computed here, never taken from the client: the revenue times
the license's rate, rounded half to even to the currency's minor unit. In the
license's currency the period's part of the minimum annual royalty applies:
when the royalty earned is less, the difference is added (`minimum_top_up`).
A full period's part is the annual minimum split evenly over the year's
periods, to the minor unit and summing exactly to it (`Money.allocate`); a
period cut short by the license's start or end gets that part times its days
over the full period's days, rounded half to even. Royalties in other
currencies are not converted (the service holds no exchange rates), so they
do not count towards the minimum.

Payments are recorded against a received report, in its currency, and never
exceed what it says is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, computed_field

from opp_shared.aggregate import AggregateState, AggregateType, Change, EventChange
from opp_shared.errors import IllegalTransition, InvalidInput, RuleViolation
from opp_shared.ids import derived_id
from opp_shared.lifecycle import Lifecycle
from opp_shared.money import Money, Totals
from techtransfer.domain.license import License, reporting_ends_on
from techtransfer.domain.values import HUNDRED, Percent, month_end


class ReportStatus(StrEnum):
    DUE = "due"
    OVERDUE = "overdue"
    RECEIVED = "received"


R = ReportStatus
LIFE = Lifecycle(
    "royalty report",
    {
        "receive": ({R.DUE, R.OVERDUE}, R.RECEIVED),
        "flag_overdue": ({R.DUE}, R.OVERDUE),
    },
)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    due_on: date
    full_start: date  # the calendar period it belongs to (it may be cut short)
    full_end: date

    @property
    def full(self) -> bool:
        return (self.start, self.end) == (self.full_start, self.full_end)


def periods(current: License, through: date) -> list[Period]:
    """The license's reporting periods that have ended by `through` (inclusive), oldest first."""
    if current.effective_from is None or current.executed_on is None:
        return []
    months = current.report_frequency.months
    last_day = reporting_ends_on(current)
    found: list[Period] = []
    start = current.effective_from
    while (last_day is None or start <= last_day) and start <= through:
        first_month = (start.month - 1) // months * months + 1
        full_start = date(start.year, first_month, 1)
        full_end = month_end(start.year, first_month + months - 1)
        end = min(full_end, last_day) if last_day else full_end
        if end > through:
            break
        # A report is never due before the license was executed, plus the grace (a license
        # executed with an earlier effective_from reports on those periods from then on).
        due_on = max(end, current.executed_on) + timedelta(days=current.report_grace_days)
        found.append(Period(start, end, due_on, full_start, full_end))
        start = end + timedelta(days=1)
    return found


def period_starting(current: License, start: date, through: date) -> Period | None:
    return next((p for p in periods(current, through) if p.start == start), None)


def period_minimum(current: License, period: Period) -> Money:
    """The part of the minimum annual royalty that falls in a period (in the license's currency)."""
    annual = current.minimum_annual_royalty
    if annual.is_zero:
        return annual
    per_year = 12 // current.report_frequency.months
    index = (period.full_start.month - 1) // current.report_frequency.months
    share = annual.allocate([Decimal(1)] * per_year)[index]
    if period.full:
        return share
    covered = (period.end - period.start).days + 1
    whole = (period.full_end - period.full_start).days + 1
    return share.times(Decimal(covered) / Decimal(whole))


def report_id(license_id: str, period_start: date, currency: str, period_end: date) -> str:
    """One report per license, period and currency: its id is made from them, so that the
    first event record of the report can be inserted only once, whoever opens it."""
    at = datetime(period_end.year, period_end.month, period_end.day, tzinfo=UTC)
    return derived_id("roy", f"{license_id}:{period_start.isoformat()}:{currency}", at_ms=int(at.timestamp() * 1000))


class Payment(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    amount: Money
    received_on: date
    reference: str | None = None


class RoyaltyReport(AggregateState):
    derived_fields: ClassVar[tuple[str, ...]] = ("outstanding",)

    license_id: str
    licensee_id: str
    partner_ids: list[str]
    technology_ids: list[str]
    title: str  # the license's, for lists and portfolios
    owner_id: str | None = None  # the license's owner when the report was opened: whom an overdue report concerns
    period_start: date
    period_end: date
    due_on: date
    currency: str
    royalty_rate: Percent
    period_minimum: Money  # zero outside the license's currency
    status: ReportStatus = ReportStatus.DUE
    revenue: Money | None = None
    royalty_earned: Money | None = None
    minimum_top_up: Money | None = None
    royalty_due: Money | None = None
    royalty_paid: Money
    payments: list[Payment] = Field(default_factory=list)
    received_on: date | None = None
    reference: str | None = None
    overdue_since: date | None = None

    @computed_field  # what is still to be paid (None until the report is received)
    @property
    def outstanding(self) -> Money | None:
        return None if self.royalty_due is None else self.royalty_due - self.royalty_paid


# -- what is particular to each event (`data.change`) --------------------------------


class RoyaltyReportOpened(EventChange):
    period_start: date
    period_end: date


class RoyaltyReportReceived(EventChange):
    from_: ReportStatus = Field(alias="from")
    royalty_due: Money
    late: bool


class RoyaltyPaymentRecorded(EventChange):
    payment_id: str
    amount: Money
    paid_in_full: bool


class RoyaltyReportOverdue(EventChange):
    due_on: date
    days_late: int


ROYALTY_REPORT = AggregateType(
    topic="techtransfer.royalty_report",
    state=RoyaltyReport,
    changes={
        "received": RoyaltyReportReceived,
        "overdue": RoyaltyReportOverdue,
        "opened": RoyaltyReportOpened,
        "payment_recorded": RoyaltyPaymentRecorded,
    },
    noun="royalty report",
    id_prefix="roy",
    collection="royalty_reports",
    route="/api/v1/royalty-reports",
    indexes=("license_id", "partner_ids", ("status", "due_on"), "currency", "due_on"),
)


def _event(action: str) -> str:
    return ROYALTY_REPORT.event(action)


def open_report(license_id: str, current: License, period: Period, currency: str) -> Change:
    zero = Money.zero(currency)
    report = RoyaltyReport(
        license_id=license_id,
        licensee_id=current.licensee_id,
        partner_ids=[current.licensee_id],
        technology_ids=current.technology_ids,
        title=current.title,
        owner_id=current.owner_id,
        period_start=period.start,
        period_end=period.end,
        due_on=period.due_on,
        currency=currency,
        royalty_rate=current.royalty_rate,
        period_minimum=period_minimum(current, period) if currency == current.currency else zero,
        royalty_paid=zero,
    )
    return Change(
        _event("opened"),
        report.state(),
        {"period_start": period.start.isoformat(), "period_end": period.end.isoformat()},
    )


def royalty_for(revenue: Money, rate: Decimal, minimum: Money) -> tuple[Money, Money, Money]:
    """(earned, minimum top-up, due): the revenue times the rate, half to even, and what lifts it
    to the period's minimum."""
    earned = revenue.times(rate / HUNDRED)
    top_up = minimum - earned if earned < minimum else Money.zero(revenue.currency)
    return earned, top_up, earned + top_up


def receive(current: RoyaltyReport, revenue: Money, received_on: date, reference: str | None, today: date) -> Change:
    target = LIFE.move(current.status, "receive")
    if revenue.currency != current.currency:
        raise InvalidInput(
            f"this report is in {current.currency}; revenue in {revenue.currency} goes in that currency's report",
            errors=[{"pointer": "#/revenue/currency", "detail": f"expected {current.currency}"}],
        )
    if revenue.is_negative:
        raise InvalidInput("revenue cannot be negative", errors=[{"pointer": "#/revenue/amount", "detail": "negative"}])
    if received_on > today or received_on < current.period_start:
        raise InvalidInput(
            "received_on must lie between the period's start and today",
            errors=[{"pointer": "#/received_on", "detail": "outside the period's start and today"}],
        )
    earned, top_up, due = royalty_for(revenue, current.royalty_rate, current.period_minimum)
    if due < current.royalty_paid:
        raise RuleViolation("more has been paid against this report than it would be due")
    updated = current.evolve(
        status=target,
        revenue=revenue,
        royalty_earned=earned,
        minimum_top_up=top_up,
        royalty_due=due,
        received_on=received_on,
        reference=reference,
    )
    return Change(
        _event("received"),
        updated.state(),
        {"from": current.status.value, "royalty_due": due.to_api(), "late": received_on > current.due_on},
    )


def record_payment(current: RoyaltyReport, payment: Payment, today: date) -> Change | None:
    """Record a payment against the report. `payment.id` is fixed by the caller (from the
    Idempotency-Key when there is one): the same payment sent again changes nothing."""
    existing = next((p for p in current.payments if p.id == payment.id), None)
    if existing is not None:
        if existing == payment:
            return None
        raise InvalidInput(
            "this Idempotency-Key was already used with a different request",
            errors=[{"parameter": "Idempotency-Key", "in": "header", "detail": "reused with a different body"}],
        )
    if current.status != R.RECEIVED or current.royalty_due is None:
        raise IllegalTransition(
            f"payments are recorded against a received report; this one is {current.status.value}",
            current_status=current.status.value,
            allowed_from=[R.RECEIVED.value],
        )
    if payment.amount.currency != current.currency:
        raise InvalidInput(
            f"this report is in {current.currency}",
            errors=[{"pointer": "#/amount/currency", "detail": f"expected {current.currency}"}],
        )
    if payment.amount.amount <= 0:
        raise InvalidInput(
            "a payment is more than zero", errors=[{"pointer": "#/amount/amount", "detail": "not positive"}]
        )
    if payment.received_on > today:
        raise InvalidInput(
            "received_on cannot be in the future", errors=[{"pointer": "#/received_on", "detail": "after today"}]
        )
    paid = current.royalty_paid + payment.amount
    if paid > current.royalty_due:
        raise RuleViolation(
            f"the payment would bring what is paid to {paid.to_api()['amount']} {paid.currency}, "
            f"more than the {current.royalty_due.to_api()['amount']} due",
            outstanding=(current.royalty_due - current.royalty_paid).to_api(),
        )
    updated = current.evolve(payments=[*current.payments, payment], royalty_paid=paid)
    return Change(
        _event("payment_recorded"),
        updated.state(),
        {"payment_id": payment.id, "amount": payment.amount.to_api(), "paid_in_full": paid == current.royalty_due},
    )


def flag_overdue(current: RoyaltyReport, today: date) -> Change | None:
    """Once, the day after the due date, for a report not yet received."""
    if current.status != R.DUE or today <= current.due_on:
        return None
    target = LIFE.move(current.status, "flag_overdue")
    return Change(
        _event("overdue"),
        current.evolve(status=target, overdue_since=today).state(),
        {"due_on": current.due_on.isoformat(), "days_late": (today - current.due_on).days},
    )


def totals(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per currency: revenue, royalty due, paid and outstanding over received reports, and how
    many reports are received, due or overdue. Amounts in different currencies are never added."""
    revenue, due, paid = Totals(), Totals(), Totals()
    counts: dict[str, dict[str, int]] = {}
    for report in reports:
        currency = report["currency"]
        counts.setdefault(currency, {s.value: 0 for s in ReportStatus})[report["status"]] += 1
        paid.add(Money.model_validate(report["royalty_paid"]))
        if report.get("royalty_due") is not None:
            due.add(Money.model_validate(report["royalty_due"]))
            revenue.add(Money.model_validate(report["revenue"]))
    return [
        {
            "currency": currency,
            "revenue": revenue.get(currency).to_api(),
            "royalty_due": due.get(currency).to_api(),
            "royalty_paid": paid.get(currency).to_api(),
            "outstanding": (due.get(currency) - paid.get(currency)).to_api(),
            "reports": counts[currency],
        }
        for currency in sorted(counts)
    ]
