"""Who is told what about which event (pure).

A rule turns an event into notices, each addressed to a recipient: a role
(`role:partnerships_officer`) or a person (`user:<sub>`). An event no rule
knows yields no notice: new event types never break this service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opp_shared.envelope import CloudEvent

PARTNERSHIPS = ("role:admin", "role:partnerships_officer")


@dataclass(frozen=True)
class Notice:
    recipient: str
    title: str
    body: str


@dataclass(frozen=True)
class Rule:
    recipients: tuple[str, ...]
    title: Callable[[dict[str, Any], dict[str, Any]], str]
    body: Callable[[dict[str, Any], dict[str, Any]], str]


RULES: dict[str, Rule] = {
    "partners.partner.registered": Rule(
        PARTNERSHIPS,
        lambda s, c: f"New partner: {s.get('name', '?')} ({s.get('country', '?')})",
        lambda s, c: f"{s.get('name', '?')}, a {str(s.get('kind', 'partner')).replace('_', ' ')} in {s.get('country', '?')}, "
        f"was registered with status {s.get('status', '?')}.",
    ),
}


def notices_for(event: CloudEvent) -> list[Notice]:
    rule = RULES.get(event.type)
    if rule is None:
        return []
    state, change = event.state, event.change
    title, body = rule.title(state, change), rule.body(state, change)
    return [Notice(recipient, title, body) for recipient in rule.recipients]
