"""What a consumer accepts as an event of the platform, checked in one place before any handler sees it.

Anyone who can write to a topic can write any bytes there. The consumer
runner (`consumer.py`) therefore hands a handler only a record that
`EventContract.check` passed; everything else is dead-lettered, never
applied, never rendered. A record passes when:

- its type is in the catalogue and belongs to the topic it came from (a
  `partners.agreement.*` type on `partners.partner` is refused);
- its `source` is the service that owns the topic: `/opp/<service>`, where
  `<service>` is the topic's first segment;
- it has a `subject` and a `sequence`, and its key is the subject (the relay
  keys every record by aggregate id: that is what keeps one aggregate's
  events in one partition, in order, which the views rely on);
- its `data` is an object with an object `state`, whose `id` is the subject
  and whose `version` is the sequence, and an object `change`, and holds no
  number a database cannot store (NaN and infinities, which JSON readers
  accept and on which FerretDB drops the connection, so that the consumer
  would wait for a database that is not down; integers beyond 64 bits);
- the per-type check passes, when one is registered for its type
  (`data_checks`): the services' runtime registers the JSON Schema of every
  type of the catalogue (`event_schemas.ShippedSchemaChecks`), so `data` must
  fit the schema of the version its `dataschema` names. A version this code
  has no schema for (a newer publisher's) is not refused but left alone
  (`UnknownSchemaVersion`: the record counts as ignored): during a new major
  version's deprecation period every change is published in both versions,
  and the one this code knows is handled.

A versioned view adds the one check that needs what it holds: a sequence
implausibly far ahead is refused (`views.VersionedView`).

These checks refuse what is malformed or claims to come from where it
cannot; they do not prove who wrote it. Kafka's ACLs do that (only the owning
service may produce to its topics). A service that follows up its own events
goes one step further with `recorded`: it acts only on the event its own
event store holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opp_shared.catalogue import EVENT_TYPES
from opp_shared.envelope import CloudEvent

if TYPE_CHECKING:
    from opp_shared.ports import EventLog

# A check of one type's events (their `data`, their `dataschema`): raises RejectedEvent or
# UnknownSchemaVersion, or answers nothing.
DataCheck = Callable[[CloudEvent], None]


class RejectedEvent(Exception):
    """A record that is not a valid event of the contract: dead-lettered at once, never retried."""


class UnknownSchemaVersion(Exception):
    """An event in a version of its type this code has no schema for: not refused, not handled."""


def owner_of(topic: str) -> str:
    """The service that owns a topic: `partners` for `partners.partner`."""
    return topic.split(".", 1)[0]


def source_of(service: str) -> str:
    return f"/opp/{service}"


@dataclass(frozen=True)
class EventContract:
    """`check(event, topic, key)` for every record a consumer is about to handle.

    `namespace` is the prefix of the topic names on Kafka (`OPP_KAFKA_NAMESPACE`);
    `data_checks` maps an event type to a check of its events (the runtime's: the per-type
    JSON Schemas, `event_schemas.ShippedSchemaChecks`)."""

    namespace: str = ""
    data_checks: Mapping[str, DataCheck] = field(default_factory=dict)

    def check(self, event: CloudEvent, topic: str, key: bytes | None) -> None:
        catalogue_topic, _, action = event.type.rpartition(".")
        if action not in EVENT_TYPES.get(catalogue_topic, ()):
            raise RejectedEvent(f"type {_short(event.type)} is not in the event catalogue")
        if topic != self.namespace + catalogue_topic:
            raise RejectedEvent(f"type {event.type} does not belong on topic {_short(topic)}")
        expected_source = source_of(owner_of(catalogue_topic))
        if event.source != expected_source:
            raise RejectedEvent(f"source {_short(event.source)} is not {expected_source}, the owner of {topic}")
        if not event.subject or event.sequence is None:
            raise RejectedEvent("an event needs a subject and a sequence")
        if key is None or key != event.subject.encode():
            raise RejectedEvent("the record's key is not the event's subject")
        self.check_data(event)

    def check_data(self, event: CloudEvent) -> None:
        data = event.data
        if not isinstance(data, dict) or not isinstance(data.get("state"), dict):
            raise RejectedEvent("data.state is not an object")
        if not isinstance(data.get("change"), dict):
            raise RejectedEvent("data.change is not an object")
        state = data["state"]
        if state.get("id") != event.subject:
            raise RejectedEvent("data.state.id is not the subject")
        version = state.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version != event.sequence:
            raise RejectedEvent("data.state.version is not the sequence")
        where = unstorable(data)
        if where is not None:
            raise RejectedEvent(f"data{where} is a number a database cannot store")
        data_check = self.data_checks.get(event.type)
        if data_check is not None:
            data_check(event)


async def recorded(events: EventLog, event: CloudEvent) -> CloudEvent | None:
    """The event as this service's own event store recorded it under the same subject and
    sequence, if it is this very event (same id); None for anything the store does not hold.

    For a follow-up of a service's own events (a merge, a renewal): it acts on what it
    recorded itself, so a forged record that passed the contract still does nothing."""
    if not event.subject or event.sequence is None:
        return None
    found, _ = await events.history(event.topic, event.subject, after=event.sequence - 1, limit=1)
    if found and found[0].id == event.id and found[0].sequence == event.sequence:
        return found[0]
    return None


INT64 = range(-(2**63), 2**63)


def unstorable(value: Any, where: str = "") -> str | None:
    """The path of the first number in a JSON value that BSON cannot hold faithfully, or None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else where
    if isinstance(value, int) and not isinstance(value, bool):
        return None if value in INT64 else where
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = unstorable(item, f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]")
        if found is not None:
            return found
    return None


def _short(value: str, limit: int = 80) -> str:
    """A value from the record, quoted and cut short: dead-letter headers are read by people."""
    return repr(value if len(value) <= limit else value[:limit] + "…")
