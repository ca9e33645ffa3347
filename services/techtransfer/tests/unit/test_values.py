"""Percentages, territories, fields of use and month arithmetic."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from techtransfer.domain.values import (
    Percent,
    add_months,
    covers,
    field_key,
    fields_overlap,
    normal_territory,
    percent_text,
    territories_overlap,
)


class Share(BaseModel):
    share: Percent


@pytest.mark.parametrize(
    ("text", "value"), [("50", "50"), ("33.3333", "33.3333"), ("0", "0"), ("100", "100"), ("12.5000", "12.5")]
)
def test_a_percentage_is_an_exact_decimal_string(text, value):
    share = Share(share=text)
    assert share.share == Decimal(text)
    assert share.model_dump(mode="json") == {"share": value}


@pytest.mark.parametrize("bad", [50, 33.3, "100.0001", "101", "-1", "1e2", "50%", "", " 5", "12.34567", None, True])
def test_anything_else_is_not_a_percentage(bad):
    with pytest.raises(ValidationError):
        Share(share=bad)


def test_percent_text_is_the_shortest_exact_form():
    assert percent_text(Decimal("50.00")) == "50"
    assert percent_text(Decimal("0.10")) == "0.1"
    assert percent_text(Decimal("1E+1")) == "10"


def test_a_territory_is_countries_or_worldwide_alone():
    assert normal_territory(["de", "FR", " at "]) == ["AT", "DE", "FR"]
    assert normal_territory(["Worldwide"]) == ["worldwide"]
    for bad in ([], ["worldwide", "DE"], ["XX"], ["UK"], ["DE", "de"], ["DEU"]):
        with pytest.raises(ValueError):
            normal_territory(bad)


def test_worldwide_overlaps_every_country_and_countries_overlap_when_they_share_one():
    assert territories_overlap(["worldwide"], ["DE"]) and territories_overlap(["JP"], ["worldwide"])
    assert territories_overlap(["DE", "FR"], ["FR", "IT"])
    assert not territories_overlap(["DE"], ["FR", "IT"])
    assert covers(["worldwide"], "BR") and covers(["DE"], "DE") and not covers(["DE"], "FR")


def test_fields_of_use_compare_without_case_or_spaces_and_all_overlaps_every_field():
    assert field_key("  Medical   Imaging ") == "medical imaging"
    assert fields_overlap("medical imaging", "MEDICAL IMAGING")
    assert fields_overlap("All", "agriculture") and fields_overlap("agriculture", "all")
    assert not fields_overlap("medical imaging", "agriculture")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 15), 12, date(2027, 3, 15)),
        (date(2026, 3, 15), 30, date(2028, 9, 15)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # a time limit in months ends on the month's last day
        (date(2026, 8, 31), 30, date(2029, 2, 28)),
        (date(2025, 8, 31), 30, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
    ],
)
def test_months_are_added_on_the_calendar(day, months, expected):
    assert add_months(day, months) == expected
