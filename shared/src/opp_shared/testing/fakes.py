"""Fakes of the project's own ports, for unit tests without servers.

`InMemoryEventStore` keeps the same records the real `EventStore` writes
(both are built by `eventstore.build_record`) in dictionaries, with the same
rule that makes the write model work: a second record with the same `_id`
is refused. `InMemoryDocuments` answers the filter language of
`opp_shared.documents` over dictionaries and refuses any other operator, so a
query the fake cannot answer fails loudly instead of answering differently.
`InMemoryClaims`, `InMemoryVersionedView` and `FakeProducer` stand in for
claims, views and the Kafka producer. The contract suite
(`shared/tests/contract/`) runs the same checks against these and the real
servers. Integration tests use the real servers; these are for the logic
above them.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

from opp_shared.aggregate import AggregateType, Change, S, Snapshot
from opp_shared.clock import Clock, ManualClock, SystemClock
from opp_shared.consumer import EventRouter
from opp_shared.documents import Filter, Sort
from opp_shared.envelope import CloudEvent
from opp_shared.errors import VersionConflict
from opp_shared.eventstore import (
    EventMeta,
    Handoff,
    build_record,
    marker_verdict,
    outbox_marker,
    record_id,
)
from opp_shared.foreign_views import ForeignView, ForeignViewSpec
from opp_shared.repository import ATTEMPTS, Repository
from opp_shared.scheduler import Job
from opp_shared.settings import ProcessPart
from opp_shared.views import MAX_SEQUENCE_JUMP, check_sequence_jump

_MISSING = object()


def _lookup(document: dict[str, Any], dotted: str) -> Any:
    value: Any = document
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _candidates(value: Any) -> list[Any]:
    """What a condition on a field compares against: the value, and each element of an array."""
    if value is _MISSING:
        return [None]
    return [value, *value] if isinstance(value, list) else [value]


def _rank(value: Any) -> tuple[int, Any]:
    """MongoDB's order of types: null, numbers, strings, objects, arrays, booleans, dates."""
    if value is None or value is _MISSING:
        return (0, 0)
    if isinstance(value, bool):
        return (5, value)
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, dict):
        return (3, str(sorted(value.items())))
    if isinstance(value, list):
        return (4, str(value))
    if isinstance(value, datetime):
        return (6, value)
    raise TypeError(f"the in-memory documents cannot order {type(value).__name__}")


def _comparable(a: Any, b: Any) -> bool:
    return a is not None and b is not None and _rank(a)[0] == _rank(b)[0]


_COMPARE = {
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
}


def _field_matches(value: Any, condition: Any) -> bool:
    if not (isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition)):
        return condition in _candidates(value)
    for operator, operand in condition.items():
        if operator in _COMPARE:
            if not any(_comparable(v, operand) and _COMPARE[operator](v, operand) for v in _candidates(value)):
                return False
        elif operator == "$in":
            if not any(v in operand for v in _candidates(value)):
                return False
        elif operator == "$nin":
            if any(v in operand for v in _candidates(value)):
                return False
        elif operator == "$ne":
            if operand in _candidates(value):
                return False
        elif operator == "$exists":
            if (value is not _MISSING) != bool(operand):
                return False
        elif operator == "$regex":
            if not any(isinstance(v, str) and re.search(operand, v) for v in _candidates(value)):
                return False
        else:
            raise NotImplementedError(f"the in-memory documents do not answer {operator}")
    return True


def matches(document: dict[str, Any], filter: Filter) -> bool:
    """Whether a document matches a filter of `opp_shared.documents`' language."""
    for key, condition in filter.items():
        if key == "$and":
            if not all(matches(document, part) for part in condition):
                return False
        elif key == "$or":
            if not any(matches(document, part) for part in condition):
                return False
        elif key.startswith("$"):
            raise NotImplementedError(f"the in-memory documents do not answer {key}")
        elif not _field_matches(_lookup(document, key), condition):
            return False
    return True


class InMemoryDocuments:
    """The `Documents` port over a dictionary of documents keyed by `_id`."""

    def __init__(self, name: str, documents: dict[str, dict[str, Any]] | None = None) -> None:
        self._name = name
        self.documents = documents if documents is not None else {}

    @property
    def name(self) -> str:
        return self._name

    async def find_one(self, filter: Filter) -> dict[str, Any] | None:
        found = await self.find(filter, limit=1)
        return found[0] if found else None

    async def find(
        self, filter: Filter, *, sort: Sort | None = None, limit: int = 0, fields: list[str] | None = None
    ) -> list[dict[str, Any]]:
        found = [dict(d) for d in self.documents.values() if matches(d, filter)]
        for field, direction in reversed(sort or []):
            found.sort(key=lambda d, f=field: _rank(_lookup(d, f)), reverse=direction < 0)
        if limit:
            found = found[:limit]
        if fields is not None:
            found = [{k: v for k, v in d.items() if k == "_id" or k in fields} for d in found]
        return found

    async def count(self, filter: Filter) -> int:
        return len(await self.find(filter))

    async def ensure_indexes(self, indexes) -> None:
        return None


def contiguous_page(
    records: list[dict[str, Any] | None], after: int, limit: int
) -> tuple[list[CloudEvent], int | None]:
    """A history page from the records at sequences after+1, after+2, ... (None where there is
    none): it stops at the first gap, since a history never skips a change."""
    found = []
    for record in records:
        if record is None:
            break
        found.append(record)
    page = found[:limit]
    more = len(found) > limit
    return [CloudEvent.model_validate(r["event"]) for r in page], (after + len(page) if more else None)


class InMemoryEventStore:
    def __init__(
        self, projections: dict[str, str] | None = None, *, clock: Clock | None = None, source: str = "/opp/test"
    ) -> None:
        self.projections: dict[str, str] = {}
        self.collections: dict[str, InMemoryDocuments] = {}
        self.clock = clock or SystemClock()
        self.source = source
        self.records: dict[str, dict[str, Any]] = {}
        self.outbox: dict[str, dict[str, Any]] = {}  # marker id (the event id) -> marker
        self.on_append: Handoff | None = None
        for aggregate_type, collection in (projections or {}).items():
            self.own(aggregate_type, collection)

    def own(self, aggregate_type: str, collection: str) -> None:
        self.projections[aggregate_type] = collection
        self.collections.setdefault(collection, InMemoryDocuments(collection))

    def documents(self, aggregate_type: str) -> InMemoryDocuments:
        return self.collections[self.projections[aggregate_type]]

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        previous: Snapshot | None,
        change: Change,
        meta: EventMeta | None = None,
    ) -> Snapshot:
        if aggregate_type not in self.projections:
            raise KeyError(aggregate_type)
        record, snapshot = build_record(
            source=self.source,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            previous=previous,
            change=change,
            meta=meta or EventMeta(),
            now=self.clock.now(),
        )
        marker = outbox_marker(record)
        self.outbox[marker["_id"]] = marker  # first, as the real store does
        if record["_id"] in self.records:
            del self.outbox[marker["_id"]]
            raise VersionConflict(aggregate_id, snapshot.version)
        self.records[record["_id"]] = record
        await self.project(aggregate_type, snapshot)
        if self.on_append is not None:
            self.on_append(record, True)
        return snapshot

    async def project(self, aggregate_type: str, snapshot: Snapshot) -> None:
        documents = self.documents(aggregate_type).documents
        current = documents.get(snapshot.id)
        if current is None or current["version"] < snapshot.version:
            documents[snapshot.id] = {**snapshot.state, "_id": snapshot.id}

    async def load(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None:
        document = self.documents(aggregate_type).documents.get(aggregate_id)
        snapshot = None
        if document is not None:
            snapshot = Snapshot(aggregate_id, document["version"], {k: v for k, v in document.items() if k != "_id"})
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

    async def history(
        self, aggregate_type: str, aggregate_id: str, *, after: int = 0, limit: int = 50
    ) -> tuple[list[CloudEvent], int | None]:
        records = []
        for sequence in range(after + 1, after + limit + 2):
            record = self.records.get(record_id(aggregate_id, sequence))
            records.append(record if record is not None and record["aggregate_type"] == aggregate_type else None)
        return contiguous_page(records, after, limit)

    async def unpublished(self, limit: int, skip=()) -> list[dict[str, Any]]:
        oldest = sorted(self.outbox.values(), key=lambda m: (m["recorded_at"], m["_id"]))[:limit]
        markers = [marker for marker in oldest if marker["_id"] not in set(skip)]
        found = []
        for marker in markers:
            record = self.records.get(marker["record_id"])
            verdict = marker_verdict(marker, record, self.clock.now())
            if verdict == "publish":
                found.append(record)
            elif verdict == "drop":
                del self.outbox[marker["_id"]]
        return found

    async def is_pending(self, aggregate_id: str, sequence: int) -> bool:
        return any(m["record_id"] == record_id(aggregate_id, sequence) for m in self.outbox.values())

    async def projected_version(self, aggregate_type: str, aggregate_id: str) -> int:
        document = self.documents(aggregate_type).documents.get(aggregate_id)
        return document["version"] if document else 0

    async def projected_versions(self, aggregate_type: str, aggregate_ids: list[str]) -> dict[str, int]:
        return {a: await self.projected_version(aggregate_type, a) for a in aggregate_ids}

    async def mark_published(self, records) -> None:
        for record in records:
            self.outbox.pop(record["event"]["id"], None)

    async def adopt_legacy_records(self) -> int:
        return 0  # nothing here predates the outbox


class InMemoryVersionedView:
    """`views.VersionedView` in memory: the latest state per key, applied only for a newer sequence."""

    def __init__(self, name: str = "view", *, max_sequence_jump: int | None = MAX_SEQUENCE_JUMP) -> None:
        self.documents = InMemoryDocuments(name)
        self.max_sequence_jump = max_sequence_jump

    async def apply(self, event: CloudEvent, document: dict[str, Any] | None = None, *, key: str | None = None) -> bool:
        if not event.subject or event.sequence is None:
            raise ValueError(f"event {event.id} has no subject or sequence; a view cannot order it")
        key = key or event.subject
        held = self.documents.documents.get(key)
        check_sequence_jump(event, held["_sequence"] if held else 0, self.max_sequence_jump)
        if held is not None and held["_sequence"] >= event.sequence:
            return False
        body = {k: v for k, v in (event.state if document is None else document).items() if k != "_id"}
        self.documents.documents[key] = {
            **body,
            "_id": key,
            "_sequence": event.sequence,
            "_event_id": event.id,
            "_event_type": event.type,
            "_event_time": event.time,
        }
        return True

    async def get(self, key: str) -> dict[str, Any] | None:
        return await self.documents.find_one({"_id": key})


class InMemoryRecords:
    """`records.MongoRecords` in memory: a second insert of an `_id` is refused."""

    def __init__(self, name: str = "records") -> None:
        self.documents = InMemoryDocuments(name)

    async def insert_once(self, document: dict[str, Any]) -> bool:
        if document["_id"] in self.documents.documents:
            return False
        self.documents.documents[document["_id"]] = dict(document)
        return True

    async def get(self, record_id: str) -> dict[str, Any] | None:
        found = self.documents.documents.get(record_id)
        return dict(found) if found is not None else None

    async def set_fields(self, record_id: str, fields: dict[str, Any], *, upsert: bool = False) -> bool:
        held = self.documents.documents.get(record_id)
        if held is None:
            if not upsert:
                return False
            held = self.documents.documents[record_id] = {"_id": record_id}
        held.update(fields)
        return True

    async def delete_many(self, filter: Filter) -> int:
        doomed = [key for key, document in self.documents.documents.items() if matches(document, filter)]
        for key in doomed:
            del self.documents.documents[key]
        return len(doomed)


class InMemoryClaims:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.documents: dict[str, dict[str, Any]] = {}

    async def claim(self, key: str, owner: str, **info: Any) -> dict[str, Any]:
        return self.documents.setdefault(key, {"_id": key, "owner": owner, "claimed_at": self.clock.now(), **info})

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


class InMemoryPorts:
    """`ports.ServicePorts` in memory: a unit test wires a service's real handlers with it.

    Consumers are not run by Kafka here: `deliver(event)` hands an event to
    every router subscribed to its topic, as the consumer runner would."""

    def __init__(self, service: str, clock: Clock | None = None) -> None:
        self.clock = clock or ManualClock()
        self.claims = InMemoryClaims(self.clock)
        self.store = InMemoryEventStore(clock=self.clock, source=f"/opp/{service}")
        self.repositories: dict[str, Repository] = {}
        self.views: dict[str, InMemoryVersionedView] = {}
        self.consumers: list[tuple[str, list[str], EventRouter]] = []
        self.jobs: list[Job] = []
        self.records_by_collection: dict[str, InMemoryRecords] = {}
        self.workers: list[tuple[Any, ProcessPart]] = []

    def register(self, kind: AggregateType[S], *, attempts: int = ATTEMPTS) -> Repository[S]:
        self.store.own(kind.topic, kind.collection)
        self.repositories[kind.topic] = Repository(self.store, kind, self.claims, attempts=attempts)
        return self.repositories[kind.topic]

    def view(self, collection: str, indexes: tuple = ()) -> InMemoryVersionedView:
        return self.views.setdefault(collection, InMemoryVersionedView(collection))

    def add_foreign_view(self, spec: ForeignViewSpec, view_class: type = ForeignView):
        view = view_class(spec, self.view(spec.collection))
        router = EventRouter()
        view.route(router)
        self.add_consumer(spec.name, [spec.topic], router)
        return view

    def add_consumer(self, name: str, topics: list[str], router: EventRouter) -> None:
        self.consumers.append((name, topics, router))

    def add_job(self, job: Job) -> None:
        self.jobs.append(job)

    def records(self, collection: str, indexes: tuple = ()) -> InMemoryRecords:
        return self.records_by_collection.setdefault(collection, InMemoryRecords(collection))

    def add_worker(self, worker: Any, part: ProcessPart = ProcessPart.WORKERS) -> None:
        """Kept, not run: a unit test drives a worker's steps itself."""
        self.workers.append((worker, part))

    async def deliver(self, event: CloudEvent) -> int:
        """Hand an event to the consumers subscribed to its topic; answer how many handled it."""
        handled = 0
        for _, topics, router in self.consumers:
            if event.topic in topics:
                handled += await router.dispatch(event)
        return handled

    async def run_jobs(self) -> dict[str, int]:
        """One scheduler tick at the clock's now."""
        now = self.clock.now()
        return {job.name: await job.run(now) for job in self.jobs}

    def events(self, aggregate_type: str | None = None) -> list[CloudEvent]:
        """Every event recorded so far (optionally of one aggregate type), in the order recorded."""
        return [
            CloudEvent.model_validate(r["event"])
            for r in self.store.records.values()
            if aggregate_type is None or r["aggregate_type"] == aggregate_type
        ]
