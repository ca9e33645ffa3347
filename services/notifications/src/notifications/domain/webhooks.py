"""Webhook endpoints of other university systems (pure).

An endpoint has a URL, the event types it wants, and signing secrets. Its
state lists the secrets' ids and, for a secret being rotated out, until when it
still signs; the secrets themselves are kept apart (`store.webhooks`), never in
the state, which is published. While two secrets are valid every delivery
carries a signature by each, so a receiver that holds either accepts it
(Standard Webhooks: signatures are space-separated in `webhook-signature`).

An endpoint is disabled after a run of failed attempts and stays so until an
admin enables it. URLs to loopback, private, link-local or otherwise special
addresses are refused unless a setting allows them (`unsafe_address`).
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from notifications.domain import build
from notifications.domain.rules import check_event_pattern, event_matches
from opp_shared.aggregate import AggregateState, AggregateType, Change, EventChange, FieldsChanged, NoChange
from opp_shared.clock import rfc3339
from opp_shared.errors import InvalidInput, RuleViolation
from opp_shared.fields import Instant


class SecretInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    created_at: str
    valid_until: str | None = None  # set when a newer secret replaced it


class Webhook(AggregateState):
    url: str
    description: str | None = None
    event_types: list[str] = Field(min_length=1, max_length=100)
    enabled: bool = True
    enabled_at: str
    disabled_reason: str | None = None
    secrets: list[SecretInfo] = Field(min_length=1)

    @field_validator("event_types")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        return [check_event_pattern(v) for v in dict.fromkeys(values)]

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_matches(self.event_types, event_type)

    def signing_secret_ids(self, now: datetime) -> list[str]:
        moment = rfc3339(now)
        return [s.id for s in self.secrets if s.valid_until is None or s.valid_until > moment]


class WebhookSecretRotated(EventChange):
    secret_id: str  # the new secret's id (never the secret itself)
    old_valid_until: Instant  # until when the secrets before it still sign


class WebhookDisabled(EventChange):
    reason: str


WEBHOOK = AggregateType(
    topic="notifications.webhook",
    state=Webhook,
    changes={
        "registered": NoChange,
        "changed": FieldsChanged,
        "secret_rotated": WebhookSecretRotated,
        "disabled": WebhookDisabled,
        "enabled": NoChange,
    },
    noun="webhook endpoint",
    id_prefix="whk",
    collection="webhooks",
    route="/api/v1/webhooks",
    indexes=("enabled",),
    history_roles=("admin",),
)

EDITABLE = ("url", "description", "event_types")


def unsafe_address(address: str) -> str | None:
    """Why an IP address may not receive webhooks, or None when it may."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, flagged in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("not globally reachable", not ip.is_global),
    ):
        if flagged:
            return f"{address} is a {reason} address"
    return None


def check_url(url: str, *, allow_private: bool) -> str:
    """An http(s) URL without credentials whose host, if an IP address or `localhost`, is public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("a webhook URL is http:// or https:// with a host", errors=[_url_error("not http(s)")])
    if parts.username or parts.password:
        raise InvalidInput("a webhook URL carries no credentials", errors=[_url_error("credentials in the URL")])
    if allow_private:
        return url
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        raise RuleViolation(f"{host} is a loopback address; webhooks go to other systems", url=url)
    try:
        reason = unsafe_address(host)
    except ValueError:
        return url  # a name: its addresses are checked when it is resolved, before each send
    if reason:
        raise RuleViolation(f"refused: {reason}", url=url)
    return url


def _url_error(detail: str) -> dict[str, str]:
    return {"pointer": "#/url", "detail": detail}


def register(fields: dict[str, Any], secret_id: str, now: datetime) -> Change:
    moment = rfc3339(now)
    webhook = build(Webhook, {**fields, "enabled_at": moment, "secrets": [{"id": secret_id, "created_at": moment}]})
    return Change(WEBHOOK.event("registered"), webhook.state())


def edit(current: Webhook, edits: dict[str, Any]) -> Change | None:
    unknown = set(edits) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"not editable: {sorted(unknown)}")
    updated = current.evolve(**edits)
    if updated == current:
        return None
    return Change(WEBHOOK.event("changed"), updated.state(), {"fields": sorted(edits)})


def rotate_secret(current: Webhook, secret_id: str, now: datetime, old_valid_until: datetime) -> Change:
    """The new secret signs from now on; those still valid keep signing until `old_valid_until`,
    and those already expired are dropped from the list."""
    moment, until = rfc3339(now), rfc3339(old_valid_until)
    kept = [
        s.model_copy(update={"valid_until": min(s.valid_until or until, until)})
        for s in current.secrets
        if s.valid_until is None or s.valid_until > moment
    ]
    updated = current.evolve(secrets=[*kept, SecretInfo(id=secret_id, created_at=moment)])
    return Change(WEBHOOK.event("secret_rotated"), updated.state(), {"secret_id": secret_id, "old_valid_until": until})


def disable(current: Webhook, reason: str) -> Change | None:
    if not current.enabled:
        return None
    updated = current.evolve(enabled=False, disabled_reason=reason)
    return Change(WEBHOOK.event("disabled"), updated.state(), {"reason": reason})


def enable(current: Webhook, now: datetime) -> Change | None:
    if current.enabled:
        return None
    updated = current.evolve(enabled=True, disabled_reason=None, enabled_at=rfc3339(now))
    return Change(WEBHOOK.event("enabled"), updated.state())
