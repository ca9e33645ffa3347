"""Royalty reports and distributions on in-memory ports: the schedule, receipts, payments, totals, sharing."""

from datetime import timedelta

import pytest

from opp_shared.errors import AlreadyExists, RuleViolation
from opp_shared.pagination import PageParams
from opp_shared.repository import CreateRequest


async def executed_license(office, **extra):
    await office.partner()
    technology = await office.technology()
    license = await office.draft([technology.id], **extra)
    await office.execute(license.id)
    return technology, license


async def test_reports_open_when_their_period_ends_and_are_flagged_overdue_once(office, clock):
    _, license = await executed_license(office, report_grace_days=10)
    assert (await office.ports.run_jobs())["royalty-reports"] == 0
    clock.advance(timedelta(days=31))  # 1 April: the period 1 March - 31 March has ended
    assert (await office.ports.run_jobs())["royalty-reports"] == 1
    assert (await office.ports.run_jobs())["royalty-reports"] == 0
    [report] = (await office.report_queries.list(_page(), license_id=license.id))[0]
    assert (report["period_start"], report["period_end"], report["due_on"], report["status"]) == (
        "2027-03-01",
        "2027-03-31",
        "2027-04-10",
        "due",
    )
    # The first quarter is cut short (31 of its 90 days): its part of the 10,000 minimum is 2500 x 31/90.
    assert report["period_minimum"] == {"amount": "861.11", "currency": "EUR"}
    clock.advance(timedelta(days=9))  # 10 April: due today, not yet overdue
    assert (await office.ports.run_jobs())["royalty-reports"] == 0
    clock.advance(timedelta(days=1))
    assert (await office.ports.run_jobs())["royalty-reports"] == 1
    assert (await office.ports.run_jobs())["royalty-reports"] == 0
    assert office.event_types(report["_id"]) == ["opened", "overdue"]
    received = await office.royalties.receive(
        report["_id"], {"amount": "100000.00", "currency": "EUR"}, None, "Q1", if_match=None
    )
    assert (
        received.state["royalty_due"] == {"amount": "3500.00", "currency": "EUR"}
        and received.state["status"] == "received"
    )


def _page():
    return PageParams()


async def test_a_report_in_another_currency_is_opened_on_request_and_totals_stay_apart(office, clock):
    _, license = await executed_license(office)
    clock.advance(timedelta(days=31))
    with pytest.raises(RuleViolation):  # no period of this license starts then
        await office.royalties.open(license.id, office.today() - timedelta(days=5), None)
    eur, opened = await office.royalties.open(license.id, office.today() - timedelta(days=31), None)
    usd, opened_usd = await office.royalties.open(license.id, office.today() - timedelta(days=31), "USD")
    assert opened and opened_usd and eur.id != usd.id
    again, opened_again = await office.royalties.open(license.id, office.today() - timedelta(days=31), "USD")
    assert again.id == usd.id and not opened_again
    await office.royalties.receive(eur.id, {"amount": "1000.00", "currency": "EUR"}, None, None, if_match=None)
    await office.royalties.receive(usd.id, {"amount": "1000.00", "currency": "USD"}, None, None, if_match=None)
    payment = {"amount": {"amount": "35.00", "currency": "USD"}}
    await office.royalties.record_payment(usd.id, payment, CreateRequest("officer", "p1", payment), if_match=None)
    totals = await office.royalties.totals(license_id=license.id, licensee_id=None)
    assert [(t["currency"], t["royalty_due"]["amount"], t["royalty_paid"]["amount"]) for t in totals] == [
        ("EUR", "861.11", "0.00"),  # 35.00 earned, lifted to the period's minimum
        ("USD", "35.00", "35.00"),
    ]
    assert await office.royalties.totals(license_id=None, licensee_id="ptn_siemens") == totals


async def test_income_from_a_payment_is_distributed_once_per_technology(office, clock):
    technology, license = await executed_license(office)
    clock.advance(timedelta(days=31))
    report, _ = await office.royalties.open(license.id, office.today() - timedelta(days=31), None)
    await office.royalties.receive(report.id, {"amount": "100000.00", "currency": "EUR"}, None, None, if_match=None)
    payment = {"amount": {"amount": "3500.00", "currency": "EUR"}}
    paid, payment_id, _ = await office.royalties.record_payment(
        report.id, payment, CreateRequest("o", "p", payment), if_match=None
    )
    fields = {
        "technology_id": technology.id,
        "royalty_report_id": report.id,
        "payment_id": payment_id,
        "direct_costs": [{"kind": "patent_fee", "amount": {"amount": "500.00", "currency": "EUR"}}],
    }
    made, replayed = await office.distributions.make(fields, CreateRequest("officer", None, fields))
    state = made.state
    assert not replayed and state["income"] == {"amount": "3500.00", "currency": "EUR"}
    assert state["license_id"] == license.id and state["partner_ids"] == ["ptn_siemens"]
    assert [(p["recipient"], p["amount"]["amount"]) for p in state["parts"]] == [
        ("inventor", "900.00"),  # 3000 net x 50% x 60%
        ("inventor", "600.00"),
        ("department", "600.00"),
        ("university", "900.00"),
    ]
    again, replayed = await office.distributions.make(fields, CreateRequest("officer", None, fields))
    assert replayed and again.id == made.id
    with pytest.raises(AlreadyExists) as twice:
        await office.distributions.make({**fields, "direct_costs": []}, CreateRequest("officer", None, fields))
    assert twice.value.extensions["conflicting_id"] == made.id
    with pytest.raises(RuleViolation):  # more than the payment brought
        await office.distributions.make(
            {**fields, "income": {"amount": "3500.01", "currency": "EUR"}}, CreateRequest("o", None, {})
        )
    other = await office.technology()
    with pytest.raises(RuleViolation):  # the license does not cover it
        await office.distributions.make({**fields, "technology_id": other.id}, CreateRequest("o", None, {}))
