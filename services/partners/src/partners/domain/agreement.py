"""Agreements: their parties, typed dates, families and life cycle.

Life cycle (docs/domain.md): draft -> under_review -> signed -> active -> expired | terminated.
Each move is an action; any other move is refused (409) and changes nothing.
An agreement cannot become active without `effective_from` and `signed_on`.
Families: a renewal creates a successor linked to its predecessor; an
amendment is a child of the agreement it changes; a framework agreement
parents the agreements made under it. Terms are edited while the agreement
is a draft or under review; once signed, its terms change only through an
amendment (documents and notes can still be added).

Timed rules: reminders 90, 30 and 7 days before `expires_on` (each once,
for that expiry date; one missed while the service was down goes out late,
marked `late`), `expired` on the day, and `signature_overdue` once when an
agreement has waited before signature longer than the configured time.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, model_validator

from opp_shared.aggregate import AggregateState, AggregateType, Change, field_errors, first_error
from opp_shared.errors import IllegalTransition, InvalidInput, RuleViolation

REMINDER_DAYS = (90, 30, 7)


class AgreementType(StrEnum):
    STRATEGIC = "strategic"
    FRAMEWORK = "framework"
    MOU = "mou"
    MEMBERSHIP = "membership"
    JOINT_CENTER = "joint_center"
    EXCHANGE = "exchange"


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    UNDER_REVIEW = "under_review"
    SIGNED = "signed"
    ACTIVE = "active"
    EXPIRED = "expired"
    TERMINATED = "terminated"


BEFORE_SIGNATURE = frozenset({AgreementStatus.DRAFT, AgreementStatus.UNDER_REVIEW})
IN_FORCE = frozenset({AgreementStatus.SIGNED, AgreementStatus.ACTIVE})
ENDED = frozenset({AgreementStatus.EXPIRED, AgreementStatus.TERMINATED})

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[AgreementStatus], AgreementStatus]] = {
    "submit": (frozenset({AgreementStatus.DRAFT}), AgreementStatus.UNDER_REVIEW),
    "sign": (frozenset({AgreementStatus.UNDER_REVIEW}), AgreementStatus.SIGNED),
    "activate": (frozenset({AgreementStatus.SIGNED}), AgreementStatus.ACTIVE),
    "terminate": (IN_FORCE, AgreementStatus.TERMINATED),
    "expire": (IN_FORCE, AgreementStatus.EXPIRED),
}
RENEWABLE = frozenset({AgreementStatus.SIGNED, AgreementStatus.ACTIVE, AgreementStatus.EXPIRED})


class Party(BaseModel):
    model_config = ConfigDict(frozen=True)

    partner_id: str
    lead: bool = False


class Signatory(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    title: str | None = None
    side: Literal["university", "partner"]
    partner_id: str | None = None
    signed_on: date | None = None


class Document(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    media_type: str
    checksum: str
    location: str
    version: int = 1


class Agreement(AggregateState):
    derived_fields: ClassVar[tuple[str, ...]] = ("party_ids", "partner_ids")

    type: AgreementType
    title: str
    scope: str | None = None
    status: AgreementStatus = AgreementStatus.DRAFT
    parties: list[Party]
    signatories: list[Signatory] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    owner: str | None = None
    notes: str | None = None
    effective_from: date | None = None
    signed_on: date | None = None
    expires_on: date | None = None
    terminated_on: date | None = None
    termination_reason: str | None = None
    drafted_on: date
    submitted_on: date | None = None
    renewal_of: str | None = None
    renewed_by: str | None = None
    amends: str | None = None
    amendments: list[str] = Field(default_factory=list)
    framework_id: str | None = None
    under_framework: list[str] = Field(default_factory=list)
    reminders_sent: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules(self) -> Agreement:
        if not self.parties:
            raise ValueError("an agreement has at least one partner party")
        ids = [p.partner_id for p in self.parties]
        if len(set(ids)) != len(ids):
            raise ValueError("a partner is a party only once")
        if sum(p.lead for p in self.parties) > 1:
            raise ValueError("at most one party leads")
        if self.effective_from and self.expires_on and self.expires_on <= self.effective_from:
            raise ValueError("expires_on must come after effective_from")
        if self.signed_on and self.expires_on and self.expires_on <= self.signed_on:
            raise ValueError("expires_on must come after signed_on")
        return self

    @computed_field  # stored beside `parties` so that "agreements of this partner" is a plain query
    @property
    def party_ids(self) -> list[str]:
        return [p.partner_id for p in self.parties]

    @computed_field  # the platform's one field for the partners an aggregate involves (see docs/conventions.md)
    @property
    def partner_ids(self) -> list[str]:
        return self.party_ids

    @property
    def lead_id(self) -> str | None:
        return next((p.partner_id for p in self.parties if p.lead), None)


AGREEMENT = AggregateType(
    topic="partners.agreement",
    state=Agreement,
    noun="agreement",
    id_prefix="agr",
    collection="agreements",
    route="/api/v1/agreements",
    indexes=(("status", "expires_on"), "party_ids", "type", "amends", "framework_id", "renewal_of"),
)


def _event(name: str) -> str:
    return AGREEMENT.event(name)


def _move(current: Agreement, action: str) -> AgreementStatus:
    sources, target = TRANSITIONS[action]
    if current.status not in sources:
        raise IllegalTransition(
            f"cannot {action} an agreement that is {current.status.value}",
            current_status=current.status.value,
            allowed_from=sorted(s.value for s in sources),
        )
    return target


# -- drafting and editing ------------------------------------------------------

TERMS = (
    "type",
    "title",
    "scope",
    "parties",
    "signatories",
    "effective_from",
    "expires_on",
    "owner",
    "notes",
    "documents",
)
EDITABLE_AFTER_SIGNATURE = frozenset({"documents", "notes", "owner"})


def draft(  # parties, signatories and documents as models or in their JSON form: the model validates either
    *,
    today: date,
    type: AgreementType,
    title: str,
    parties: list[Party] | list[dict[str, Any]],
    scope: str | None = None,
    signatories: list[Signatory] | list[dict[str, Any]] | None = None,
    documents: list[Document] | list[dict[str, Any]] | None = None,
    owner: str | None = None,
    notes: str | None = None,
    effective_from: date | None = None,
    expires_on: date | None = None,
    renewal_of: str | None = None,
    amends: str | None = None,
    framework_id: str | None = None,
) -> Change:
    if amends and framework_id:
        raise InvalidInput("an agreement is either an amendment or made under a framework, not both")
    try:
        agreement = Agreement(
            type=type,
            title=title,
            scope=scope,
            parties=parties,
            signatories=signatories or [],
            documents=documents or [],
            owner=owner,
            notes=notes,
            effective_from=effective_from,
            expires_on=expires_on,
            drafted_on=today,
            renewal_of=renewal_of,
            amends=amends,
            framework_id=framework_id,
        )
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None
    return Change(
        _event("drafted"), agreement.state(), {"renewal_of": renewal_of, "amends": amends, "framework_id": framework_id}
    )


def edit(current: Agreement, edits: dict[str, Any]) -> Change | None:
    unknown = set(edits) - set(TERMS)
    if unknown:
        raise InvalidInput(f"not editable: {sorted(unknown)}")
    if current.status in ENDED:
        raise IllegalTransition(
            f"an agreement that is {current.status.value} cannot be edited", current_status=current.status.value
        )
    if current.status not in BEFORE_SIGNATURE:
        locked = sorted(set(edits) - EDITABLE_AFTER_SIGNATURE)
        if locked:
            raise RuleViolation(
                f"the terms of a {current.status.value} agreement change only through an amendment: {locked}",
                fields=locked,
            )
    updated = current.evolve(**edits)
    if updated == current:
        return None
    fields = sorted(k for k in edits if getattr(updated, k) != getattr(current, k))
    return Change(_event("amended"), updated.state(), {"fields": fields})


# -- the life cycle --------------------------------------------------------------


def submit(current: Agreement, today: date) -> Change:
    target = _move(current, "submit")
    return Change(_event("submitted"), current.evolve(status=target, submitted_on=today).state())


def sign(
    current: Agreement, today: date, signed_on: date, signatories: list[Signatory] | list[dict[str, Any]] | None = None
) -> Change:
    target = _move(current, "sign")
    if signed_on > today:
        raise InvalidInput(
            "signed_on cannot be in the future", errors=[{"pointer": "#/signed_on", "detail": "after today"}]
        )
    changes: dict[str, Any] = {"status": target, "signed_on": signed_on}
    if signatories is not None:
        changes["signatories"] = signatories
    return Change(_event("signed"), current.evolve(**changes).state(), {"signed_on": signed_on.isoformat()})


def activate(current: Agreement, today: date, effective_from: date | None = None) -> Change:
    target = _move(current, "activate")
    effective = effective_from or current.effective_from
    if effective is None or current.signed_on is None:
        raise RuleViolation(
            "an agreement cannot become active without effective_from and signed_on",
            missing=[
                name
                for name, value in (("effective_from", effective), ("signed_on", current.signed_on))
                if value is None
            ],
        )
    if effective > today:
        raise RuleViolation(
            f"its terms start on {effective.isoformat()}; activate it on or after that day",
            effective_from=effective.isoformat(),
        )
    return Change(_event("activated"), current.evolve(status=target, effective_from=effective).state())


def terminate(current: Agreement, today: date, reason: str, terminated_on: date | None = None) -> Change:
    target = _move(current, "terminate")
    ended = terminated_on or today
    if current.signed_on and ended < current.signed_on:
        raise InvalidInput("terminated_on cannot come before signed_on")
    if ended > today:
        raise InvalidInput("terminated_on cannot be in the future: terminate on the day")
    return Change(
        _event("terminated"),
        current.evolve(status=target, terminated_on=ended, termination_reason=reason).state(),
        {"reason": reason, "terminated_on": ended.isoformat(), "from": current.status.value},
    )


def mark_renewed(current: Agreement, successor_id: str, terms: dict[str, Any]) -> Change:
    """The predecessor records its successor; this record is what makes a second renewal a conflict."""
    if current.status not in RENEWABLE:
        raise IllegalTransition(
            f"an agreement that is {current.status.value} cannot be renewed", current_status=current.status.value
        )
    if current.renewed_by:
        raise RuleViolation(f"already renewed by {current.renewed_by}", successor_id=current.renewed_by)
    return Change(
        _event("renewed"),
        current.evolve(renewed_by=successor_id).state(),
        {"successor_id": successor_id, "terms": terms},
    )


def renewal_draft(predecessor_id: str, predecessor: Agreement, today: date, terms: dict[str, Any]) -> Change:
    """The successor's first change: a draft with the predecessor's parties and terms, new dates."""
    return draft(
        today=today,
        type=predecessor.type,
        title=terms.get("title") or predecessor.title,
        scope=predecessor.scope,
        parties=list(predecessor.parties),
        owner=predecessor.owner,
        effective_from=_day(terms.get("effective_from")),
        expires_on=_day(terms.get("expires_on")),
        renewal_of=predecessor_id,
        framework_id=predecessor.framework_id,
    )


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


# -- families (recorded on the parent when a child is drafted) ---------------------


def link_child(current: Agreement, child_id: str, relation: Literal["amendment", "under_framework"]) -> Change | None:
    if relation == "amendment":
        if child_id in current.amendments:
            return None
        updated = current.evolve(amendments=[*current.amendments, child_id])
        return Change(_event("amended"), updated.state(), {"amendment_id": child_id})
    if child_id in current.under_framework:
        return None
    updated = current.evolve(under_framework=[*current.under_framework, child_id])
    return Change(_event("amended"), updated.state(), {"fields": ["under_framework"], "child_id": child_id})


def replace_party(current: Agreement, old_id: str, new_id: str) -> Change | None:
    """A merged partner's place goes to its successor (agreements still before or in force)."""
    if old_id not in current.party_ids or current.status in ENDED:
        return None
    was_lead = any(p.lead for p in current.parties if p.partner_id == old_id)
    parties: list[Party] = []
    for party in current.parties:
        if party.partner_id == old_id:
            continue
        if party.partner_id == new_id:
            party = Party(partner_id=new_id, lead=party.lead or was_lead)
        parties.append(party)
    if new_id not in [p.partner_id for p in parties]:
        parties.append(Party(partner_id=new_id, lead=was_lead))
    signatories = [
        s.model_copy(update={"partner_id": new_id}) if s.partner_id == old_id else s for s in current.signatories
    ]
    updated = current.evolve(parties=parties, signatories=signatories)
    return Change(
        _event("amended"), updated.state(), {"fields": ["parties"], "merged_partner": old_id, "successor_id": new_id}
    )


# -- timed rules -------------------------------------------------------------------


def reminder_key(days: int, expires_on: date) -> str:
    return f"expiring:{days}:{expires_on.isoformat()}"


def due_reminders(current: Agreement, today: date) -> list[int]:
    """Thresholds (days before expiry) whose reminder is due today and not yet sent, earliest first.
    None after the expiry date itself: then the agreement expires instead."""
    if current.status not in IN_FORCE or current.expires_on is None or today >= current.expires_on:
        return []
    return [
        days
        for days in REMINDER_DAYS
        if today >= current.expires_on - timedelta(days=days)
        and reminder_key(days, current.expires_on) not in current.reminders_sent
    ]


def remind_expiry(current: Agreement, today: date) -> Change | None:
    """The next due expiry reminder (one change records one reminder)."""
    due = due_reminders(current, today)
    if not due:
        return None
    days = due[0]
    expires_on = current.expires_on
    assert expires_on is not None
    scheduled_on = expires_on - timedelta(days=days)
    updated = current.evolve(reminders_sent=[*current.reminders_sent, reminder_key(days, expires_on)])
    return Change(
        _event("expiring"),
        updated.state(),
        {
            "days_before": days,
            "expires_on": expires_on.isoformat(),
            "days_left": (expires_on - today).days,
            "due_on": scheduled_on.isoformat(),
            "late": today > scheduled_on,
        },
    )


def expire(current: Agreement, today: date) -> Change | None:
    if current.status not in IN_FORCE or current.expires_on is None or today < current.expires_on:
        return None
    target = _move(current, "expire")
    return Change(
        _event("expired"),
        current.evolve(status=target).state(),
        {"expires_on": current.expires_on.isoformat(), "from": current.status.value},
    )


def signature_overdue_key(since: date) -> str:
    return f"signature_overdue:{since.isoformat()}"


def flag_signature_overdue(current: Agreement, today: date, overdue_after_days: int) -> Change | None:
    """Once per wait: measured from submission, or from drafting when never submitted."""
    if current.status not in BEFORE_SIGNATURE:
        return None
    since = current.submitted_on or current.drafted_on
    key = signature_overdue_key(since)
    if (today - since).days < overdue_after_days or key in current.reminders_sent:
        return None
    updated = current.evolve(reminders_sent=[*current.reminders_sent, key])
    return Change(
        _event("signature_overdue"),
        updated.state(),
        {"waiting_since": since.isoformat(), "days_waiting": (today - since).days, "stage": current.status.value},
    )
