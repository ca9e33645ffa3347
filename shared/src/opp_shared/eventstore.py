"""The write model: a change is the insert of an event record.

An event record has `_id` = `<aggregate id>:<sequence>` and holds the
CloudEvent (whose `data.state` is the aggregate's whole new state). Its
insert is at once:

- the concurrency guard: two writers that loaded version 4 both try to
  insert `<id>:5`; the unique `_id` lets exactly one win, on MongoDB and on
  FerretDB alike (whose updates are a read then a write, so no conditional
  update could do this);
- the outbox: the record stays `published: false` until the relay has
  handed it to Kafka;
- the history: `GET .../{id}/history` reads these records.

The current-state document in the aggregate type's collection (what lists
and filters query) is a projection of the latest record. The request writes
it after the insert; if that write is lost (a crash, a race), the relay
writes it before it publishes, and a read by id rolls forward over any newer
record and repairs it. On MongoDB the projection write is a conditional
replace (atomic); on FerretDB a rare race can leave a list one version
behind until the next read or change repairs it, never the history or a
read by id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from opp_shared.aggregate import Change, Snapshot
from opp_shared.catalogue import topic_of
from opp_shared.clock import Clock, SystemClock, rfc3339
from opp_shared.documents import MongoDocuments
from opp_shared.envelope import CloudEvent, make_data, schema_uri
from opp_shared.errors import VersionConflict
from opp_shared.logs import actor_var, correlation_id_var, event_id_var, request_id_var, traceparent_var
from opp_shared.mongo import is_duplicate_key

log = logging.getLogger(__name__)

EVENTS = "events"


@dataclass(frozen=True)
class EventMeta:
    """Who and what caused a change; copied into the CloudEvent's extensions."""

    actor: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None

    @classmethod
    def from_context(cls) -> EventMeta:
        """Inside a request: the caller, the request's correlation id, caused by the request.
        Inside a consumer: the incoming event's correlation id, caused by that event."""
        return cls(
            actor=actor_var.get(),
            correlation_id=correlation_id_var.get(),
            causation_id=event_id_var.get() or request_id_var.get(),
            traceparent=traceparent_var.get(),
        )


def record_id(aggregate_id: str, sequence: int) -> str:
    return f"{aggregate_id}:{sequence}"


def build_record(
    *,
    source: str,
    aggregate_type: str,
    aggregate_id: str,
    previous: Snapshot | None,
    change: Change,
    meta: EventMeta,
    now: datetime,
) -> tuple[dict[str, Any], Snapshot]:
    """The event record of a change and the snapshot it leads to (pure)."""
    if topic_of(change.type) != aggregate_type:
        raise ValueError(f"{change.type!r} is not an event of {aggregate_type!r}")
    sequence = (previous.version if previous else 0) + 1
    created_at = previous.state.get("created_at") if previous else None
    state = {
        **change.state,
        "id": aggregate_id,
        "version": sequence,
        "created_at": created_at or rfc3339(now),
        "updated_at": rfc3339(now),
    }
    event = CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=change.type,
        subject=aggregate_id,
        time=now,
        dataschema=schema_uri(change.type, change.schema_version),
        data=make_data(state, change.change),
        sequence=sequence,
        correlationid=meta.correlation_id,
        causationid=meta.causation_id,
        traceparent=meta.traceparent,
        actor=meta.actor,
    )
    record = {
        "_id": record_id(aggregate_id, sequence),
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "sequence": sequence,
        "type": change.type,
        "recorded_at": now,
        "published": False,
        "event": event.to_document(),
    }
    return record, Snapshot(aggregate_id, sequence, state)


class EventStore:
    """Event records and projections of one service's database."""

    def __init__(
        self,
        db: AsyncDatabase,
        *,
        source: str,
        projections: dict[str, str] | None = None,
        clock: Clock | None = None,
        on_append: Callable[[], None] | None = None,
    ) -> None:
        """`projections` maps each aggregate type this service owns (a topic name,
        `partners.partner`) to the collection of its current-state documents
        (more can be added with `own`)."""
        self.db = db
        self.events: AsyncCollection = db[EVENTS]
        self.source = source
        self.projections = dict(projections or {})
        self.clock = clock or SystemClock()
        # Wakes the in-process relay so a change is published without waiting for its next poll.
        self.on_append = on_append

    def own(self, aggregate_type: str, collection: str) -> None:
        if self.projections.get(aggregate_type, collection) != collection:
            raise ValueError(f"{aggregate_type} is already projected into {self.projections[aggregate_type]!r}")
        self.projections[aggregate_type] = collection

    def projection(self, aggregate_type: str) -> AsyncCollection:
        return self.db[self.projections[aggregate_type]]

    def documents(self, aggregate_type: str) -> MongoDocuments:
        return MongoDocuments(self.projection(aggregate_type))

    async def ensure_indexes(self) -> None:
        # The relay's query; on MongoDB it touches only the few unpublished records.
        await self.events.create_index([("published", ASCENDING), ("recorded_at", ASCENDING)])
        # A second guard beside `_id`, and the order of a history on MongoDB.
        await self.events.create_index([("aggregate_id", ASCENDING), ("sequence", ASCENDING)], unique=True)

    # -- writing -------------------------------------------------------------

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        previous: Snapshot | None,
        change: Change,
        meta: EventMeta | None = None,
    ) -> Snapshot:
        """Insert the next event record of an aggregate; raise VersionConflict if
        another writer got there first. `previous` is what the decision was based on
        (None for a new aggregate)."""
        if aggregate_type not in self.projections:
            raise KeyError(f"this service does not own {aggregate_type!r}")
        record, snapshot = build_record(
            source=self.source,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            previous=previous,
            change=change,
            meta=meta or EventMeta.from_context(),
            now=self.clock.now(),
        )
        sequence = snapshot.version
        try:
            await self.events.insert_one(record)
        except Exception as exc:
            if is_duplicate_key(exc):
                raise VersionConflict(aggregate_id, sequence) from exc
            raise
        try:
            await self.project(aggregate_type, snapshot)
        except Exception:
            # The record is the truth; the relay and the next read bring the projection forward.
            log.warning("projection of %s left to the relay", record["_id"], exc_info=True)
        if self.on_append is not None:
            self.on_append()
        return snapshot

    async def project(self, aggregate_type: str, snapshot: Snapshot) -> None:
        """Make the current-state document show `snapshot` unless it already shows a newer one."""
        document = {**snapshot.state, "_id": snapshot.id}
        if snapshot.version == 1:
            # A new aggregate: a plain insert (a lookup by _id on every server); only when a
            # document is already there does it take the conditional replace below.
            try:
                await self.projection(aggregate_type).insert_one(document)
                return
            except Exception as exc:
                if not is_duplicate_key(exc):
                    raise
        try:
            await self.projection(aggregate_type).replace_one(
                {"_id": snapshot.id, "version": {"$lt": snapshot.version}}, document, upsert=True
            )
        except Exception as exc:
            # The filter missed because a newer version is there, and the upsert's insert hit its _id.
            if not is_duplicate_key(exc):
                raise

    # -- reading ---------------------------------------------------------------

    async def load(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None:
        """The aggregate's latest state: its projection, rolled forward over any newer record."""
        document = await self.projection(aggregate_type).find_one({"_id": aggregate_id})
        version = int(document["version"]) if document else 0
        state = {k: v for k, v in document.items() if k != "_id"} if document else None
        rolled = False
        while True:
            record = await self.events.find_one({"_id": record_id(aggregate_id, version + 1)})
            if record is None or record.get("aggregate_type") != aggregate_type:
                break
            version += 1
            state = record["event"]["data"]["state"]
            rolled = True
        if state is None:
            return None
        snapshot = Snapshot(aggregate_id, version, state)
        if rolled:
            try:
                await self.project(aggregate_type, snapshot)
            except Exception:
                log.warning("could not repair the projection of %s", aggregate_id, exc_info=True)
        return snapshot

    async def load_version(self, aggregate_type: str, aggregate_id: str, version: int) -> Snapshot | None:
        """The state right after change number `version` (e.g. to replay a create's first answer)."""
        record = await self.events.find_one({"_id": record_id(aggregate_id, version)})
        if record is None or record.get("aggregate_type") != aggregate_type:
            return None
        return Snapshot(aggregate_id, version, record["event"]["data"]["state"])

    async def history(
        self, aggregate_type: str, aggregate_id: str, *, after: int = 0, limit: int = 50
    ) -> tuple[list[CloudEvent], int | None]:
        """Events of one aggregate with sequence > `after`, oldest first, and the
        cursor (last sequence returned) when more follow."""
        ids = [record_id(aggregate_id, seq) for seq in range(after + 1, after + limit + 2)]
        records = await self.events.find({"_id": {"$in": ids}}).to_list(None)
        records = sorted(
            (r for r in records if r.get("aggregate_type") == aggregate_type),
            key=lambda r: r["sequence"],
        )
        # Stop at the first gap: a history never skips a change.
        contiguous = []
        for expected, record in enumerate(records, start=after + 1):
            if record["sequence"] != expected:
                break
            contiguous.append(record)
        more = len(contiguous) > limit
        page = contiguous[:limit]
        events = [CloudEvent.model_validate(r["event"]) for r in page]
        return events, (page[-1]["sequence"] if more else None)

    # -- the relay's side ---------------------------------------------------------

    async def unpublished(self, limit: int) -> list[dict[str, Any]]:
        cursor = self.events.find({"published": False}).sort([("recorded_at", ASCENDING), ("_id", ASCENDING)])
        return await cursor.limit(limit).to_list(None)

    async def is_published(self, aggregate_id: str, sequence: int) -> bool:
        record = await self.events.find_one({"_id": record_id(aggregate_id, sequence)}, projection={"published": True})
        return bool(record and record.get("published"))

    async def projected_version(self, aggregate_type: str, aggregate_id: str) -> int:
        document = await self.projection(aggregate_type).find_one({"_id": aggregate_id}, projection={"version": True})
        return int(document["version"]) if document else 0

    async def mark_published(self, ids: Iterable[str], at: datetime) -> None:
        ids = list(ids)
        if ids:
            # Setting a flag twice is harmless, so a non-atomic update is fine here.
            await self.events.update_many({"_id": {"$in": ids}}, {"$set": {"published": True, "published_at": at}})
