"""Agreements: their parties, typed dates, families and life cycle.

Life cycle (docs/domain.md): draft -> under_review -> signed -> active -> expired | terminated;
a draft or an agreement under review can be withdrawn instead (final).
Each move is an action; any other move is refused (409) and changes nothing.
An agreement cannot become active without `effective_from` and `signed_on`.
Families: a renewal creates a successor linked to its predecessor; an
amendment is a child of the agreement it changes; a framework agreement
parents the agreements made under it. Terms are edited while the agreement
is a draft or under review; once signed, its terms change only through an
amendment (documents and notes can still be added): an amendment states its
`changes`, and when it becomes active they are applied to its parent.

Timed rules: reminders 90, 30 and 7 days before `expires_on` (each once,
for that expiry date; one missed while the service was down goes out late,
marked `late`), `expired` on the day, and `signature_overdue` once when an
agreement has waited before signature longer than the configured time. An
amendment that moves `expires_on` starts the reminders over for the new date.

People are person ids (the token's `sub`) beside a name kept for display:
`owner_id` beside `owner`, `person_id` on the university's signatories.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, model_validator

from opp_shared.aggregate import AggregateState, AggregateType, Change, EventChange, NoChange, field_errors, first_error
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
    WITHDRAWN = "withdrawn"


BEFORE_SIGNATURE = frozenset({AgreementStatus.DRAFT, AgreementStatus.UNDER_REVIEW})
IN_FORCE = frozenset({AgreementStatus.SIGNED, AgreementStatus.ACTIVE})
# Final states: nothing changes an agreement in one of them (a withdrawn one was never signed).
ENDED = frozenset({AgreementStatus.EXPIRED, AgreementStatus.TERMINATED, AgreementStatus.WITHDRAWN})
# What a portfolio counts as open: still to be signed, or in force.
OPEN = BEFORE_SIGNATURE | IN_FORCE

# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[AgreementStatus], AgreementStatus]] = {
    "submit": (frozenset({AgreementStatus.DRAFT}), AgreementStatus.UNDER_REVIEW),
    "sign": (frozenset({AgreementStatus.UNDER_REVIEW}), AgreementStatus.SIGNED),
    "activate": (frozenset({AgreementStatus.SIGNED}), AgreementStatus.ACTIVE),
    "terminate": (IN_FORCE, AgreementStatus.TERMINATED),
    "expire": (IN_FORCE, AgreementStatus.EXPIRED),
    "withdraw": (BEFORE_SIGNATURE, AgreementStatus.WITHDRAWN),
}
RENEWABLE = frozenset({AgreementStatus.SIGNED, AgreementStatus.ACTIVE, AgreementStatus.EXPIRED})


class Party(BaseModel):
    model_config = ConfigDict(frozen=True)

    partner_id: str
    lead: bool = False


class Signatory(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str  # kept for display
    title: str | None = None
    side: Literal["university", "partner"]
    partner_id: str | None = None
    signed_on: date | None = None
    person_id: str | None = None  # a university signatory's person id (the token's `sub`)

    @model_validator(mode="after")
    def _person_on_the_university_side(self) -> Signatory:
        if self.person_id is not None and self.side != "university":
            raise ValueError("person_id names someone of the university: a partner's signatory has none")
        return self


class Document(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    media_type: str
    checksum: str
    location: str
    version: int = 1


class AmendmentChanges(BaseModel):
    """What an amendment changes in the agreement it amends, applied when the amendment becomes active.
    A field left out (None, or empty) is not changed."""

    model_config = ConfigDict(frozen=True)

    expires_on: date | None = None
    add_parties: list[Party] = Field(default_factory=list)
    remove_parties: list[str] = Field(default_factory=list)
    scope: str | None = None
    # Added to the parent's documents; one of the same name replaces the parent's (a new version of it).
    documents: list[Document] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules(self) -> AmendmentChanges:
        if (
            self.expires_on is None
            and self.scope is None
            and not (self.add_parties or self.remove_parties or self.documents)
        ):
            raise ValueError("changes must change something: expires_on, parties, scope or documents")
        added = [p.partner_id for p in self.add_parties]
        if len(set(added)) != len(added) or len(set(self.remove_parties)) != len(self.remove_parties):
            raise ValueError("a partner is named once in add_parties and once in remove_parties")
        if set(added) & set(self.remove_parties):
            raise ValueError("a partner cannot be both added and removed")
        if sum(p.lead for p in self.add_parties) > 1:
            raise ValueError("at most one party leads")
        names = [d.name for d in self.documents]
        if len(set(names)) != len(names):
            raise ValueError("each document is named once")
        return self


class Agreement(AggregateState):
    derived_fields: ClassVar[tuple[str, ...]] = ("party_ids", "partner_ids")

    type: AgreementType
    title: str
    scope: str | None = None
    status: AgreementStatus = AgreementStatus.DRAFT
    parties: list[Party]
    signatories: list[Signatory] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    owner: str | None = None  # the owner's name, for display
    owner_id: str | None = None  # the owner's person id (the token's `sub`): "my agreements" filter by it
    notes: str | None = None
    effective_from: date | None = None
    signed_on: date | None = None
    expires_on: date | None = None
    terminated_on: date | None = None
    termination_reason: str | None = None
    drafted_on: date
    submitted_on: date | None = None
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None
    renewal_of: str | None = None
    renewed_by: str | None = None
    amends: str | None = None
    changes: AmendmentChanges | None = None  # an amendment's changes to the agreement it amends
    amendments: list[str] = Field(default_factory=list)
    applied_amendments: list[str] = Field(default_factory=list)  # amendments whose changes this agreement took
    # The day an amendment last moved `expires_on`: reminders whose day had passed by then are not "missed".
    expiry_amended_on: date | None = None
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
        if self.changes is not None and not self.amends:
            raise ValueError("changes belong to an amendment: draft it with `amends`")
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


# -- what is particular to each event (`data.change`) --------------------------------


class AgreementDrafted(EventChange):
    renewal_of: str | None  # the agreement this one renews
    amends: str | None  # the agreement this amendment changes
    framework_id: str | None  # the framework agreement it is made under


class AgreementSigned(EventChange):
    signed_on: date


class AgreementAmended(EventChange):
    """An edit of the terms, a family link recorded on the parent, an amendment applied, or a
    merged party replaced: `fields` names what changed, the rest says why."""

    fields: list[str] = Field(default_factory=list)
    amendment_id: str | None = None  # an amendment of this agreement was drafted
    child_id: str | None = None  # an agreement was made under this framework
    applied_amendment_id: str | None = None  # an active amendment's changes were applied ...
    previous: dict[str, Any] | None = None  # ... and these were the values of `fields` before
    merged_partner: str | None = None  # a party was merged into another partner ...
    successor_id: str | None = None  # ... which took its place
    withdrawn_successor_id: str | None = None  # this agreement's renewal was withdrawn: it may be renewed again


class AgreementExpiring(EventChange):
    days_before: int  # the reminder's threshold: 90, 30 or 7
    expires_on: date
    days_left: int
    due_on: date  # the day the reminder was due
    late: bool  # sent after that day (the service was down, or the expiry was amended)


class AgreementSignatureOverdue(EventChange):
    waiting_since: date
    days_waiting: int
    stage: AgreementStatus


class AgreementExpired(EventChange):
    expires_on: date
    from_: AgreementStatus = Field(alias="from")


class AgreementTerminated(EventChange):
    reason: str
    terminated_on: date
    from_: AgreementStatus = Field(alias="from")


class AgreementRenewed(EventChange):
    successor_id: str  # the renewal, drafted with these terms
    terms: dict[str, Any]


class AgreementWithdrawn(EventChange):
    reason: str
    withdrawn_on: date
    from_: AgreementStatus = Field(alias="from")


AGREEMENT = AggregateType(
    topic="partners.agreement",
    state=Agreement,
    changes={
        "drafted": AgreementDrafted,
        "submitted": NoChange,
        "signed": AgreementSigned,
        "activated": NoChange,
        "amended": AgreementAmended,
        "expiring": AgreementExpiring,
        "signature_overdue": AgreementSignatureOverdue,
        "expired": AgreementExpired,
        "terminated": AgreementTerminated,
        "renewed": AgreementRenewed,
        "withdrawn": AgreementWithdrawn,
    },
    noun="agreement",
    id_prefix="agr",
    collection="agreements",
    route="/api/v1/agreements",
    indexes=(
        ("status", "expires_on"),
        "party_ids",
        "type",
        "amends",
        "framework_id",
        "renewal_of",
        "owner_id",
        "expires_on",
    ),
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
    "owner_id",
    "notes",
    "documents",
    "changes",
)
EDITABLE_AFTER_SIGNATURE = frozenset({"documents", "notes", "owner", "owner_id"})


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
    owner_id: str | None = None,
    notes: str | None = None,
    effective_from: date | None = None,
    expires_on: date | None = None,
    renewal_of: str | None = None,
    amends: str | None = None,
    changes: AmendmentChanges | dict[str, Any] | None = None,
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
            owner_id=owner_id,
            notes=notes,
            effective_from=effective_from,
            expires_on=expires_on,
            drafted_on=today,
            renewal_of=renewal_of,
            amends=amends,
            changes=changes,
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


def withdraw(current: Agreement, today: date, reason: str) -> Change | None:
    """A draft or an agreement under review that will never be signed is abandoned (final)."""
    if current.status == AgreementStatus.WITHDRAWN:
        return None  # withdrawn already: a repeated action changes nothing
    target = _move(current, "withdraw")
    return Change(
        _event("withdrawn"),
        current.evolve(status=target, withdrawn_on=today, withdrawal_reason=reason).state(),
        {"reason": reason, "withdrawn_on": today.isoformat(), "from": current.status.value},
    )


def forget_withdrawn_renewal(current: Agreement, successor_id: str) -> Change | None:
    """A renewal's successor was withdrawn: the predecessor may be renewed again."""
    if current.renewed_by != successor_id:
        return None
    return Change(
        _event("amended"),
        current.evolve(renewed_by=None).state(),
        {"fields": ["renewed_by"], "withdrawn_successor_id": successor_id},
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
        owner_id=predecessor.owner_id,
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


def amendment_changes(value: AmendmentChanges | dict[str, Any] | None) -> AmendmentChanges | None:
    """An amendment's `changes` in their JSON form, validated (422 pointing into `changes` otherwise)."""
    if value is None or isinstance(value, AmendmentChanges):
        return value
    try:
        return AmendmentChanges.model_validate(value)
    except ValidationError as exc:
        errors = [{**e, "pointer": "#/changes" + e["pointer"].removeprefix("#")} for e in field_errors(exc)]
        raise InvalidInput(first_error(exc), errors=errors) from None


def check_amendment(parent: Agreement, changes: AmendmentChanges | None, today: date) -> None:
    """Refuse (409) an amendment of `parent` as it stands: one that is not signed or active, or
    changes it cannot take: a party removed that is not one, a party added that already is, or
    terms out of order (dates, no party left, two leads)."""
    if parent.status not in IN_FORCE:
        raise RuleViolation(
            f"only a signed or active agreement can be amended; it is {parent.status.value}",
            current_status=parent.status.value,
        )
    if changes is None:
        return
    not_parties = sorted(set(changes.remove_parties) - set(parent.party_ids))
    already = sorted({p.partner_id for p in changes.add_parties} & set(parent.party_ids))
    if not_parties or already:
        raise RuleViolation(
            "an amendment removes parties of the agreement and adds others",
            not_parties=not_parties,
            already_parties=already,
        )
    try:  # a trial run on the parent as it is now (the id is a placeholder: nothing is recorded)
        apply_amendment(parent, "(amendment)", changes, today)
    except InvalidInput as exc:
        raise RuleViolation(f"the agreement it amends cannot take these changes: {exc}") from None


def apply_amendment(
    current: Agreement, amendment_id: str, changes: AmendmentChanges | None, today: date
) -> Change | None:
    """The parent takes an active amendment's changes, once: the change names the amendment, and the
    amendment is recorded in `applied_amendments` by the same change. Parties are a set here (one
    added that is there already, or removed that is gone, e.g. after a merge, changes nothing);
    a new `expires_on` starts the reminders over for that date (`expiry_amended_on`). An amendment
    that states no changes (as all did before they could) leaves its parent as it is."""
    if changes is None or amendment_id in current.applied_amendments:
        return None
    if current.status not in IN_FORCE:
        raise RuleViolation(
            f"an agreement that is {current.status.value} cannot be amended", current_status=current.status.value
        )
    removed = set(changes.remove_parties)
    parties = [p for p in current.parties if p.partner_id not in removed]
    parties += [p for p in changes.add_parties if p.partner_id not in current.party_ids]
    updates: dict[str, Any] = {"applied_amendments": [*current.applied_amendments, amendment_id], "parties": parties}
    if changes.scope is not None:
        updates["scope"] = changes.scope
    if changes.documents:
        replaced = {d.name for d in changes.documents}
        updates["documents"] = [d for d in current.documents if d.name not in replaced] + list(changes.documents)
    if changes.expires_on is not None and changes.expires_on != current.expires_on:
        updates["expires_on"] = changes.expires_on
        updates["expiry_amended_on"] = today
    updated = current.evolve(**updates)
    fields = [name for name in TERMS if getattr(updated, name) != getattr(current, name)]
    before = current.state()
    return Change(
        _event("amended"),
        updated.state(),
        {"fields": fields, "applied_amendment_id": amendment_id, "previous": {name: before[name] for name in fields}},
    )


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


def reminder_days(current: Agreement) -> dict[int, date]:
    """The reminders the agreement's current `expires_on` has, threshold -> the day it is due.

    Normally each is due `days` before the expiry date. When an amendment set that date, a
    threshold whose day had already passed was never missed: only the nearest of those is
    kept, due on the day of the amendment (the office hears once how long is left); the
    farther ones are left out."""
    expires_on = current.expires_on
    if expires_on is None:
        return {}
    days_of = {days: expires_on - timedelta(days=days) for days in REMINDER_DAYS}
    known_since = current.expiry_amended_on
    if known_since is None:
        return days_of
    passed = [days for days, due in days_of.items() if due < known_since]
    nearest = min(passed, default=None)
    return {
        days: (known_since if days == nearest else due)
        for days, due in days_of.items()
        if days not in passed or days == nearest
    }


def due_reminders(current: Agreement, today: date) -> list[int]:
    """Thresholds (days before expiry) whose reminder is due today and not yet sent, earliest first.
    None after the expiry date itself: then the agreement expires instead. Reminders are keyed
    by the date they are for, so those sent for an earlier `expires_on` do not count."""
    if current.status not in IN_FORCE or current.expires_on is None or today >= current.expires_on:
        return []
    return [
        days
        for days, due in reminder_days(current).items()
        if today >= due and reminder_key(days, current.expires_on) not in current.reminders_sent
    ]


def remind_expiry(current: Agreement, today: date) -> Change | None:
    """The next due expiry reminder (one change records one reminder)."""
    due = due_reminders(current, today)
    if not due:
        return None
    days = due[0]
    expires_on = current.expires_on
    assert expires_on is not None
    scheduled_on = reminder_days(current)[days]
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
