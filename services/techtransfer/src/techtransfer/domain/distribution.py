"""Distribution of licensing income: costs first, then inventors, their department and the university.

Income first pays back the direct costs named with it (patent and legal
fees); what remains, the net, is shared by a rule whose three parts add up to
100% (inventors, department, university; configured, by default with at
least half to the inventors). The inventors' part is shared by their shares
in the technology.

Rounding, stated once: the net is split in one go over every recipient
(each inventor, then the department, then the university) with weights
`inventors% x inventor's share%`, `department% x 100`, `university% x 100`.
Each part is rounded down to the currency's minor unit; the minor units left
over go one each to the parts with the largest remainders, ties to the
earlier recipient in that order (`opp_shared.money.Money.allocate`). So the
costs recovered and the parts always add up to the income, to the minor unit.

When the costs exceed the income, all of it recovers costs, the parts are
zero, and the rest is stated as `costs_not_recovered` (name it again with the
next income to recover it then).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from opp_shared.aggregate import AggregateState, AggregateType, Change, EventChange
from opp_shared.errors import InvalidInput, RuleViolation
from opp_shared.money import Money
from techtransfer.domain.technology import Technology
from techtransfer.domain.values import HUNDRED, Percent, Proportion

ROUNDING_RULE = (
    "Each part is the net times its weight, rounded down to the currency's minor unit; the minor units left "
    "over go one each to the parts with the largest remainders, ties to the earlier part "
    "(inventors in the technology's order, then the department, then the university)."
)


class CostKind(StrEnum):
    PATENT_FEE = "patent_fee"
    LEGAL_FEE = "legal_fee"


class SharingRule(BaseModel):
    """How the net is shared; the three parts add up to exactly 100%."""

    model_config = ConfigDict(frozen=True)

    inventors: Percent
    department: Percent
    university: Percent

    @model_validator(mode="after")
    def _whole(self) -> SharingRule:
        if self.inventors + self.department + self.university != HUNDRED:
            raise ValueError("the sharing rule's parts (inventors, department, university) must add up to 100%")
        return self


class DirectCost(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: CostKind
    amount: Money
    description: str | None = None


class Part(BaseModel):
    model_config = ConfigDict(frozen=True)

    recipient: Literal["inventor", "department", "university"]
    person_id: str | None = None  # an inventor's
    name: str
    unit: str | None = None
    weight: Proportion  # its part of the net, in percent
    amount: Money


class Distribution(AggregateState):
    derived_fields: ClassVar[tuple[str, ...]] = ("inventor_ids",)

    technology_id: str
    technology_title: str
    license_id: str | None = None
    royalty_report_id: str | None = None
    payment_id: str | None = None
    partner_ids: list[str] = Field(default_factory=list)  # the licensee whose money it was, when known
    currency: str
    income: Money
    direct_costs: list[DirectCost] = Field(default_factory=list)
    costs_recovered: Money
    costs_not_recovered: Money
    net: Money
    rule: SharingRule
    parts: list[Part]
    rounding: str = ROUNDING_RULE
    made_by: str | None = None
    notes: str | None = None

    @computed_field  # stored so that "distributions to this inventor" is a plain query
    @property
    def inventor_ids(self) -> list[str]:
        return [p.person_id for p in self.parts if p.person_id]

    @model_validator(mode="after")
    def _sums(self) -> Distribution:
        total = self.costs_recovered + sum((p.amount for p in self.parts), start=Money.zero(self.currency))
        if total != self.income:
            raise ValueError("a distribution's parts and recovered costs add up to its income")
        return self


# -- what is particular to each event (`data.change`) --------------------------------


class DistributionMade(EventChange):
    net: Money  # the income left to share after direct costs
    inventor_ids: list[str]


DISTRIBUTION = AggregateType(
    topic="techtransfer.distribution",
    state=Distribution,
    changes={"made": DistributionMade},
    noun="distribution",
    id_prefix="dst",
    collection="distributions",
    route="/api/v1/distributions",
    indexes=("technology_id", "license_id", "royalty_report_id", "currency", "partner_ids", "inventor_ids"),
)


def split(
    income: Money, costs: list[DirectCost], technology: Technology, rule: SharingRule
) -> tuple[Money, Money, Money, list[Part]]:
    """(costs recovered, costs not recovered, net, parts) of an income."""
    currency = income.currency
    if income.amount <= 0:
        raise InvalidInput(
            "the income to distribute is more than zero",
            errors=[{"pointer": "#/income/amount", "detail": "not positive"}],
        )
    total_costs = Money.zero(currency)
    for i, cost in enumerate(costs):
        if cost.amount.currency != currency:
            raise InvalidInput(
                f"costs are recovered from the income in its currency, {currency}",
                errors=[{"pointer": f"#/direct_costs/{i}/amount/currency", "detail": f"expected {currency}"}],
            )
        if cost.amount.is_negative:
            raise InvalidInput(
                "a cost cannot be negative",
                errors=[{"pointer": f"#/direct_costs/{i}/amount/amount", "detail": "negative"}],
            )
        total_costs = total_costs + cost.amount
    recovered = total_costs if total_costs <= income else income
    net = income - recovered
    recipients: list[tuple[dict[str, Any], Decimal]] = [
        ({"recipient": "inventor", "person_id": i.person_id, "name": i.name, "unit": i.unit}, rule.inventors * i.share)
        for i in technology.inventors
    ]
    recipients.append(({"recipient": "department", "name": technology.department}, rule.department * HUNDRED))
    recipients.append(({"recipient": "university", "name": "University"}, rule.university * HUNDRED))
    weights = [weight for _, weight in recipients]
    amounts = net.allocate(weights) if not net.is_zero else [Money.zero(currency)] * len(recipients)
    parts = [
        Part(**who, weight=weight / HUNDRED, amount=amount)
        for (who, weight), amount in zip(recipients, amounts, strict=True)
    ]
    return recovered, total_costs - recovered, net, parts


def make(
    *,
    technology_id: str,
    technology: Technology,
    income: Money,
    direct_costs: list[DirectCost],
    rule: SharingRule,
    made_by: str | None,
    license_id: str | None = None,
    licensee_id: str | None = None,
    royalty_report_id: str | None = None,
    payment_id: str | None = None,
    notes: str | None = None,
) -> Change:
    recovered, not_recovered, net, parts = split(income, direct_costs, technology, rule)
    distribution = Distribution(
        technology_id=technology_id,
        technology_title=technology.title,
        license_id=license_id,
        royalty_report_id=royalty_report_id,
        payment_id=payment_id,
        partner_ids=[licensee_id] if licensee_id else [],
        currency=income.currency,
        income=income,
        direct_costs=direct_costs,
        costs_recovered=recovered,
        costs_not_recovered=not_recovered,
        net=net,
        rule=rule,
        parts=parts,
        made_by=made_by,
        notes=notes,
    )
    return Change(
        DISTRIBUTION.event("made"),
        distribution.state(),
        {"net": net.to_api(), "inventor_ids": distribution.inventor_ids},
    )


def check_rule(rule: SharingRule, minimum_inventors: Decimal) -> None:
    if rule.inventors < minimum_inventors:
        raise RuleViolation(f"the inventors' part must be at least {minimum_inventors}% of the net")
