"""Request and response bodies of the partners API.

Requests are strict: unknown fields, wrong types, oversized or control-
character strings, bad country codes and impossible dates answer 422 and
change nothing. Responses are the resources' whole state plus `id`,
`version`, `created_at` and `updated_at`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from opp_shared.fields import (
    CountryCode,
    Day,
    Email,
    LongText,
    Name,
    PersonId,
    Phone,
    Reference,
    ShortText,
    StrictBody,
    Url,
)
from partners.domain.agreement import AgreementType
from partners.domain.partner import PartnerKind, PartnerStatus, PartnerTier

MediaType = Annotated[
    str, StringConstraints(max_length=127, pattern=r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
]
Checksum = Annotated[str, StringConstraints(pattern=r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")]
Location = Annotated[str, StringConstraints(max_length=2000, pattern=r"^(https?|s3|file|urn):[^\s]+$")]
Discipline = Annotated[ShortText, StringConstraints(max_length=100)]


# -- partners -----------------------------------------------------------------


class ContactIn(StrictBody):
    name: Name
    role: ShortText | None = None
    email: Email | None = None
    phone: Phone | None = None


Alias = Annotated[Name, StringConstraints(max_length=100)]
Aliases = Annotated[list[Alias], Field(max_length=10, description="Other names people use for it, e.g. `UNSW`")]
NameLocal = Annotated[Name, Field(description="Its name in its own language and script, e.g. `清华大学`")]


class RegisterPartner(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Tsinghua University",
                    "name_local": "清华大学",
                    "aliases": ["THU"],
                    "kind": "university",
                    "country": "CN",
                    "tier": "strategic",
                    "website": "https://www.tsinghua.edu.cn",
                    "relationship_owner": "Li Wei",
                    "relationship_owner_id": "li.wei",
                    "contacts": [
                        {
                            "name": "Zhang Min",
                            "role": "Director, International Office",
                            "email": "zhang.min@example.edu",
                        }
                    ],
                }
            ]
        }
    )

    name: Name
    name_local: NameLocal | None = None
    aliases: Aliases = Field(default_factory=list)
    kind: PartnerKind
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. `GB`")
    status: Literal[PartnerStatus.PROSPECT, PartnerStatus.ACTIVE, PartnerStatus.DORMANT] = PartnerStatus.PROSPECT
    tier: PartnerTier = PartnerTier.STANDARD
    website: Url | None = None
    description: LongText | None = None
    relationship_owner: ShortText | None = Field(None, description="Who in the office looks after this partner (shown)")
    relationship_owner_id: PersonId | None = Field(None, description="Their person id: the `sub` of their token")
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class EditPartner(StrictBody):
    """Only the fields sent change; `null` clears an optional field."""

    name: Name | None = None
    name_local: NameLocal | None = None
    aliases: Aliases | None = None
    kind: PartnerKind | None = None
    country: CountryCode | None = None
    tier: PartnerTier | None = None
    website: Url | None = None
    description: LongText | None = None
    relationship_owner: ShortText | None = None
    relationship_owner_id: PersonId | None = None
    contacts: list[ContactIn] | None = Field(None, max_length=50)

    _null_is_empty = field_validator("contacts", "aliases")(lambda value: [] if value is None else value)


class ChangePartnerStatus(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "active", "reason": "first agreement signed"}]}
    )

    status: PartnerStatus = Field(
        description="prospect, active or dormant; `archived` only through /archive (409 here)"
    )
    reason: ShortText | None = None


class ArchivePartner(StrictBody):
    reason: ShortText | None = None


class MergePartner(StrictBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"successor_id": "ptn_01JD3W5V6Q8ZK4R7N2M0XYBC9T"}]})

    successor_id: Reference = Field(description="The partner this one carries on as")


# -- agreements ---------------------------------------------------------------


class PartyIn(StrictBody):
    partner_id: Reference
    lead: bool = False


class SignatoryIn(StrictBody):
    name: Name
    title: ShortText | None = None
    side: Literal["university", "partner"]
    partner_id: Reference | None = None
    signed_on: Day | None = None
    person_id: PersonId | None = Field(None, description="A university signatory's person id (the `sub` of a token)")


class DocumentIn(StrictBody):
    name: ShortText
    media_type: MediaType
    checksum: Checksum = Field(description="`sha256:<64 hex>` or `sha512:<128 hex>`")
    location: Location
    version: int = Field(1, ge=1, le=10_000)


class AmendmentChangesIn(StrictBody):
    """What an amendment changes in the agreement it amends, when the amendment becomes active."""

    expires_on: Day | None = Field(None, description="The amended agreement's new planned end")
    add_parties: list[PartyIn] = Field(default_factory=list, max_length=50)
    remove_parties: list[Reference] = Field(default_factory=list, max_length=50, description="Partner ids")
    scope: LongText | None = None
    documents: list[DocumentIn] = Field(
        default_factory=list, max_length=100, description="Added; one of the same name replaces the agreement's"
    )


class DraftAgreement(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "strategic",
                    "title": "Strategic partnership in engineering and sustainability",
                    "scope": "Joint research, student exchange and an annual symposium",
                    "parties": [{"partner_id": "ptn_01JD3W5V6Q8ZK4R7N2M0XYBC9T", "lead": True}],
                    "owner": "Li Wei",
                    "owner_id": "li.wei",
                    "effective_from": "2027-03-01",
                    "expires_on": "2032-02-29",
                }
            ]
        }
    )

    type: AgreementType
    title: ShortText
    scope: LongText | None = None
    parties: list[PartyIn] = Field(min_length=1, max_length=50)
    signatories: list[SignatoryIn] = Field(default_factory=list, max_length=50)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=100)
    owner: ShortText | None = Field(None, description="Who in the university is responsible for it (shown)")
    owner_id: PersonId | None = Field(None, description="Their person id: the `sub` of their token")
    notes: LongText | None = None
    effective_from: Day | None = None
    expires_on: Day | None = None
    amends: Reference | None = Field(None, description="Id of the agreement this one amends")
    changes: AmendmentChangesIn | None = Field(
        None, description="An amendment's changes to the agreement it amends, made when it becomes active"
    )
    framework_id: Reference | None = Field(None, description="Id of the framework agreement this one is made under")


class EditAgreement(StrictBody):
    """Before signature any of these; after signature only documents, notes, owner and owner_id."""

    type: AgreementType | None = None
    title: ShortText | None = None
    scope: LongText | None = None
    parties: list[PartyIn] | None = Field(None, min_length=1, max_length=50)
    signatories: list[SignatoryIn] | None = Field(None, max_length=50)
    documents: list[DocumentIn] | None = Field(None, max_length=100)
    owner: ShortText | None = None
    owner_id: PersonId | None = None
    notes: LongText | None = None
    effective_from: Day | None = None
    expires_on: Day | None = None
    changes: AmendmentChangesIn | None = None

    _null_is_empty = field_validator("signatories", "documents")(lambda value: [] if value is None else value)


class SignAgreement(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "signed_on": "2027-02-20",
                    "signatories": [
                        {
                            "name": "Wang Xiqin",
                            "title": "President",
                            "side": "university",
                            "person_id": "wang.xiqin",
                            "signed_on": "2027-02-20",
                        }
                    ],
                }
            ]
        }
    )

    signed_on: Day = Field(description="The date of the last required signature")
    signatories: list[SignatoryIn] | None = Field(None, max_length=50)


class ActivateAgreement(StrictBody):
    effective_from: Day | None = Field(None, description="When its terms start, if not set before")


class TerminateAgreement(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "the partner closed the programme", "terminated_on": "2027-09-30"}]}
    )

    reason: ShortText
    terminated_on: Day | None = Field(None, description="Default: today")


class WithdrawAgreement(StrictBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "superseded by the framework agreement"}]})

    reason: ShortText = Field(description="Why it will not be signed")


class RenewAgreement(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"expires_on": "2037-02-28", "effective_from": "2032-03-01"}]}
    )

    expires_on: Day = Field(description="The successor's natural end")
    effective_from: Day | None = None
    title: ShortText | None = None


class AgreementFamily(BaseModel):
    id: str
    renewal_chain: list[str]
    predecessors: list[str]
    successors: list[str]
    amends: str | None
    amendments: list[str]
    framework_id: str | None
    under_framework: list[str]


# -- centers --------------------------------------------------------------------


class DirectorIn(StrictBody):
    name: Name
    side: Literal["university", "partner"]
    partner_id: Reference | None = None
    email: Email | None = None


class EstablishCenter(StrictBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Tsinghua-Siemens Joint Research Center for Industrial Intelligence",
                    "partner_ids": ["ptn_01JD3W5V6Q8ZK4R7N2M0XYBC9T"],
                    "disciplines": ["automation", "artificial intelligence"],
                    "established_on": "2027-05-12",
                    "agreement_id": "agr_01JD3W7K2M4N6P8Q0R2S4T6V8W",
                }
            ]
        }
    )

    name: ShortText
    partner_ids: list[Reference] = Field(min_length=1, max_length=50)
    disciplines: list[Discipline] = Field(default_factory=list, max_length=50)
    directors: list[DirectorIn] = Field(default_factory=list, max_length=20)
    established_on: Day
    agreement_id: Reference | None = None
    description: LongText | None = None
    website: Url | None = None


class EditCenter(StrictBody):
    name: ShortText | None = None
    partner_ids: list[Reference] | None = Field(None, min_length=1, max_length=50)
    disciplines: list[Discipline] | None = Field(None, max_length=50)
    directors: list[DirectorIn] | None = Field(None, max_length=20)
    established_on: Day | None = None
    agreement_id: Reference | None = None
    description: LongText | None = None
    website: Url | None = None

    _null_is_empty = field_validator("disciplines", "directors")(lambda value: [] if value is None else value)


class CloseCenter(StrictBody):
    reason: ShortText | None = None
    closed_on: Day | None = Field(None, description="Default: today")


# -- portfolio ------------------------------------------------------------------


class PortfolioPartner(BaseModel):
    id: str
    name: str
    kind: PartnerKind
    country: str
    status: PartnerStatus
    tier: PartnerTier
    merged_into: str | None
    version: int


class StatusCounts(BaseModel):
    by_status: dict[str, int] = Field(description="How many in each status (every status listed, zero included)")
    open: int = Field(description="Agreements before signature or in force; active centers")


class PortfolioCounts(BaseModel):
    agreements: StatusCounts
    centers: StatusCounts


class PortfolioAgreement(BaseModel):
    id: str
    type: AgreementType
    title: str
    status: str
    effective_from: str | None
    signed_on: str | None
    expires_on: str | None
    terminated_on: str | None
    renewal_of: str | None
    renewed_by: str | None
    amends: str | None
    framework_id: str | None
    parties: list[PartyIn]
    via: list[str] = Field(description="Which of the partner's ids (its own, or a merged predecessor's) it names")


class PortfolioCenter(BaseModel):
    id: str
    name: str
    status: str
    disciplines: list[str]
    established_on: str | None
    closed_on: str | None
    agreement_id: str | None
    partner_ids: list[str]
    via: list[str]


class AsOf(BaseModel):
    sequence: int
    event_type: str


class Announced(BaseModel):
    """What another service announced about one of its aggregates that names the partner: a summary
    of its latest state (the fields it has among name, title, kind, status, amounts, dates)."""

    model_config = ConfigDict(extra="allow")

    id: str
    partner_ids: list[str]
    as_of: AsOf = Field(description="The event this summary is as of")


class RoyaltyTotal(BaseModel):
    currency: str
    royalty_due: str
    royalty_paid: str
    reports: int


class PortfolioRoyalties(BaseModel):
    reports: list[Announced]
    totals: list[RoyaltyTotal] = Field(description="Per currency: amounts in different currencies are never added")


class Portfolio(BaseModel):
    """Everything done with a partner (and the partners merged into it), here and in the other services."""

    partner: PortfolioPartner
    includes_partners: list[str] = Field(description="Its id and those of the partners merged into it")
    counts: PortfolioCounts
    agreements: list[PortfolioAgreement]
    centers: list[PortfolioCenter]
    funds: list[Announced]
    awards: list[Announced]
    projects: list[Announced]
    licenses: list[Announced]
    royalties: PortfolioRoyalties
