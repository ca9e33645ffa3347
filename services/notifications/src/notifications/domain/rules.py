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

Text = Callable[[dict[str, Any], dict[str, Any]], str]


@dataclass(frozen=True)
class Notice:
    recipient: str
    title: str
    body: str


@dataclass(frozen=True)
class Rule:
    recipients: tuple[str, ...]
    title: Text
    body: Text


def _name(state: dict[str, Any]) -> str:
    return str(state.get("name") or state.get("title") or state.get("id") or "?")


def _agreement(state: dict[str, Any]) -> str:
    return f"{str(state.get('type', '')).replace('_', ' ')} agreement “{_name(state)}”".strip()


RULES: dict[str, Rule] = {
    "partners.partner.registered": Rule(
        PARTNERSHIPS,
        lambda s, c: f"New partner: {_name(s)} ({s.get('country', '?')})",
        lambda s, c: f"{_name(s)}, a {str(s.get('kind', 'partner')).replace('_', ' ')} in {s.get('country', '?')}, "
        f"was registered with status {s.get('status', '?')}.",
    ),
    "partners.partner.archived": Rule(
        PARTNERSHIPS,
        lambda s, c: f"Partner archived: {_name(s)}",
        lambda s, c: f"{_name(s)} was archived" + (f": {c['reason']}." if c.get("reason") else "."),
    ),
    "partners.partner.merged": Rule(
        PARTNERSHIPS,
        lambda s, c: f"Partner merged: {_name(s)}",
        lambda s, c: f"{_name(s)} was merged into {c.get('successor_id', '?')}; its agreements and centers follow.",
    ),
    "partners.agreement.submitted": Rule(
        PARTNERSHIPS,
        lambda s, c: f"For review: {_name(s)}",
        lambda s, c: f"The {_agreement(s)} was submitted for review.",
    ),
    "partners.agreement.signed": Rule(
        PARTNERSHIPS,
        lambda s, c: f"Signed: {_name(s)}",
        lambda s, c: f"The {_agreement(s)} was signed on {s.get('signed_on', '?')}.",
    ),
    "partners.agreement.expiring": Rule(
        PARTNERSHIPS,
        lambda s, c: f"Expires in {c.get('days_left', '?')} days: {_name(s)}",
        lambda s, c: f"The {_agreement(s)} expires on {c.get('expires_on', '?')} "
        f"({c.get('days_before', '?')}-day reminder{', sent late' if c.get('late') else ''}). Renew it or let it end.",
    ),
    "partners.agreement.expired": Rule(
        PARTNERSHIPS,
        lambda s, c: f"Expired: {_name(s)}",
        lambda s, c: f"The {_agreement(s)} expired on {c.get('expires_on', '?')}.",
    ),
    "partners.agreement.signature_overdue": Rule(
        PARTNERSHIPS,
        lambda s, c: f"Waiting for signature for {c.get('days_waiting', '?')} days: {_name(s)}",
        lambda s, c: f"The {_agreement(s)} has been {str(c.get('stage', '?')).replace('_', ' ')} since {c.get('waiting_since', '?')}.",
    ),
    "partners.agreement.terminated": Rule(
        PARTNERSHIPS,
        lambda s, c: f"Terminated: {_name(s)}",
        lambda s, c: f"The {_agreement(s)} was terminated on {c.get('terminated_on', '?')}: {c.get('reason', 'no reason given')}.",
    ),
    "partners.agreement.renewed": Rule(
        PARTNERSHIPS,
        lambda s, c: f"Renewed: {_name(s)}",
        lambda s, c: f"The {_agreement(s)} was renewed; its successor is {c.get('successor_id', '?')}.",
    ),
    "partners.center.established": Rule(
        PARTNERSHIPS,
        lambda s, c: f"New joint center: {_name(s)}",
        lambda s, c: f"{_name(s)} was established on {s.get('established_on', '?')}.",
    ),
    "partners.center.closed": Rule(
        PARTNERSHIPS,
        lambda s, c: f"Joint center closed: {_name(s)}",
        lambda s, c: f"{_name(s)} closed on {c.get('closed_on', '?')}" + (f": {c['reason']}." if c.get("reason") else "."),
    ),
}


def notices_for(event: CloudEvent) -> list[Notice]:
    rule = RULES.get(event.type)
    if rule is None:
        return []
    state, change = event.state, event.change
    title, body = rule.title(state, change), rule.body(state, change)
    return [Notice(recipient, title, body) for recipient in rule.recipients]
