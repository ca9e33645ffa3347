"""An award's ledger (pure): disbursements within the award, released when cancelled, recorded when paid."""

from datetime import UTC, date, datetime

import pytest

from funding.domain import award as rules
from funding.domain import disbursement as disbursements
from funding.domain.award import Award
from funding.domain.disbursement import Disbursement
from opp_shared.errors import IllegalTransition, InvalidInput, RuleViolation
from opp_shared.money import Money

TODAY = date(2027, 3, 1)


def new_award(amount: str = "1000.00", currency: str = "EUR") -> Award:
    money = Money.of(amount, currency)
    terms = {
        "fund_id": "fnd_1",
        "call_id": "cal_1",
        "proposal_id": "prp_1",
        "title": "Quantum sensing",
        "partner_ids": ["ptn_1"],
        "pi": {"person_id": "pi-1", "name": "Prof. Li", "unit": "Physics"},
        "currency": currency,
        "amount_minor": money.minor,
        "granted_by": "officer-1",
        "granted_at": datetime(2027, 3, 1, tzinfo=UTC),
        "reason": "ranked first",
    }
    return Award.from_state(rules.grant(terms).state)


def planned(award: Award, disbursement_id: str, amount: str) -> Award:
    change = rules.plan_disbursement(award, disbursement_id, Money.of(amount, award.currency), {})
    assert change is not None and change.type == "funding.award.disbursement_planned"
    return Award.from_state(change.state)


def test_disbursements_stay_within_the_award():
    award = planned(planned(new_award(), "d1", "600.00"), "d2", "400.00")
    assert award.state()["remaining"] == {"amount": "0.00", "currency": "EUR"}
    with pytest.raises(RuleViolation) as refused:
        rules.plan_disbursement(award, "d3", Money.of("0.01", "EUR"), {})
    assert refused.value.extensions["available"] == {"amount": "0.00", "currency": "EUR"}
    assert refused.value.extensions["requested"] == {"amount": "0.01", "currency": "EUR"}


def test_a_planned_disbursement_again_decides_nothing():
    award = planned(new_award(), "d1", "600.00")
    assert rules.plan_disbursement(award, "d1", Money.of("600.00", "EUR"), {}) is None


def test_a_cancelled_disbursement_gives_its_money_back_and_a_paid_one_counts_as_paid():
    award = planned(planned(new_award(), "d1", "600.00"), "d2", "400.00")
    award = Award.from_state(rules.release(award, "d1").state)
    assert award.state()["remaining"]["amount"] == "600.00"
    assert rules.release(award, "d1") is None  # repeated
    award = Award.from_state(rules.record_paid(award, "d2").state)
    assert award.state()["paid"]["amount"] == "400.00" and award.state()["planned"]["amount"] == "400.00"
    with pytest.raises(RuleViolation, match="already released"):
        rules.record_paid(award, "d1")


def test_an_award_closes_once_nothing_is_left_to_pay_or_cancel():
    award = planned(new_award(), "d1", "600.00")
    with pytest.raises(RuleViolation, match="still to pay"):
        rules.close(award, TODAY, None)
    award = Award.from_state(rules.record_paid(award, "d1").state)
    closed = Award.from_state(rules.close(award, TODAY, "done").state)
    with pytest.raises(RuleViolation, match="closed"):
        rules.plan_disbursement(closed, "d2", Money.of("1.00", "EUR"), {})
    with pytest.raises(IllegalTransition):
        rules.close(closed, TODAY, None)


def test_a_disbursement_in_another_currency_is_refused():
    with pytest.raises(RuleViolation, match="in EUR"):
        rules.plan_disbursement(new_award(), "d1", Money.of("1", "JPY"), {})


def new_disbursement(deliverable=None) -> Disbursement:
    terms = {
        "award_id": "awd_1",
        "fund_id": "fnd_1",
        "proposal_id": "prp_1",
        "partner_ids": ["ptn_1"],
        "amount": {"amount": "100.00", "currency": "EUR"},
        "scheduled_on": "2027-04-01",
        "deliverable": deliverable,
        "note": None,
    }
    return Disbursement.from_state(disbursements.schedule(terms).state)


def test_a_disbursement_waiting_on_a_deliverable_is_approved_only_once_it_is_accepted():
    waiting = new_disbursement({"title": "First progress report"})
    with pytest.raises(RuleViolation, match="First progress report"):
        disbursements.approve(waiting, "officer-1", TODAY)
    accepted = Disbursement.from_state(disbursements.accept_deliverable(waiting, "officer-1", TODAY).state)
    assert disbursements.accept_deliverable(accepted, "officer-1", TODAY) is None
    approved = Disbursement.from_state(disbursements.approve(accepted, "officer-2", TODAY).state)
    assert approved.approved_by == "officer-2" and approved.status == "approved"


def test_planned_and_actual_days_are_kept_apart():
    approved = Disbursement.from_state(disbursements.approve(new_disbursement(), "o", TODAY).state)
    paid = disbursements.pay(approved, "o", date(2027, 3, 5), date(2027, 3, 4), "TX-1")
    assert paid.state["scheduled_on"] == "2027-04-01" and paid.state["paid_on"] == "2027-03-04"
    with pytest.raises(InvalidInput):
        disbursements.pay(approved, "o", TODAY, date(2027, 3, 2), None)  # in the future
    with pytest.raises(InvalidInput):
        disbursements.pay(approved, "o", TODAY, date(2027, 2, 1), None)  # before its approval
    with pytest.raises(IllegalTransition):
        disbursements.pay(new_disbursement(), "o", TODAY, None, None)  # not approved
    paid_one = Disbursement.from_state(paid.state)
    with pytest.raises(IllegalTransition):
        disbursements.cancel(paid_one, "too late", TODAY)
