"""Disbursements: the payments of an award, each planned, approved and paid.

Rules (docs/domain.md, Funding):
- a disbursement is at most what remains of its award (checked on the
  award's sequence: `award.plan_disbursement`);
- the day it is planned for (`scheduled_on`) and the day it was actually
  paid (`paid_on`) are separate fields;
- it may wait on a deliverable, such as a progress report: it cannot be
  approved until that deliverable is accepted;
- a cancelled one gives its money back to the award.

    scheduled -> approved -> paid
    scheduled | approved -> cancelled
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from funding.domain.common import happened_on
from opp_shared.aggregate import AggregateState, AggregateType, Change, EventChange, field_errors, first_error
from opp_shared.errors import InvalidInput, RuleViolation
from opp_shared.lifecycle import Lifecycle
from opp_shared.money import Money


class DisbursementStatus(StrEnum):
    SCHEDULED = "scheduled"
    APPROVED = "approved"
    PAID = "paid"
    CANCELLED = "cancelled"


LIFE = Lifecycle(
    "disbursement",
    {
        "approve": ({DisbursementStatus.SCHEDULED}, DisbursementStatus.APPROVED),
        "pay": ({DisbursementStatus.APPROVED}, DisbursementStatus.PAID),
        "cancel": ({DisbursementStatus.SCHEDULED, DisbursementStatus.APPROVED}, DisbursementStatus.CANCELLED),
        "accept the deliverable of": ({DisbursementStatus.SCHEDULED}, None),
    },
)


class Deliverable(BaseModel):
    """What must be accepted before the money goes out (a progress report, say)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["progress_report", "final_report", "financial_report", "other"] = "progress_report"
    title: str
    due_on: date | None = None
    status: Literal["pending", "accepted"] = "pending"
    accepted_on: date | None = None
    accepted_by: str | None = None


class Disbursement(AggregateState):
    award_id: str
    fund_id: str
    proposal_id: str
    partner_ids: list[str]
    amount: Money
    status: DisbursementStatus = DisbursementStatus.SCHEDULED
    scheduled_on: date  # the day it is planned for
    deliverable: Deliverable | None = None
    note: str | None = None
    approved_on: date | None = None
    approved_by: str | None = None
    paid_on: date | None = None  # the day it was actually paid
    paid_by: str | None = None
    payment_reference: str | None = None
    cancelled_on: date | None = None
    cancel_reason: str | None = None


# -- what is particular to each event (`data.change`) --------------------------------


class DisbursementScheduled(EventChange):
    award_id: str


class DisbursementDeliverableAccepted(EventChange):
    title: str
    accepted_by: str


class DisbursementApproved(EventChange):
    approved_by: str


class DisbursementPaid(EventChange):
    paid_on: date
    scheduled_on: date
    amount: Money


class DisbursementCancelled(EventChange):
    reason: str
    from_: DisbursementStatus = Field(alias="from")


DISBURSEMENT = AggregateType(
    topic="funding.disbursement",
    state=Disbursement,
    changes={
        "scheduled": DisbursementScheduled,
        "approved": DisbursementApproved,
        "paid": DisbursementPaid,
        "cancelled": DisbursementCancelled,
        "deliverable_accepted": DisbursementDeliverableAccepted,
    },
    noun="disbursement",
    id_prefix="dsb",
    collection="disbursements",
    route="/api/v1/disbursements",
    indexes=("award_id", "fund_id", ("status", "scheduled_on"), "partner_ids"),
)


def terms_of(
    *,
    award_id: str,
    award: Any,
    amount: Money,
    scheduled_on: str,
    deliverable: dict[str, Any] | None,
    note: str | None,
) -> dict[str, Any]:
    """The disbursement's terms as the award's `disbursement_planned` event carries them (JSON)."""
    return {
        "award_id": award_id,
        "fund_id": award.fund_id,
        "proposal_id": award.proposal_id,
        "partner_ids": award.partner_ids,
        "amount": amount.to_api(),
        "scheduled_on": scheduled_on,
        "deliverable": deliverable,
        "note": note,
    }


def schedule(terms: dict[str, Any]) -> Change:
    """The disbursement's first change, from the terms its award planned."""
    try:
        disbursement = Disbursement.model_validate(terms)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None
    return Change(DISBURSEMENT.event("scheduled"), disbursement.state(), {"award_id": disbursement.award_id})


def accept_deliverable(current: Disbursement, by: str, today: date) -> Change | None:
    if current.deliverable is None:
        raise RuleViolation("this disbursement waits on no deliverable")
    if current.deliverable.status == "accepted":
        return None
    LIFE.move(current.status, "accept the deliverable of")
    deliverable = current.deliverable.model_copy(update={"status": "accepted", "accepted_on": today, "accepted_by": by})
    return Change(
        DISBURSEMENT.event("deliverable_accepted"),
        current.evolve(deliverable=deliverable).state(),
        {"title": deliverable.title, "accepted_by": by},
    )


def approve(current: Disbursement, by: str, today: date) -> Change:
    target = LIFE.move(current.status, "approve")
    if current.deliverable is not None and current.deliverable.status != "accepted":
        raise RuleViolation(
            f"the disbursement waits on its deliverable ({current.deliverable.title}) being accepted",
            deliverable=current.deliverable.model_dump(mode="json"),
        )
    updated = current.evolve(status=target, approved_on=today, approved_by=by)
    return Change(DISBURSEMENT.event("approved"), updated.state(), {"approved_by": by})


def pay(current: Disbursement, by: str, today: date, paid_on: date | None, reference: str | None) -> Change:
    target = LIFE.move(current.status, "pay")
    day = happened_on(paid_on, today, "paid_on")
    if current.approved_on and day < current.approved_on:
        raise InvalidInput(
            "paid_on cannot come before the approval", errors=[{"pointer": "#/paid_on", "detail": "before approval"}]
        )
    updated = current.evolve(status=target, paid_on=day, paid_by=by, payment_reference=reference)
    return Change(
        DISBURSEMENT.event("paid"),
        updated.state(),
        {
            "paid_on": day.isoformat(),
            "scheduled_on": current.scheduled_on.isoformat(),
            "amount": current.amount.to_api(),
        },
    )


def cancel(current: Disbursement, reason: str, today: date) -> Change:
    target = LIFE.move(current.status, "cancel")
    updated = current.evolve(status=target, cancelled_on=today, cancel_reason=reason)
    return Change(DISBURSEMENT.event("cancelled"), updated.state(), {"reason": reason, "from": current.status.value})
