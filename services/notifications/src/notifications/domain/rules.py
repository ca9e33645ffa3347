"""Who is told what about which event (pure).

A rule turns an event into notices, each addressed to a recipient: a role
(`role:partnerships_officer`) or a person (`user:<sub>`), with a title and a
body written as templates over the event: `{name}` (the resource's name or
title), `{agreement}` (e.g. "strategic agreement “…”"), `{s[field]}` from
its state, `{c[field]}` from what is particular to the event, and the notes
`{late}` and `{reason}`. A field that is missing reads "?". An event no rule
knows yields no notice: new event types never break this service.
"""

from __future__ import annotations

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
    title: str
    body: str


RULES: dict[str, Rule] = {
    "partners.partner.registered": Rule(
        PARTNERSHIPS,
        "New partner: {name} ({s[country]})",
        "{name}, a {kind} in {s[country]}, was registered with status {s[status]}.",
    ),
    "partners.partner.archived": Rule(PARTNERSHIPS, "Partner archived: {name}", "{name} was archived{reason}."),
    "partners.partner.merged": Rule(
        PARTNERSHIPS,
        "Partner merged: {name}",
        "{name} was merged into {c[successor_id]}; its agreements and centers follow.",
    ),
    "partners.agreement.submitted": Rule(
        PARTNERSHIPS, "For review: {name}", "The {agreement} was submitted for review."
    ),
    "partners.agreement.signed": Rule(PARTNERSHIPS, "Signed: {name}", "The {agreement} was signed on {s[signed_on]}."),
    "partners.agreement.expiring": Rule(
        PARTNERSHIPS,
        "Expires in {c[days_left]} days: {name}",
        "The {agreement} expires on {c[expires_on]} ({c[days_before]}-day reminder{late}). Renew it or let it end.",
    ),
    "partners.agreement.expired": Rule(PARTNERSHIPS, "Expired: {name}", "The {agreement} expired on {c[expires_on]}."),
    "partners.agreement.signature_overdue": Rule(
        PARTNERSHIPS,
        "Waiting for signature for {c[days_waiting]} days: {name}",
        "The {agreement} has been {stage} since {c[waiting_since]}.",
    ),
    "partners.agreement.terminated": Rule(
        PARTNERSHIPS, "Terminated: {name}", "The {agreement} was terminated on {c[terminated_on]}{reason}."
    ),
    "partners.agreement.renewed": Rule(
        PARTNERSHIPS, "Renewed: {name}", "The {agreement} was renewed; its successor is {c[successor_id]}."
    ),
    "partners.center.established": Rule(
        PARTNERSHIPS, "New joint center: {name}", "{name} was established on {s[established_on]}."
    ),
    "partners.center.closed": Rule(
        PARTNERSHIPS, "Joint center closed: {name}", "{name} closed on {c[closed_on]}{reason}."
    ),
}


class _Lenient(dict):
    """A mapping in which a missing or empty field reads "?" (events may lack fields)."""

    def __missing__(self, key: str) -> str:
        return "?"

    def __getitem__(self, key: str) -> Any:
        value = super().get(key)
        return "?" if value is None or value == "" else value


def _context(event: CloudEvent) -> _Lenient:
    state, change = _Lenient(event.state), _Lenient(event.change)
    name = str(state.get("name") or state.get("title") or event.subject or "?")
    kind = str(state.get("type") or "").replace("_", " ")
    return _Lenient(
        s=state,
        c=change,
        name=name,
        kind=str(state.get("kind") or "partner").replace("_", " "),
        agreement=f"{kind} agreement “{name}”".strip(),
        stage=str(change.get("stage") or "?").replace("_", " "),
        late=", sent late" if change.get("late") else "",
        reason=f": {change['reason']}" if change.get("reason") else "",
    )


def notices_for(event: CloudEvent) -> list[Notice]:
    rule = RULES.get(event.type)
    if rule is None:
        return []
    context = _context(event)
    title, body = rule.title.format_map(context), rule.body.format_map(context)
    return [Notice(recipient, title, body) for recipient in rule.recipients]
