"""The CloudEvents 1.0 envelope every event travels in (structured mode).

Contract (docs/conventions.md, "Events on Kafka"): `id` is unique and is the key for
de-duplication; `subject` is the aggregate id; `sequence` is the
aggregate's version after the change; `data` carries the aggregate's whole
public state after the change under `state`, and what is particular to the
event under `change`. Unknown attributes are kept, not refused, so that a
newer producer never breaks an older consumer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from opp_shared.clock import rfc3339

CONTENT_TYPE = "application/cloudevents+json"
DATA_CONTENT_TYPE = "application/json"

_EVENT_TYPE = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*\.[a-z][a-z_]*$")


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str | None = None
    time: datetime | None = None
    datacontenttype: str | None = DATA_CONTENT_TYPE
    dataschema: str | None = None
    data: Any = None
    # Extensions (CloudEvents extension names are lower-case letters and digits).
    sequence: int | None = Field(default=None, ge=1)
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    actor: str | None = None

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone")
        return value.astimezone(UTC)

    @field_serializer("time")
    def _time_rfc3339(self, value: datetime | None) -> str | None:
        return None if value is None else rfc3339(value)

    # -- the parts of `data` this platform's events always have ------------

    @property
    def state(self) -> dict[str, Any]:
        """The aggregate's whole public state after the change."""
        if isinstance(self.data, dict) and isinstance(self.data.get("state"), dict):
            return self.data["state"]
        return {}

    @property
    def change(self) -> dict[str, Any]:
        """What is particular to this event (a reason, the previous status, ...)."""
        if isinstance(self.data, dict) and isinstance(self.data.get("change"), dict):
            return self.data["change"]
        return {}

    @property
    def topic(self) -> str:
        """`partners.partner` for `partners.partner.registered`."""
        return self.type.rsplit(".", 1)[0]

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def to_document(self) -> dict[str, Any]:
        """A JSON-safe dict (times as strings) for storage inside an event record."""
        return self.model_dump(mode="json", exclude_none=True)

    @classmethod
    def from_json_bytes(cls, raw: bytes | str) -> CloudEvent:
        return cls.model_validate_json(raw)


def is_event_type(name: str) -> bool:
    """`<service>.<aggregate>.<past-tense verb>`, all lower case."""
    return bool(_EVENT_TYPE.match(name))


def schema_uri(event_type: str, version: int = 1) -> str:
    """The `dataschema` of a major version of an event type: `urn:opp:event-schema:<type>:<version>`."""
    return f"urn:opp:event-schema:{event_type}:{version}"


SCHEMA_URI = re.compile(r"^urn:opp:event-schema:(?P<type>[a-z][a-z_.]*):(?P<version>[1-9][0-9]{0,5})$")


def schema_version(event: CloudEvent) -> int | None:
    """The major version an event's `dataschema` names for its own type, or None when it names none."""
    found = SCHEMA_URI.match(event.dataschema or "")
    return int(found["version"]) if found and found["type"] == event.type else None


def make_data(state: dict[str, Any], change: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"state": state, "change": change or {}}
