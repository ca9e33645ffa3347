"""The ports a service's stores and handlers depend on, instead of the whole runtime.

Each has a real implementation on MongoDB/FerretDB (`eventstore.EventStore`,
`claims.Claims`, `documents.MongoDocuments`, `views.VersionedView`) and an
in-memory fake in `opp_shared.testing.fakes`, so handlers are unit-tested
without servers. The contract suite in `shared/tests/contract/` runs against
both, so a fake cannot drift from the real thing.

`ServicePorts` is what a service's wiring (`wire()` in its `main.py`) asks
of the process: `runtime.ServiceRuntime` answers it with the real servers and
Kafka consumers, `testing.fakes.InMemoryPorts` in memory, so unit tests wire
the very same handlers as the running service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from opp_shared.aggregate import AggregateType, Change, S, Snapshot
from opp_shared.clock import Clock
from opp_shared.consumer import EventRouter
from opp_shared.documents import Documents
from opp_shared.envelope import CloudEvent
from opp_shared.eventstore import EventMeta
from opp_shared.foreign_views import ForeignView, ForeignViewSpec
from opp_shared.scheduler import Job
from opp_shared.settings import ProcessPart

if TYPE_CHECKING:
    from opp_shared.repository import Repository

V = TypeVar("V", bound=ForeignView)


class EventLog(Protocol):
    """The write model: event records (outbox, history, concurrency guard) and projections."""

    source: str

    def own(self, aggregate_type: str, collection: str) -> None:
        """Take on an aggregate type whose current-state documents live in `collection`."""
        ...

    def documents(self, aggregate_type: str) -> Documents:
        """The current-state documents of an aggregate type (for lists and queries)."""
        ...

    async def append(
        self,
        aggregate_type: str,
        aggregate_id: str,
        previous: Snapshot | None,
        change: Change,
        meta: EventMeta | None = None,
    ) -> Snapshot:
        """Record the next change; VersionConflict when another writer recorded it first."""
        ...

    async def load(self, aggregate_type: str, aggregate_id: str) -> Snapshot | None: ...

    async def load_version(self, aggregate_type: str, aggregate_id: str, version: int) -> Snapshot | None: ...

    async def history(
        self, aggregate_type: str, aggregate_id: str, *, after: int = 0, limit: int = 50
    ) -> tuple[list[CloudEvent], int | None]: ...


class ClaimStore(Protocol):
    """Unique keys held by an owner (names, Idempotency-Keys, lease slots)."""

    async def claim(self, key: str, owner: str, **info: Any) -> dict[str, Any]: ...

    async def get(self, key: str) -> dict[str, Any] | None: ...

    async def release(self, key: str, owner: str) -> None: ...

    async def take_over(self, key: str, stale_owner: str, owner: str, **info: Any) -> dict[str, Any]: ...


class ViewStore(Protocol):
    """The latest state per key, applied only for a newer sequence; `documents` to query it."""

    @property
    def documents(self) -> Documents: ...

    async def apply(
        self, event: CloudEvent, document: dict[str, Any] | None = None, *, key: str | None = None
    ) -> bool: ...

    async def get(self, key: str) -> dict[str, Any] | None: ...


class Records(Protocol):
    """Documents a service writes itself, keyed by a unique `_id` (effects, deliveries, marks);
    `set_fields` is for records with one writer at a time (see `records.MongoRecords`)."""

    @property
    def documents(self) -> Documents: ...

    async def insert_once(self, document: dict[str, Any]) -> bool:
        """Insert a record with a new `_id`; False when one with that `_id` is already there."""
        ...

    async def get(self, record_id: str) -> dict[str, Any] | None: ...

    async def set_fields(self, record_id: str, fields: dict[str, Any], *, upsert: bool = False) -> bool: ...

    async def delete_many(self, filter: dict[str, Any]) -> int: ...


class ServicePorts(Protocol):
    clock: Clock
    claims: ClaimStore

    def register(self, kind: AggregateType[S], *, attempts: int = ...) -> Repository[S]:
        """Own an aggregate type; answer its repository, which takes the changes of one aggregate
        one at a time in this process and decides a change up to `attempts` times against the
        copies of the service in other processes (default `repository.ATTEMPTS`)."""
        ...

    def view(self, collection: str, indexes: tuple = ()) -> ViewStore:
        """A versioned view kept by this service's own consumer (e.g. a portfolio feed)."""
        ...

    def add_foreign_view(self, spec: ForeignViewSpec, view_class: type[V] = ForeignView) -> V: ...

    def add_consumer(self, name: str, topics: list[str], router: EventRouter) -> Any: ...

    def add_job(self, job: Job) -> None: ...

    def records(self, collection: str, indexes: tuple = ()) -> Records:
        """A collection of this service's own records (effects keyed by the event, deliveries)."""
        ...

    def add_worker(self, worker: Any, part: ProcessPart = ProcessPart.WORKERS) -> None:
        """A long-running worker (`runtime.Worker`), run in processes that run `part` (default: workers)."""
        ...


__all__ = ["ClaimStore", "Clock", "Documents", "EventLog", "Records", "ServicePorts", "ViewStore"]
