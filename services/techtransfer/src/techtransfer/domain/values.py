"""Values the techtransfer aggregates share (pure): percentages, territories, fields of use, dates.

- A percentage (an inventor's share, a royalty rate, a part of the income
  rule) is a decimal string such as `"33.3333"`, never a JSON number, from 0
  to 100 with at most four decimals: shares must add up to exactly 100, which
  binary floats cannot promise.
- A territory is a list of ISO 3166-1 alpha-2 countries, or `["worldwide"]`,
  which overlaps every country.
- A field of use is free text compared without case or extra spaces; `all`
  means every field and overlaps every other.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import pycountry
from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

HUNDRED = Decimal(100)
_PERCENT = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,4})?$")

WORLDWIDE = "worldwide"
ALL_FIELDS = "all"


def _percent_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str) or not _PERCENT.fullmatch(value):
        raise ValueError('a percentage is a decimal string such as "50" or "33.3333" (never a JSON number)')
    return Decimal(value)


def _at_most_hundred(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0 or value > HUNDRED:
        raise ValueError("a percentage is between 0 and 100")
    return value


def percent_text(value: Decimal) -> str:
    """`Decimal("50.00")` -> `"50"`, `Decimal("33.3300")` -> `"33.33"`: the shortest exact form."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


Percent = Annotated[
    Decimal,
    BeforeValidator(_percent_text),
    AfterValidator(_at_most_hundred),
    PlainSerializer(percent_text, return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": _PERCENT.pattern,
            "description": "A percentage from 0 to 100 as a decimal string (never a JSON number).",
            "examples": ["50", "33.3333"],
        }
    ),
]


def _decimal_text(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,4}(\.[0-9]{1,12})?", value):
        raise ValueError('a decimal string such as "16.66665"')
    return Decimal(value)


# A computed proportion (a part of a distribution), kept exact: a decimal string of any scale.
Proportion = Annotated[
    Decimal,
    BeforeValidator(_decimal_text),
    PlainSerializer(percent_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,4}(\.[0-9]{1,12})?$", "examples": ["16.66665"]}),
]


# -- territories ----------------------------------------------------------------------


def normal_territory(codes: list[str]) -> list[str]:
    """`["worldwide"]`, or distinct ISO 3166-1 alpha-2 codes in upper case, sorted."""
    if not codes:
        raise ValueError("a territory names at least one country, or worldwide")
    cleaned = [c.strip() for c in codes]
    if any(c.lower() == WORLDWIDE for c in cleaned):
        if len(cleaned) > 1:
            raise ValueError("worldwide already covers every country: name it alone")
        return [WORLDWIDE]
    upper = [c.upper() for c in cleaned]
    for code in upper:
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (or worldwide)")
    if len(set(upper)) != len(upper):
        raise ValueError("a country is named once in a territory")
    return sorted(upper)


Territory = Annotated[list[str], AfterValidator(normal_territory)]


def territories_overlap(a: list[str], b: list[str]) -> bool:
    return WORLDWIDE in a or WORLDWIDE in b or bool(set(a) & set(b))


def covers(territory: list[str], country: str) -> bool:
    return WORLDWIDE in territory or country in territory


# -- fields of use -----------------------------------------------------------------------


def field_key(field_of_use: str) -> str:
    """How fields of use are compared: without case or extra spaces."""
    return " ".join(field_of_use.casefold().split())


def fields_overlap(a: str, b: str) -> bool:
    ka, kb = field_key(a), field_key(b)
    return ALL_FIELDS in (ka, kb) or ka == kb


# -- calendar ---------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later; when that month is shorter, its last day (29 February
    plus 12 months is 28 February: a time limit in months ends on the last day of a month
    that has no such date)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def nonempty(value: str) -> str:
    if not value.strip():
        raise ValueError("may not be blank")
    return value
