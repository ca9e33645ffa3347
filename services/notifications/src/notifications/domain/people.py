"""The directory of people who receive notifications (pure).

A person's id is the `sub` of their token. The directory gives what a token
does not: a name, an email address, a unit, and where and how they want to be
told (`channels`, `language`). Admins keep it; each person changes their own
preferences. Roles here say who gets a role's email; a caller's inbox follows
the roles of the token it sends.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from notifications.domain import build
from notifications.domain.rules import Channel
from notifications.domain.templates import DEFAULT_LANGUAGE, LANGUAGES
from opp_shared.aggregate import AggregateState, AggregateType, Change, FieldsChanged, NoChange
from opp_shared.auth import Role
from opp_shared.errors import InvalidInput, RuleViolation


class Person(AggregateState):
    name: str
    email: str | None = None
    roles: list[Role] = Field(default_factory=list)
    unit: str | None = None
    channels: list[Channel] = Field(default_factory=lambda: [Channel.INBOX, Channel.EMAIL])
    language: str = DEFAULT_LANGUAGE
    active: bool = True

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"language is one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("roles", "channels")
    @classmethod
    def _once(cls, values: list) -> list:
        return list(dict.fromkeys(values))

    def accepts(self, channel: Channel) -> bool:
        return self.active and channel in self.channels and (channel != Channel.EMAIL or bool(self.email))


PERSON = AggregateType(
    topic="notifications.person",
    state=Person,
    changes={"registered": NoChange, "updated": FieldsChanged, "removed": NoChange},
    noun="person",
    id_prefix="per",
    collection="people",
    route="/api/v1/people",
    indexes=("roles", "active"),
    history_roles=("admin",),
)

# What an admin may change, and what a person may change of their own entry.
EDITABLE = ("name", "email", "roles", "unit", "channels", "language")
PREFERENCES = ("channels", "language")


def register(fields: dict[str, Any]) -> Change:
    return Change(PERSON.event("registered"), build(Person, fields).state())


def edit(current: Person, edits: dict[str, Any], allowed: tuple[str, ...] = EDITABLE) -> Change | None:
    unknown = set(edits) - set(allowed)
    if unknown:
        raise InvalidInput(f"not editable here: {sorted(unknown)}")
    if not current.active:
        raise RuleViolation("this person was removed from the directory")
    updated = current.evolve(**edits)
    if updated == current:
        return None
    changed = sorted(k for k in edits if getattr(updated, k) != getattr(current, k))
    return Change(PERSON.event("updated"), updated.state(), {"fields": changed})


def remove(current: Person) -> Change | None:
    if not current.active:
        return None
    return Change(PERSON.event("removed"), current.evolve(active=False).state())
