"""Royalty reports: periods from the license, the royalty computed here, minimums, payments, totals."""

from datetime import date
from decimal import Decimal

import pytest

from opp_shared.errors import IllegalTransition, InvalidInput, RuleViolation
from opp_shared.money import Money
from techtransfer.domain import license as license_rules
from techtransfer.domain import royalty as rules
from techtransfer.domain.license import License
from techtransfer.domain.royalty import Payment, RoyaltyReport, period_minimum, periods, report_id, royalty_for

EXECUTED = date(2027, 2, 10)


def executed_license(**extra) -> License:
    fields = {
        "title": "Separator licence",
        "licensee_id": "ptn_1",
        "technology_ids": ["tec_1"],
        "kind": "non_exclusive",
        "territory": ["worldwide"],
        "field_of_use": "all",
        "currency": "EUR",
        "upfront_fee": {"amount": "0", "currency": "EUR"},
        "royalty_rate": "3.5",
        "minimum_annual_royalty": {"amount": "10000.00", "currency": "EUR"},
        "report_grace_days": 30,
        "effective_from": "2027-02-10",
        "owner_id": "officer.wang",
        **extra,
    }
    license = License.from_state(license_rules.draft(licensee_country="CN", university_country="CN", **fields).state)
    pending = License.from_state(
        license_rules.request_execution(
            license, "e", EXECUTED, None, licensee_country="CN", university_country="CN"
        ).state
    )
    return License.from_state(license_rules.complete_execution(pending, "e", EXECUTED).state)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def test_periods_follow_the_calendar_from_the_effective_date_to_the_end():
    license = executed_license(expires_on="2028-05-15")
    found = periods(license, date(2030, 1, 1))
    assert [(p.start.isoformat(), p.end.isoformat(), p.due_on.isoformat(), p.full) for p in found] == [
        ("2027-02-10", "2027-03-31", "2027-04-30", False),
        ("2027-04-01", "2027-06-30", "2027-07-30", True),
        ("2027-07-01", "2027-09-30", "2027-10-30", True),
        ("2027-10-01", "2027-12-31", "2028-01-30", True),
        ("2028-01-01", "2028-03-31", "2028-04-30", True),
        ("2028-04-01", "2028-05-15", "2028-06-14", False),
    ]
    assert periods(license, date(2027, 3, 30)) == []  # the first period has not ended
    assert len(periods(license, date(2027, 3, 31))) == 1
    annual = executed_license(report_frequency="annual", effective_from="2027-01-01")
    assert [(p.start.isoformat(), p.end.isoformat()) for p in periods(annual, date(2028, 12, 31))] == [
        ("2027-01-01", "2027-12-31"),
        ("2028-01-01", "2028-12-31"),
    ]


def test_a_period_that_ended_before_execution_is_due_from_the_execution():
    license = executed_license(effective_from="2026-07-01")
    first = periods(license, date(2027, 3, 31))[0]
    assert (first.start, first.end, first.due_on) == (date(2026, 7, 1), date(2026, 9, 30), date(2027, 3, 12))


def test_the_minimum_annual_royalty_is_split_over_the_year_exactly():
    license = executed_license(
        minimum_annual_royalty={"amount": "10000.01", "currency": "EUR"}, effective_from="2027-01-01"
    )
    parts = [period_minimum(license, p) for p in periods(license, date(2027, 12, 31))]
    assert [p.to_api()["amount"] for p in parts] == ["2500.01", "2500.00", "2500.00", "2500.00"]
    assert sum((p.amount for p in parts), Decimal(0)) == Decimal("10000.01")
    short = executed_license()  # effective 10 February: 50 of the quarter's 90 days
    assert period_minimum(short, periods(short, date(2027, 3, 31))[0]) == eur("1388.89")  # 2500 x 50/90


@pytest.mark.parametrize(
    ("revenue", "rate", "minimum", "earned", "top_up", "due"),
    [
        ("100000.00", "3.5", "2500.00", "3500.00", "0.00", "3500.00"),
        ("10000.00", "3.5", "2500.00", "350.00", "2150.00", "2500.00"),
        ("0.00", "3.5", "2500.00", "0.00", "2500.00", "2500.00"),
        ("0.50", "5", "0.00", "0.02", "0.00", "0.02"),  # 0.025 rounds half to even
        ("0.70", "5", "0.00", "0.04", "0.00", "0.04"),  # 0.035 rounds half to even
        ("1234.57", "2.125", "0.00", "26.23", "0.00", "26.23"),
    ],
)
def test_the_royalty_is_the_revenue_times_the_rate_lifted_to_the_minimum(revenue, rate, minimum, earned, top_up, due):
    assert royalty_for(eur(revenue), Decimal(rate), eur(minimum)) == (eur(earned), eur(top_up), eur(due))


def test_yen_has_no_minor_unit():
    assert royalty_for(Money.of("1001", "JPY"), Decimal("2.5"), Money.zero("JPY"))[0] == Money.of("25", "JPY")


def opened(license=None, currency="EUR") -> RoyaltyReport:
    license = license or executed_license()
    period = periods(license, date(2027, 6, 30))[1]
    return RoyaltyReport.from_state(rules.open_report("lic_1", license, period, currency).state)


def apply(change) -> RoyaltyReport:
    return RoyaltyReport.from_state(change.state)


def test_a_report_is_received_with_revenue_and_the_service_computes_what_is_due():
    report = opened()
    assert report.status == "due" and report.period_minimum == eur("2500.00") and report.outstanding is None
    assert report.owner_id == "officer.wang"  # whom an overdue report concerns, by person id
    received = apply(rules.receive(report, eur("100000.00"), date(2027, 7, 20), "Q2", date(2027, 7, 21)))
    assert (received.royalty_earned, received.minimum_top_up, received.royalty_due) == (
        eur("3500.00"),
        eur("0.00"),
        eur("3500.00"),
    )
    assert received.outstanding == eur("3500.00") and received.status == "received"
    with pytest.raises(IllegalTransition):
        rules.receive(received, eur("1.00"), date(2027, 7, 20), None, date(2027, 7, 21))
    with pytest.raises(InvalidInput):  # another currency goes in that currency's report
        rules.receive(report, Money.of("1.00", "USD"), date(2027, 7, 20), None, date(2027, 7, 21))
    with pytest.raises(InvalidInput):
        rules.receive(report, eur("-1.00"), date(2027, 7, 20), None, date(2027, 7, 21))
    with pytest.raises(InvalidInput):
        rules.receive(report, eur("1.00"), date(2027, 7, 22), None, date(2027, 7, 21))


def test_a_report_in_another_currency_has_no_minimum():
    report = opened(currency="USD")
    assert report.period_minimum == Money.zero("USD")
    received = apply(rules.receive(report, Money.of("200.00", "USD"), date(2027, 7, 2), None, date(2027, 7, 2)))
    assert received.royalty_due == Money.of("7.00", "USD")
    assert report.id if hasattr(report, "id") else True
    ids = {report_id("lic_1", date(2027, 4, 1), c, date(2027, 6, 30)) for c in ("EUR", "USD")}
    assert len(ids) == 2


def test_overdue_is_flagged_once_the_day_after_the_due_date():
    report = opened()  # due 30 July
    assert rules.flag_overdue(report, date(2027, 7, 30)) is None
    overdue = apply(rules.flag_overdue(report, date(2027, 7, 31)))
    assert overdue.status == "overdue" and overdue.overdue_since == date(2027, 7, 31)
    assert rules.flag_overdue(overdue, date(2027, 8, 5)) is None
    late = rules.receive(overdue, eur("0.00"), date(2027, 8, 5), None, date(2027, 8, 5))
    assert late.change["late"] and late.change["from"] == "overdue"


def test_payments_never_exceed_what_is_due_and_count_once():
    report = apply(rules.receive(opened(), eur("100000.00"), date(2027, 7, 20), None, date(2027, 7, 21)))
    with pytest.raises(IllegalTransition):
        rules.record_payment(
            opened(), Payment(id="pay_0", amount=eur("1.00"), received_on=date(2027, 7, 21)), date(2027, 7, 21)
        )
    first = apply(
        rules.record_payment(
            report, Payment(id="pay_1", amount=eur("3000.00"), received_on=date(2027, 7, 25)), date(2027, 7, 25)
        )
    )
    assert first.royalty_paid == eur("3000.00") and first.outstanding == eur("500.00")
    assert (
        rules.record_payment(
            first, Payment(id="pay_1", amount=eur("3000.00"), received_on=date(2027, 7, 25)), date(2027, 7, 25)
        )
        is None
    )
    with pytest.raises(InvalidInput):  # the same id (Idempotency-Key) with another payment
        rules.record_payment(
            first, Payment(id="pay_1", amount=eur("1.00"), received_on=date(2027, 7, 25)), date(2027, 7, 25)
        )
    with pytest.raises(RuleViolation):
        rules.record_payment(
            first, Payment(id="pay_2", amount=eur("500.01"), received_on=date(2027, 7, 25)), date(2027, 7, 25)
        )
    with pytest.raises(InvalidInput):
        rules.record_payment(
            first, Payment(id="pay_2", amount=Money.of("5", "JPY"), received_on=date(2027, 7, 25)), date(2027, 7, 25)
        )
    paid = rules.record_payment(
        first, Payment(id="pay_2", amount=eur("500.00"), received_on=date(2027, 7, 26)), date(2027, 7, 26)
    )
    assert paid.change["paid_in_full"] and apply(paid).outstanding == eur("0.00")


def test_totals_are_per_currency():
    received = apply(rules.receive(opened(), eur("100000.00"), date(2027, 7, 20), None, date(2027, 7, 21)))
    paid = apply(
        rules.record_payment(
            received, Payment(id="p", amount=eur("1000.50"), received_on=date(2027, 7, 25)), date(2027, 7, 25)
        )
    )
    usd = apply(
        rules.receive(opened(currency="USD"), Money.of("300.00", "USD"), date(2027, 7, 2), None, date(2027, 7, 2))
    )
    reports = [paid.state(), usd.state(), opened().state()]
    assert rules.totals(reports) == [
        {
            "currency": "EUR",
            "revenue": {"amount": "100000.00", "currency": "EUR"},
            "royalty_due": {"amount": "3500.00", "currency": "EUR"},
            "royalty_paid": {"amount": "1000.50", "currency": "EUR"},
            "outstanding": {"amount": "2499.50", "currency": "EUR"},
            "reports": {"due": 1, "overdue": 0, "received": 1},
        },
        {
            "currency": "USD",
            "revenue": {"amount": "300.00", "currency": "USD"},
            "royalty_due": {"amount": "10.50", "currency": "USD"},
            "royalty_paid": {"amount": "0.00", "currency": "USD"},
            "outstanding": {"amount": "10.50", "currency": "USD"},
            "reports": {"due": 0, "overdue": 0, "received": 1},
        },
    ]
