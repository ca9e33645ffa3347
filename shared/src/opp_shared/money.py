"""Money: an exact amount in one ISO 4217 currency (pure).

- In the API and in events an amount is `{"amount": "1234.50", "currency": "EUR"}`:
  a decimal string with exactly the currency's number of decimals (its ISO 4217
  exponent: JPY 0, CNY 2, KWD 3). A JSON number is refused: money is never a float.
- Where a service stores figures of its own (sums, ledgers, views) it stores
  integer minor units, `{"minor": 123450, "currency": "EUR"}` (`to_storage`).
- Arithmetic is `Decimal` arithmetic on the same currency; adding or comparing
  two currencies raises `CurrencyMismatch`. Totals over several currencies are
  kept per currency (`Totals`), never summed into one figure.
- Rounding is explicit: `times` rounds half to even to the currency's exponent;
  `allocate` splits an amount by shares so that the parts sum to it exactly.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated, Any, Self

import iso4217
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    WithJsonSchema,
    field_serializer,
    field_validator,
    model_validator,
)

# 15 digits before the point keep every amount's minor units well inside a 64-bit integer.
_AMOUNT = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,4})?$")
_MAX_MINOR = 2**63 - 1


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were added or compared."""


def exponent(currency: str) -> int:
    """The number of decimals of a currency (ISO 4217); ValueError for a code that is
    not a currency of account (unknown, or a metal or fund code with no minor unit)."""
    try:
        found = iso4217.Currency(currency.upper()).exponent
    except ValueError:
        found = None
    if found is None or len(currency) != 3:
        raise ValueError(f"{currency!r} is not an ISO 4217 currency with a minor unit")
    return found


_AMOUNT_SCHEMA = {
    "type": "string",
    "pattern": _AMOUNT.pattern,
    "description": "A decimal string with the currency's number of decimals (never a JSON number).",
    "examples": ["1234.50"],
}
_CURRENCY_SCHEMA = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217", "examples": ["EUR"]}


class Money(BaseModel):
    """`{"amount": "1234.50", "currency": "EUR"}`"""

    model_config = ConfigDict(frozen=True)

    amount: Annotated[Decimal, WithJsonSchema(_AMOUNT_SCHEMA)]
    currency: Annotated[str, WithJsonSchema(_CURRENCY_SCHEMA)]

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, value: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError("a currency is an upper-case ISO 4217 code such as EUR")
        exponent(value)
        return value

    @field_validator("amount", mode="before")
    @classmethod
    def _decimal_text(cls, value: Any) -> Any:
        if isinstance(value, Decimal):
            return value
        if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
            raise ValueError('an amount is a decimal string such as "1234.50" (never a JSON number)')
        return Decimal(value)

    @model_validator(mode="after")
    def _scale(self) -> Self:
        if not self.amount.is_finite():
            raise ValueError("an amount must be finite")
        places = exponent(self.currency)
        if self.amount != self.amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN):
            raise ValueError(f"{self.currency} amounts have {places} decimal places at most")
        if abs(self.minor) > _MAX_MINOR:
            raise ValueError("the amount is too large")
        return self

    @field_serializer("amount")
    def _amount_text(self, value: Decimal) -> str:
        return str(value.quantize(Decimal(1).scaleb(-exponent(self.currency))))

    # -- storage ----------------------------------------------------------------

    @property
    def minor(self) -> int:
        """The amount in minor units (cents, fils, yen)."""
        return int(self.amount.scaleb(exponent(self.currency)))

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        return cls(amount=str(amount) if isinstance(amount, int) else amount, currency=currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(amount=Decimal(0), currency=currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(amount=Decimal(minor).scaleb(-exponent(currency)), currency=currency)

    def to_storage(self) -> dict[str, Any]:
        return {"minor": self.minor, "currency": self.currency}

    @classmethod
    def from_storage(cls, document: dict[str, Any]) -> Money:
        return cls.from_minor(int(document["minor"]), document["currency"])

    def to_api(self) -> dict[str, str]:
        return self.model_dump(mode="json")

    # -- arithmetic -------------------------------------------------------------

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __neg__(self) -> Money:
        return Money(amount=-self.amount, currency=self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def times(self, factor: Decimal | int | str) -> Money:
        """The amount times `factor` (a rate, a share), rounded half to even to the currency's decimals."""
        try:
            exact = self.amount * Decimal(factor)
        except InvalidOperation as exc:
            raise ValueError(f"{factor!r} is not a decimal factor") from exc
        quantum = Decimal(1).scaleb(-exponent(self.currency))
        return Money(amount=exact.quantize(quantum, rounding=ROUND_HALF_EVEN), currency=self.currency)

    def allocate(self, weights: list[Decimal]) -> list[Money]:
        """Split the amount by `weights` (shares, not necessarily summing to 1) so that the
        parts sum to it exactly: each part is rounded down to a minor unit, then the minor
        units left over go one each to the largest remainders, ties to the earlier weight."""
        if not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError("allocate needs non-negative weights with a positive sum")
        total = sum(weights)
        sign = -1 if self.minor < 0 else 1
        minor = abs(self.minor)
        exact = [Decimal(minor) * w / total for w in weights]
        parts = [int(e) for e in exact]
        left = minor - sum(parts)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
        for i in by_remainder[:left]:
            parts[i] += 1
        return [Money.from_minor(sign * p, self.currency) for p in parts]


def non_negative(money: Money) -> Money:
    if money.is_negative:
        raise ValueError("an amount cannot be negative")
    return money


def positive(money: Money) -> Money:
    if money.amount <= 0:
        raise ValueError("an amount must be more than zero")
    return money


def of_account(currency: str) -> str:
    """A currency money can be kept in: ISO 4217 with a minor unit (`XXX` and `XAU` are ISO
    4217 codes too, but no amount can be kept in them). For a request's currency field:
    `Annotated[CurrencyCode, AfterValidator(of_account)]`; ValueError otherwise (a 422)."""
    exponent(currency)
    return currency


class MoneyIn(Money):
    """Money in a request body: as `Money`, and a member it does not know is refused (422)
    instead of dropped, as request bodies are strict (`opp_shared.fields.StrictBody`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# Request fields: `budget: NonNegativeMoney`, `amount: PositiveMoney`.
NonNegativeMoney = Annotated[MoneyIn, AfterValidator(non_negative)]
PositiveMoney = Annotated[MoneyIn, AfterValidator(positive)]


class Totals:
    """Sums kept per currency: amounts in different currencies are never added together."""

    def __init__(self) -> None:
        self._by_currency: dict[str, Money] = {}

    def add(self, money: Money) -> None:
        held = self._by_currency.get(money.currency)
        self._by_currency[money.currency] = money if held is None else held + money

    def get(self, currency: str) -> Money:
        return self._by_currency.get(currency.upper()) or Money.zero(currency)

    def currencies(self) -> list[str]:
        return sorted(self._by_currency)

    def as_list(self) -> list[dict[str, str]]:
        """`[{"amount": "...", "currency": "EUR"}, ...]`, by currency code."""
        return [self._by_currency[c].to_api() for c in self.currencies()]


def parse(value: Any) -> Money | None:
    """Money from its API form, or None when `value` is not valid money (for consumers
    reading other services' events, which must never fail on an odd field)."""
    try:
        return Money.model_validate(value)
    except (ValueError, TypeError):
        return None
