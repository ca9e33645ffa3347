"""Joint research centers: long-lived, interdisciplinary, with one or more partners."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from opp_shared.aggregate import AggregateState, AggregateType, Change, EventChange, NoChange, field_errors, first_error
from opp_shared.errors import IllegalTransition, InvalidInput


class CenterStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Director(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    side: Literal["university", "partner"]
    partner_id: str | None = None
    email: str | None = None


class Center(AggregateState):
    name: str
    partner_ids: list[str]
    disciplines: list[str] = Field(default_factory=list)
    directors: list[Director] = Field(default_factory=list)
    established_on: date
    closed_on: date | None = None
    closure_reason: str | None = None
    status: CenterStatus = CenterStatus.ACTIVE
    agreement_id: str | None = None
    description: str | None = None
    website: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Center:
        if not self.partner_ids:
            raise ValueError("a joint center has at least one partner")
        if len(set(self.partner_ids)) != len(self.partner_ids):
            raise ValueError("a partner is listed once")
        for director in self.directors:
            if director.side == "partner" and director.partner_id not in self.partner_ids:
                raise ValueError("a partner-side director belongs to one of the center's partners")
        if self.closed_on and self.closed_on < self.established_on:
            raise ValueError("closed_on cannot come before established_on")
        return self


class CenterUpdated(EventChange):
    fields: list[str]  # the fields the change touched
    merged_partner: str | None = None  # when a partner of the center was merged into another: its id
    successor_id: str | None = None  # ... and the id of the partner that took its place


class CenterClosed(EventChange):
    reason: str | None
    closed_on: date


CENTER = AggregateType(
    topic="partners.center",
    state=Center,
    changes={"established": NoChange, "updated": CenterUpdated, "closed": CenterClosed},
    noun="joint center",
    id_prefix="ctr",
    collection="centers",
    route="/api/v1/centers",
    indexes=("partner_ids", "status", "disciplines"),
)

EDITABLE = (
    "name",
    "partner_ids",
    "disciplines",
    "directors",
    "agreement_id",
    "description",
    "website",
    "established_on",
)


def establish(**fields: Any) -> Change:
    try:
        center = Center(**fields)
    except ValidationError as exc:
        raise InvalidInput(first_error(exc), errors=field_errors(exc)) from None
    return Change(CENTER.event("established"), center.state())


def update(current: Center, edits: dict[str, Any]) -> Change | None:
    if current.status == CenterStatus.CLOSED:
        raise IllegalTransition("a closed center cannot be changed", current_status=current.status.value)
    unknown = set(edits) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"not editable: {sorted(unknown)}")
    updated = current.evolve(**edits)
    if updated == current:
        return None
    return Change(
        CENTER.event("updated"),
        updated.state(),
        {"fields": sorted(k for k in edits if getattr(updated, k) != getattr(current, k))},
    )


def close(current: Center, today: date, reason: str | None, closed_on: date | None = None) -> Change:
    if current.status == CenterStatus.CLOSED:
        raise IllegalTransition("the center is already closed", current_status=current.status.value)
    day = closed_on or today
    if day > today:
        raise InvalidInput("closed_on cannot be in the future")
    updated = current.evolve(status=CenterStatus.CLOSED, closed_on=day, closure_reason=reason)
    return Change(CENTER.event("closed"), updated.state(), {"reason": reason, "closed_on": day.isoformat()})


def replace_partner(current: Center, old_id: str, new_id: str) -> Change | None:
    if old_id not in current.partner_ids or current.status == CenterStatus.CLOSED:
        return None
    partner_ids = [new_id if p == old_id else p for p in current.partner_ids]
    partner_ids = list(dict.fromkeys(partner_ids))
    directors = [
        d.model_copy(update={"partner_id": new_id}) if d.partner_id == old_id else d for d in current.directors
    ]
    updated = current.evolve(partner_ids=partner_ids, directors=directors)
    return Change(
        CENTER.event("updated"),
        updated.state(),
        {"fields": ["partner_ids"], "merged_partner": old_id, "successor_id": new_id},
    )
