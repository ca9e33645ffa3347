"""The fund's ledger (pure): budgets in exact minor units per currency, commitments, the disbursed figure."""

from datetime import date

import pytest

from funding.domain import fund as rules
from funding.domain.fund import FUND, AgreementCheck, Fund
from opp_shared.errors import IllegalTransition, InvalidInput, RuleViolation
from opp_shared.money import Money

OK = AgreementCheck(satisfied=True)


def new_fund(budget: str, currency: str = "EUR", **extra) -> Fund:
    change = rules.create(name="Seed fund", partner_ids=["ptn_1"], budget=Money.of(budget, currency), flag=OK, **extra)
    return Fund.from_state(change.state)


def committed(fund: Fund, award_id: str, amount: str, currency: str | None = None) -> Fund:
    money = Money.of(amount, currency or fund.currency)
    change = rules.commit(fund, award_id, f"prp_{award_id}", money, {"award": award_id})
    assert change is not None and change.type == "funding.fund.committed"
    return Fund.from_state(change.state)


def test_figures_are_exact_and_shown_as_money():
    fund = new_fund("0.30")
    fund = committed(fund, "a", "0.10")
    fund = committed(fund, "b", "0.20")
    assert fund.committed_minor == 30 and fund.available_minor == 0  # 0.1 + 0.2 is exactly 0.3
    state = fund.state()
    assert state["budget"] == {"amount": "0.30", "currency": "EUR"}
    assert state["committed"] == {"amount": "0.30", "currency": "EUR"}
    assert state["available"] == {"amount": "0.00", "currency": "EUR"}
    assert state["budget_minor"] == 30 and state["award_count"] == 2


@pytest.mark.parametrize(
    "currency, budget, minor, shown",
    [("JPY", "50000000", 50_000_000, "50000000"), ("KWD", "1.500", 1500, "1.500"), ("CNY", "3", 300, "3.00")],
)
def test_each_currency_keeps_its_own_minor_unit(currency, budget, minor, shown):
    fund = new_fund(budget, currency)
    assert fund.budget_minor == minor and fund.state()["budget"] == {"amount": shown, "currency": currency}


def test_an_amount_beyond_the_currencys_decimals_is_refused():
    with pytest.raises(ValueError):
        Money.of("100.5", "JPY")


def test_a_commitment_that_does_not_fit_is_refused_with_the_figures():
    fund = committed(new_fund("100.00"), "a", "60.00")
    with pytest.raises(RuleViolation) as refused:
        rules.commit(fund, "b", "prp_b", Money.of("40.01", "EUR"), {})
    assert refused.value.extensions["available"] == {"amount": "40.00", "currency": "EUR"}
    assert refused.value.extensions["requested"] == {"amount": "40.01", "currency": "EUR"}
    assert refused.value.extensions["reason"] == "over-budget"
    exactly = committed(fund, "b", "40.00")  # the last cent fits
    assert exactly.available_minor == 0


def test_a_commitment_in_another_currency_is_refused_never_converted():
    with pytest.raises(RuleViolation, match="pays in EUR"):
        rules.commit(new_fund("100.00"), "a", "prp_a", Money.of("10.00", "USD"), {})


def test_the_same_award_again_decides_nothing_and_a_second_award_of_a_proposal_is_refused():
    fund = committed(new_fund("100.00"), "a", "10.00")
    assert rules.commit(fund, "a", "prp_a", Money.of("10.00", "EUR"), {}) is None
    with pytest.raises(RuleViolation, match="already has award a"):
        rules.commit(fund, "other", "prp_a", Money.of("10.00", "EUR"), {})


def test_a_flagged_or_closed_fund_takes_no_award():
    fund = new_fund("100.00", agreement_required=True)
    flagged = Fund.from_state(
        rules.set_agreement_flag(fund, AgreementCheck(satisfied=False, reason="no active agreement with ptn_1")).state
    )
    with pytest.raises(RuleViolation, match="no active agreement with ptn_1") as refused:
        rules.commit(flagged, "a", "prp_a", Money.of("1.00", "EUR"), {})
    assert refused.value.extensions["reason"] == "no-active-agreement"
    closed = Fund.from_state(rules.close(fund, date(2027, 3, 1), "programme ended").state)
    with pytest.raises(RuleViolation, match="closed"):
        rules.commit(closed, "a", "prp_a", Money.of("1.00", "EUR"), {})
    with pytest.raises(IllegalTransition):
        rules.close(closed, date(2027, 3, 2), None)


def test_the_budget_changes_in_its_currency_and_not_below_the_awards():
    fund = committed(new_fund("100.00"), "a", "70.00")
    with pytest.raises(RuleViolation):
        rules.edit(fund, {"budget": {"amount": "69.99", "currency": "EUR"}})
    with pytest.raises(InvalidInput, match="currency"):
        rules.edit(fund, {"budget": {"amount": "500.00", "currency": "USD"}})
    lowered = rules.edit(fund, {"budget": {"amount": "70.00", "currency": "EUR"}})
    assert lowered.change == {"fields": ["budget"]} and Fund.from_state(lowered.state).available_minor == 0
    assert rules.edit(fund, {"budget": {"amount": "100.00", "currency": "EUR"}}) is None


def test_a_fund_needs_a_sponsor_once_each():
    with pytest.raises(InvalidInput):
        rules.create(name="x", partner_ids=[], budget=Money.of("1.00", "EUR"), flag=OK)
    with pytest.raises(InvalidInput):
        rules.create(name="x", partner_ids=["ptn_1", "ptn_1"], budget=Money.of("1.00", "EUR"), flag=OK)


def test_the_disbursed_figure_follows_only_newer_award_versions():
    fund = committed(new_fund("100.00"), "a", "50.00")
    later = rules.record_disbursed(fund, "a", 2000, award_version=3)
    fund = Fund.from_state(later.state)
    assert fund.state()["disbursed"] == {"amount": "20.00", "currency": "EUR"}
    assert rules.record_disbursed(fund, "a", 1000, award_version=2) is None  # late news of an older version
    assert rules.record_disbursed(fund, "a", 2000, award_version=3) is None  # a repeat
    assert rules.record_disbursed(fund, "unknown", 2000, award_version=9) is None


def test_the_agreement_requirement_is_met_when_every_sponsor_has_an_active_agreement():
    active = [{"status": "active", "partner_ids": ["ptn_1", "ptn_2"]}, {"status": "expired", "partner_ids": ["ptn_3"]}]
    assert rules.check_agreements(["ptn_1", "ptn_2"], active).satisfied
    missing = rules.check_agreements(["ptn_1", "ptn_3"], active)
    assert not missing.satisfied and missing.missing_partner_ids == ["ptn_3"] and "ptn_3" in missing.reason

    fund = new_fund("10.00", agreement_required=True)
    flagged = rules.set_agreement_flag(fund, missing)
    assert flagged.type == "funding.fund.flagged" and flagged.change["missing_partner_ids"] == ["ptn_3"]
    flagged_fund = Fund.from_state(flagged.state)
    assert rules.set_agreement_flag(flagged_fund, missing) is None  # no change, nothing recorded
    cleared = rules.set_agreement_flag(flagged_fund, AgreementCheck(satisfied=True))
    assert cleared.type == "funding.fund.unflagged" and not cleared.state["flagged"]
    # A fund that does not require an agreement is never flagged.
    assert rules.set_agreement_flag(new_fund("10.00"), missing) is None


def test_the_aggregate_type_is_declared_for_the_api():
    assert FUND.route == "/api/v1/funds" and FUND.id_prefix == "fnd"
    assert {"budget", "committed", "disbursed", "available"} <= set(FUND.response.model_fields) | set(
        FUND.response.model_computed_fields
    )
