"""Projects: joint research, commissioned R&D and multi-party projects.

Rules (docs/domain.md, Funding):
- every project names its partners (`partner_ids`) and at most one lead
  among them (`lead_partner_id`);
- `joint_research`: research done with one or more partners, paid from an
  award (`award_id`) or by each side;
- `commissioned`: an enterprise abroad pays the university for research
  under a contract: its value, deliverables, milestones and the invoices due;
  the client is one of the project's partners (the handler checks it is an
  enterprise), and the invoices never add up to more than the contract;
- `multi_party`: several partners (two at least, besides the university)
  and one lead, e.g. University-Industry-University with UC Berkeley leading
  and Siemens;
- milestones are reached one by one; invoices are paid one by one.

    planned -> active -> completed | terminated
    planned -> terminated      (called off before it started)
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from funding.domain.common import Person, changed_fields, happened_on, require_editable
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
from opp_shared.errors import InvalidInput, NotFound, RuleViolation
from opp_shared.lifecycle import Lifecycle
from opp_shared.money import CurrencyMismatch, Money


class ProjectKind(StrEnum):
    JOINT_RESEARCH = "joint_research"
    COMMISSIONED = "commissioned"
    MULTI_PARTY = "multi_party"


class ProjectStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"


ENDED = frozenset({ProjectStatus.COMPLETED, ProjectStatus.TERMINATED})
LIFE = Lifecycle(
    "project",
    {
        "start": ({ProjectStatus.PLANNED}, ProjectStatus.ACTIVE),
        "complete": ({ProjectStatus.ACTIVE}, ProjectStatus.COMPLETED),
        "terminate": ({ProjectStatus.PLANNED, ProjectStatus.ACTIVE}, ProjectStatus.TERMINATED),
        "reach a milestone of": ({ProjectStatus.ACTIVE}, None),
        "pay an invoice of": ({ProjectStatus.ACTIVE, ProjectStatus.COMPLETED}, None),
        "edit": ({ProjectStatus.PLANNED, ProjectStatus.ACTIVE}, None),
    },
)


class Milestone(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str  # the client's short name for it, unique in the project (`m1`, `prototype`)
    title: str
    due_on: date | None = None
    status: Literal["pending", "reached"] = "pending"
    reached_on: date | None = None


class ProjectDeliverable(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    due_on: date | None = None
    status: Literal["pending", "delivered", "accepted"] = "pending"


class Contract(BaseModel):
    """Commissioned R&D: who pays (a partner, an enterprise) and how much."""

    model_config = ConfigDict(frozen=True)

    client_id: str
    value: Money
    reference: str | None = None
    signed_on: date | None = None


class Invoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: str
    amount: Money
    due_on: date
    status: Literal["due", "paid"] = "due"
    paid_on: date | None = None


class Project(AggregateState):
    title: str
    kind: ProjectKind
    status: ProjectStatus = ProjectStatus.PLANNED
    partner_ids: list[str]
    lead_partner_id: str | None = None
    pi: Person | None = None
    description: str | None = None
    research_area: str | None = None
    award_id: str | None = None
    fund_id: str | None = None
    budget: Money | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    milestones: list[Milestone] = Field(default_factory=list)
    deliverables: list[ProjectDeliverable] = Field(default_factory=list)
    contract: Contract | None = None
    invoices: list[Invoice] = Field(default_factory=list)
    started_on: date | None = None
    completed_on: date | None = None
    terminated_on: date | None = None
    termination_reason: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Project:
        if not self.partner_ids:
            raise ValueError("a project has at least one partner")
        if len(set(self.partner_ids)) != len(self.partner_ids):
            raise ValueError("a partner is listed once")
        if self.lead_partner_id is not None and self.lead_partner_id not in self.partner_ids:
            raise ValueError("the lead partner is one of the project's partners")
        if self.kind == ProjectKind.MULTI_PARTY and (len(self.partner_ids) < 2 or self.lead_partner_id is None):
            raise ValueError("a multi-party project has two partners at least, and one of them leads")
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            raise ValueError("ends_on must come after starts_on")
        keys = [m.key for m in self.milestones]
        if len(set(keys)) != len(keys):
            raise ValueError("each milestone has its own key")
        numbers = [i.number for i in self.invoices]
        if len(set(numbers)) != len(numbers):
            raise ValueError("each invoice has its own number")
        self._commissioned_rules()
        return self

    def _commissioned_rules(self) -> None:
        if self.kind != ProjectKind.COMMISSIONED:
            if self.contract is not None or self.invoices:
                raise ValueError("only commissioned R&D has a contract and invoices")
            return
        if self.contract is None:
            raise ValueError("commissioned R&D needs its contract: the client and the contract value")
        if self.contract.client_id not in self.partner_ids:
            raise ValueError("the client of a commissioned project is one of its partners")
        if self.contract.value.amount <= 0:
            raise ValueError("the contract value must be more than zero")
        total = Money.zero(self.contract.value.currency)
        for invoice in self.invoices:
            try:
                total = total + invoice.amount
            except CurrencyMismatch:
                raise ValueError(f"invoices are in the contract's currency, {self.contract.value.currency}") from None
            if invoice.amount.amount <= 0:
                raise ValueError("an invoice is for more than zero")
        if total > self.contract.value:
            raise ValueError("the invoices cannot add up to more than the contract value")

    def milestone(self, key: str) -> Milestone:
        found = next((m for m in self.milestones if m.key == key), None)
        if found is None:
            raise NotFound(f"the project has no milestone {key!r}")
        return found

    def invoice(self, number: str) -> Invoice:
        found = next((i for i in self.invoices if i.number == number), None)
        if found is None:
            raise NotFound(f"the project has no invoice {number!r}")
        return found


# -- what is particular to each event (`data.change`) --------------------------------


class ProjectPlanned(EventChange):
    award_id: str | None  # the award it carries out, if any


class ProjectMilestoneReached(EventChange):
    key: str
    title: str
    reached_on: date


class ProjectInvoicePaid(EventChange):
    number: str
    amount: Money
    paid_on: date


class ProjectTerminated(EventChange):
    reason: str
    from_: ProjectStatus = Field(alias="from")


PROJECT = AggregateType(
    topic="funding.project",
    state=Project,
    changes={
        "started": NoChange,
        "milestone_reached": ProjectMilestoneReached,
        "completed": NoChange,
        "terminated": ProjectTerminated,
        "planned": ProjectPlanned,
        "updated": FieldsChanged,
        "invoice_paid": ProjectInvoicePaid,
    },
    noun="project",
    id_prefix="prj",
    collection="projects",
    route="/api/v1/projects",
    indexes=("partner_ids", ("kind", "status"), "award_id", "fund_id", "status", "lead_partner_id"),
)

EDITABLE = (
    "title",
    "partner_ids",
    "lead_partner_id",
    "pi",
    "description",
    "research_area",
    "budget",
    "starts_on",
    "ends_on",
    "milestones",
    "deliverables",
    "contract",
    "invoices",
)


def plan(**fields: Any) -> Change:
    try:
        project = Project(**fields)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None
    return Change(PROJECT.event("planned"), project.state(), {"award_id": project.award_id})


def edit(current: Project, edits: dict[str, Any]) -> Change | None:
    require_editable(edits, EDITABLE)
    LIFE.move(current.status, "edit")
    updated = current.evolve(**_keep_history(current, edits))
    if updated == current:
        return None
    return Change(PROJECT.event("updated"), updated.state(), {"fields": changed_fields(current, updated, edits)})


def _keep_history(current: Project, edits: dict[str, Any]) -> dict[str, Any]:
    """Milestones and invoices are sent as plans; what happened to them is kept: a reached
    milestone stays reached, a paid invoice stays paid with its amount, and neither is dropped."""
    edits = dict(edits)
    if "milestones" in edits:
        reached = {m.key: m for m in current.milestones if m.status == "reached"}
        sent = {m["key"]: m for m in edits["milestones"]}
        dropped = sorted(set(reached) - set(sent))
        if dropped:
            raise RuleViolation(f"reached milestones stay in the project: {dropped}", milestones=dropped)
        edits["milestones"] = [
            {**m, "status": "reached", "reached_on": reached[m["key"]].reached_on} if m["key"] in reached else m
            for m in edits["milestones"]
        ]
    if "invoices" in edits:
        paid = {i.number: i for i in current.invoices if i.status == "paid"}
        sent = {i["number"]: i for i in edits["invoices"]}
        changed = sorted(
            n for n, i in paid.items() if n not in sent or Money.model_validate(sent[n]["amount"]) != i.amount
        )
        if changed:
            raise RuleViolation(f"paid invoices stay as they were: {changed}", invoices=changed)
        edits["invoices"] = [
            {**i, "status": "paid", "paid_on": paid[i["number"]].paid_on} if i["number"] in paid else i
            for i in edits["invoices"]
        ]
    return edits


def start(current: Project, today: date, started_on: date | None) -> Change:
    target = LIFE.move(current.status, "start")
    day = happened_on(started_on, today, "on")
    return Change(PROJECT.event("started"), current.evolve(status=target, started_on=day).state())


def reach_milestone(current: Project, key: str, today: date, reached_on: date | None) -> Change | None:
    milestone = current.milestone(key)
    if milestone.status == "reached":
        return None
    LIFE.move(current.status, "reach a milestone of")
    day = happened_on(reached_on, today, "on")
    milestones = [
        m.model_copy(update={"status": "reached", "reached_on": day}) if m.key == key else m for m in current.milestones
    ]
    return Change(
        PROJECT.event("milestone_reached"),
        current.evolve(milestones=milestones).state(),
        {"key": key, "title": milestone.title, "reached_on": day.isoformat()},
    )


def pay_invoice(current: Project, number: str, today: date, paid_on: date | None) -> Change | None:
    invoice = current.invoice(number)
    if invoice.status == "paid":
        return None
    LIFE.move(current.status, "pay an invoice of")
    day = happened_on(paid_on, today, "on")
    invoices = [
        i.model_copy(update={"status": "paid", "paid_on": day}) if i.number == number else i for i in current.invoices
    ]
    return Change(
        PROJECT.event("invoice_paid"),
        current.evolve(invoices=invoices).state(),
        {"number": number, "amount": invoice.amount.to_api(), "paid_on": day.isoformat()},
    )


def complete(current: Project, today: date) -> Change:
    target = LIFE.move(current.status, "complete")
    return Change(PROJECT.event("completed"), current.evolve(status=target, completed_on=today).state())


def terminate(current: Project, today: date, reason: str) -> Change:
    target = LIFE.move(current.status, "terminate")
    updated = current.evolve(status=target, terminated_on=today, termination_reason=reason)
    return Change(PROJECT.event("terminated"), updated.state(), {"reason": reason, "from": current.status.value})
