"""Calls for proposals: part of one fund, open between two instants.

Rules (docs/domain.md, Funding):
- a call belongs to one fund; its largest award is never above the fund's budget;
- proposals are accepted between `opens_at` and `closes_at` only; the
  opening and the closing are announced by the service's schedule, once each
  (`open_if_due`, `close_if_due` fire through the call's own sequence, so
  two copies of the service, or a restart, cannot announce one twice);
- eligibility: a proposal needs at least one co-investigator from a sponsor
  of the fund, unless the call waives it (`sponsor_co_pi_required: false`);
- its rules are frozen by its first proposal (`freeze`, recorded on the
  call before the proposal is drafted): after that only the title and the
  description change.

    scheduled -> open -> closed
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, ValidationError, model_validator

from funding.domain.common import changed_fields, require_editable
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
from opp_shared.fields import Instant
from opp_shared.lifecycle import Lifecycle
from opp_shared.money import Money


class CallStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


LIFE = Lifecycle(
    "call",
    {
        "open": ({CallStatus.SCHEDULED}, CallStatus.OPEN),
        "close": ({CallStatus.SCHEDULED, CallStatus.OPEN}, CallStatus.CLOSED),
    },
)

# What a proposal is judged by: frozen once the call has one.
RULES = ("research_areas", "max_award", "sponsor_co_pi_required", "opens_at", "closes_at")
EDITABLE = ("title", "description", *RULES)


class Call(AggregateState):
    fund_id: str
    title: str
    description: str | None = None
    research_areas: list[str] = Field(default_factory=list)
    opens_at: Instant
    closes_at: Instant
    max_award: Money
    sponsor_co_pi_required: bool = True
    status: CallStatus = CallStatus.SCHEDULED
    rules_frozen: bool = False

    @model_validator(mode="after")
    def _rules(self) -> Call:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must come after opens_at")
        if self.max_award.amount <= 0:
            raise ValueError("the largest award must be more than zero")
        return self

    def accepts_proposals_at(self, now: datetime) -> bool:
        return self.status != CallStatus.CLOSED and self.opens_at <= now < self.closes_at


# -- what is particular to each event (`data.change`) --------------------------------


class CallOpened(EventChange):
    opens_at: Instant
    closes_at: Instant


class CallClosed(EventChange):
    closes_at: Instant


CALL = AggregateType(
    topic="funding.call",
    state=Call,
    changes={
        "opened": CallOpened,
        "closed": CallClosed,
        "scheduled": NoChange,
        "updated": FieldsChanged,
        "frozen": FieldsChanged,  # the rules, frozen before the first proposal
    },
    noun="call",
    id_prefix="cal",
    collection="calls",
    route="/api/v1/calls",
    indexes=("fund_id", ("status", "opens_at"), ("status", "closes_at"), "research_areas"),
)


def _within_budget(max_award: Money, fund_budget: Money) -> None:
    if max_award.currency != fund_budget.currency:
        raise RuleViolation(
            f"the fund pays in {fund_budget.currency}; the call's largest award must be in it too",
            currency=fund_budget.currency,
        )
    if max_award > fund_budget:
        raise RuleViolation(
            "a call's largest award cannot be above its fund's budget",
            max_award=max_award.to_api(),
            budget=fund_budget.to_api(),
        )


def schedule(*, fund_id: str, fund_budget: Money, now: datetime, **fields: Any) -> Change:
    """A new call of a fund (open funds only: the handler checks). One whose closing is
    already past is refused; one whose opening is past opens at the schedule's next tick."""
    try:
        call = Call(fund_id=fund_id, **fields)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None
    _within_budget(call.max_award, fund_budget)
    if call.closes_at <= now:
        raise InvalidInput(
            "the call would be closed already", errors=[{"pointer": "#/closes_at", "detail": "in the past"}]
        )
    return Change(CALL.event("scheduled"), call.state())


def edit(current: Call, edits: dict[str, Any], fund_budget: Money) -> Change | None:
    require_editable(edits, EDITABLE)
    if current.status == CallStatus.CLOSED:
        raise RuleViolation("a closed call cannot be changed", current_status=current.status.value)
    frozen = sorted(set(edits) & set(RULES)) if current.rules_frozen else []
    if frozen:
        raise RuleViolation(
            f"the call has proposals: its rules are frozen ({', '.join(frozen)})", fields=frozen, rules_frozen=True
        )
    updated = current.evolve(**edits)
    if "max_award" in edits:
        _within_budget(updated.max_award, fund_budget)
    if updated == current:
        return None
    return Change(CALL.event("updated"), updated.state(), {"fields": changed_fields(current, updated, edits)})


def freeze(current: Call) -> Change | None:
    """The first proposal freezes the rules; later ones find them frozen and record nothing."""
    if current.status == CallStatus.CLOSED:
        raise RuleViolation("the call is closed: it takes no proposals", current_status=current.status.value)
    if current.rules_frozen:
        return None
    return Change(CALL.event("frozen"), current.evolve(rules_frozen=True).state(), {"fields": list(RULES)})


# -- the schedule ------------------------------------------------------------------


def open_if_due(current: Call, now: datetime) -> Change | None:
    if current.status != CallStatus.SCHEDULED or now < current.opens_at:
        return None
    target = LIFE.move(current.status, "open")
    return Change(
        CALL.event("opened"),
        current.evolve(status=target).state(),
        {"opens_at": current.state()["opens_at"], "closes_at": current.state()["closes_at"]},
    )


def close_if_due(current: Call, now: datetime) -> Change | None:
    """Closed once its closing instant has come (after it opened: a call is never closed unopened by the schedule)."""
    if current.status != CallStatus.OPEN or now < current.closes_at:
        return None
    target = LIFE.move(current.status, "close")
    return Change(
        CALL.event("closed"), current.evolve(status=target).state(), {"closes_at": current.state()["closes_at"]}
    )
