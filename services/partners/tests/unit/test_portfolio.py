"""A partner's portfolio from other services' states (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from partners.domain.agreement import OPEN, AgreementStatus
from partners.domain.portfolio import SECTIONS, PortfolioItem, item_of, partner_ids_in, royalty_totals, status_counts


def test_the_partners_of_an_item_are_its_partner_ids_in_order_without_repeats() -> None:
    assert partner_ids_in({"partner_ids": ["p-1", "p-3", "p-1"]}) == ["p-1", "p-3"]


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"partner_ids": None},
        {"partner_ids": "p-1"},
        {"partner_ids": {"partner_id": "p-1"}},
        {"partner_ids": [1, None, {"partner_id": "p-1"}, ["p-1"]]},
        # Other services name partners in `partner_ids` only; nothing else is guessed at.
        {"sponsor_ids": ["p-3"], "partner_id": "p-4", "licensee_id": "p-5", "parties": [{"partner_id": "p-8"}]},
        {"name": "Fund", "fund_id": "f-1", "project_id": "pr-1"},
    ],
)
def test_anything_but_a_list_of_ids_in_partner_ids_is_ignored(state: dict[str, Any]) -> None:
    assert partner_ids_in(state) == []


def test_junk_beside_good_values() -> None:
    assert partner_ids_in({"partner_ids": [1, "p-1", None, "p-2"]}) == ["p-1", "p-2"]


@pytest.mark.parametrize(
    ("topic", "section"),
    [
        ("funding.fund", "funds"),
        ("funding.award", "awards"),
        ("funding.project", "projects"),
        ("techtransfer.license", "licenses"),
        ("techtransfer.royalty_report", "royalty_reports"),
    ],
)
def test_item_of_each_known_topic(topic: str, section: str) -> None:
    state = {
        "id": "x-1",
        "name": "Seed fund",
        "status": "open",
        "partner_ids": ["p-1"],
        "secret": "not summarised",
        "version": 4,
    }
    item = item_of(topic, state)
    assert item == PortfolioItem(section, ["p-1"], {"name": "Seed fund", "status": "open", "id": "x-1"})


def test_sections_are_the_five_known_topics() -> None:
    assert set(SECTIONS) == {
        "funding.fund",
        "funding.award",
        "funding.project",
        "techtransfer.license",
        "techtransfer.royalty_report",
    }


@pytest.mark.parametrize(
    "topic", ["funding.call", "partners.agreement", "techtransfer.technology", "", "funding.fund.created"]
)
def test_item_of_unknown_topic_is_none(topic: str) -> None:
    assert item_of(topic, {"id": "x", "partner_ids": ["p-1"]}) is None


def test_item_of_summary_of_a_license() -> None:
    state = {
        "id": "lic-1",
        "kind": "exclusive",
        "partner_ids": ["p-9"],
        "technology_ids": ["t-1"],
        "territory": "EU",
        "field_of_use": "medical",
        "royalty_rate": "0.05",
    }
    item = item_of("techtransfer.license", state)
    assert item is not None
    assert item.partner_ids == ["p-9"]
    assert item.summary == {
        "kind": "exclusive",
        "technology_ids": ["t-1"],
        "territory": "EU",
        "field_of_use": "medical",
        "id": "lic-1",
    }


def _report(due: Any = None, paid: Any = None) -> dict[str, Any]:
    report: dict[str, Any] = {"id": "r"}
    if due is not None:
        report["royalty_due"] = due
    if paid is not None:
        report["royalty_paid"] = paid
    return report


def test_royalty_totals_keep_decimal_scale() -> None:
    reports = [
        _report({"amount": "100.50", "currency": "USD"}, {"amount": "100.50", "currency": "USD"}),
        _report({"amount": "20.25", "currency": "USD"}),
    ]
    assert royalty_totals(reports) == [
        {"currency": "USD", "royalty_due": "120.75", "royalty_paid": "100.50", "reports": 2}
    ]


def test_royalty_totals_per_currency_never_mixed() -> None:
    reports = [
        _report({"amount": "500", "currency": "JPY"}, {"amount": "200", "currency": "JPY"}),
        _report({"amount": "10.00", "currency": "EUR"}),
        _report({"amount": "0.10", "currency": "USD"}, {"amount": "0.20", "currency": "USD"}),
        _report({"amount": "0.20", "currency": "USD"}),
    ]
    assert royalty_totals(reports) == [
        {"currency": "EUR", "royalty_due": "10.00", "royalty_paid": "0.00", "reports": 1},
        {"currency": "JPY", "royalty_due": "500", "royalty_paid": "200", "reports": 1},
        {"currency": "USD", "royalty_due": "0.30", "royalty_paid": "0.20", "reports": 2},
    ]


def test_due_and_paid_in_different_currencies_stay_apart() -> None:
    reports = [_report({"amount": "100", "currency": "USD"}, {"amount": "90", "currency": "EUR"})]
    assert royalty_totals(reports) == [
        {"currency": "EUR", "royalty_due": "0.00", "royalty_paid": "90.00", "reports": 0},
        {"currency": "USD", "royalty_due": "100.00", "royalty_paid": "0.00", "reports": 1},
    ]


@pytest.mark.parametrize(
    "money",
    [
        {"amount": "abc", "currency": "USD"},
        {"amount": "NaN", "currency": "USD"},
        {"amount": "Infinity", "currency": "USD"},
        {"amount": "-Infinity", "currency": "USD"},
        {"amount": "sNaN", "currency": "USD"},
        {"amount": 12.5, "currency": "USD"},  # money is never a float
        {"amount": 12, "currency": "USD"},  # nor a bare number: a decimal string
        {"amount": True, "currency": "USD"},
        {"amount": None, "currency": "USD"},
        {"amount": "", "currency": "USD"},
        {"amount": "1e3", "currency": "USD"},  # only plain decimal strings
        {"amount": "1_000", "currency": "USD"},
        {"amount": " 12.50 ", "currency": "USD"},
        {"amount": "12.", "currency": "USD"},
        {"amount": "١٢", "currency": "USD"},  # Arabic-Indic digits
        {"amount": "12.50"},
        {"amount": "12.50", "currency": None},
        {"amount": "12.50", "currency": 840},
        {"amount": "12.50", "currency": "usd"},  # codes are upper case
        {"amount": "12.50", "currency": "XAU"},  # gold has no minor unit: not money here
        {"amount": "1.005", "currency": "USD"},  # more decimals than the currency has
        {"amount": "1.5", "currency": "JPY"},
        {"currency": "USD"},
        "12.50 USD",
        ["12.50", "USD"],
        12.5,
    ],
)
def test_malformed_money_is_ignored(money: Any) -> None:
    good = _report({"amount": "1.00", "currency": "USD"})
    assert royalty_totals([good, _report(money, money)]) == [
        {"currency": "USD", "royalty_due": "1.00", "royalty_paid": "0.00", "reports": 1}
    ]


def test_no_reports_no_totals() -> None:
    assert royalty_totals([]) == []
    assert royalty_totals([{"id": "r-1"}, _report({"amount": "x", "currency": "USD"})]) == []


def test_status_counts_list_every_status_and_count_the_open_ones():
    statuses = ["draft", "withdrawn", "active", "active", "expired", "under_review"]
    counts = status_counts(statuses, AgreementStatus, OPEN)
    assert counts["by_status"] == {
        "draft": 1,
        "under_review": 1,
        "signed": 0,
        "active": 2,
        "expired": 1,
        "terminated": 0,
        "withdrawn": 1,
    }
    assert counts["open"] == 4  # draft, under review and the two active; not the withdrawn or expired
    assert status_counts([], AgreementStatus, OPEN)["open"] == 0
