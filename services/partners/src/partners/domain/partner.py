"""Partner organizations: who the university works with abroad.

Rules (docs/domain.md): a partner has a kind, a name, a country (ISO 3166-1
alpha-2) and a status (`prospect`, `active`, `dormant`, `archived`); who in
the office looks after it is a person id (the token's `sub`) beside the name
shown; names are unique per country compared without case and accents
(the uniqueness itself is a claim in the store, keyed by `name_key`); an
archived partner takes no new agreements, funds, projects or licenses; a
partner merged into another keeps a pointer to its successor and is archived.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, computed_field

from opp_shared.aggregate import AggregateState, AggregateType, Change, EventChange, NoChange
from opp_shared.errors import IllegalTransition, InvalidInput, RuleViolation
from partners.domain.text import name_key, search_keys


class PartnerKind(StrEnum):
    UNIVERSITY = "university"
    RESEARCH_INSTITUTE = "research_institute"
    ENTERPRISE = "enterprise"
    FOUNDATION = "foundation"
    GOVERNMENT_AGENCY = "government_agency"


class PartnerStatus(StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    DORMANT = "dormant"
    ARCHIVED = "archived"


class PartnerTier(StrEnum):
    """How the office ranks the relationship: `strategic` partners have a university-level agreement."""

    STRATEGIC = "strategic"
    KEY = "key"
    STANDARD = "standard"


# Status changes allowed through `/status`; archiving has its own action and is final.
STATUS_MOVES: dict[PartnerStatus, frozenset[PartnerStatus]] = {
    PartnerStatus.PROSPECT: frozenset({PartnerStatus.ACTIVE, PartnerStatus.DORMANT}),
    PartnerStatus.ACTIVE: frozenset({PartnerStatus.DORMANT}),
    PartnerStatus.DORMANT: frozenset({PartnerStatus.ACTIVE}),
    PartnerStatus.ARCHIVED: frozenset(),
}


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


class Partner(AggregateState):
    """A partner's whole public state (the write model adds id, version and times)."""

    derived_fields: ClassVar[tuple[str, ...]] = ("search_keys",)

    name: str
    name_key: str
    name_local: str | None = None  # its name in its own language and script (清华大学, Universität Zürich)
    aliases: list[str] = Field(default_factory=list)  # other names people use for it (UNSW, ETH)
    kind: PartnerKind
    country: str
    status: PartnerStatus = PartnerStatus.PROSPECT
    tier: PartnerTier = PartnerTier.STANDARD
    website: str | None = None
    description: str | None = None
    relationship_owner: str | None = None  # who in the office looks after it: the name, for display
    relationship_owner_id: str | None = None  # and their person id (the token's `sub`)
    contacts: list[Contact] = Field(default_factory=list)
    merged_into: str | None = None
    merged_from: list[str] = Field(default_factory=list)
    archived_reason: str | None = None

    @property
    def archived(self) -> bool:
        return self.status == PartnerStatus.ARCHIVED

    @computed_field  # type: ignore[prop-decorator]
    @property
    def search_keys(self) -> list[str]:
        """The folded prefixes of every word of its name, local name and aliases: what `?q=` matches."""
        return search_keys(self.name, self.name_local, *self.aliases)


# -- what is particular to each event (`data.change`) --------------------------------


class PartnerUpdated(EventChange):
    fields: list[str]  # the fields the edit changed
    merged_from: str | None = None  # when the edit records a partner merged into this one: its id


class PartnerStatusChanged(EventChange):
    from_: PartnerStatus = Field(alias="from")
    to: PartnerStatus
    reason: str | None


class PartnerArchived(EventChange):
    from_: PartnerStatus = Field(alias="from")
    reason: str | None


class PartnerMerged(EventChange):
    successor_id: str  # the partner it was merged into
    from_: PartnerStatus = Field(alias="from")


PARTNER = AggregateType(
    topic="partners.partner",
    state=Partner,
    changes={
        "registered": NoChange,
        "updated": PartnerUpdated,
        "status_changed": PartnerStatusChanged,
        "archived": PartnerArchived,
        "merged": PartnerMerged,
    },
    noun="partner",
    id_prefix="ptn",
    collection="partners",
    route="/api/v1/partners",
    indexes=("name_key", "search_keys", "country", "kind", "status", "tier", "relationship_owner_id"),
)

# Fields a plain edit may change (status, merging and archiving are actions).
EDITABLE = (
    "name",
    "name_local",
    "aliases",
    "kind",
    "country",
    "tier",
    "website",
    "description",
    "relationship_owner",
    "relationship_owner_id",
    "contacts",
)


def register(
    *,
    name: str,
    kind: PartnerKind,
    country: str,
    name_local: str | None = None,
    aliases: list[str] | None = None,
    status: PartnerStatus = PartnerStatus.PROSPECT,
    tier: PartnerTier = PartnerTier.STANDARD,
    website: str | None = None,
    description: str | None = None,
    relationship_owner: str | None = None,
    relationship_owner_id: str | None = None,
    contacts: list[Contact] | list[dict[str, Any]] | None = None,
) -> Change:
    if status == PartnerStatus.ARCHIVED:
        raise RuleViolation("a partner cannot be registered as archived")
    partner = Partner(
        name=name,
        name_key=name_key(name),
        name_local=name_local,
        aliases=aliases or [],
        kind=kind,
        country=country,
        status=status,
        tier=tier,
        website=website,
        description=description,
        relationship_owner=relationship_owner,
        relationship_owner_id=relationship_owner_id,
        contacts=contacts or [],
    )
    return Change(PARTNER.event("registered"), partner.state())


def edit(current: Partner, edits: dict[str, Any]) -> Change | None:
    """A plain edit of some fields; None when nothing changes."""
    unknown = set(edits) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"not editable: {sorted(unknown)}")
    if current.archived:
        raise RuleViolation("an archived partner cannot be edited")
    if "name" in edits:
        edits = {**edits, "name_key": name_key(edits["name"])}
    updated = current.evolve(**edits)
    if updated == current:
        return None
    changed = sorted(k for k in edits if getattr(updated, k) != getattr(current, k) and k != "name_key")
    return Change(PARTNER.event("updated"), updated.state(), {"fields": changed})


def change_status(current: Partner, to: PartnerStatus, reason: str | None = None) -> Change | None:
    if current.status == to:
        return None
    if to == PartnerStatus.ARCHIVED:
        raise IllegalTransition("archive a partner with the /archive action")
    if to not in STATUS_MOVES[current.status]:
        raise IllegalTransition(
            f"a partner cannot go from {current.status} to {to}", current_status=current.status.value
        )
    updated = current.evolve(status=to)
    return Change(
        PARTNER.event("status_changed"),
        updated.state(),
        {"from": current.status.value, "to": to.value, "reason": reason},
    )


def archive(current: Partner, reason: str | None = None) -> Change | None:
    if current.archived:
        return None
    updated = current.evolve(status=PartnerStatus.ARCHIVED, archived_reason=reason)
    return Change(PARTNER.event("archived"), updated.state(), {"from": current.status.value, "reason": reason})


def merge_into(current: Partner, own_id: str, successor_id: str, successor: Partner | None) -> Change | None:
    """The merged partner is archived and points to its successor (the successor records
    where it came from when it hears of the merge)."""
    if successor_id == own_id:
        raise RuleViolation("a partner cannot be merged into itself")
    if current.merged_into == successor_id:
        return None
    if current.merged_into is not None:
        raise RuleViolation(
            f"this partner was already merged into {current.merged_into}", successor_id=current.merged_into
        )
    if successor is None:
        raise RuleViolation(f"no partner {successor_id!r} to merge into")
    if successor.archived:
        raise RuleViolation("a partner cannot be merged into an archived partner", successor_id=successor_id)
    updated = current.evolve(
        status=PartnerStatus.ARCHIVED, merged_into=successor_id, archived_reason=f"merged into {successor_id}"
    )
    return Change(
        PARTNER.event("merged"), updated.state(), {"successor_id": successor_id, "from": current.status.value}
    )


def record_merged_from(current: Partner, predecessor_id: str) -> Change | None:
    """The successor notes a partner merged into it (driven by the `merged` event)."""
    if predecessor_id in current.merged_from:
        return None
    updated = current.evolve(merged_from=[*current.merged_from, predecessor_id])
    return Change(PARTNER.event("updated"), updated.state(), {"fields": ["merged_from"], "merged_from": predecessor_id})
