"""Money: exact, per currency, with explicit rounding."""

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from opp_shared.money import (
    CurrencyMismatch,
    Money,
    MoneyIn,
    NonNegativeMoney,
    PositiveMoney,
    Totals,
    exponent,
    of_account,
    parse,
)


@pytest.mark.parametrize(("currency", "places"), [("JPY", 0), ("CNY", 2), ("EUR", 2), ("KWD", 3), ("CLF", 4)])
def test_the_exponent_is_iso_4217s(currency, places):
    assert exponent(currency) == places


@pytest.mark.parametrize("code", ["XAU", "XXX", "ABC", "EU", "EURO", ""])
def test_codes_without_a_minor_unit_are_not_money(code):
    with pytest.raises(ValueError):
        exponent(code)


@pytest.mark.parametrize(
    ("amount", "currency", "text", "minor"),
    [
        ("1234.5", "EUR", "1234.50", 123450),
        ("500", "JPY", "500", 500),
        ("1.234", "KWD", "1.234", 1234),
        ("0", "USD", "0.00", 0),
    ],
)
def test_the_api_form_has_the_currencys_decimals_and_storage_has_minor_units(amount, currency, text, minor):
    money = Money.of(amount, currency)
    assert money.to_api() == {"amount": text, "currency": currency}
    assert money.to_storage() == {"minor": minor, "currency": currency}
    assert Money.from_storage(money.to_storage()) == money == Money.model_validate(money.to_api())


@pytest.mark.parametrize(
    "value",
    [
        {"amount": 12.5, "currency": "EUR"},  # a JSON number, never
        {"amount": 12, "currency": "EUR"},
        {"amount": "1.005", "currency": "EUR"},  # more decimals than the currency has
        {"amount": "1.5", "currency": "JPY"},
        {"amount": "1e3", "currency": "EUR"},
        {"amount": "NaN", "currency": "EUR"},
        {"amount": " 1.00", "currency": "EUR"},
        {"amount": "1" * 16, "currency": "EUR"},  # beyond 64-bit minor units
        {"amount": "1.00", "currency": "eur"},
        {"amount": "1.00", "currency": "XAU"},
        {"amount": "1.00"},
    ],
)
def test_anything_else_is_refused(value):
    with pytest.raises(ValidationError):
        Money.model_validate(value)
    assert parse(value) is None


def test_arithmetic_stays_in_one_currency():
    assert Money.of("10.10", "EUR") + Money.of("0.20", "EUR") == Money.of("10.30", "EUR")
    assert Money.of("1", "EUR") - Money.of("2.50", "EUR") == Money.of("-1.50", "EUR")
    assert Money.of("1", "EUR") < Money.of("1.01", "EUR") and Money.of("5", "JPY") >= Money.of("5", "JPY")
    for combine in (lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a < b):
        with pytest.raises(CurrencyMismatch):
            combine(Money.of("1", "EUR"), Money.of("1", "USD"))


def test_times_rounds_half_to_even_to_the_currencys_decimals():
    assert Money.of("10.00", "EUR").times("0.055") == Money.of("0.55", "EUR")
    assert Money.of("0.25", "EUR").times("0.5") == Money.of("0.12", "EUR")  # 0.125 -> 0.12
    assert Money.of("0.35", "EUR").times("0.5") == Money.of("0.18", "EUR")  # 0.175 -> 0.18
    assert Money.of("999", "JPY").times(Decimal("0.035")) == Money.of("35", "JPY")  # 34.965


@pytest.mark.parametrize(
    ("amount", "weights"),
    [("100.00", [1, 1, 1]), ("0.05", [1, 1, 1, 1]), ("1000", [50, 30, 20]), ("10.01", [3, 3, 4]), ("-7.00", [1, 2])],
)
def test_allocate_sums_exactly(amount, weights):
    currency = "JPY" if "." not in amount else "EUR"
    money = Money.of(amount, currency)
    parts = money.allocate([Decimal(w) for w in weights])
    assert sum((p for p in parts), Money.zero(currency)) == money
    smallest = Decimal(1).scaleb(-exponent(currency))
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part.amount - money.amount * weight / sum(weights)) < smallest


def test_allocate_gives_the_leftover_to_the_largest_remainders_then_the_earliest():
    assert [p.to_api()["amount"] for p in Money.of("100.00", "EUR").allocate([Decimal(1)] * 3)] == [
        "33.34",
        "33.33",
        "33.33",
    ]
    assert [p.to_api()["amount"] for p in Money.of("0.05", "EUR").allocate([Decimal(1)] * 4)] == [
        "0.02",
        "0.01",
        "0.01",
        "0.01",
    ]
    with pytest.raises(ValueError):
        Money.of("1", "EUR").allocate([Decimal(0)])


def test_totals_are_kept_per_currency():
    totals = Totals()
    for amount, currency in [("1.50", "EUR"), ("100", "JPY"), ("2.25", "EUR")]:
        totals.add(Money.of(amount, currency))
    assert totals.as_list() == [{"amount": "3.75", "currency": "EUR"}, {"amount": "100", "currency": "JPY"}]
    assert totals.get("USD") == Money.zero("USD")


def test_request_fields_can_refuse_negative_or_zero_amounts():
    class Body(BaseModel):
        budget: NonNegativeMoney
        award: PositiveMoney

    Body(budget={"amount": "0.00", "currency": "EUR"}, award={"amount": "0.01", "currency": "EUR"})
    with pytest.raises(ValidationError):
        Body(budget={"amount": "-1.00", "currency": "EUR"}, award={"amount": "1.00", "currency": "EUR"})
    with pytest.raises(ValidationError):
        Body(budget={"amount": "1.00", "currency": "EUR"}, award={"amount": "0", "currency": "EUR"})
    schema = Body.model_json_schema()["$defs"]["MoneyIn"]["properties"]["amount"]
    assert schema["type"] == "string"


def test_request_money_has_no_other_member_while_read_money_ignores_new_ones():
    class Body(BaseModel):
        award: PositiveMoney

    with pytest.raises(ValidationError):
        Body(award={"amount": "1.00", "currency": "EUR", "rate": "0.5"})
    assert parse({"amount": "1.00", "currency": "EUR", "added_later": True}) == Money.of("1.00", "EUR")


def test_money_in_a_request_refuses_a_member_it_does_not_know():
    assert MoneyIn.model_validate({"amount": "1.50", "currency": "EUR"}).model_dump(mode="json") == {
        "amount": "1.50",
        "currency": "EUR",
    }
    with pytest.raises(ValidationError):
        MoneyIn.model_validate({"amount": "1.50", "currency": "EUR", "rate": "7.8"})
    with pytest.raises(ValidationError):
        MoneyIn.model_validate({"amount": 1.5, "currency": "EUR"})


def test_a_currency_of_account_has_a_minor_unit():
    assert of_account("JPY") == "JPY"
    for code in ("XXX", "XAU", "XDR"):
        with pytest.raises(ValueError):
            of_account(code)
