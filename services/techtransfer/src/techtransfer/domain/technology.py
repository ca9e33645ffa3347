"""Technologies: invention disclosures, their inventors, patent records, deadlines and the rights granted in them.

Life cycle (one action per arrow; `licensed` and `transferred` follow from
licenses and assignments, not from a request):

    disclosed -> evaluated -> protected -> available -> licensed | transferred | abandoned
                 evaluated ------------->  available           (know-how, software: licensed unpatented)
    disclosed | evaluated | protected | available -> abandoned
    licensed -> available                                    (when its last license ends)

Inventors' shares add up to exactly 100%. Patent records are kept inside the
technology; from each priority date the service computes the end of the
12-month priority year and, when an international (PCT, `WO`) application
claims it, the 30-month entry into national phases, and announces each ahead
of time (`deadline_approaching`), each lead time once. The rights granted in
the technology are its `grants` (see `rights.py`), so that every grant of
one technology is decided on its own sequence.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_validator, model_validator

from opp_shared.aggregate import (
    AggregateState,
    AggregateType,
    Change,
    EventChange,
    FieldsChanged,
    field_errors,
    first_error,
)
from opp_shared.errors import IllegalTransition, InvalidInput, NotFound, RuleViolation
from opp_shared.lifecycle import Lifecycle
from techtransfer.domain.rights import Grant, LicenseKind, first_conflict
from techtransfer.domain.values import HUNDRED, Percent, add_months, percent_text

PRIORITY_YEAR_MONTHS = 12
NATIONAL_PHASE_MONTHS = 30
# Regional and international patent offices, besides the ISO 3166-1 countries.
REGIONAL_OFFICES = {
    "EP": "European Patent Office",
    "WO": "WIPO, international application under the PCT",
    "EA": "Eurasian Patent Organization",
    "AP": "ARIPO",
    "OA": "OAPI",
    "GC": "Patent Office of the Gulf Cooperation Council",
}
PCT = "WO"


class TechnologyStatus(StrEnum):
    DISCLOSED = "disclosed"
    EVALUATED = "evaluated"
    PROTECTED = "protected"
    AVAILABLE = "available"
    LICENSED = "licensed"
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"


S = TechnologyStatus
LIFE = Lifecycle(
    "technology",
    {
        "evaluate": ({S.DISCLOSED}, S.EVALUATED),
        "protect": ({S.EVALUATED}, S.PROTECTED),
        "offer": ({S.EVALUATED, S.PROTECTED}, S.AVAILABLE),
        "abandon": ({S.DISCLOSED, S.EVALUATED, S.PROTECTED, S.AVAILABLE}, S.ABANDONED),
        "license": ({S.AVAILABLE, S.LICENSED}, S.LICENSED),
        "transfer": ({S.AVAILABLE, S.LICENSED}, S.TRANSFERRED),
    },
)
FINAL = frozenset({S.TRANSFERRED, S.ABANDONED})
LICENSABLE = frozenset({S.AVAILABLE, S.LICENSED})


class PatentStatus(StrEnum):
    FILED = "filed"
    PUBLISHED = "published"
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"


PENDING_OR_GRANTED = frozenset({PatentStatus.FILED, PatentStatus.PUBLISHED, PatentStatus.GRANTED})


def jurisdiction_code(value: str) -> str:
    code = value.strip().upper()
    if code in REGIONAL_OFFICES or (len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None):
        return code
    raise ValueError(
        f"{value!r} is neither an ISO 3166-1 alpha-2 country nor a regional office ({', '.join(REGIONAL_OFFICES)})"
    )


class Inventor(BaseModel):
    model_config = ConfigDict(frozen=True)

    person_id: str
    name: str
    unit: str
    share: Percent


class PatentRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    jurisdiction: str
    application_number: str
    publication_number: str | None = None
    priority_date: date
    filing_date: date
    grant_date: date | None = None
    status: PatentStatus = PatentStatus.FILED
    title: str | None = None

    _jurisdiction = field_validator("jurisdiction")(jurisdiction_code)

    @model_validator(mode="after")
    def _dates(self) -> PatentRecord:
        if self.filing_date < self.priority_date:
            raise ValueError("filing_date cannot come before priority_date")
        if self.grant_date is not None and self.grant_date < self.filing_date:
            raise ValueError("grant_date cannot come before filing_date")
        if self.status == PatentStatus.GRANTED and self.grant_date is None:
            raise ValueError("a granted patent needs its grant_date")
        if self.grant_date is not None and self.status not in (PatentStatus.GRANTED, PatentStatus.LAPSED):
            raise ValueError("only a granted (or since lapsed) patent has a grant_date")
        if self.status == PatentStatus.PUBLISHED and not self.publication_number:
            raise ValueError("a published application needs its publication_number")
        return self

    @property
    def live(self) -> bool:
        return self.status in PENDING_OR_GRANTED


class Deadline(BaseModel):
    """A time limit that runs from a priority date."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["priority_year", "national_phase"]
    priority_date: date
    due_on: date
    patent_ids: list[str]

    def reminder_key(self, lead_days: int) -> str:
        return f"deadline:{self.kind}:{self.priority_date.isoformat()}:{lead_days}"


def deadlines_of(patents: list[PatentRecord]) -> list[Deadline]:
    """Per priority date of the pending or granted records: the end of the priority year, and
    the entry into national phases when an international (PCT) application claims it."""
    by_priority: dict[date, list[PatentRecord]] = {}
    for record in patents:
        if record.live:
            by_priority.setdefault(record.priority_date, []).append(record)
    found = []
    for priority, records in sorted(by_priority.items()):
        ids = [r.id for r in records]
        found.append(
            Deadline(
                kind="priority_year",
                priority_date=priority,
                due_on=add_months(priority, PRIORITY_YEAR_MONTHS),
                patent_ids=ids,
            )
        )
        if any(r.jurisdiction == PCT for r in records):
            found.append(
                Deadline(
                    kind="national_phase",
                    priority_date=priority,
                    due_on=add_months(priority, NATIONAL_PHASE_MONTHS),
                    patent_ids=ids,
                )
            )
    return sorted(found, key=lambda d: (d.due_on, d.kind))


class Technology(AggregateState):
    derived_fields: ClassVar[tuple[str, ...]] = ("deadlines", "deadline_dates", "inventor_ids", "partner_ids")

    title: str
    description: str | None = None
    keywords: list[str] = Field(default_factory=list)
    department: str
    disclosed_on: date
    readiness_level: int = Field(ge=1, le=9)
    origin_project_id: str | None = None
    inventors: list[Inventor]
    status: TechnologyStatus = TechnologyStatus.DISCLOSED
    patents: list[PatentRecord] = Field(default_factory=list)
    grants: list[Grant] = Field(default_factory=list)
    reminders_sent: list[str] = Field(default_factory=list)
    abandoned_reason: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Technology:
        if not self.inventors:
            raise ValueError("a technology has at least one inventor")
        people = [i.person_id for i in self.inventors]
        if len(set(people)) != len(people):
            raise ValueError("an inventor is named once")
        if any(i.share <= 0 for i in self.inventors):
            raise ValueError("every inventor's share is more than 0%")
        total = sum((i.share for i in self.inventors), start=Decimal(0))
        if total != HUNDRED:
            raise ValueError(f"the inventors' shares add up to {percent_text(total)}%, not 100%")
        numbers = [(p.jurisdiction, p.application_number) for p in self.patents]
        if len(set(numbers)) != len(numbers):
            raise ValueError("an application number is recorded once per jurisdiction")
        return self

    @computed_field  # the time limits, from the patent records' priority dates
    @property
    def deadlines(self) -> list[Deadline]:
        return deadlines_of(self.patents)

    @computed_field  # stored so that the schedule can find technologies with a deadline near
    @property
    def deadline_dates(self) -> list[str]:
        return sorted({d.due_on.isoformat() for d in self.deadlines})

    @computed_field  # stored so that "technologies of this inventor" is a plain query
    @property
    def inventor_ids(self) -> list[str]:
        return [i.person_id for i in self.inventors]

    @computed_field  # the licensees that hold (or are reserving) rights in it
    @property
    def partner_ids(self) -> list[str]:
        return list(dict.fromkeys(g.licensee_id for g in self.grants))

    def patent(self, patent_id: str) -> PatentRecord:
        for record in self.patents:
            if record.id == patent_id:
                return record
        raise NotFound(f"no patent record {patent_id!r} in this technology")


# -- what is particular to each event (`data.change`) --------------------------------


class TechnologyDisclosed(EventChange):
    origin_project_id: str | None  # the funded project it came out of, if any


class TechnologyProtected(EventChange):
    from_: TechnologyStatus = Field(alias="from")
    patent_ids: list[str]  # the pending or granted records that protect it


class TechnologyStatusChanged(EventChange):
    from_: TechnologyStatus = Field(alias="from")
    to: TechnologyStatus
    reason: str | None
    license_id: str | None = None  # when a license's execution put it in force


class TechnologyDeadlineApproaching(EventChange):
    kind: Literal["priority_year", "national_phase"]
    priority_date: date
    due_on: date
    lead_days: int  # the reminder's lead time
    days_left: int
    late: bool  # sent after its day (the record came late, or the service was down)
    skipped_lead_days: list[int]  # nearer lead times already passed, recorded without a message of their own
    patent_ids: list[str]


class TechnologyPatentRecorded(EventChange):
    patent_id: str
    jurisdiction: str


class TechnologyPatentUpdated(EventChange):
    patent_id: str
    fields: list[str]
    from_status: PatentStatus


class TechnologyRightsReserved(EventChange):
    license_id: str
    kind: LicenseKind
    territory: list[str]
    field_of_use: str
    dropped: list[str]  # licenses whose stale grants this reservation cleared away


class TechnologyRightsReleased(EventChange):
    license_id: str
    attempt: str | None  # the refused execution whose grants go, or None: every grant of an ended license
    reason: str
    from_: TechnologyStatus = Field(alias="from")
    to: TechnologyStatus


TECHNOLOGY = AggregateType(
    topic="techtransfer.technology",
    state=Technology,
    changes={
        "disclosed": TechnologyDisclosed,
        "protected": TechnologyProtected,
        "status_changed": TechnologyStatusChanged,
        "deadline_approaching": TechnologyDeadlineApproaching,
        "updated": FieldsChanged,
        "patent_recorded": TechnologyPatentRecorded,
        "patent_updated": TechnologyPatentUpdated,
        "rights_reserved": TechnologyRightsReserved,
        "rights_released": TechnologyRightsReleased,
    },
    noun="technology",
    id_prefix="tec",
    collection="technologies",
    route="/api/v1/technologies",
    indexes=(
        "status",
        "department",
        "inventor_ids",
        "origin_project_id",
        "keywords",
        "deadline_dates",
        "partner_ids",
    ),
)


def _event(action: str) -> str:
    return TECHNOLOGY.event(action)


def _validated(**fields: Any) -> Technology:
    try:
        return Technology(**fields)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None


# -- disclosure and editing ---------------------------------------------------------------

EDITABLE = ("title", "description", "keywords", "department", "readiness_level", "origin_project_id", "inventors")


def disclose(*, today: date, disclosed_on: date | str | None = None, **fields: Any) -> Change:
    technology = _validated(disclosed_on=disclosed_on or today, **fields)
    if technology.disclosed_on > today:
        raise InvalidInput(
            "disclosed_on cannot be in the future", errors=[{"pointer": "#/disclosed_on", "detail": "after today"}]
        )
    return Change(_event("disclosed"), technology.state(), {"origin_project_id": technology.origin_project_id})


def _editable(current: Technology) -> None:
    if current.status in FINAL:
        raise IllegalTransition(
            f"a technology that is {current.status.value} cannot be changed", current_status=current.status.value
        )


def edit(current: Technology, edits: dict[str, Any]) -> Change | None:
    unknown = set(edits) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"not editable: {sorted(unknown)}")
    _editable(current)
    updated = current.evolve(**edits)
    if updated == current:
        return None
    fields = sorted(k for k in edits if getattr(updated, k) != getattr(current, k))
    return Change(_event("updated"), updated.state(), {"fields": fields})


# -- the life cycle ---------------------------------------------------------------------------


def evaluate(current: Technology) -> Change:
    target = LIFE.move(current.status, "evaluate")
    return _status_changed(current, target)


def protect(current: Technology) -> Change:
    target = LIFE.move(current.status, "protect")
    live = [p.id for p in current.patents if p.live]
    if not live:
        raise RuleViolation("record a pending or granted patent application before marking the technology protected")
    return Change(
        _event("protected"), current.evolve(status=target).state(), {"from": current.status.value, "patent_ids": live}
    )


def offer(current: Technology) -> Change:
    return _status_changed(current, LIFE.move(current.status, "offer"))


def abandon(current: Technology, reason: str) -> Change:
    target = LIFE.move(current.status, "abandon")
    return _status_changed(current, target, reason=reason, abandoned_reason=reason)


def _status_changed(current: Technology, target: TechnologyStatus, reason: str | None = None, **changes: Any) -> Change:
    return Change(
        _event("status_changed"),
        current.evolve(status=target, **changes).state(),
        {"from": current.status.value, "to": target.value, "reason": reason},
    )


# -- patent records -------------------------------------------------------------------------------


def _check_patent_dates(record: PatentRecord, today: date) -> None:
    future = [
        name for name in ("priority_date", "filing_date", "grant_date") if (getattr(record, name) or date.min) > today
    ]
    if future:
        raise InvalidInput(
            "patent dates cannot be in the future",
            errors=[{"pointer": f"#/{name}", "detail": "after today"} for name in future],
        )


def _patent(fields: dict[str, Any]) -> PatentRecord:
    try:
        return PatentRecord(**fields)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None


def record_patent(current: Technology, fields: dict[str, Any], today: date) -> Change | None:
    """Add a patent record. `fields["id"]` is fixed by the caller (from the Idempotency-Key
    when there is one): the same record sent again changes nothing, another record under
    the same id is refused. A replay is answered even once the technology can change no more."""
    record = _patent(fields)
    existing = next((p for p in current.patents if p.id == record.id), None)
    if existing is not None:
        if existing == record:
            return None
        raise InvalidInput(
            "this Idempotency-Key was already used with a different request",
            errors=[{"parameter": "Idempotency-Key", "in": "header", "detail": "reused with a different body"}],
        )
    _editable(current)
    _check_patent_dates(record, today)
    updated = current.evolve(patents=[*current.patents, record])
    return Change(
        _event("patent_recorded"), updated.state(), {"patent_id": record.id, "jurisdiction": record.jurisdiction}
    )


def update_patent(current: Technology, patent_id: str, edits: dict[str, Any], today: date) -> Change | None:
    _editable(current)
    old = current.patent(patent_id)
    if "id" in edits:
        raise InvalidInput("a patent record's id cannot change")
    record = _patent({**old.model_dump(), **edits})
    if record == old:
        return None
    _check_patent_dates(record, today)
    patents = [record if p.id == patent_id else p for p in current.patents]
    fields = sorted(k for k in edits if getattr(record, k) != getattr(old, k))
    return Change(
        _event("patent_updated"),
        current.evolve(patents=patents).state(),
        {"patent_id": patent_id, "fields": fields, "from_status": old.status.value},
    )


# -- rights granted in it ---------------------------------------------------------------------------


def reserve(current: Technology, grant: Grant, stale_attempts: frozenset[str]) -> Change | None:
    """Record a license's rights, unless they conflict with a grant that still counts.

    A grant counts unless its attempt is in `stale_attempts` (executions known to be
    over: refused, or their license ended); one the caller did not know about counts.
    Stale grants are dropped in the same change. The same attempt again changes nothing."""
    if any(g.license_id == grant.license_id and g.attempt == grant.attempt for g in current.grants):
        return None
    if current.status not in LICENSABLE:
        raise RuleViolation(
            f"technology is {current.status.value}: only an available or licensed technology can be licensed",
            technology_status=current.status.value,
        )
    live = [g for g in current.grants if g.attempt not in stale_attempts and g.license_id != grant.license_id]
    clash = first_conflict(grant, live)
    if clash is not None:
        what = (
            "assigned"
            if clash.kind == LicenseKind.ASSIGNMENT
            else f"under {clash.kind.value.replace('_', '-')} license"
        )
        raise RuleViolation(
            f"the technology is already {what} {clash.license_id}"
            + (
                ""
                if clash.kind == LicenseKind.ASSIGNMENT or grant.kind == LicenseKind.ASSIGNMENT
                else " in an overlapping territory and field of use"
            ),
            conflicting_id=clash.license_id,
        )
    updated = current.evolve(grants=[*live, grant])
    return Change(
        _event("rights_reserved"),
        updated.state(),
        {
            "license_id": grant.license_id,
            "kind": grant.kind.value,
            "territory": grant.territory,
            "field_of_use": grant.field_of_use,
            "dropped": sorted({g.license_id for g in current.grants} - {g.license_id for g in updated.grants}),
        },
    )


def put_in_force(current: Technology, license_id: str, attempt: str) -> Change | None:
    """The license's execution completed: its grant is in force, and the technology is
    licensed (or, by an assignment, transferred)."""
    grant = next((g for g in current.grants if g.license_id == license_id and g.attempt == attempt), None)
    if grant is None or (grant.in_force and current.status in (S.LICENSED, S.TRANSFERRED)):
        return None
    action = "transfer" if grant.kind == LicenseKind.ASSIGNMENT else "license"
    target = current.status if current.status == S.TRANSFERRED else LIFE.move(current.status, action)
    grants = [g.model_copy(update={"in_force": True}) if g == grant else g for g in current.grants]
    return Change(
        _event("status_changed"),
        current.evolve(status=target, grants=grants).state(),
        {
            "from": current.status.value,
            "to": target.value,
            "reason": f"{grant.kind.value} {license_id} executed",
            "license_id": license_id,
        },
    )


def release(current: Technology, license_id: str, reason: str, attempt: str | None = None) -> Change | None:
    """Drop a license's grants: those of one execution attempt (it was refused), or all of
    them (the license ended). Only the attempt's own: a later attempt of the same license
    may hold a grant by then. A licensed technology with no grant left in force is
    available again; a transferred one stays so."""

    def dropped(grant: Grant) -> bool:
        return grant.license_id == license_id and attempt in (None, grant.attempt)

    if not any(dropped(g) for g in current.grants):
        return None
    grants = [g for g in current.grants if not dropped(g)]
    status = current.status
    if status == S.LICENSED and not any(g.in_force for g in grants):
        status = S.AVAILABLE
    return Change(
        _event("rights_released"),
        current.evolve(grants=grants, status=status).state(),
        {
            "license_id": license_id,
            "attempt": attempt,
            "reason": reason,
            "from": current.status.value,
            "to": status.value,
        },
    )


# -- deadlines ----------------------------------------------------------------------------------------


def remind_deadline(current: Technology, today: date, lead_days: tuple[int, ...]) -> Change | None:
    """The next deadline whose reminder is due today and not yet sent (one change, one reminder).

    When several lead times of one deadline are due at once (the record came late, or the
    service was down), one reminder goes out for the nearest and the others are recorded
    as passed, so people get one message, not three."""
    if current.status in FINAL:
        return None
    for deadline in current.deadlines:
        if today >= deadline.due_on:
            continue
        due = sorted(
            lead
            for lead in lead_days
            if today >= deadline.due_on - timedelta(days=lead)
            and deadline.reminder_key(lead) not in current.reminders_sent
        )
        if not due:
            continue
        nearest = due[0]
        scheduled_on = deadline.due_on - timedelta(days=nearest)
        updated = current.evolve(
            reminders_sent=[*current.reminders_sent, *(deadline.reminder_key(lead) for lead in due)]
        )
        return Change(
            _event("deadline_approaching"),
            updated.state(),
            {
                "kind": deadline.kind,
                "priority_date": deadline.priority_date.isoformat(),
                "due_on": deadline.due_on.isoformat(),
                "lead_days": nearest,
                "days_left": (deadline.due_on - today).days,
                "late": today > scheduled_on,
                "skipped_lead_days": due[1:],
                "patent_ids": deadline.patent_ids,
            },
        )
    return None
