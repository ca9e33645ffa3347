"""Fakes of the project's own ports, for unit tests without servers.

`InMemoryEventStore` keeps the same records the real `EventStore` writes
(both are built by `eventstore.build_record`) in dictionaries, with the same
rule that makes the write model work: a second record with the same `_id`
is refused. `InMemoryClaims` and `FakeProducer` stand in for claims and the
Kafka producer. Integration tests use the real servers; these are for the
logic above them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from opp_shared.aggregate import Change, Snapshot
from opp_shared.clock import Clock, SystemClock
from opp_shared.envelope import CloudEvent
from opp_shared.errors import VersionConflict
from opp_shared.eventstore import EventMeta, build_record, record_id


class InMemoryEventStore:
    def __init__(self, projections: dict[str, str], *, clock: Clock | None = None, source: str = "/opp/test") -> None:
        self.projections = dict(projections)
        self.clock = clock or SystemClock()
        self.source = source
        self.records: dict[str, dict[str, Any]] = {}
        self.projected: dict[str, Snapshot] = {}
        self.on_append = None

    async def append(
        self, aggregate_type: str, aggregate_id: str, previous: Snapshot | None, change: Change, meta: EventMeta | None = None
    ) -> Snapshot:
        if aggregate_type not in self.projections:
            raise KeyError(aggregate_type)
        record, snapshot = build_record(
            source=self.source, aggregate_type=aggregate_type, aggregate_id=aggregate_id, previous=previous,
            change=change, meta=meta or EventMeta(), now=self.clock.now(),
        )
        if record["_id"] in self.records:
            raise VersionConflict(aggregate_id, snapshot.version)
        self.records[record["_id"]] = record
        await self.project(aggregate_type, snapshot)
        return snapshot

    async def project(self, aggregate_type: str, snapshot: Snapshot) -> None:
        current = self.projected.get(snapshot.id)
        if current is None or current.version < snapshot.version:
            self.projected[snapshot.id] = snapshot

    async def load(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None:
        snapshot = self.projected.get(aggregate_id)
        version = snapshot.version if snapshot else 0
        while (record := self.records.get(record_id(aggregate_id, version + 1))) is not None:
            if record["aggregate_type"] != aggregate_type:
                break
            version += 1
            snapshot = Snapshot(aggregate_id, version, record["event"]["data"]["state"])
        return snapshot

    async def load_version(self, aggregate_type: str, aggregate_id: str, version: int) -> Snapshot | None:
        record = self.records.get(record_id(aggregate_id, version))
        if record is None or record["aggregate_type"] != aggregate_type:
            return None
        return Snapshot(aggregate_id, version, record["event"]["data"]["state"])

    async def history(self, aggregate_type: str, aggregate_id: str, *, after: int = 0, limit: int = 50) -> tuple[list[CloudEvent], int | None]:
        events = []
        sequence = after + 1
        while (record := self.records.get(record_id(aggregate_id, sequence))) is not None and len(events) <= limit:
            events.append(CloudEvent.model_validate(record["event"]))
            sequence += 1
        more = len(events) > limit
        return events[:limit], (after + limit if more else None)

    async def unpublished(self, limit: int) -> list[dict[str, Any]]:
        pending = [r for r in self.records.values() if not r["published"]]
        return sorted(pending, key=lambda r: (r["recorded_at"], r["_id"]))[:limit]

    async def is_published(self, aggregate_id: str, sequence: int) -> bool:
        record = self.records.get(record_id(aggregate_id, sequence))
        return bool(record and record["published"])

    async def projected_version(self, aggregate_type: str, aggregate_id: str) -> int:
        snapshot = self.projected.get(aggregate_id)
        return snapshot.version if snapshot else 0

    async def mark_published(self, ids, at: datetime) -> None:
        for record_key in ids:
            self.records[record_key].update(published=True, published_at=at)


class InMemoryClaims:
    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}

    async def claim(self, key: str, owner: str, **info: Any) -> dict[str, Any]:
        return self.documents.setdefault(key, {"_id": key, "owner": owner, **info})

    async def get(self, key: str) -> dict[str, Any] | None:
        return self.documents.get(key)

    async def release(self, key: str, owner: str) -> None:
        if self.documents.get(key, {}).get("owner") == owner:
            del self.documents[key]

    async def take_over(self, key: str, stale_owner: str, owner: str, **info: Any) -> dict[str, Any]:
        await self.release(key, stale_owner)
        return await self.claim(key, owner, **info)


class FakeProducer:
    """Records what is sent; `fail_keys` makes the sends of those keys fail (as a broker error would)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, bytes]] = []
        self.fail_keys: set[bytes] = set()

    async def send(self, topic: str, value: bytes, key: bytes, headers=None) -> asyncio.Future:
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        if key in self.fail_keys:
            future.set_exception(RuntimeError(f"broker refused {key!r}"))
        else:
            self.sent.append((topic, key, value))
            future.set_result(None)
        return future


class FakeProducerHolder:
    def __init__(self) -> None:
        self.producer = FakeProducer()
        self.resets = 0

    async def get(self) -> FakeProducer:
        return self.producer

    async def reset(self) -> None:
        self.resets += 1
