"""Request and response bodies of the partners API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from opp_shared.fields import CountryCode, Email, LongText, Name, Phone, ShortText, StrictBody, Url
from partners.domain.partner import Partner, PartnerKind, PartnerStatus, PartnerTier


class ContactIn(StrictBody):
    name: Name
    role: ShortText | None = None
    email: Email | None = None
    phone: Phone | None = None


class RegisterPartner(StrictBody):
    name: Name
    kind: PartnerKind
    country: CountryCode = Field(description="ISO 3166-1 alpha-2, e.g. `GB`")
    status: PartnerStatus = PartnerStatus.PROSPECT
    tier: PartnerTier = PartnerTier.STANDARD
    website: Url | None = None
    description: LongText | None = None
    relationship_owner: ShortText | None = Field(None, description="Who in the office looks after this partner")
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


class EditPartner(StrictBody):
    """Only the fields sent are changed; `null` clears an optional field."""

    name: Name | None = None
    kind: PartnerKind | None = None
    country: CountryCode | None = None
    tier: PartnerTier | None = None
    website: Url | None = None
    description: LongText | None = None
    relationship_owner: ShortText | None = None
    contacts: list[ContactIn] | None = Field(None, max_length=50)


class PartnerOut(Partner):
    id: str
    version: int
    created_at: str
    updated_at: str


class PartnerPage(BaseModel):
    items: list[PartnerOut]
    next_cursor: str | None
