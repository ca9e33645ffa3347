"""Request and response bodies of the partners API.

Requests are strict: unknown fields, wrong types, oversized or control-
character strings, bad country codes and impossible dates answer 422 and
change nothing. Responses are the resources' whole state plus `id`,
`version`, `created_at` and `updated_at`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

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


class RegisterPartner(StrictBody):
    name: Name
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
    kind: PartnerKind | None = None
    country: CountryCode | None = None
    tier: PartnerTier | None = None
    website: Url | None = None
    description: LongText | None = None
    relationship_owner: ShortText | None = None
    relationship_owner_id: PersonId | None = None
    contacts: list[ContactIn] | None = Field(None, max_length=50)

    _null_is_empty = field_validator("contacts")(lambda value: [] if value is None else value)


class ChangePartnerStatus(StrictBody):
    status: PartnerStatus = Field(
        description="prospect, active or dormant; `archived` only through /archive (409 here)"
    )
    reason: ShortText | None = None


class ArchivePartner(StrictBody):
    reason: ShortText | None = None


class MergePartner(StrictBody):
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
    signed_on: Day = Field(description="The date of the last required signature")
    signatories: list[SignatoryIn] | None = Field(None, max_length=50)


class ActivateAgreement(StrictBody):
    effective_from: Day | None = Field(None, description="When its terms start, if not set before")


class TerminateAgreement(StrictBody):
    reason: ShortText
    terminated_on: Day | None = Field(None, description="Default: today")


class WithdrawAgreement(StrictBody):
    reason: ShortText = Field(description="Why it will not be signed")


class RenewAgreement(StrictBody):
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
