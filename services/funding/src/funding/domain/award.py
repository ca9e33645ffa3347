"""Awards: what a fund granted to a proposal, and the ledger of its disbursements.

Rules (docs/domain.md, Funding):
- an award is made from a proposal under review, at most what it requested;
  its money is first committed on the fund (`fund.commit`), and the award is
  created under the id that commitment fixed, so a crash in between is
  completed from the fund's `committed` event;
- its disbursements never add up to more than the award: each is first
  planned here (`plan_disbursement`), on the award's own sequence, which
  checks what remains; the disbursement is then created under the id the
  plan fixed. A cancelled disbursement gives its money back; a paid one is
  recorded as paid;
- figures are kept in integer minor units (`*_minor`) and shown as money
  (`amount`, `planned`, `paid`, `remaining`).

    granted -> closed
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, model_validator

from funding.domain.common import Person
from opp_shared.aggregate import AggregateState, AggregateType, Change, EventChange, field_errors, first_error
from opp_shared.errors import InvalidInput, RuleViolation
from opp_shared.fields import Instant
from opp_shared.lifecycle import Lifecycle
from opp_shared.money import Money


class AwardStatus(StrEnum):
    GRANTED = "granted"
    CLOSED = "closed"


LIFE = Lifecycle("award", {"close": ({AwardStatus.GRANTED}, AwardStatus.CLOSED)})


class Tranche(BaseModel):
    """One disbursement's share of the award."""

    model_config = ConfigDict(frozen=True)

    disbursement_id: str
    amount_minor: int = Field(gt=0)
    status: Literal["planned", "paid", "released"] = "planned"


class Award(AggregateState):
    derived_fields: ClassVar[tuple[str, ...]] = ("amount", "planned", "paid", "remaining")

    fund_id: str
    call_id: str
    proposal_id: str
    title: str
    partner_ids: list[str] = Field(default_factory=list)
    pi: Person
    currency: str
    amount_minor: int = Field(gt=0)
    status: AwardStatus = AwardStatus.GRANTED
    granted_by: str
    granted_at: Instant
    reason: str
    tranches: list[Tranche] = Field(default_factory=list)
    closed_on: date | None = None
    close_reason: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Award:
        if self.planned_minor > self.amount_minor:
            raise ValueError("the disbursements of an award cannot add up to more than the award")
        return self

    @property
    def planned_minor(self) -> int:
        """Disbursed or to be disbursed: every tranche not given back."""
        return sum(t.amount_minor for t in self.tranches if t.status != "released")

    @property
    def paid_minor(self) -> int:
        return sum(t.amount_minor for t in self.tranches if t.status == "paid")

    def money(self, minor: int) -> Money:
        return Money.from_minor(minor, self.currency)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def amount(self) -> Money:
        return self.money(self.amount_minor)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def planned(self) -> Money:
        """What its disbursements take, paid or not (cancelled ones excepted)."""
        return self.money(self.planned_minor)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def paid(self) -> Money:
        return self.money(self.paid_minor)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def remaining(self) -> Money:
        """What is left of the award for new disbursements."""
        return self.money(self.amount_minor - self.planned_minor)

    def tranche(self, disbursement_id: str) -> Tranche | None:
        return next((t for t in self.tranches if t.disbursement_id == disbursement_id), None)


# -- what is particular to each event (`data.change`) --------------------------------


class AwardGranted(EventChange):
    fund_id: str
    proposal_id: str


class AwardClosed(EventChange):
    reason: str | None
    closed_on: date


class AwardDisbursementPlanned(EventChange):
    """Part of the award set aside for a disbursement: the decision that keeps disbursements within it."""

    disbursement_id: str  # the disbursement to be created under this id ...
    amount: Money
    disbursement: dict[str, Any]  # ... with these terms (funding creates it from this event)


class AwardDisbursementSettled(EventChange):
    """A planned disbursement was paid, or cancelled and its share released back to the award."""

    disbursement_id: str
    amount: Money


AWARD = AggregateType(
    topic="funding.award",
    state=Award,
    changes={
        "granted": AwardGranted,
        "closed": AwardClosed,
        "disbursement_planned": AwardDisbursementPlanned,
        "disbursement_released": AwardDisbursementSettled,
        "disbursement_paid": AwardDisbursementSettled,
    },
    noun="award",
    id_prefix="awd",
    collection="awards",
    route="/api/v1/awards",
    indexes=("fund_id", "call_id", "proposal_id", "status", "partner_ids"),
)


def grant(terms: dict[str, Any]) -> Change:
    """The award's first change, from the terms its fund committed (validated by the model)."""
    try:
        award = Award.model_validate(terms)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None
    return Change(AWARD.event("granted"), award.state(), {"fund_id": award.fund_id, "proposal_id": award.proposal_id})


def terms_of(
    *,
    fund_id: str,
    proposal_id: str,
    proposal: Any,
    amount: Money,
    granted_by: str,
    granted_at: str,
    reason: str,
) -> dict[str, Any]:
    """The award's terms as the fund's `committed` event carries them (JSON)."""
    return {
        "fund_id": fund_id,
        "call_id": proposal.call_id,
        "proposal_id": proposal_id,
        "title": proposal.title,
        "partner_ids": proposal.partner_ids,
        "pi": proposal.pi.model_dump(mode="json"),
        "currency": amount.currency,
        "amount_minor": amount.minor,
        "granted_by": granted_by,
        "granted_at": granted_at,
        "reason": reason,
    }


def close(current: Award, today: date, reason: str | None) -> Change:
    target = LIFE.move(current.status, "close")
    pending = [t.disbursement_id for t in current.tranches if t.status == "planned"]
    if pending:
        raise RuleViolation(
            "an award with disbursements still to pay or cancel cannot be closed", disbursement_ids=pending
        )
    updated = current.evolve(status=target, closed_on=today, close_reason=reason)
    return Change(AWARD.event("closed"), updated.state(), {"reason": reason, "closed_on": today.isoformat()})


# -- the ledger of disbursements ----------------------------------------------------------


def plan_disbursement(current: Award, disbursement_id: str, amount: Money, terms: dict[str, Any]) -> Change | None:
    """Set aside part of the award for one disbursement: the decision that keeps disbursements
    within the award. `terms` travel in the event, so a follow-up can create the disbursement
    if the process dies before it does. The same disbursement again decides nothing."""
    if current.tranche(disbursement_id) is not None:
        return None
    if current.status != AwardStatus.GRANTED:
        raise RuleViolation(f"the award is {current.status.value}: it takes no new disbursement")
    if amount.currency != current.currency:
        raise RuleViolation(f"the award is in {current.currency}, not {amount.currency}", currency=current.currency)
    left = current.amount_minor - current.planned_minor
    if amount.minor > left:
        raise RuleViolation(
            f"only {current.remaining.to_api()['amount']} {current.currency} of the award is left, "
            f"less than the {amount.to_api()['amount']} requested",
            reason="over-award",
            award=current.amount.to_api(),
            planned=current.planned.to_api(),
            available=current.remaining.to_api(),
            requested=amount.to_api(),
        )
    tranche = Tranche(disbursement_id=disbursement_id, amount_minor=amount.minor)
    updated = current.evolve(tranches=[*current.tranches, tranche])
    return Change(
        AWARD.event("disbursement_planned"),
        updated.state(),
        {"disbursement_id": disbursement_id, "amount": amount.to_api(), "disbursement": terms},
    )


def _settle(current: Award, disbursement_id: str, status: Literal["paid", "released"], event: str) -> Change | None:
    tranche = current.tranche(disbursement_id)
    if tranche is None or tranche.status == status:
        return None
    if tranche.status != "planned":
        raise RuleViolation(f"disbursement {disbursement_id} is already {tranche.status} on this award")
    tranches = [
        t.model_copy(update={"status": status}) if t.disbursement_id == disbursement_id else t for t in current.tranches
    ]
    updated = current.evolve(tranches=tranches)
    return Change(
        AWARD.event(event),
        updated.state(),
        {"disbursement_id": disbursement_id, "amount": current.money(tranche.amount_minor).to_api()},
    )


def record_paid(current: Award, disbursement_id: str) -> Change | None:
    return _settle(current, disbursement_id, "paid", "disbursement_paid")


def release(current: Award, disbursement_id: str) -> Change | None:
    """A cancelled disbursement gives its share back to the award."""
    return _settle(current, disbursement_id, "released", "disbursement_released")
