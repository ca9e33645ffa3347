"""The event catalogue (docs/domain.md, "Event catalogue"): every topic and event type on the platform.

One topic per aggregate type, named `<service>.<aggregate>`; each topic has a
dead-letter topic `<topic>.dlq`. The entries are written by `make generate`
from the `events` tables of services/manifest.toml, where a service declares
what it publishes. The compose topic-creation step and every service's
start-up create topics from this list, so a name is written once.
"""

from __future__ import annotations

# One entry per topic, from the `events` tables of services/manifest.toml.
# fmt: off
EVENT_TYPES: dict[str, tuple[str, ...]] = {
    # ---- generated from services/manifest.toml by `make generate`: edit the manifest, not the lines below ----
    "partners.partner": ("registered", "updated", "status_changed", "archived", "merged"),
    "partners.agreement": ("drafted", "submitted", "signed", "activated", "amended", "expiring", "signature_overdue", "expired", "terminated", "renewed", "withdrawn"),
    "partners.center": ("established", "updated", "closed"),
    "funding.fund": ("created", "updated", "closed", "committed", "disbursed", "flagged", "unflagged"),
    "funding.call": ("opened", "closed", "scheduled", "updated", "frozen"),
    "funding.proposal": ("submitted", "reviewed", "awarded", "rejected", "withdrawn", "drafted", "updated", "reviewer_assigned"),
    "funding.award": ("granted", "closed", "disbursement_planned", "disbursement_released", "disbursement_paid"),
    "funding.disbursement": ("scheduled", "approved", "paid", "cancelled", "deliverable_accepted"),
    "funding.project": ("started", "milestone_reached", "completed", "terminated", "planned", "updated", "invoice_paid"),
    "techtransfer.technology": ("disclosed", "protected", "status_changed", "deadline_approaching", "updated", "patent_recorded", "patent_updated", "rights_reserved", "rights_released"),
    "techtransfer.license": ("executed", "terminated", "expired", "drafted", "updated", "export_classified", "export_permit_required", "execution_requested", "execution_refused", "activated"),
    "techtransfer.royalty_report": ("received", "overdue", "opened", "payment_recorded"),
    "techtransfer.distribution": ("made",),
    "notifications.delivery": ("failed",),
    "notifications.person": ("registered", "updated", "removed"),
    "notifications.rule": ("added", "changed", "disabled", "enabled"),
    "notifications.subscription": ("created", "changed", "cancelled"),
    "notifications.webhook": ("registered", "changed", "secret_rotated", "disabled", "enabled"),
    # ---- end of the generated lines ----
}
# fmt: on

DLQ_SUFFIX = ".dlq"


def all_topics() -> list[str]:
    return list(EVENT_TYPES)


def topics_of(service: str) -> list[str]:
    """The topics a service publishes to (it owns those aggregate types)."""
    return [topic for topic in EVENT_TYPES if topic.split(".", 1)[0] == service]


def topic_of(event_type: str) -> str:
    topic, _, action = event_type.rpartition(".")
    if topic not in EVENT_TYPES or action not in EVENT_TYPES[topic]:
        raise KeyError(f"{event_type!r} is not in the event catalogue")
    return topic


def all_event_types() -> list[str]:
    return [f"{topic}.{action}" for topic, actions in EVENT_TYPES.items() for action in actions]


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX
