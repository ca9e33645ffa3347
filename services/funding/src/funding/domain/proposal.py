"""Proposals to a call, their reviews and the decision on them.

Rules (docs/domain.md, Funding):
- a proposal names its principal investigator (`pi`: a person of the
  university, with their unit) and its co-investigators (`co_pis`, each with
  their partner); at least one co-investigator comes from a sponsor of the
  fund, unless the call waives it;
- it asks for an amount in the fund's currency, at most the call's largest
  award, in one of the call's research areas (when the call names some);
- it is submitted only while its call accepts proposals;
- reviewers are assigned by the office; nobody reviews a proposal they are
  on, or one from their own unit (409); a reviewer scores their own
  assignment (1 to 10) with comments;
- a decision records who decided, why and when. An award is decided through
  the fund (`award.py` and the fund's ledger); the proposal records it.

    draft -> submitted -> under_review -> awarded | rejected
    draft | submitted | under_review -> withdrawn
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, model_validator

from funding.domain.call import Call
from funding.domain.common import CoInvestigator, Person, changed_fields, require_editable, same_unit
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
from opp_shared.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from opp_shared.fields import Instant
from opp_shared.lifecycle import Lifecycle
from opp_shared.money import Money


class ProposalStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    AWARDED = "awarded"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


BEFORE_DECISION = frozenset({ProposalStatus.DRAFT, ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW})
DECIDED = frozenset({ProposalStatus.AWARDED, ProposalStatus.REJECTED})

LIFE = Lifecycle(
    "proposal",
    {
        "submit": ({ProposalStatus.DRAFT}, ProposalStatus.SUBMITTED),
        "assign a reviewer to": (
            {ProposalStatus.SUBMITTED, ProposalStatus.UNDER_REVIEW},
            ProposalStatus.UNDER_REVIEW,
        ),
        "review": ({ProposalStatus.UNDER_REVIEW}, None),
        "award": ({ProposalStatus.UNDER_REVIEW}, ProposalStatus.AWARDED),
        "reject": ({ProposalStatus.UNDER_REVIEW}, ProposalStatus.REJECTED),
        "withdraw": (BEFORE_DECISION, ProposalStatus.WITHDRAWN),
        "edit": ({ProposalStatus.DRAFT}, None),
    },
)

EDITABLE = ("title", "abstract", "research_area", "requested", "pi", "co_pis")
SCORES = (1, 10)


class Review(BaseModel):
    """One reviewer's assignment to a proposal, and their review once given."""

    model_config = ConfigDict(frozen=True)

    reviewer_id: str
    name: str
    unit: str | None = None
    assigned_by: str
    assigned_at: Instant
    status: Literal["assigned", "submitted"] = "assigned"
    score: int | None = Field(None, ge=SCORES[0], le=SCORES[1])
    comments: str | None = None
    submitted_at: Instant | None = None


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Literal["awarded", "rejected"]
    decided_by: str
    reason: str
    decided_at: Instant
    award_id: str | None = None


class Proposal(AggregateState):
    derived_fields: ClassVar[tuple[str, ...]] = ("partner_ids", "reviewer_ids", "person_ids")

    call_id: str
    fund_id: str
    title: str
    abstract: str | None = None
    research_area: str | None = None
    requested: Money
    pi: Person
    co_pis: list[CoInvestigator] = Field(default_factory=list)
    status: ProposalStatus = ProposalStatus.DRAFT
    submitted_at: Instant | None = None
    reviews: list[Review] = Field(default_factory=list)
    decision: Decision | None = None
    award_id: str | None = None
    withdrawn_at: Instant | None = None
    withdrawal_reason: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Proposal:
        if self.pi.unit is None:
            raise ValueError("the principal investigator's unit is needed (reviews are judged by it)")
        if self.requested.amount <= 0:
            raise ValueError("the amount requested must be more than zero")
        reviewers = [r.reviewer_id for r in self.reviews]
        if len(set(reviewers)) != len(reviewers):
            raise ValueError("a reviewer is assigned once")
        return self

    @computed_field  # the partners a proposal involves, through its co-investigators
    @property
    def partner_ids(self) -> list[str]:
        return list(dict.fromkeys(c.partner_id for c in self.co_pis))

    @computed_field  # stored for "the proposals this person reviews"
    @property
    def reviewer_ids(self) -> list[str]:
        return [r.reviewer_id for r in self.reviews]

    @computed_field  # everyone on the proposal who has a person id: they may not review it
    @property
    def person_ids(self) -> list[str]:
        return list(dict.fromkeys([self.pi.person_id, *(c.person_id for c in self.co_pis if c.person_id)]))

    def review_of(self, reviewer_id: str) -> Review | None:
        return next((r for r in self.reviews if r.reviewer_id == reviewer_id), None)


# -- what is particular to each event (`data.change`) --------------------------------


class ProposalWithdrawn(EventChange):
    reason: str | None
    from_: ProposalStatus = Field(alias="from")


class ProposalReviewerAssigned(EventChange):
    reviewer_id: str
    from_: ProposalStatus = Field(alias="from")


class ProposalReviewed(EventChange):
    reviewer_id: str
    score: int
    revised: bool  # the reviewer had submitted a review before and changed it


class ProposalAwarded(EventChange):
    award_id: str
    decided_by: str
    reason: str
    from_: ProposalStatus = Field(alias="from")


class ProposalRejected(EventChange):
    decided_by: str
    reason: str


PROPOSAL = AggregateType(
    topic="funding.proposal",
    state=Proposal,
    changes={
        "submitted": NoChange,
        "reviewed": ProposalReviewed,
        "awarded": ProposalAwarded,
        "rejected": ProposalRejected,
        "withdrawn": ProposalWithdrawn,
        "drafted": NoChange,
        "updated": FieldsChanged,
        "reviewer_assigned": ProposalReviewerAssigned,
    },
    noun="proposal",
    id_prefix="prp",
    collection="proposals",
    route="/api/v1/proposals",
    indexes=("call_id", "fund_id", "status", "partner_ids", "reviewer_ids", "pi.person_id"),
)


# -- eligibility ---------------------------------------------------------------------


def check_fit(proposal: Proposal, call: Call, sponsor_ids: list[str]) -> None:
    """What a proposal must satisfy under its call's rules (409 naming the rule)."""
    if proposal.requested.currency != call.max_award.currency:
        raise RuleViolation(
            f"the call pays in {call.max_award.currency}, not {proposal.requested.currency}",
            currency=call.max_award.currency,
        )
    if proposal.requested > call.max_award:
        raise RuleViolation(
            "the amount requested is above the call's largest award",
            requested=proposal.requested.to_api(),
            max_award=call.max_award.to_api(),
        )
    if call.research_areas and proposal.research_area not in call.research_areas:
        raise RuleViolation(
            f"the call is open to {', '.join(call.research_areas)} only", research_areas=call.research_areas
        )
    if call.sponsor_co_pi_required and not set(proposal.partner_ids) & set(sponsor_ids):
        raise RuleViolation(
            "at least one co-investigator must come from a sponsor of the fund (the call does not waive it)",
            sponsor_ids=sponsor_ids,
        )


# -- drafting and editing --------------------------------------------------------------


def draft(*, call: Call, call_id: str, sponsor_ids: list[str], **fields: Any) -> Change:
    try:
        proposal = Proposal(call_id=call_id, fund_id=call.fund_id, **fields)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None
    check_fit(proposal, call, sponsor_ids)
    return Change(PROPOSAL.event("drafted"), proposal.state())


def edit(current: Proposal, edits: dict[str, Any], call: Call, sponsor_ids: list[str]) -> Change | None:
    require_editable(edits, EDITABLE)
    LIFE.move(current.status, "edit")
    updated = current.evolve(**edits)
    check_fit(updated, call, sponsor_ids)
    if updated == current:
        return None
    return Change(PROPOSAL.event("updated"), updated.state(), {"fields": changed_fields(current, updated, edits)})


def submit(current: Proposal, call: Call, sponsor_ids: list[str], now: datetime) -> Change:
    target = LIFE.move(current.status, "submit")
    if not call.accepts_proposals_at(now):
        raise RuleViolation(
            "the call does not accept proposals now",
            opens_at=call.state()["opens_at"],
            closes_at=call.state()["closes_at"],
            call_status=call.status.value,
        )
    check_fit(current, call, sponsor_ids)
    updated = current.evolve(status=target, submitted_at=now)
    return Change(PROPOSAL.event("submitted"), updated.state())


def withdraw(current: Proposal, reason: str | None, now: datetime) -> Change:
    target = LIFE.move(current.status, "withdraw")
    updated = current.evolve(status=target, withdrawn_at=now, withdrawal_reason=reason)
    return Change(PROPOSAL.event("withdrawn"), updated.state(), {"reason": reason, "from": current.status.value})


# -- reviews ---------------------------------------------------------------------------


def assign_reviewer(current: Proposal, reviewer: Person, assigned_by: str, now: datetime) -> Change | None:
    """Assign a reviewer (the first moves the proposal under review). Nobody reviews a proposal
    they are on, or one from their own unit."""
    if current.review_of(reviewer.person_id) is not None:
        return None
    target = LIFE.move(current.status, "assign a reviewer to")
    if reviewer.person_id in current.person_ids:
        raise RuleViolation(
            f"{reviewer.person_id} is on this proposal and cannot review it",
            reviewer_id=reviewer.person_id,
            conflict="on-the-proposal",
        )
    if same_unit(reviewer.unit, current.pi.unit):
        raise RuleViolation(
            f"{reviewer.person_id} belongs to the proposal's unit ({current.pi.unit}) and cannot review it",
            reviewer_id=reviewer.person_id,
            conflict="same-unit",
        )
    review = Review(
        reviewer_id=reviewer.person_id, name=reviewer.name, unit=reviewer.unit, assigned_by=assigned_by, assigned_at=now
    )
    updated = current.evolve(status=target, reviews=[*current.reviews, review])
    return Change(
        PROPOSAL.event("reviewer_assigned"),
        updated.state(),
        {"reviewer_id": reviewer.person_id, "from": current.status.value},
    )


def review(current: Proposal, reviewer_id: str, score: int, comments: str | None, now: datetime) -> Change | None:
    """A reviewer gives (or revises, until the decision) their own review."""
    assignment = current.review_of(reviewer_id)
    if assignment is None:
        raise NotFound(f"{reviewer_id} has no review assignment on this proposal")
    LIFE.move(current.status, "review")
    if (assignment.status, assignment.score, assignment.comments) == ("submitted", score, comments):
        return None
    reviewed = assignment.model_copy(
        update={"status": "submitted", "score": score, "comments": comments, "submitted_at": now}
    )
    updated = current.evolve(reviews=[reviewed if r.reviewer_id == reviewer_id else r for r in current.reviews])
    return Change(
        PROPOSAL.event("reviewed"),
        updated.state(),
        {"reviewer_id": reviewer_id, "score": score, "revised": assignment.status == "submitted"},
    )


def require_reviewer(current: Proposal, caller: str) -> None:
    """Only the reviewer assigned may give their review."""
    if current.review_of(caller) is None:
        raise Forbidden("only the reviewer assigned may give this review")


# -- decisions --------------------------------------------------------------------------


def check_awardable(current: Proposal, amount: Money) -> None:
    """Before anything is committed: the proposal is under review and the amount is within what it asked."""
    LIFE.move(current.status, "award")
    if amount.currency != current.requested.currency:
        raise RuleViolation(
            f"the proposal asked for {current.requested.currency}, not {amount.currency}",
            currency=current.requested.currency,
        )
    if amount > current.requested:
        raise RuleViolation(
            "an award cannot be above what the proposal requested",
            requested=current.requested.to_api(),
            amount=amount.to_api(),
        )


def record_award(current: Proposal, award_id: str, decided_by: str, reason: str, decided_at: datetime) -> Change | None:
    """The proposal records the award the fund committed. The fund's commitment is the decision
    of record, so it stands even over a withdrawal or rejection that raced it."""
    if current.award_id == award_id:
        return None
    if current.award_id is not None:
        raise RuleViolation(f"the proposal already has award {current.award_id}", award_id=current.award_id)
    decision = Decision(
        outcome="awarded", decided_by=decided_by, reason=reason, decided_at=decided_at, award_id=award_id
    )
    updated = current.evolve(status=ProposalStatus.AWARDED, decision=decision, award_id=award_id)
    return Change(
        PROPOSAL.event("awarded"),
        updated.state(),
        {"award_id": award_id, "decided_by": decided_by, "reason": reason, "from": current.status.value},
    )


def reject(current: Proposal, decided_by: str, reason: str, now: datetime) -> Change:
    target = LIFE.move(current.status, "reject")
    decision = Decision(outcome="rejected", decided_by=decided_by, reason=reason, decided_at=now)
    updated = current.evolve(status=target, decision=decision)
    return Change(PROPOSAL.event("rejected"), updated.state(), {"decided_by": decided_by, "reason": reason})
