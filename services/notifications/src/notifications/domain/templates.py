"""What a notice says: a subject, a text body and optionally HTML, written from the event (pure).

A template is a set of format strings over the event. The names they may use:

    {name}       the resource's name or title (or its id)
    {s[field]}   a field of the event's state; nested: {s[pi][name]}
    {c[field]}   a field of what is particular to the event (`data.change`)
    {type}       the event type; {subject} the aggregate's id; {actor} who caused it
    {agreement}  e.g. `strategic agreement “Research cooperation”`
    {kind}       the state's `kind`, in words; {stage} the change's `stage`, in words
    {late}       ", sent late" for a reminder sent late; {reason} ": <reason>" when there is one
    {flag}       ": <flag_reason>" for a flagged fund (one awaiting its sponsors' agreement), else nothing
    {fields}     the change's `fields`, comma-separated
    {money[field]} a money field of the state, in words: `1234.50 EUR`

A missing or empty value reads "?", so a template never fails on an event that
lacks a field; the phrases `{late}`, `{reason}` and `{flag}` read as nothing when
they do not apply. Templates are only names and item look-ups: no attribute access,
conversion or format spec (an admin writes them through the API), checked by
`check_template`. HTML bodies get their values escaped.
"""

from __future__ import annotations

import html
import re
import string
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from opp_shared.envelope import CloudEvent

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "zh")

_FIELD = re.compile(r"^[a-z_]+(\[[A-Za-z0-9_]+\])*$")
_PART = re.compile(r"\[([A-Za-z0-9_]+)\]")
# Phrases that are there only when they apply: "" is their "nothing to say", not a missing value.
_PHRASES = frozenset({"late", "reason", "flag"})
_NAMES = frozenset(
    {"name", "s", "c", "type", "subject", "actor", "agreement", "kind", "stage", "late", "reason", "flag", "fields"}
    | {"money"}
)


def check_template(text: str) -> str:
    """Refuse what is not a plain name or item look-up (a ValueError names the culprit)."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"not a valid template: {exc}") from None
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if spec or conversion:
            raise ValueError(f"{{{field}}}: no format spec or conversion is allowed")
        if not _FIELD.match(field) or field.split("[", 1)[0] not in _NAMES:
            raise ValueError(f"{{{field}}} is not a name a template may use ({', '.join(sorted(_NAMES))})")
    return text


class Template(BaseModel):
    """One message: a one-line subject, a text body and, optionally, an HTML body."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str
    text: str
    html: str | None = None

    @field_validator("subject", "text", "html")
    @classmethod
    def _checked(cls, value: str | None) -> str | None:
        return None if value is None else check_template(value)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None = None


def _lookup(context: dict[str, Any], field: str) -> Any:
    head = field.split("[", 1)[0]
    value: Any = context.get(head)
    for key in _PART.findall(field):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _render(text: str, context: dict[str, Any], *, escape: bool = False) -> str:
    out = []
    for literal, field, _, _ in string.Formatter().parse(text):
        out.append(literal)
        if field is None:
            continue
        value = _lookup(context, field)
        if field in _PHRASES:
            shown = str(value or "")
        else:
            shown = "?" if value is None or value == "" or isinstance(value, (dict, list)) else str(value)
        out.append(html.escape(shown) if escape else shown)
    return "".join(out)


def context_of(event: CloudEvent) -> dict[str, Any]:
    state, change = event.state, event.change
    name = str(state.get("name") or state.get("title") or event.subject or "?")
    agreement_type = str(state.get("type") or "").replace("_", " ")
    fields = change.get("fields")
    return {
        "s": state,
        "c": change,
        "name": name,
        "type": event.type,
        "subject": event.subject,
        "actor": event.actor,
        "kind": str(state.get("kind") or "").replace("_", " ") or None,
        "agreement": f"{agreement_type} agreement “{name}”".strip(),
        "stage": str(change.get("stage") or "").replace("_", " ") or None,
        "late": ", sent late" if change.get("late") else "",
        "reason": f": {change['reason']}" if change.get("reason") else "",
        "flag": f": {state['flag_reason']}" if state.get("flagged") is True and state.get("flag_reason") else "",
        "fields": ", ".join(str(f) for f in fields) if isinstance(fields, list) else None,
        "money": {key: _money(value) for key, value in state.items() if _money(value)},
    }


def _money(value: Any) -> str | None:
    """`{"amount": "1234.50", "currency": "EUR"}` as `1234.50 EUR`; None for anything else."""
    if isinstance(value, dict) and isinstance(value.get("amount"), str) and isinstance(value.get("currency"), str):
        return f"{value['amount']} {value['currency']}"
    return None


def render(template: Template, event: CloudEvent) -> Rendered:
    context = context_of(event)
    # A subject is one line: a value with a line break must not add a mail header.
    subject = " ".join(_render(template.subject, context).split())
    return Rendered(
        subject=subject[:250],
        text=_render(template.text, context),
        html=_render(template.html, context, escape=True) if template.html else None,
    )


def fallback(event_type: str) -> Template:
    """What an event type without a template of its own says."""
    words = event_type.split(".", 1)[-1].replace(".", " ").replace("_", " ")
    return Template(subject=f"{words.capitalize()}: {{name}}", text=f"{{name}} ({{subject}}): {event_type}.")
