"""Who is told what about one event, on which channel (pure).

The rules and the person's subscriptions give addresses (`role:<role>`,
`user:<person id>`) with channels; the directory turns them into inbox entries
and email targets:

- an inbox entry per address that asked for the inbox: a role's entry is one
  notice that everyone holding the role reads (each with their own read
  state); a person's own entry is left out when the directory says they hold a
  role that gets the same notice, so nobody finds one event twice;
- an email per person, once, however many rules and roles reach them, when
  the directory has their address and they accept email.

A failed email delivery is never announced by email (that could go round in a
circle while the mail server is down).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from notifications.domain.defaults import template_for
from notifications.domain.people import Person
from notifications.domain.rules import Channel, Rule
from notifications.domain.subscriptions import Subscription
from notifications.domain.templates import DEFAULT_LANGUAGE, LANGUAGES, Rendered, Template, fallback, render
from opp_shared.envelope import CloudEvent


@dataclass
class Audience:
    address: str
    channels: set[Channel] = field(default_factory=set)
    reasons: list[str] = field(default_factory=list)  # the rules and subscriptions that asked

    @property
    def person_id(self) -> str | None:
        kind, _, value = self.address.partition(":")
        return value if kind == "user" else None

    @property
    def role(self) -> str | None:
        kind, _, value = self.address.partition(":")
        return value if kind == "role" else None


def audience(
    event: CloudEvent,
    rules: Iterable[tuple[str, Rule]],
    subscriptions: Iterable[tuple[str, Subscription]] = (),
) -> list[Audience]:
    """Every address the rules and subscriptions (each with its id) give for the event, channels merged."""
    found: dict[str, Audience] = {}

    def add(address: str, channels: Iterable[Channel], reason: str) -> None:
        entry = found.setdefault(address, Audience(address))
        entry.channels.update(channels)
        entry.reasons.append(reason)

    for rule_id, rule in rules:
        if rule.applies_to(event):
            for address in rule.addresses(event):
                add(address, rule.channels, rule_id)
    for subscription_id, subscription in subscriptions:
        if subscription.covers(event):
            add(f"user:{subscription.person_id}", subscription.channels, subscription_id)
    if event.type == "notifications.delivery.failed" and event.state.get("channel") == Channel.EMAIL.value:
        for entry in found.values():
            entry.channels.discard(Channel.EMAIL)
    return [entry for entry in found.values() if entry.channels]


@dataclass(frozen=True)
class Plan:
    inbox: list[str]  # addresses
    email: list[str]  # person ids


def plan(audiences: list[Audience], people: dict[str, Person], role_members: dict[str, list[str]]) -> Plan:
    """`people`: the directory entries of the persons addressed and of the roles' members;
    `role_members`: for each role addressed by email, the ids of the people holding it."""
    inbox_roles = {a.role for a in audiences if a.role and Channel.INBOX in a.channels}
    inbox, email = [], []
    for entry in audiences:
        person_id = entry.person_id
        if Channel.INBOX in entry.channels:
            if entry.role:
                inbox.append(entry.address)
            else:
                person = people.get(person_id or "")
                holds_role = person is not None and any(role.value in inbox_roles for role in person.roles)
                if (person is None or person.accepts(Channel.INBOX)) and not holds_role:
                    inbox.append(entry.address)
        if Channel.EMAIL in entry.channels:
            for candidate in role_members.get(entry.role, []) if entry.role else [person_id]:
                person = people.get(candidate or "")
                if person is not None and person.accepts(Channel.EMAIL) and candidate not in email:
                    email.append(candidate)  # type: ignore[arg-type]
    return Plan(inbox=inbox, email=email)


def chosen_template(event: CloudEvent, rules: Iterable[Rule], language: str) -> Template:
    """A rule's own template first (of the rules that apply), else the event type's, else the fallback."""
    for rule in rules:
        if rule.template is not None and rule.applies_to(event):
            return rule.template
    return template_for(event.type, language) or fallback(event.type)


def texts(event: CloudEvent, rules: list[Rule]) -> dict[str, Rendered]:
    """The notice in every language there are templates for (the default language first)."""
    rendered = {DEFAULT_LANGUAGE: render(chosen_template(event, rules, DEFAULT_LANGUAGE), event)}
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            other = render(chosen_template(event, rules, language), event)
            if other != rendered[DEFAULT_LANGUAGE]:
                rendered[language] = other
    return rendered
