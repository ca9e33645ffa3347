"""What the relay sends for one event record, in order: the event, its copies in older versions, its state.

For one recorded change of an aggregate of `<topic>`, keyed by the aggregate's id:

1. the event as recorded, on `<topic>`;
2. for each older major version of its type still in its deprecation period
   (the event's day is on or before the version's `published_until`), the same
   event in that version, on `<topic>`: same `id`, `subject` and `sequence`,
   that version's `dataschema`, and `data.change` made by the version's
   `downgrade`. A subscriber takes the versions it knows, ignores the others,
   and de-duplicates by `id`, so it sees every change once, in whichever
   version it understands;
3. the event again, on the compacted `<topic>.state`: its latest record per
   key is the aggregate's latest event, whose `data.state` is the aggregate's
   current state. A subscriber starts there (docs/subscribing.md).

The relay sends them with one idempotent producer, in sequence order per
aggregate, and marks the record published only when Kafka took all of them;
otherwise it sends them all again later, in order. So the state topic gets
each aggregate's changes in the event topic's order, and its last record for
a key is never older than the last event published. No aggregate is deleted
today; one that were would get a tombstone (the key with a null value) on
`<topic>.state` after its last event, and compaction would then forget it.

`python -m opp_shared.replay` writes every aggregate's latest event to its
state topic again (a new or emptied state topic, a lost one).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from opp_shared.aggregate import AggregateType, OlderVersion
from opp_shared.envelope import CONTENT_TYPE, schema_uri

STATE_SUFFIX = ".state"
# Kafka keeps the latest record of each key for good (and tombstones for `delete.retention.ms`, a day).
STATE_TOPIC_CONFIG = {"cleanup.policy": "compact"}


def state_topic(topic: str) -> str:
    """`partners.agreement.state` for `partners.agreement`."""
    return topic + STATE_SUFFIX


@dataclass(frozen=True)
class Message:
    """One record to send to Kafka."""

    topic: str
    key: bytes
    value: bytes | None
    headers: list[tuple[str, bytes]]


def json_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def headers_of(event: dict[str, Any]) -> list[tuple[str, bytes]]:
    return [("content-type", CONTENT_TYPE.encode()), ("event-type", event["type"].encode())]


def recorded_on(event: dict[str, Any]) -> date:
    return datetime.fromisoformat(event["time"]).date()


def in_version(event: dict[str, Any], older: OlderVersion) -> dict[str, Any]:
    """The event in an older major version of its type: same id, that version's schema and change."""
    change = older.change.normalize(older.downgrade(event["data"]["change"]), event["type"])
    return {
        **event,
        "dataschema": schema_uri(event["type"], older.version),
        "data": {**event["data"], "change": change},
    }


class Outgoing:
    """The messages of one event record. `kinds` are the aggregate types the service owns (their
    change models know the older versions); `topic_name` adds the Kafka namespace."""

    def __init__(
        self, kinds: Mapping[str, AggregateType] | None = None, topic_name: Callable[[str], str] = lambda t: t
    ) -> None:
        self.kinds = kinds if kinds is not None else {}
        self.topic_name = topic_name

    def older_versions(self, event_type: str) -> tuple[OlderVersion, ...]:
        topic, _, action = event_type.rpartition(".")
        kind = self.kinds.get(topic)
        return kind.changes[action].older_versions if kind is not None and action in kind.changes else ()

    def messages(self, record: dict[str, Any]) -> list[Message]:
        event, topic = record["event"], self.topic_name(record["aggregate_type"])
        key, headers = record["aggregate_id"].encode(), headers_of(event)
        messages = [Message(topic, key, json_bytes(event), headers)]
        day = recorded_on(event)
        for older in self.older_versions(event["type"]):
            if older.published_for(day):
                messages.append(Message(topic, key, json_bytes(in_version(event, older)), headers))
        messages.append(self.state(record))
        return messages

    def state(self, record: dict[str, Any]) -> Message:
        """The aggregate's latest event, for its state topic."""
        event = record["event"]
        return Message(
            self.topic_name(state_topic(record["aggregate_type"])),
            record["aggregate_id"].encode(),
            json_bytes(event),
            headers_of(event),
        )
