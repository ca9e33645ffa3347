"""The write model: a change is the insert of an event record.

An event record has `_id` = `<aggregate id>:<sequence>` and holds the
CloudEvent (whose `data.state` is the aggregate's whole new state). Its
insert is at once:

- the concurrency guard: two writers that loaded version 4 both try to
  insert `<id>:5`; the unique `_id` lets exactly one win, on MongoDB and on
  FerretDB alike (whose updates are a read then a write, so no conditional
  update could do this);
- the history: `GET .../{id}/history` reads these records, each by its `_id`.

The outbox is a collection of its own, `outbox`, holding one small marker per
record not yet published (`_id` = the event's id). The marker is inserted
*before* the record, so a record never exists without its marker; the relay
deletes the marker by `_id` once Kafka acknowledged the record. Finding work
therefore costs the backlog, never the history (FerretDB scans every query
but `_id` equality). A crash between the two inserts leaves a marker whose
record never landed, and a writer that lost the race for a sequence leaves
one whose record is another writer's: the relay drops both kinds, never
publishing them (`marker_verdict`).

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

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

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
from opp_shared.mongo import insert_once, is_duplicate_key

log = logging.getLogger(__name__)

EVENTS = "events"
OUTBOX = "outbox"

# A marker whose record is still missing after this long belongs to a writer that died between
# its two inserts: far beyond any request's database timeout, so that record can no longer land.
ORPHANED_MARKER_AGE = timedelta(minutes=10)

# Documents read by `find_one` (concurrently) for a history page or a sweep; more are read with one `$in`.
CONCURRENT_READS = 8

# What a writer hands the relay in process once its record is stored: the record, and
# whether the projection already shows it.
Handoff = Callable[[dict[str, Any], bool], None]


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
        "event": event.to_document(),
    }
    return record, Snapshot(aggregate_id, sequence, state)


def outbox_marker(record: dict[str, Any]) -> dict[str, Any]:
    """The outbox's note that `record` may be unpublished; keyed by the event id, so that two
    writers racing for one sequence each have their own and the loser's can be told apart."""
    return {
        "_id": record["event"]["id"],
        "record_id": record["_id"],
        "aggregate_id": record["aggregate_id"],
        "sequence": record["sequence"],
        "recorded_at": record["recorded_at"],
    }


MarkerVerdict = Literal["publish", "drop", "wait"]


def marker_verdict(marker: dict[str, Any], record: dict[str, Any] | None, now: datetime) -> MarkerVerdict:
    """What the relay does with an outbox marker, given the record at its `record_id`."""
    if record is not None:
        # Another event id: this writer lost the race for the sequence; the winner has its own marker.
        return "publish" if record["event"]["id"] == marker["_id"] else "drop"
    # No record (yet): its writer is between its two inserts, or died there.
    return "drop" if now - marker["recorded_at"] >= ORPHANED_MARKER_AGE else "wait"


async def find_by_ids(
    collection: AsyncCollection, ids: list[str], projection: dict[str, bool] | None = None
) -> list[dict[str, Any] | None]:
    """The documents with these `_id`s, in the same order (None where there is none).

    MongoDB serves both forms from the `_id` index. FerretDB 1.24 (SQLite) never uses its
    `_id` index (the index's expression and the query's differ): a `find_one` by `_id` reads
    the table in order up to its match, inside SQLite; a `$in` reads all of it and filters
    in Go, several times slower per document. So a few ids are read one `find_one` each,
    concurrently; more than CONCURRENT_READS with one `$in`, one pass whatever their number."""
    if len(ids) > CONCURRENT_READS:
        found = {r["_id"]: r for r in await collection.find({"_id": {"$in": ids}}, projection=projection).to_list(None)}
        return [found.get(document_id) for document_id in ids]
    gate = asyncio.Semaphore(CONCURRENT_READS)

    async def one(document_id: str) -> dict[str, Any] | None:
        async with gate:
            return await collection.find_one({"_id": document_id}, projection=projection)

    return list(await asyncio.gather(*(one(document_id) for document_id in ids)))


class EventStore:
    """Event records and projections of one service's database."""

    def __init__(
        self,
        db: AsyncDatabase,
        *,
        source: str,
        projections: dict[str, str] | None = None,
        clock: Clock | None = None,
        on_append: Handoff | None = None,
    ) -> None:
        """`projections` maps each aggregate type this service owns (a topic name,
        `partners.partner`) to the collection of its current-state documents
        (more can be added with `own`)."""
        self.db = db
        self.events: AsyncCollection = db[EVENTS]
        self.outbox: AsyncCollection = db[OUTBOX]
        self.source = source
        self.projections = dict(projections or {})
        self.clock = clock or SystemClock()
        # Hands each stored record to the in-process relay, which publishes it without looking for it.
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
        # Records written before the outbox existed carry `published: false`; the relay adopts them once.
        await self.events.create_index([("published", ASCENDING), ("recorded_at", ASCENDING)])
        # A second guard beside `_id`.
        await self.events.create_index([("aggregate_id", ASCENDING), ("sequence", ASCENDING)], unique=True)
        # The relay's sweep (oldest first), its check that a change's predecessor is still pending,
        # and a read's look for records newer than the projection.
        await self.outbox.create_index([("recorded_at", ASCENDING), ("_id", ASCENDING)])
        await self.outbox.create_index([("record_id", ASCENDING)])
        await self.outbox.create_index([("aggregate_id", ASCENDING), ("sequence", ASCENDING)])

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
        # The marker first: a record that exists always has one, whenever this process dies.
        marker = outbox_marker(record)
        await self.outbox.insert_one(marker)
        try:
            await self.events.insert_one(record)
        except Exception as exc:
            if is_duplicate_key(exc):
                await self._drop_marker_of_lost_race(marker)
                await self._project_winner(aggregate_type, aggregate_id, sequence)
                raise VersionConflict(aggregate_id, sequence) from exc
            raise  # the record may have landed or not: the relay's sweep tells (`marker_verdict`)
        projected = True
        try:
            await self.project(aggregate_type, snapshot)
        except Exception:
            # The record is the truth; the relay and the next read bring the projection forward.
            projected = False
            log.warning("projection of %s left to the relay", record["_id"], exc_info=True)
        if self.on_append is not None:
            self.on_append(record, projected)
        return snapshot

    async def _project_winner(self, aggregate_type: str, aggregate_id: str, sequence: int) -> None:
        """After a lost race: make sure the projection shows the winner's record, so that the
        writer's next `load` sees it even when it has been published already (see `load`)."""
        try:
            if await self.projected_version(aggregate_type, aggregate_id) >= sequence:
                return
            snapshot = await self.load_version(aggregate_type, aggregate_id, sequence)
            if snapshot is not None:
                await self.project(aggregate_type, snapshot)
        except Exception:
            log.warning("projection of %s:%d left to the next read", aggregate_id, sequence, exc_info=True)

    async def _drop_marker_of_lost_race(self, marker: dict[str, Any]) -> None:
        try:
            await self.outbox.delete_one({"_id": marker["_id"]})
        except Exception:
            log.warning("marker %s of a lost race left to the relay's sweep", marker["_id"], exc_info=True)

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
        """The aggregate's latest state: its projection, rolled forward over any newer record.

        A record newer than the projection still has its outbox marker (the relay projects a
        record before it publishes it and deletes the marker), so `events` is read only for
        the sequences the outbox names: never an `_id` that is not there, which on FerretDB
        costs a scan of the whole history. The one way past it, FerretDB's non-atomic
        replace putting an older projection over a newer one after the relay published, is
        repaired by the next change, which conflicts (`append`)."""
        document = await self.projection(aggregate_type).find_one({"_id": aggregate_id})
        version = int(document["version"]) if document else 0
        state = {k: v for k, v in document.items() if k != "_id"} if document else None
        rolled = False
        for sequence in range(version + 1, await self._newest_pending(aggregate_id, version) + 1):
            record = await self.events.find_one({"_id": record_id(aggregate_id, sequence)})
            if record is None or record.get("aggregate_type") != aggregate_type:
                break
            version = sequence
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

    async def _newest_pending(self, aggregate_id: str, after: int) -> int:
        """The highest sequence above `after` that an outbox marker of this aggregate names, else `after`."""
        markers = self.outbox.find(
            {"aggregate_id": aggregate_id, "sequence": {"$gt": after}}, projection={"sequence": True}
        )
        return max([m["sequence"] async for m in markers], default=after)

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
        cursor (last sequence returned) when more follow.

        The projection's version says which records exist, so each is read by `_id` and the
        cost follows this aggregate's length, not the whole history. A record newer than the
        projection (its projection write was lost) shows once it is repaired: by the relay
        before it publishes it, or by a read by id (`load`), which the history route makes
        first. Probing past the version would cost the most expensive read there is on
        FerretDB: an `_id` that is not there scans the whole collection."""
        version = await self.projected_version(aggregate_type, aggregate_id)
        found = await self._records(aggregate_type, aggregate_id, range(after + 1, min(version, after + limit) + 1))
        records = [CloudEvent.model_validate(r["event"]) for r in found]
        more = version > after + limit and len(records) == limit
        return records, (after + limit if more else None)

    async def _records(self, aggregate_type: str, aggregate_id: str, sequences: Iterable[int]) -> list[dict[str, Any]]:
        """The records at these sequences, read by `_id` concurrently (bounded), up to the first gap."""
        found = await find_by_ids(self.events, [record_id(aggregate_id, sequence) for sequence in sequences])
        page = []
        for record in found:
            if record is None or record.get("aggregate_type") != aggregate_type:
                break  # a history never skips a change
            page.append(record)
        return page

    # -- the relay's side ---------------------------------------------------------

    async def unpublished(self, limit: int, skip: Iterable[str] = ()) -> list[dict[str, Any]]:
        """The sweep: the records of the oldest `limit` outbox markers that are to be published,
        but for the markers (event ids) in `skip`. Markers that will never be (a lost race, a
        writer that died before its record) are deleted on the way; markers whose record may
        still land are left alone."""
        oldest = self.outbox.find({}).sort([("recorded_at", ASCENDING), ("_id", ASCENDING)]).limit(limit)
        skipped = set(skip)
        markers = [marker async for marker in oldest if marker["_id"] not in skipped]
        records = await find_by_ids(self.events, [marker["record_id"] for marker in markers])
        now = self.clock.now()
        found, dead = [], []
        for marker, record in zip(markers, records, strict=True):
            verdict = marker_verdict(marker, record, now)
            if verdict == "publish":
                found.append(record)
            elif verdict == "drop":
                dead.append(marker["_id"])
        if dead:
            log.info("dropping %d outbox markers whose records will never be published", len(dead))
            await self.outbox.delete_many({"_id": {"$in": dead}})
        return found

    async def is_pending(self, aggregate_id: str, sequence: int) -> bool:
        """Whether a marker of this record is still in the outbox (a scan of the outbox, not the history)."""
        return (
            await self.outbox.find_one({"record_id": record_id(aggregate_id, sequence)}, projection={"_id": True})
            is not None
        )

    async def projected_version(self, aggregate_type: str, aggregate_id: str) -> int:
        document = await self.projection(aggregate_type).find_one({"_id": aggregate_id}, projection={"version": True})
        return int(document["version"]) if document else 0

    async def projected_versions(self, aggregate_type: str, aggregate_ids: list[str]) -> dict[str, int]:
        """The version each of these aggregates' projections shows (0 for none), read together."""
        documents = await find_by_ids(self.projection(aggregate_type), aggregate_ids, projection={"version": True})
        return {a: int(d["version"]) if d else 0 for a, d in zip(aggregate_ids, documents, strict=True)}

    async def mark_published(self, records: Iterable[dict[str, Any]]) -> None:
        """Delete the markers of records Kafka acknowledged (one query on the outbox, whose size is the backlog)."""
        ids = [record["event"]["id"] for record in records]
        if ids:
            await self.outbox.delete_many({"_id": {"$in": ids}})

    async def adopt_legacy_records(self) -> int:
        """Give a marker to every record stored before the outbox existed and still `published: false`
        (a scan of the history: the relay runs it once when it starts); answer how many."""
        adopted = 0
        async for record in self.events.find({"published": False}):
            await insert_once(self.outbox, outbox_marker(record))
            # Unset only once the marker is in: a crash between the two adopts the record again.
            await self.events.update_one({"_id": record["_id"]}, {"$unset": {"published": ""}})
            adopted += 1
        return adopted
