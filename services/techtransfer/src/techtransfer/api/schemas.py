"""Request bodies of the techtransfer API.

Requests are strict: unknown fields, wrong types, oversized or control-
character strings, bad codes, impossible dates, numbers where a decimal
string belongs (money, percentages) answer 422 and change nothing. Responses
are the resources' whole state plus `id`, `version`, `created_at` and
`updated_at` (the aggregate types' `response` models).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from opp_shared.fields import CurrencyCode, Day, Key, LongText, Name, Reference, ShortText, StrictBody
from opp_shared.money import NonNegativeMoney, PositiveMoney, of_account
from techtransfer.domain.distribution import CostKind
from techtransfer.domain.license import ExportClassification, ReportFrequency
from techtransfer.domain.rights import LicenseKind
from techtransfer.domain.technology import PatentStatus, jurisdiction_code
from techtransfer.domain.values import Percent, normal_territory

Amount = NonNegativeMoney
Currency = Annotated[CurrencyCode, AfterValidator(of_account)]
PositiveAmount = PositiveMoney
PersonId = Annotated[Key, Field(description="The person's id: the `sub` of their token")]
Keyword = Annotated[ShortText, StringConstraints(max_length=60)]
Department = Annotated[ShortText, StringConstraints(max_length=200)]
FieldOfUse = Annotated[
    ShortText,
    StringConstraints(max_length=200),
    Field(description="Free text compared without case; `all`: every field"),
]
DocumentNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./\-]*$"),
]
Jurisdiction = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=2),
    AfterValidator(jurisdiction_code),
    Field(description="ISO 3166-1 alpha-2, or a regional office: EP, WO (PCT), EA, AP, OA, GC"),
]
TerritoryIn = Annotated[
    list[Annotated[str, StringConstraints(min_length=2, max_length=9)]],
    Field(min_length=1, max_length=250, description='ISO 3166-1 alpha-2 countries, or `["worldwide"]`'),
    AfterValidator(normal_territory),
]
ReadinessLevel = Annotated[int, Field(ge=1, le=9, description="Technology readiness level, 1 to 9")]


# -- technologies ---------------------------------------------------------------------


class InventorIn(StrictBody):
    person_id: PersonId
    name: Name
    unit: ShortText = Field(description="The inventor's school, department or laboratory")
    share: Percent = Field(description='Share of the invention in percent, a decimal string: "50"')


class DiscloseTechnology(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Solid-state lithium battery electrolyte",
                    "keywords": ["battery", "electrolyte"],
                    "department": "Department of Chemical Engineering",
                    "readiness_level": 4,
                    "inventors": [
                        {
                            "person_id": "zhou.lin",
                            "name": "Zhou Lin",
                            "unit": "Department of Chemical Engineering",
                            "share": "60",
                        },
                        {
                            "person_id": "he.qiang",
                            "name": "He Qiang",
                            "unit": "Department of Materials Science",
                            "share": "40",
                        },
                    ],
                }
            ]
        }
    )

    title: ShortText
    description: LongText | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=30)
    department: Department
    disclosed_on: Day | None = Field(None, description="Default: today")
    readiness_level: ReadinessLevel
    origin_project_id: Reference | None = Field(None, description="The funding project it came out of")
    inventors: list[InventorIn] = Field(min_length=1, max_length=50, description="Shares add up to exactly 100")


class EditTechnology(StrictBody):
    title: ShortText | None = None
    description: LongText | None = None
    keywords: list[Keyword] | None = Field(None, max_length=30)
    department: Department | None = None
    readiness_level: ReadinessLevel | None = None
    origin_project_id: Reference | None = None
    inventors: list[InventorIn] | None = Field(None, min_length=1, max_length=50)

    _null_is_empty = field_validator("keywords")(lambda value: [] if value is None else value)


class AbandonTechnology(StrictBody):
    reason: ShortText


class RecordPatent(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "jurisdiction": "CN",
                    "application_number": "CN202710123456.7",
                    "priority_date": "2027-01-15",
                    "filing_date": "2027-01-15",
                    "status": "filed",
                }
            ]
        }
    )

    jurisdiction: Jurisdiction
    application_number: DocumentNumber
    publication_number: DocumentNumber | None = None
    priority_date: Day
    filing_date: Day
    grant_date: Day | None = None
    status: PatentStatus = PatentStatus.FILED
    title: ShortText | None = None


class EditPatent(StrictBody):
    jurisdiction: Jurisdiction | None = None
    application_number: DocumentNumber | None = None
    publication_number: DocumentNumber | None = None
    priority_date: Day | None = None
    filing_date: Day | None = None
    grant_date: Day | None = None
    status: PatentStatus | None = None
    title: ShortText | None = None


# -- licenses -------------------------------------------------------------------------------


class MilestoneIn(StrictBody):
    name: ShortText
    amount: Amount
    due_on: Day | None = None


class DraftLicense(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Exclusive license of the electrolyte in Germany",
                    "licensee_id": "ptn_01JD3W5V6Q8ZK4R7N2M0XYBC9T",
                    "technology_ids": ["tec_01JD3W5V6Q8ZK4R7N2M0XYBC9T"],
                    "kind": "exclusive",
                    "territory": ["DE"],
                    "field_of_use": "automotive batteries",
                    "currency": "EUR",
                    "upfront_fee": {"amount": "100000.00", "currency": "EUR"},
                    "royalty_rate": "3.5",
                    "report_frequency": "quarterly",
                }
            ]
        }
    )

    title: ShortText
    licensee_id: Reference = Field(description="The partner (an organization abroad, usually an enterprise)")
    technology_ids: list[Reference] = Field(min_length=1, max_length=20)
    kind: LicenseKind
    territory: TerritoryIn
    field_of_use: FieldOfUse
    effective_from: Day | None = Field(None, description="Default: the day of execution")
    expires_on: Day | None = Field(None, description="None for an assignment")
    currency: Currency = Field(description="Every amount of the license is in it")
    upfront_fee: Amount | None = None
    royalty_rate: Percent | None = Field(None, description='Percent of the revenue, a decimal string: "3.5"')
    minimum_annual_royalty: Amount | None = None
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=50)
    report_frequency: ReportFrequency = ReportFrequency.QUARTERLY
    report_grace_days: int | None = Field(None, ge=0, le=365, description="Default: OPP_ROYALTY_GRACE_DAYS")
    owner_id: PersonId | None = Field(None, description="The officer responsible for it")
    owner: Name | None = None
    notes: LongText | None = None


class EditLicense(StrictBody):
    """While negotiating only; `null` clears an optional field."""

    title: ShortText | None = None
    licensee_id: Reference | None = None
    technology_ids: list[Reference] | None = Field(None, min_length=1, max_length=20)
    kind: LicenseKind | None = None
    territory: TerritoryIn | None = None
    field_of_use: FieldOfUse | None = None
    effective_from: Day | None = None
    expires_on: Day | None = None
    currency: Currency | None = None
    upfront_fee: Amount | None = None
    royalty_rate: Percent | None = None
    minimum_annual_royalty: Amount | None = None
    milestones: list[MilestoneIn] | None = Field(None, max_length=50)
    report_frequency: ReportFrequency | None = None
    report_grace_days: int | None = Field(None, ge=0, le=365)
    owner_id: PersonId | None = None
    owner: Name | None = None
    notes: LongText | None = None

    _null_is_empty = field_validator("milestones")(lambda value: [] if value is None else value)


class ClassifyExport(StrictBody):
    classification: ExportClassification
    permit_reference: DocumentNumber | None = Field(None, description="Needed for a restricted export")
    note: ShortText | None = None


class TerminateLicense(StrictBody):
    reason: ShortText
    terminated_on: Day | None = Field(None, description="Default: today")


# -- royalty reports --------------------------------------------------------------------------


class OpenReport(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"license_id": "lic_01JD3W5V6Q8ZK4R7N2M0XYBC9T", "period_start": "2027-01-01"}]}
    )

    license_id: Reference
    period_start: Day = Field(description="The first day of one of the license's reporting periods")
    currency: Currency | None = Field(None, description="Default: the license's currency")


class ReceiveReport(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revenue": {"amount": "2000000.00", "currency": "EUR"},
                    "received_on": "2027-04-20",
                    "reference": "Q1-2027",
                }
            ]
        }
    )

    revenue: Amount = Field(description="The licensee's revenue in the period, in the report's currency")
    received_on: Day | None = Field(None, description="Default: today")
    reference: ShortText | None = None


class RecordPayment(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "amount": {"amount": "70000.00", "currency": "EUR"},
                    "received_on": "2027-05-10",
                    "reference": "SWIFT 2027-0510-001",
                }
            ]
        }
    )

    amount: PositiveAmount
    received_on: Day | None = Field(None, description="Default: today")
    reference: ShortText | None = None


class Totals(BaseModel):
    currency: str
    revenue: dict[str, str]
    royalty_due: dict[str, str]
    royalty_paid: dict[str, str]
    outstanding: dict[str, str]
    reports: dict[str, int]


class RoyaltyTotals(BaseModel):
    license_id: str | None
    licensee_id: str | None
    totals: list[Totals]


# -- distributions ------------------------------------------------------------------------------


class DirectCostIn(StrictBody):
    kind: CostKind
    amount: Amount
    description: ShortText | None = None


class MakeDistribution(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "technology_id": "tec_01JD3W5V6Q8ZK4R7N2M0XYBC9T",
                    "royalty_report_id": "rrp_01JD3W5V6Q8ZK4R7N2M0XYBC9T",
                    "payment_id": "pay_01JD3W5V6Q8ZK4R7N2M0XYBC9T",
                }
            ]
        }
    )

    technology_id: Reference
    income: PositiveAmount | None = Field(None, description="Default: the payment's amount, when one is named")
    direct_costs: list[DirectCostIn] = Field(default_factory=list, max_length=50)
    license_id: Reference | None = None
    royalty_report_id: Reference | None = None
    payment_id: Reference | None = Field(None, description="A payment of the royalty report: distributed once")
    notes: LongText | None = None
