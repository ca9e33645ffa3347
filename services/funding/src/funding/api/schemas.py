"""Request bodies of the funding API.

Requests are strict: unknown fields, wrong types, oversized or control-
character strings, amounts that are not decimal strings in an ISO 4217
currency, impossible dates and instants without an offset answer 422 and
change nothing. Responses are the resources' whole state plus `id`,
`version`, `created_at` and `updated_at` (`<AGGREGATE>.response`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictBool, StringConstraints, field_validator

from funding.domain.project import ProjectKind
from opp_shared.fields import Day, Instant, Key, LongText, Name, Reference, ShortText, StrictBody
from opp_shared.money import NonNegativeMoney, PositiveMoney

Area = Annotated[ShortText, StringConstraints(max_length=100)]
Unit = Annotated[ShortText, StringConstraints(max_length=200)]
Score = Annotated[int, Field(strict=True, ge=1, le=10, description="1 (weak) to 10 (excellent)")]
PartnerIds = Annotated[list[Reference], Field(min_length=1, max_length=50)]
# A person is named by the `sub` of their token, whatever the identity provider makes of it (an e-mail address too).
PersonId = Annotated[Key, Field(description="The person's id: the `sub` of their token")]


class PersonIn(StrictBody):
    person_id: PersonId
    name: Name
    unit: Unit | None = None


class InvestigatorIn(PersonIn):
    unit: Unit = Field(description="Their school or department; reviewers from it may not review the proposal")


class ReviewerIn(PersonIn):
    unit: Unit = Field(description="Their school or department")


class CoInvestigatorIn(StrictBody):
    person_id: PersonId | None = None
    name: Name
    partner_id: Reference = Field(description="The partner they come from")
    unit: Unit | None = None


# -- funds -------------------------------------------------------------------------


class CreateFund(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Cambridge-Tsinghua Joint Research Fund",
                    "partner_ids": ["ptn_01JD3W5V6Q8ZK4R7N2M0XYBC9T"],
                    "research_areas": ["climate", "materials"],
                    "budget": {"amount": "300000.00", "currency": "EUR"},
                    "manager": {
                        "person_id": "chen.jing",
                        "name": "Chen Jing",
                        "unit": "Office of International Affairs",
                    },
                    "agreement_required": True,
                }
            ]
        }
    )

    name: ShortText
    description: LongText | None = None
    partner_ids: PartnerIds = Field(description="The sponsors")
    research_areas: list[Area] = Field(default_factory=list, max_length=50)
    budget: NonNegativeMoney = Field(description="The total budget; its currency is the fund's")
    manager: PersonIn | None = None
    agreement_required: StrictBool = Field(
        False, description="Take no new awards while a sponsor has no active agreement with the university"
    )


class EditFund(StrictBody):
    name: ShortText | None = None
    description: LongText | None = None
    partner_ids: PartnerIds | None = None
    research_areas: list[Area] | None = Field(None, max_length=50)
    budget: NonNegativeMoney | None = Field(None, description="In the fund's currency; not below what it committed")
    manager: PersonIn | None = None
    agreement_required: StrictBool | None = None

    _null_is_empty = field_validator("research_areas")(lambda value: [] if value is None else value)


class Reason(StrictBody):
    reason: ShortText | None = None


class RequiredReason(StrictBody):
    reason: ShortText


# -- calls -------------------------------------------------------------------------


class ScheduleCall(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "fund_id": "fnd_01JD3W5V6Q8ZK4R7N2M0XYBC9T",
                    "title": "Seed call 2027",
                    "research_areas": ["climate"],
                    "opens_at": "2027-03-01T00:00:00+08:00",
                    "closes_at": "2027-04-30T23:59:59+08:00",
                    "max_award": {"amount": "50000.00", "currency": "EUR"},
                }
            ]
        }
    )

    fund_id: Reference
    title: ShortText
    description: LongText | None = None
    research_areas: list[Area] = Field(default_factory=list, max_length=50)
    opens_at: Instant = Field(description="RFC 3339 with an offset, e.g. `2027-03-01T09:00:00+08:00`")
    closes_at: Instant
    max_award: PositiveMoney = Field(description="The largest award; not above the fund's budget")
    sponsor_co_pi_required: StrictBool = Field(
        True, description="A proposal needs a co-investigator from a sponsor of the fund (false waives it)"
    )


class EditCall(StrictBody):
    """Title and description always; the rules only until the call has a proposal."""

    title: ShortText | None = None
    description: LongText | None = None
    research_areas: list[Area] | None = Field(None, max_length=50)
    opens_at: Instant | None = None
    closes_at: Instant | None = None
    max_award: PositiveMoney | None = None
    sponsor_co_pi_required: StrictBool | None = None

    _null_is_empty = field_validator("research_areas")(lambda value: [] if value is None else value)


# -- proposals and reviews --------------------------------------------------------------


class DraftProposal(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "call_id": "cal_01JD3W5V6Q8ZK4R7N2M0XYBC9T",
                    "title": "Low-carbon cement from industrial waste",
                    "research_area": "climate",
                    "requested": {"amount": "40000.00", "currency": "EUR"},
                    "pi": {"person_id": "liu.yang", "name": "Liu Yang", "unit": "School of Civil Engineering"},
                }
            ]
        }
    )

    call_id: Reference
    title: ShortText
    abstract: LongText | None = None
    research_area: Area | None = None
    requested: PositiveMoney
    pi: InvestigatorIn = Field(description="The principal investigator, of the university")
    co_pis: list[CoInvestigatorIn] = Field(default_factory=list, max_length=30)


class EditProposal(StrictBody):
    title: ShortText | None = None
    abstract: LongText | None = None
    research_area: Area | None = None
    requested: PositiveMoney | None = None
    pi: InvestigatorIn | None = None
    co_pis: list[CoInvestigatorIn] | None = Field(None, max_length=30)

    _null_is_empty = field_validator("co_pis")(lambda value: [] if value is None else value)


class AssignReviewer(StrictBody):
    reviewer: ReviewerIn


class GiveReview(StrictBody):
    score: Score
    comments: LongText | None = None


class AwardProposal(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"amount": {"amount": "40000.00", "currency": "EUR"}, "reason": "ranked first by the panel"}]
        }
    )

    amount: PositiveMoney = Field(description="At most what the proposal requested, in its currency")
    reason: ShortText = Field(description="Why: recorded with who decided")


# -- disbursements ---------------------------------------------------------------------


class DeliverableIn(StrictBody):
    kind: Literal["progress_report", "final_report", "financial_report", "other"] = "progress_report"
    title: ShortText
    due_on: Day | None = None


class ScheduleDisbursement(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "award_id": "awd_01JD3W5V6Q8ZK4R7N2M0XYBC9T",
                    "amount": {"amount": "20000.00", "currency": "EUR"},
                    "scheduled_on": "2027-07-01",
                    "note": "first half",
                }
            ]
        }
    )

    award_id: Reference
    amount: PositiveMoney = Field(description="At most what is left of the award")
    scheduled_on: Day = Field(description="The day it is planned for")
    deliverable: DeliverableIn | None = Field(None, description="Approval waits until this is accepted")
    note: LongText | None = None


class PayDisbursement(StrictBody):
    paid_on: Day | None = Field(None, description="The day it was actually paid (default: today)")
    reference: ShortText | None = None


# -- projects --------------------------------------------------------------------------


class MilestoneIn(StrictBody):
    key: Reference
    title: ShortText
    due_on: Day | None = None


class ProjectDeliverableIn(StrictBody):
    title: ShortText
    due_on: Day | None = None
    status: Literal["pending", "delivered", "accepted"] = "pending"


class ContractIn(StrictBody):
    client_id: Reference = Field(description="The enterprise that pays: one of the project's partners")
    value: PositiveMoney
    reference: ShortText | None = None
    signed_on: Day | None = None


class InvoiceIn(StrictBody):
    number: Reference
    amount: PositiveMoney
    due_on: Day


class PlanProject(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Low-carbon cement pilot",
                    "kind": "joint_research",
                    "partner_ids": ["ptn_01JD3W5V6Q8ZK4R7N2M0XYBC9T"],
                    "lead_partner_id": "ptn_01JD3W5V6Q8ZK4R7N2M0XYBC9T",
                    "starts_on": "2027-07-01",
                    "ends_on": "2029-06-30",
                }
            ]
        }
    )

    title: ShortText
    kind: ProjectKind
    partner_ids: PartnerIds
    lead_partner_id: Reference | None = None
    pi: InvestigatorIn | None = None
    description: LongText | None = None
    research_area: Area | None = None
    award_id: Reference | None = Field(None, description="The award it comes from, if any")
    budget: NonNegativeMoney | None = Field(None, description="Default, for a project from an award: the award")
    starts_on: Day | None = None
    ends_on: Day | None = None
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=100)
    deliverables: list[ProjectDeliverableIn] = Field(default_factory=list, max_length=100)
    contract: ContractIn | None = None
    invoices: list[InvoiceIn] = Field(default_factory=list, max_length=200)


class EditProject(StrictBody):
    """Reached milestones and paid invoices stay as they are; pending ones may change."""

    title: ShortText | None = None
    partner_ids: PartnerIds | None = None
    lead_partner_id: Reference | None = None
    pi: InvestigatorIn | None = None
    description: LongText | None = None
    research_area: Area | None = None
    budget: NonNegativeMoney | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None
    milestones: list[MilestoneIn] | None = Field(None, max_length=100)
    deliverables: list[ProjectDeliverableIn] | None = Field(None, max_length=100)
    contract: ContractIn | None = None
    invoices: list[InvoiceIn] | None = Field(None, max_length=200)

    _null_is_empty = field_validator("milestones", "deliverables", "invoices")(
        lambda value: [] if value is None else value
    )


class OnDay(StrictBody):
    """When it happened (default: today)."""

    on: Day | None = None
