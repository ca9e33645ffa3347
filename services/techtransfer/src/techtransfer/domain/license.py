"""Licenses and assignments: who gets which rights in which technologies, on what terms.

Life cycle:

    negotiating -> executed -> active -> terminated | expired
                   executed ----------> terminated | expired

Terms change while negotiating only. Execution is checked here (export
control, dates) and then runs as a short saga across aggregates, decided in
two places (see the service README, "Exclusivity"):
- the license's own sequence decides the outcome of each execution attempt,
  once: `request_execution` opens it (`pending`), then either
  `complete_execution` (executed) or `refuse_execution` closes it;
- each technology's sequence decides who holds which rights in it
  (`technology.reserve`).

Export control: a licensee outside the university's country makes the
license an export. Its classification (`free`, `restricted`, `prohibited`)
is recorded before execution; `restricted` needs a permit reference;
`prohibited` can never be executed. Changing the licensee, the technologies,
the kind, the territory or the field of use clears a recorded classification:
it was made for what it named.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, model_validator

from opp_shared.aggregate import AggregateState, AggregateType, Change, EventChange, field_errors, first_error
from opp_shared.errors import IllegalTransition, InvalidInput, RuleViolation
from opp_shared.lifecycle import Lifecycle
from opp_shared.money import Money
from techtransfer.domain.rights import Grant, LicenseKind
from techtransfer.domain.values import Percent, Territory, add_months, field_key


class LicenseStatus(StrEnum):
    NEGOTIATING = "negotiating"
    EXECUTED = "executed"
    ACTIVE = "active"
    TERMINATED = "terminated"
    EXPIRED = "expired"


L = LicenseStatus
LIFE = Lifecycle(
    "license",
    {
        "execute": ({L.NEGOTIATING}, L.EXECUTED),
        "activate": ({L.EXECUTED}, L.ACTIVE),
        "terminate": ({L.EXECUTED, L.ACTIVE}, L.TERMINATED),
        "expire": ({L.EXECUTED, L.ACTIVE}, L.EXPIRED),
    },
)
IN_FORCE = frozenset({L.EXECUTED, L.ACTIVE})
MOST_MONTHS_BACK = 36  # how far before its execution a license's term may start
ENDED = frozenset({L.TERMINATED, L.EXPIRED})


class ExportClassification(StrEnum):
    FREE = "free"
    RESTRICTED = "restricted"
    PROHIBITED = "prohibited"


class ReportFrequency(StrEnum):
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        return {"quarterly": 3, "semiannual": 6, "annual": 12}[self.value]


class ExportControl(BaseModel):
    model_config = ConfigDict(frozen=True)

    required: bool  # the licensee is outside the university's country
    classification: ExportClassification | None = None
    permit_reference: str | None = None
    classified_on: date | None = None
    note: str | None = None


class Milestone(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    amount: Money
    due_on: date | None = None


class Execution(BaseModel):
    """The latest execution attempt: `pending` until the license's sequence records its outcome."""

    model_config = ConfigDict(frozen=True)

    attempt: str
    state: Literal["pending", "refused", "done"]
    requested_on: date
    requested_by: str | None = None
    conflicting_id: str | None = None
    reason: str | None = None


class License(AggregateState):
    derived_fields: ClassVar[tuple[str, ...]] = ("partner_ids", "field_key", "royalty_bearing")

    title: str
    licensee_id: str
    licensee_country: str
    technology_ids: list[str]
    kind: LicenseKind
    territory: Territory
    field_of_use: str
    effective_from: date | None = None
    expires_on: date | None = None
    currency: str
    upfront_fee: Money
    royalty_rate: Percent
    minimum_annual_royalty: Money
    milestones: list[Milestone] = Field(default_factory=list)
    report_frequency: ReportFrequency = ReportFrequency.QUARTERLY
    report_grace_days: int = Field(ge=0, le=365)
    export: ExportControl
    status: LicenseStatus = LicenseStatus.NEGOTIATING
    execution: Execution | None = None
    executed_on: date | None = None
    terminated_on: date | None = None
    termination_reason: str | None = None
    owner_id: str | None = None
    owner: str | None = None
    notes: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> License:
        if not self.technology_ids:
            raise ValueError("a license covers at least one technology")
        if len(set(self.technology_ids)) != len(self.technology_ids):
            raise ValueError("a technology is named once")
        amounts = [("upfront_fee", self.upfront_fee), ("minimum_annual_royalty", self.minimum_annual_royalty)]
        amounts += [(f"milestones/{i}/amount", m.amount) for i, m in enumerate(self.milestones)]
        for name, money in amounts:
            if money.currency != self.currency:
                raise ValueError(f"{name} is in {money.currency}; the license's amounts are all in {self.currency}")
            if money.is_negative:
                raise ValueError(f"{name} cannot be negative")
        if self.effective_from and self.expires_on and self.expires_on <= self.effective_from:
            raise ValueError("expires_on must come after effective_from")
        if self.kind == LicenseKind.ASSIGNMENT and self.expires_on is not None:
            raise ValueError("an assignment hands the technology over for good: it has no expires_on")
        if not field_key(self.field_of_use):
            raise ValueError("field_of_use may not be blank")
        return self

    @computed_field  # the platform's one field for the partners an aggregate involves
    @property
    def partner_ids(self) -> list[str]:
        return [self.licensee_id]

    @computed_field  # how fields of use are compared (without case or extra spaces)
    @property
    def field_key(self) -> str:
        return field_key(self.field_of_use)

    @computed_field  # whether royalty reports are due for it
    @property
    def royalty_bearing(self) -> bool:
        return self.royalty_rate > 0 or not self.minimum_annual_royalty.is_zero

    @property
    def pending_attempt(self) -> str | None:
        return self.execution.attempt if self.execution and self.execution.state == "pending" else None

    def counts(self, attempt: str) -> bool:
        """Whether a grant reserved by `attempt` still counts (its execution is pending or in force)."""
        if self.execution is None or self.execution.attempt != attempt:
            return False
        return self.execution.state == "pending" or (self.execution.state == "done" and self.status in IN_FORCE)


# -- what is particular to each event (`data.change`) --------------------------------


class LicenseDrafted(EventChange):
    export_required: bool  # the licensee is abroad: the export must be classified before execution


class LicenseUpdated(EventChange):
    fields: list[str]
    export_classification_cleared: bool  # the edit cleared an earlier export classification


class LicenseExportClassified(EventChange):
    classification: ExportClassification
    permit_reference: str | None
    export_required: bool


class LicenseExecutionRequested(EventChange):
    attempt: str  # the execution attempt, named in the technologies' reservations


class LicenseExecuted(EventChange):
    executed_on: date
    attempt: str


class LicenseExecutionRefused(EventChange):
    attempt: str
    reason: str
    conflicting_id: str | None  # the license that holds a right this one needed


class LicenseActivated(EventChange):
    effective_from: date


class LicenseTerminated(EventChange):
    reason: str
    terminated_on: date
    from_: LicenseStatus = Field(alias="from")


class LicenseExpired(EventChange):
    expires_on: date
    from_: LicenseStatus = Field(alias="from")


LICENSE = AggregateType(
    topic="techtransfer.license",
    state=License,
    changes={
        "executed": LicenseExecuted,
        "terminated": LicenseTerminated,
        "expired": LicenseExpired,
        "drafted": LicenseDrafted,
        "updated": LicenseUpdated,
        "export_classified": LicenseExportClassified,
        "export_permit_required": LicenseExportClassified,
        "execution_requested": LicenseExecutionRequested,
        "execution_refused": LicenseExecutionRefused,
        "activated": LicenseActivated,
    },
    noun="license",
    id_prefix="lic",
    collection="licenses",
    route="/api/v1/licenses",
    indexes=(
        "status",
        "partner_ids",
        "technology_ids",
        "kind",
        "execution.state",
        ("status", "expires_on"),
        "territory",
        "export.classification",
    ),
)


def _event(action: str) -> str:
    return LICENSE.event(action)


def grant_of(license_id: str, current: License, attempt: str) -> Grant:
    """The rights an execution attempt of the license reserves in each of its technologies."""
    return Grant(
        license_id=license_id,
        attempt=attempt,
        licensee_id=current.licensee_id,
        kind=current.kind,
        territory=current.territory,
        field_of_use=current.field_of_use,
    )


# -- drafting and editing ----------------------------------------------------------------------

TERMS = (
    "title",
    "licensee_id",
    "technology_ids",
    "kind",
    "territory",
    "field_of_use",
    "effective_from",
    "expires_on",
    "currency",
    "upfront_fee",
    "royalty_rate",
    "minimum_annual_royalty",
    "milestones",
    "report_frequency",
    "report_grace_days",
    "owner_id",
    "owner",
    "notes",
)
# What the export classification was made for: changing one clears it.
CLASSIFIED_FOR = ("licensee_id", "technology_ids", "kind", "territory", "field_of_use")


def _validated(**fields: Any) -> License:
    try:
        return License(**fields)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None


def draft(*, licensee_country: str, university_country: str, **fields: Any) -> Change:
    license = _validated(
        **fields,
        licensee_country=licensee_country,
        export=ExportControl(required=licensee_country != university_country),
    )
    return Change(_event("drafted"), license.state(), {"export_required": license.export.required})


def _negotiable(current: License) -> None:
    if current.status != L.NEGOTIATING:
        raise IllegalTransition(
            f"the terms of a license that is {current.status.value} no longer change",
            current_status=current.status.value,
            allowed_from=[L.NEGOTIATING.value],
        )
    if current.pending_attempt:
        raise RuleViolation("the license is being executed; its terms cannot change now", retryable=True)


def edit(current: License, edits: dict[str, Any], *, licensee_country: str, university_country: str) -> Change | None:
    unknown = set(edits) - set(TERMS)
    if unknown:
        raise InvalidInput(f"not editable: {sorted(unknown)}")
    _negotiable(current)
    updated = current.evolve(**edits, licensee_country=licensee_country)
    fields = sorted(k for k in edits if getattr(updated, k) != getattr(current, k))
    if not fields:
        return None
    export = current.export.model_copy(update={"required": licensee_country != university_country})
    if set(fields) & set(CLASSIFIED_FOR):
        export = ExportControl(required=export.required)
    updated = updated.evolve(export=export)
    return Change(
        _event("updated"),
        updated.state(),
        {
            "fields": fields,
            "export_classification_cleared": current.export.classification is not None
            and export.classification is None,
        },
    )


# -- export control ------------------------------------------------------------------------------


def classify_export(
    current: License,
    classification: ExportClassification,
    permit_reference: str | None,
    note: str | None,
    today: date,
    *,
    licensee_country: str,
    university_country: str,
) -> Change | None:
    """Record the export classification. A restricted export without its permit reference
    is recorded too, and announced as needing one (`export_permit_required`)."""
    _negotiable(current)
    classification = ExportClassification(classification)
    if classification != ExportClassification.RESTRICTED and permit_reference:
        raise InvalidInput(
            "only a restricted export has a permit reference",
            errors=[{"pointer": "#/permit_reference", "detail": f"not for a {classification.value} export"}],
        )
    export = ExportControl(
        required=licensee_country != university_country,
        classification=classification,
        permit_reference=permit_reference,
        classified_on=today,
        note=note,
    )
    if (
        current.export.model_copy(update={"classified_on": today}) == export
        and current.licensee_country == licensee_country
    ):
        return None
    updated = current.evolve(export=export, licensee_country=licensee_country)
    permit_missing = classification == ExportClassification.RESTRICTED and not permit_reference
    return Change(
        _event("export_permit_required" if permit_missing else "export_classified"),
        updated.state(),
        {
            "classification": classification.value,
            "permit_reference": permit_reference,
            "export_required": export.required,
        },
    )


def export_blocker(current: License, licensee_country: str, university_country: str) -> str | None:
    """Why export control does not allow the execution now (None when it does)."""
    if licensee_country == university_country:
        return None
    export = current.export
    if export.classification is None:
        return (
            f"the licensee is in {licensee_country}, outside {university_country}: "
            "record the export classification before execution"
        )
    if export.classification == ExportClassification.PROHIBITED:
        return "the export of this technology is prohibited: the license can never be executed"
    if export.classification == ExportClassification.RESTRICTED and not export.permit_reference:
        return "a restricted export needs its permit reference before execution"
    return None


# -- execution -----------------------------------------------------------------------------------


def check_executable(current: License, today: date, *, licensee_country: str, university_country: str) -> None:
    LIFE.move(current.status, "execute")
    blocker = export_blocker(current, licensee_country, university_country)
    if blocker:
        raise RuleViolation(blocker, export=current.export.model_dump(mode="json"))
    if current.expires_on is not None and current.expires_on <= today:
        raise RuleViolation(f"the license would already have expired on {current.expires_on.isoformat()}")
    earliest = add_months(today, -MOST_MONTHS_BACK)
    if current.effective_from is not None and current.effective_from < earliest:
        # Each period since would fall due at once; a settlement that reaches further back is a payment, not periods.
        raise RuleViolation(
            f"a license reaches back at most {MOST_MONTHS_BACK // 12} years before its execution "
            f"(effective_from {earliest.isoformat()} or later)"
        )


def request_execution(
    current: License,
    attempt: str,
    today: date,
    actor: str | None,
    *,
    licensee_country: str,
    university_country: str,
) -> Change | None:
    """Open an execution attempt. None when one is pending already (the caller joins it)
    or the license is executed (a repeated execute changes nothing)."""
    if current.pending_attempt or (current.status in IN_FORCE and current.execution is not None):
        return None
    check_executable(current, today, licensee_country=licensee_country, university_country=university_country)
    execution = Execution(attempt=attempt, state="pending", requested_on=today, requested_by=actor)
    export = current.export.model_copy(update={"required": licensee_country != university_country})
    updated = current.evolve(execution=execution, export=export, licensee_country=licensee_country)
    return Change(_event("execution_requested"), updated.state(), {"attempt": attempt})


def complete_execution(current: License, attempt: str, today: date) -> Change | None:
    """The attempt's rights are reserved in every technology: the license is executed."""
    if current.execution is None or current.execution.attempt != attempt:
        raise RuleViolation("this execution attempt is no longer the license's current one")
    if current.execution.state == "done":
        return None
    if current.execution.state == "refused":
        raise RuleViolation(
            current.execution.reason or "this execution was refused",
            conflicting_id=current.execution.conflicting_id,
        )
    target = LIFE.move(current.status, "execute")
    updated = current.evolve(
        status=target,
        executed_on=today,
        effective_from=current.effective_from or today,
        execution=current.execution.model_copy(update={"state": "done"}),
    )
    return Change(_event("executed"), updated.state(), {"executed_on": today.isoformat(), "attempt": attempt})


def refuse_execution(current: License, attempt: str, reason: str, conflicting_id: str | None) -> Change | None:
    """Close a pending attempt as refused (a right it needed is held by another license).
    None when the attempt is not pending any more: its outcome is already recorded."""
    if current.pending_attempt != attempt:
        return None
    execution = current.execution.model_copy(
        update={"state": "refused", "reason": reason, "conflicting_id": conflicting_id}
    )  # type: ignore[union-attr]
    return Change(
        _event("execution_refused"),
        current.evolve(execution=execution).state(),
        {"attempt": attempt, "reason": reason, "conflicting_id": conflicting_id},
    )


# -- the term ------------------------------------------------------------------------------------


def activate(current: License, today: date) -> Change | None:
    if current.status == L.ACTIVE:
        return None
    target = LIFE.move(current.status, "activate")
    effective = current.effective_from or current.executed_on
    if effective is None or effective > today:
        raise RuleViolation(
            f"its term starts on {effective.isoformat() if effective else '(unknown)'}; it becomes active on that day",
            effective_from=effective.isoformat() if effective else None,
        )
    return Change(_event("activated"), current.evolve(status=target).state(), {"effective_from": effective.isoformat()})


def activate_due(current: License, today: date) -> Change | None:
    """The schedule's activation: an executed license becomes active once its term has started."""
    effective = current.effective_from or current.executed_on
    if current.status != L.EXECUTED or effective is None or effective > today:
        return None
    return activate(current, today)


def terminate(current: License, today: date, reason: str, terminated_on: date | None) -> Change:
    if current.kind == LicenseKind.ASSIGNMENT and current.status in IN_FORCE:
        raise RuleViolation("an assignment hands the technology over for good; it is not terminated")
    target = LIFE.move(current.status, "terminate")
    ended = terminated_on or today
    if ended > today:
        raise InvalidInput(
            "terminated_on cannot be in the future: terminate on the day",
            errors=[{"pointer": "#/terminated_on", "detail": "after today"}],
        )
    if current.executed_on and ended < current.executed_on:
        raise InvalidInput(
            "terminated_on cannot come before executed_on",
            errors=[{"pointer": "#/terminated_on", "detail": "before executed_on"}],
        )
    return Change(
        _event("terminated"),
        current.evolve(status=target, terminated_on=ended, termination_reason=reason).state(),
        {"reason": reason, "terminated_on": ended.isoformat(), "from": current.status.value},
    )


def expire(current: License, today: date) -> Change | None:
    if current.status not in IN_FORCE or current.expires_on is None or today < current.expires_on:
        return None
    target = LIFE.move(current.status, "expire")
    return Change(
        _event("expired"),
        current.evolve(status=target).state(),
        {"expires_on": current.expires_on.isoformat(), "from": current.status.value},
    )


def reporting_ends_on(current: License) -> date | None:
    """The last day royalties accrue: its termination, else its expiry (None: no end yet)."""
    return current.terminated_on or current.expires_on
