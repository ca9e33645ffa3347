"""Subscriptions: a person asks to hear of some event types, optionally about one aggregate (pure).

An aggregate narrows a subscription to events whose subject it is, or whose
state names it in `partner_ids` (so a subscription to a partner also hears of
its agreements, centers, funds and licenses).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from notifications.domain import build
from notifications.domain.rules import Channel, check_event_pattern, event_matches
from opp_shared.aggregate import AggregateState, AggregateType, Change, FieldsChanged, NoChange
from opp_shared.envelope import CloudEvent
from opp_shared.errors import InvalidInput, RuleViolation


class Subscription(AggregateState):
    person_id: str
    event_types: list[str] = Field(min_length=1, max_length=50)
    aggregate_id: str | None = None
    channels: list[Channel] = Field(default_factory=lambda: [Channel.INBOX], min_length=1)
    active: bool = True

    @field_validator("event_types")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        return [check_event_pattern(v) for v in dict.fromkeys(values)]

    @field_validator("channels")
    @classmethod
    def _channels(cls, values: list[Channel]) -> list[Channel]:
        return list(dict.fromkeys(values))

    def covers(self, event: CloudEvent) -> bool:
        if not self.active or not event_matches(self.event_types, event.type):
            return False
        if self.aggregate_id is None:
            return True
        partner_ids = event.state.get("partner_ids")
        return self.aggregate_id == event.subject or (
            isinstance(partner_ids, list) and self.aggregate_id in partner_ids
        )


SUBSCRIPTION = AggregateType(
    topic="notifications.subscription",
    state=Subscription,
    changes={"created": NoChange, "changed": FieldsChanged, "cancelled": NoChange},
    noun="subscription",
    id_prefix="sub",
    collection="subscriptions",
    route="/api/v1/subscriptions",
    indexes=("person_id", ("active", "event_types")),
    history_roles=("admin",),
)

EDITABLE = ("event_types", "aggregate_id", "channels")


def create(fields: dict[str, Any]) -> Change:
    return Change(SUBSCRIPTION.event("created"), build(Subscription, fields).state())


def edit(current: Subscription, edits: dict[str, Any]) -> Change | None:
    unknown = set(edits) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"not editable: {sorted(unknown)}")
    if not current.active:
        raise RuleViolation("a cancelled subscription cannot be changed")
    updated = current.evolve(**edits)
    if updated == current:
        return None
    return Change(SUBSCRIPTION.event("changed"), updated.state(), {"fields": sorted(edits)})


def cancel(current: Subscription) -> Change | None:
    if not current.active:
        return None
    return Change(SUBSCRIPTION.event("cancelled"), current.evolve(active=False).state())
