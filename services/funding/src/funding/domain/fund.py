"""Funds: a budget in one currency that sponsors fill, and the ledger of what its awards take.

Rules (docs/domain.md, Funding):
- the awards made from a fund add up to its budget at most. Every award is
  first recorded here, as a commitment on the fund's own sequence
  (`commit`), which checks what is available; two awards racing for the last
  money both try to insert the fund's next event record and only one can, so
  the other is decided again on the new figures;
- the figures are kept in integer minor units of the fund's currency
  (`*_minor`), so sums are exact; the API shows them as money too
  (`budget`, `committed`, `disbursed`, `available`);
- a fund may require an active agreement with its sponsors; while one of
  them has none it is flagged (`flagged`, `flag_reason`) and takes no new
  award. The flag is set from funding's view of partners' agreements;
- what its awards have paid out (`disbursed`) follows the awards' own
  ledgers: each commitment keeps the paid figure of the award's latest
  version it has seen, so a repeated or late event changes nothing.

    open -> closed
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, model_validator

from funding.domain.common import Person, changed_fields, require_editable
from opp_shared.aggregate import (
    AggregateState,
    AggregateType,
    Change,
    EventChange,
    FieldsChanged,
    NoChange,
    field_errors,
    first_error,
)
from opp_shared.errors import InvalidInput, RuleViolation
from opp_shared.lifecycle import Lifecycle
from opp_shared.money import Money


class FundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


LIFE = Lifecycle("fund", {"close": ({FundStatus.OPEN}, FundStatus.CLOSED)})


class Commitment(BaseModel):
    """An award's share of the fund, in minor units, and what it has paid out so far."""

    model_config = ConfigDict(frozen=True)

    award_id: str
    proposal_id: str
    amount_minor: int = Field(gt=0)
    disbursed_minor: int = Field(0, ge=0)
    award_version: int = Field(1, ge=1)  # the award's version `disbursed_minor` was read from


class Fund(AggregateState):
    derived_fields: ClassVar[tuple[str, ...]] = ("budget", "committed", "disbursed", "available", "award_count")

    name: str
    description: str | None = None
    partner_ids: list[str]  # the sponsors
    research_areas: list[str] = Field(default_factory=list)
    currency: str
    budget_minor: int = Field(ge=0)
    status: FundStatus = FundStatus.OPEN
    manager: Person | None = None
    agreement_required: bool = False
    flagged: bool = False
    flag_reason: str | None = None
    commitments: list[Commitment] = Field(default_factory=list)
    closed_on: date | None = None
    close_reason: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Fund:
        if not self.partner_ids:
            raise ValueError("a fund has at least one sponsor")
        if len(set(self.partner_ids)) != len(self.partner_ids):
            raise ValueError("a sponsor is listed once")
        if self.committed_minor > self.budget_minor:
            raise ValueError("the awards of a fund cannot add up to more than its budget")
        return self

    # -- figures ------------------------------------------------------------------

    @property
    def committed_minor(self) -> int:
        return sum(c.amount_minor for c in self.commitments)

    @property
    def disbursed_minor(self) -> int:
        return sum(c.disbursed_minor for c in self.commitments)

    @property
    def available_minor(self) -> int:
        return self.budget_minor - self.committed_minor

    def money(self, minor: int) -> Money:
        return Money.from_minor(minor, self.currency)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def budget(self) -> Money:
        return self.money(self.budget_minor)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def committed(self) -> Money:
        """The sum of the fund's awards."""
        return self.money(self.committed_minor)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def disbursed(self) -> Money:
        """What its awards have paid out."""
        return self.money(self.disbursed_minor)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def available(self) -> Money:
        """The budget less the awards: what new awards may still take."""
        return self.money(self.available_minor)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def award_count(self) -> int:
        return len(self.commitments)

    def commitment_of(self, *, award_id: str | None = None, proposal_id: str | None = None) -> Commitment | None:
        return next(
            (c for c in self.commitments if c.award_id == award_id or c.proposal_id == proposal_id),
            None,
        )

    def figures(self, requested: Money | None = None) -> dict[str, Any]:
        """The figures a refusal names."""
        found = {
            "budget": self.budget.to_api(),
            "committed": self.committed.to_api(),
            "available": self.available.to_api(),
        }
        if requested is not None:
            found["requested"] = requested.to_api()
        return found


# -- what is particular to each event (`data.change`) --------------------------------


class FundClosed(EventChange):
    reason: str | None
    closed_on: date


class FundCommitted(EventChange):
    """Part of the fund set aside for an award: the decision that keeps awards within the budget."""

    award_id: str  # the award to be created under this id ...
    proposal_id: str
    amount: Money
    award: dict[str, Any]  # ... with these terms (funding creates it from this event)


class FundDisbursed(EventChange):
    award_id: str
    award_paid: Money  # what the award has paid out so far


class FundFlagged(EventChange):
    reason: str | None  # why the fund's sponsors' agreements do not cover it
    missing_partner_ids: list[str]  # sponsors with no active agreement


class FundUnflagged(EventChange):
    was: str | None  # the reason it was flagged


FUND = AggregateType(
    topic="funding.fund",
    state=Fund,
    changes={
        "created": NoChange,
        "updated": FieldsChanged,
        "closed": FundClosed,
        "committed": FundCommitted,
        "disbursed": FundDisbursed,
        "flagged": FundFlagged,
        "unflagged": FundUnflagged,
    },
    noun="fund",
    id_prefix="fnd",
    collection="funds",
    route="/api/v1/funds",
    indexes=("status", "partner_ids", "currency", "research_areas", ("agreement_required", "status"), "flagged"),
)

EDITABLE = ("name", "description", "partner_ids", "research_areas", "budget", "manager", "agreement_required")


def _invalid(exc: ValidationError) -> InvalidInput:
    return InvalidInput(first_error(exc), errors=field_errors(exc))


def create(
    *,
    name: str,
    partner_ids: list[str],
    budget: Money,
    flag: AgreementCheck,
    description: str | None = None,
    research_areas: list[str] | None = None,
    manager: dict[str, Any] | None = None,
    agreement_required: bool = False,
) -> Change:
    try:
        fund = Fund(
            name=name,
            description=description,
            partner_ids=partner_ids,
            research_areas=research_areas or [],
            currency=budget.currency,
            budget_minor=budget.minor,
            manager=manager,
            agreement_required=agreement_required,
            flagged=agreement_required and not flag.satisfied,
            flag_reason=flag.reason if agreement_required and not flag.satisfied else None,
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    return Change(FUND.event("created"), fund.state())


def _require_open(current: Fund, doing: str) -> None:
    if current.status != FundStatus.OPEN:
        raise RuleViolation(
            f"the fund is {current.status.value}: it takes no {doing}", current_status=current.status.value
        )


def edit(current: Fund, edits: dict[str, Any]) -> Change | None:
    """Edit the fund's description, sponsors, areas, manager, or budget. The budget keeps its
    currency and cannot go below what the awards have taken."""
    require_editable(edits, EDITABLE)
    _require_open(current, "edits")
    changes = dict(edits)
    if "budget" in changes:
        budget = changes.pop("budget")
        budget = budget if isinstance(budget, Money) else Money.model_validate(budget)
        if budget.currency != current.currency:
            raise InvalidInput(
                f"the fund's currency is {current.currency}; its budget stays in it",
                errors=[{"pointer": "#/budget/currency", "detail": f"must be {current.currency}"}],
            )
        if budget.minor < current.committed_minor:
            raise RuleViolation(
                "the budget cannot go below what the fund's awards have taken", **current.figures(budget)
            )
        changes["budget_minor"] = budget.minor
    if changes.get("agreement_required") is False:
        changes.update(flagged=False, flag_reason=None)
    updated = current.evolve(**changes)
    if updated == current:
        return None
    fields = changed_fields(current, updated, {("budget" if k == "budget_minor" else k): v for k, v in changes.items()})
    return Change(FUND.event("updated"), updated.state(), {"fields": fields})


def close(current: Fund, today: date, reason: str | None) -> Change:
    target = LIFE.move(current.status, "close")
    updated = current.evolve(status=target, closed_on=today, close_reason=reason)
    return Change(FUND.event("closed"), updated.state(), {"reason": reason, "closed_on": today.isoformat()})


# -- the ledger ----------------------------------------------------------------------


def commit(current: Fund, award_id: str, proposal_id: str, amount: Money, terms: dict[str, Any]) -> Change | None:
    """Record an award's share of the budget: the one decision that keeps awards within it.
    `terms` are the award's, carried by the event so a follow-up can create the award if the
    process dies before it does. The same award again decides nothing (a retry)."""
    held = current.commitment_of(award_id=award_id, proposal_id=proposal_id)
    if held is not None:
        if held.award_id == award_id and held.proposal_id == proposal_id:
            return None
        raise RuleViolation(
            f"proposal {held.proposal_id} already has award {held.award_id}",
            proposal_id=held.proposal_id,
            award_id=held.award_id,
        )
    _require_open(current, "new awards")
    if current.flagged:
        raise RuleViolation(
            f"the fund takes no new awards: {current.flag_reason}", reason="no-active-agreement", flagged=True
        )
    if amount.currency != current.currency:
        raise RuleViolation(f"the fund pays in {current.currency}, not {amount.currency}", currency=current.currency)
    if amount.minor > current.available_minor:
        raise RuleViolation(
            f"the fund has {current.available.to_api()['amount']} {current.currency} available, "
            f"less than the {amount.to_api()['amount']} requested",
            reason="over-budget",
            **current.figures(amount),
        )
    commitment = Commitment(award_id=award_id, proposal_id=proposal_id, amount_minor=amount.minor)
    updated = current.evolve(commitments=[*current.commitments, commitment])
    return Change(
        FUND.event("committed"),
        updated.state(),
        {"award_id": award_id, "proposal_id": proposal_id, "amount": amount.to_api(), "award": terms},
    )


def record_disbursed(current: Fund, award_id: str, paid_minor: int, award_version: int) -> Change | None:
    """An award's paid figure, as of one of its versions; older or repeated news changes nothing."""
    held = current.commitment_of(award_id=award_id)
    if held is None or held.award_version >= award_version or held.disbursed_minor == paid_minor:
        return None
    commitments = [
        c.model_copy(update={"disbursed_minor": paid_minor, "award_version": award_version})
        if c.award_id == award_id
        else c
        for c in current.commitments
    ]
    updated = current.evolve(commitments=commitments)
    return Change(
        FUND.event("disbursed"),
        updated.state(),
        {"award_id": award_id, "award_paid": current.money(paid_minor).to_api()},
    )


# -- the agreement requirement ---------------------------------------------------------


class AgreementCheck(BaseModel):
    """Whether every sponsor has an active agreement with the university, and if not, why."""

    model_config = ConfigDict(frozen=True)

    satisfied: bool
    reason: str | None = None
    missing_partner_ids: list[str] = Field(default_factory=list)


def check_agreements(sponsor_ids: list[str], active_agreements: list[dict[str, Any]]) -> AgreementCheck:
    """`active_agreements`: states of the agreements partners announced as active (any type);
    each sponsor must be a party to at least one of them."""
    covered = {pid for a in active_agreements if a.get("status") == "active" for pid in a.get("partner_ids") or []}
    missing = [pid for pid in sponsor_ids if pid not in covered]
    if not missing:
        return AgreementCheck(satisfied=True)
    return AgreementCheck(
        satisfied=False,
        reason="no active agreement with sponsor " + ", ".join(missing),
        missing_partner_ids=missing,
    )


def set_agreement_flag(current: Fund, check: AgreementCheck) -> Change | None:
    """Flag or clear the fund as its sponsors' agreements come and go (only a change is recorded)."""
    flagged = current.agreement_required and not check.satisfied
    reason = check.reason if flagged else None
    if (flagged, reason) == (current.flagged, current.flag_reason):
        return None
    updated = current.evolve(flagged=flagged, flag_reason=reason)
    if flagged:
        return Change(
            FUND.event("flagged"),
            updated.state(),
            {"reason": reason, "missing_partner_ids": check.missing_partner_ids},
        )
    return Change(FUND.event("unflagged"), updated.state(), {"was": current.flag_reason})
