"""Field types for request schemas, shared by every service's API.

Everything a client sends is bounded and clean before it reaches the
domain or the database: strings have a maximum length, and no control
characters or unpaired surrogates (FerretDB refuses NUL, BSON cannot encode
a lone surrogate: either would otherwise surface as a 500); numbers have
bounds that fit a 64-bit integer; codes are checked against their standard.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

import pycountry
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StringConstraints,
)

from opp_shared.clock import rfc3339

# C0 and C1 control characters (C1 includes NEL and the CSI that starts terminal escapes).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _encodable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text contains an unpaired surrogate") from None
    return value


def _one_line(value: str) -> str:
    if _CONTROL_ONE_LINE.search(value):
        raise ValueError("text may not contain control characters or line breaks")
    return _encodable(value)


def _multi_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("text may not contain control characters")
    return _encodable(value)


def _country(value: str) -> str:
    code = value.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def _currency(value: str) -> str:
    code = value.upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code


def _iso_date_text(value: object) -> object:
    """A date is an ISO 8601 string: pydantic would also read a number as seconds since 1970."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("a date is written as YYYY-MM-DD")
    return value


def _iso_instant_text(value: object) -> object:
    """An instant is an RFC 3339 string with its offset: pydantic would also read a number as seconds since 1970."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("an instant is written as YYYY-MM-DDTHH:MM:SSZ (or with an offset such as +08:00)")
    return value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _no_leading_dollar(value: str) -> str:
    if value.startswith("$"):
        raise ValueError("may not start with $")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_one_line)]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), AfterValidator(_one_line)
]
LongText = Annotated[str, StringConstraints(max_length=10_000), AfterValidator(_multi_line)]
Reference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"),
]
CountryCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2), AfterValidator(_country)
]
CurrencyCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=3), AfterValidator(_currency)
]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()\-.]{3,39}$")]
Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s/$.?#][^\s]*$"),
    AfterValidator(_one_line),
]
# A person, as the platform knows people: the `sub` of their token (OpenID Connect caps it at 255
# characters). Kept exactly as written (no stripping), since it is compared with the token's.
PersonId = Annotated[
    str, StringConstraints(min_length=1, max_length=255), AfterValidator(_one_line), AfterValidator(_no_leading_dollar)
]
Version = Annotated[int, Field(ge=1, le=2**53)]
Day = Annotated[date, BeforeValidator(_iso_date_text), Field(ge=date(1900, 1, 1), le=date(2999, 12, 31))]
# An instant with its offset (one without is refused), kept in UTC and written as the API writes
# instants (RFC 3339, milliseconds, `Z`), so stored instants compare correctly as text too.
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_instant_text),
    Field(ge=datetime(1900, 1, 1, tzinfo=UTC), le=datetime(2999, 12, 31, tzinfo=UTC)),
    AfterValidator(_utc),
    PlainSerializer(rfc3339, return_type=str, when_used="json"),
]
Key = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(_one_line), AfterValidator(_no_leading_dollar)
]


class StrictBody(BaseModel):
    """Base of request bodies: unknown fields are refused (422), not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
