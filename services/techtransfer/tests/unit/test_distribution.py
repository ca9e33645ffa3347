"""Distribution of income: costs first, then the sharing rule, to the minor unit."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from opp_shared.errors import InvalidInput, RuleViolation
from opp_shared.money import Money
from techtransfer.domain import distribution as rules
from techtransfer.domain import technology as technology_rules
from techtransfer.domain.distribution import DirectCost, Distribution, SharingRule
from techtransfer.domain.technology import Technology

RULE = SharingRule(inventors="50", department="20", university="30")


def technology(*shares) -> Technology:
    inventors = [
        {"person_id": f"u{i}", "name": f"Inventor {i}", "unit": "Physics", "share": s} for i, s in enumerate(shares)
    ]
    fields = {"title": "Sensor", "department": "Department of Physics", "readiness_level": 5, "inventors": inventors}
    return Technology.from_state(technology_rules.disclose(today=date(2027, 3, 1), **fields).state)


def cost(amount, kind="patent_fee", currency="EUR"):
    return DirectCost(kind=kind, amount=Money.of(amount, currency))


def amounts(parts):
    return [p.amount.to_api()["amount"] for p in parts]


def test_costs_first_then_inventors_department_university():
    recovered, not_recovered, net, parts = rules.split(
        Money.of("10000.00", "EUR"), [cost("1500.00"), cost("500.00", "legal_fee")], technology("60", "40"), RULE
    )
    assert (recovered, not_recovered, net) == (
        Money.of("2000.00", "EUR"),
        Money.of("0.00", "EUR"),
        Money.of("8000.00", "EUR"),
    )
    assert [(p.recipient, p.person_id, p.name) for p in parts] == [
        ("inventor", "u0", "Inventor 0"),
        ("inventor", "u1", "Inventor 1"),
        ("department", None, "Department of Physics"),
        ("university", None, "University"),
    ]
    assert amounts(parts) == ["2400.00", "1600.00", "1600.00", "2400.00"]
    assert [p.model_dump(mode="json")["weight"] for p in parts] == ["30", "20", "20", "30"]


@pytest.mark.parametrize(
    ("income", "shares", "expected"),
    [
        # 100.00 x 50% over three inventors: 16.66665, 16.66665, 16.6667; the two cents left over
        # go to the largest remainders (the third inventor's), then to the earlier of a tie
        ("100.00", ("33.3333", "33.3333", "33.3334"), ["16.67", "16.66", "16.67", "20.00", "30.00"]),
        ("1.00", ("33.3333", "33.3333", "33.3334"), ["0.17", "0.16", "0.17", "0.20", "0.30"]),
        # one cent: 0.25, 0.25, 0.2, 0.3 of it; the largest remainder is the university's
        ("0.01", ("50", "50"), ["0.00", "0.00", "0.00", "0.01"]),
        # three cents: 0.75, 0.75, 0.6, 0.9: the university, then the two inventors
        ("0.03", ("50", "50"), ["0.01", "0.01", "0.00", "0.01"]),
    ],
)
def test_the_parts_sum_to_the_income_to_the_cent_with_the_remainder_placed_deterministically(income, shares, expected):
    _, _, net, parts = rules.split(Money.of(income, "EUR"), [], technology(*shares), RULE)
    assert amounts(parts) == expected
    assert sum((p.amount.amount for p in parts), Decimal(0)) == net.amount == Decimal(income)


def test_many_splits_always_add_up():
    for cents in range(1, 400, 7):
        income = Money.from_minor(cents * 13, "EUR")
        recovered, _, _, parts = rules.split(income, [cost("0.37")], technology("33.3333", "33.3333", "33.3334"), RULE)
        assert recovered.amount + sum(p.amount.amount for p in parts) == income.amount


def test_costs_beyond_the_income_take_all_of_it_and_the_rest_is_stated():
    recovered, not_recovered, net, parts = rules.split(
        Money.of("1000", "JPY"), [cost("1500", currency="JPY")], technology("100"), RULE
    )
    assert (recovered, not_recovered, net) == (Money.of("1000", "JPY"), Money.of("500", "JPY"), Money.of("0", "JPY"))
    assert amounts(parts) == ["0", "0", "0"]


def test_money_is_per_currency_and_positive():
    with pytest.raises(InvalidInput):
        rules.split(Money.of("100.00", "EUR"), [cost("1.00", currency="USD")], technology("100"), RULE)
    with pytest.raises(InvalidInput):
        rules.split(Money.of("0.00", "EUR"), [], technology("100"), RULE)


def test_the_rule_adds_up_to_100_and_gives_the_inventors_their_minimum():
    with pytest.raises(ValidationError):
        SharingRule(inventors="50", department="20", university="20")
    with pytest.raises(RuleViolation):
        rules.check_rule(SharingRule(inventors="40", department="30", university="30"), Decimal(50))
    rules.check_rule(RULE, Decimal(50))


def test_a_distribution_records_its_rounding_rule_and_its_sum():
    change = rules.make(
        technology_id="tec_1",
        technology=technology("60", "40"),
        income=Money.of("333.33", "EUR"),
        direct_costs=[cost("33.33")],
        rule=RULE,
        made_by="officer",
        licensee_id="ptn_1",
    )
    distribution = Distribution.from_state(change.state)
    assert distribution.rounding == rules.ROUNDING_RULE and distribution.partner_ids == ["ptn_1"]
    assert distribution.inventor_ids == ["u0", "u1"] and change.change["net"] == {"amount": "300.00", "currency": "EUR"}
    with pytest.raises(ValidationError):  # a state whose parts do not add up cannot even be built
        Distribution.model_validate({**change.state, "income": {"amount": "333.34", "currency": "EUR"}})
