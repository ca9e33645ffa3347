"""Rules: which events concern whom, on which channels (pure).

A rule names event types (exact, `partners.agreement.*` for a whole topic, or
`*`), conditions on the event's fields (all must hold), recipients and
channels. A recipient is a role (`role:partnerships_officer`), a named person
(`user:<person id>`, the token's `sub`), or the person a field of the event
names (`field:state.relationship_owner_id`; a field may also hold a list of
ids, or objects carrying `person_id`, as `state.inventors` does).

A field path is dotted from the event: `state.<field>`, `change.<field>`,
`subject`, `type`, `actor`. Through a list it reads the field of each element
(`state.inventors.person_id`).

Rules are aggregates (`notifications.rule`), so admins add, change and switch
them off through the API; the defaults (`defaults.DEFAULT_RULES`) are added by
the service itself the first time it reads its rules, each under its own id.
"""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from notifications.domain import build
from notifications.domain.templates import Template
from opp_shared.aggregate import AggregateState, AggregateType, Change, EventChange, NoChange
from opp_shared.auth import ALL_ROLES
from opp_shared.catalogue import EVENT_TYPES, all_event_types
from opp_shared.envelope import CloudEvent
from opp_shared.errors import InvalidInput


class Channel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"


_PATH = re.compile(r"^(state|change)(\.[A-Za-z0-9_]+)+$|^(subject|type|actor|source)$")
_PERSON = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@\-]{0,99}$")


def check_event_pattern(pattern: str) -> str:
    """An event type of the catalogue, a topic's `<topic>.*`, or `*`."""
    if pattern == "*" or pattern in all_event_types():
        return pattern
    if pattern.endswith(".*") and pattern[:-2] in EVENT_TYPES:
        return pattern
    raise ValueError(f"{pattern!r} is neither an event type of the catalogue, nor <topic>.*, nor *")


def event_matches(patterns: list[str], event_type: str) -> bool:
    topic = event_type.rsplit(".", 1)[0]
    return any(p in ("*", event_type, f"{topic}.*") for p in patterns)


def patterns_for(event_type: str) -> list[str]:
    """The patterns that match an event type (for an equality query on stored patterns)."""
    return ["*", event_type, f"{event_type.rsplit('.', 1)[0]}.*"]


def check_path(path: str) -> str:
    if not _PATH.match(path):
        raise ValueError(f"{path!r} is not a field of the event (state.<field>, change.<field>, subject, type, actor)")
    return path


def check_recipient(recipient: str) -> str:
    kind, _, value = recipient.partition(":")
    if kind == "role" and value in ALL_ROLES:
        return recipient
    if kind == "user" and _PERSON.match(value):
        return recipient
    if kind == "field":
        check_path(value)
        return recipient
    raise ValueError(f"{recipient!r}: a recipient is role:<role>, user:<person id> or field:<path of the event>")


def read_path(event: CloudEvent, path: str) -> Any:
    head, *rest = path.split(".")
    value: Any = {"state": event.state, "change": event.change}.get(head, getattr(event, head, None))
    for key in rest:
        if isinstance(value, list):
            value = [item.get(key) for item in value if isinstance(item, dict)]
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def person_ids(value: Any) -> list[str]:
    """The person ids a field names: an id, a list of ids, or objects (or a list of them) with `person_id`."""
    if isinstance(value, str):
        return [value] if _PERSON.match(value) else []
    if isinstance(value, dict):
        return person_ids(value.get("person_id"))
    if isinstance(value, list):
        return [pid for item in value for pid in person_ids(item)]
    return []


class Condition(BaseModel):
    """`field` compared with `value`: eq, ne, in, not_in (value is a list), contains (the field is
    a list holding the value), exists, missing (no value)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    op: Literal["eq", "ne", "in", "not_in", "contains", "exists", "missing"] = "eq"
    value: str | int | bool | list[str] | None = None

    @field_validator("field")
    @classmethod
    def _path(cls, value: str) -> str:
        return check_path(value)

    def holds(self, event: CloudEvent) -> bool:
        actual = read_path(event, self.field)
        match self.op:
            case "eq":
                return actual == self.value
            case "ne":
                return actual != self.value
            case "in":
                return isinstance(self.value, list) and actual in self.value
            case "not_in":
                return not (isinstance(self.value, list) and actual in self.value)
            case "contains":
                return isinstance(actual, list) and self.value in actual
            case "exists":
                return actual not in (None, "", [])
            case "missing":
                return actual in (None, "", [])
        return False


class Rule(AggregateState):
    name: str
    description: str | None = None
    event_types: list[str] = Field(min_length=1, max_length=50)
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    recipients: list[str] = Field(min_length=1, max_length=50)
    channels: list[Channel] = Field(default_factory=lambda: [Channel.INBOX], min_length=1)
    template: Template | None = None  # instead of the event type's own
    enabled: bool = True
    default: bool = False  # one of the service's default rules
    default_digest: str | None = None  # which version of the default it was added as
    edited: bool = False  # changed by an admin since

    @field_validator("event_types")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        return [check_event_pattern(v) for v in dict.fromkeys(values)]

    @field_validator("recipients")
    @classmethod
    def _recipients(cls, values: list[str]) -> list[str]:
        return [check_recipient(v) for v in dict.fromkeys(values)]

    @field_validator("channels")
    @classmethod
    def _channels(cls, values: list[Channel]) -> list[Channel]:
        return list(dict.fromkeys(values))

    def applies_to(self, event: CloudEvent) -> bool:
        return (
            self.enabled
            and event_matches(self.event_types, event.type)
            and all(c.holds(event) for c in self.conditions)
        )

    def addresses(self, event: CloudEvent) -> list[str]:
        """Who this rule tells about the event: `role:<role>` and `user:<person id>` addresses."""
        found: list[str] = []
        for recipient in self.recipients:
            kind, _, value = recipient.partition(":")
            if kind == "field":
                found += [f"user:{pid}" for pid in person_ids(read_path(event, value))]
            else:
                found.append(recipient)
        return list(dict.fromkeys(found))


class RuleChanged(EventChange):
    fields: list[str]
    reason: str | None = None  # set when the rule followed a change of its default


RULE = AggregateType(
    topic="notifications.rule",
    state=Rule,
    changes={"added": NoChange, "changed": RuleChanged, "disabled": NoChange, "enabled": NoChange},
    noun="rule",
    id_prefix="rul",
    collection="rules",
    route="/api/v1/rules",
    indexes=("enabled", "event_types"),
    history_roles=("admin",),
)

# What a plain edit may change (enabling and disabling are actions).
EDITABLE = ("name", "description", "event_types", "conditions", "recipients", "channels", "template")


def add(fields: dict[str, Any]) -> Change:
    rule = build(Rule, fields)
    return Change(RULE.event("added"), rule.state())


def edit(current: Rule, edits: dict[str, Any]) -> Change | None:
    unknown = set(edits) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"not editable: {sorted(unknown)}")
    updated = current.evolve(**edits, edited=True)
    if updated.model_dump(exclude={"edited"}) == current.model_dump(exclude={"edited"}):
        return None
    changed = sorted(k for k in edits if getattr(updated, k) != getattr(current, k))
    return Change(RULE.event("changed"), updated.state(), {"fields": changed})


def switch(current: Rule, enabled: bool) -> Change | None:
    if current.enabled == enabled:
        return None
    updated = current.evolve(enabled=enabled)
    return Change(RULE.event("enabled" if enabled else "disabled"), updated.state())


# -- the defaults, as data --------------------------------------------------------------


class DefaultRule(BaseModel):
    """A rule the service brings with it; `id` is stable, so it is added once and an admin's change
    of it sticks. A new version of a default replaces the stored one unless an admin edited it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    event_types: list[str]
    recipients: list[str]
    channels: list[Channel] = [Channel.INBOX]
    conditions: list[Condition] = []
    description: str | None = None

    @property
    def digest(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def fields(self) -> dict[str, Any]:
        values = self.model_dump(mode="json", exclude={"id"})
        return {**values, "default": True, "default_digest": self.digest}


def add_default(default: DefaultRule) -> Change:
    return add(default.fields())


def follow_default(current: Rule, default: DefaultRule) -> Change | None:
    """A default whose definition changed in the code replaces its stored copy, unless an admin
    edited it; an admin's switching it off is kept either way."""
    if current.edited or current.default_digest == default.digest:
        return None
    updated = current.evolve(**{**default.fields(), "enabled": current.enabled})
    return Change(RULE.event("changed"), updated.state(), {"fields": ["default"], "reason": "the default changed"})
