"""One service process: its database, its write model, its workers, and their life cycle.

A service's `main.py` builds a `ServiceRuntime`, registers its aggregate
types (`register` answers a typed repository and takes care of the
projection, the event description, the index set-up and the history route),
adds its consumers, scheduled jobs and workers, and hands it to
`web.app.create_app`. Which parts run in a process is chosen by `OPP_RUN`
(api, relay, consumers, scheduler, workers): all of them for local use, or
the API and the workers in separate processes of the same image when ops
scale the API out. Health and metrics are served in every process.

Workers are supervised: one that fails is logged and restarted after a
pause, so a broker or database outage never needs a manual restart. The
supervisor keeps each worker's status (running, waiting to restart, stopped;
its recent failures), and readiness reads it: a worker that stopped or keeps
failing, or a consumer that makes no progress on a backlog, makes the
service unready.
Shutdown (SIGTERM through uvicorn) lets requests in flight finish, then
stops the workers (consumers commit what they handled), flushes the
producer and closes the database client.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from opp_shared import asyncapi
from opp_shared.aggregate import AggregateType, IndexKeys, S
from opp_shared.auth import TokenVerifier
from opp_shared.catalogue import dlq_topic, topics_of
from opp_shared.claims import CLAIMS, Claims, Lease
from opp_shared.clock import Clock, SystemClock
from opp_shared.consumer import ConsumerWorker, EventRouter, RetryPolicy
from opp_shared.contract import EventContract
from opp_shared.event_schemas import ShippedSchemaChecks
from opp_shared.eventstore import EventStore
from opp_shared.foreign_views import ForeignView, ForeignViewSpec
from opp_shared.kafka import ProducerHolder, describe_cluster, ensure_topics
from opp_shared.metrics import WORKER_RESTARTS, WORKER_UP
from opp_shared.mongo import connect, ping
from opp_shared.records import MongoRecords
from opp_shared.relay import Relay
from opp_shared.repository import ATTEMPTS, Repository
from opp_shared.scheduler import Job, Scheduler
from opp_shared.settings import ProcessPart, ServiceSettings
from opp_shared.state_topics import STATE_TOPIC_CONFIG, Outgoing, state_topic
from opp_shared.views import VersionedView

V = TypeVar("V", bound=ForeignView)
T = TypeVar("T")

log = logging.getLogger(__name__)


class Worker(Protocol):
    name: str

    async def run(self, stopping: asyncio.Event) -> None: ...

    def health(self) -> dict[str, Any]:
        """What an operator should see; `"ok": False` in it makes the service unready."""
        ...


class WorkerStatus:
    """What the supervisor knows of one worker: is it running, how often has it failed lately."""

    def __init__(self, crash_window_seconds: float) -> None:
        self.state = "starting"
        self.restarts = 0
        self.last_error: str | None = None
        self.crash_window_seconds = crash_window_seconds
        self._failures: list[float] = []

    def failed(self, error: str) -> None:
        now = time.monotonic()
        self.state = "restarting"
        self.restarts += 1
        self.last_error = error[:500]
        self._failures = [t for t in self._failures if now - t <= self.crash_window_seconds] + [now]

    @property
    def crash_looping(self) -> bool:
        """Failed at least twice within the window (a worker that failed once may be riding out a blip)."""
        now = time.monotonic()
        return sum(1 for t in self._failures if now - t <= self.crash_window_seconds) >= 2

    def problem(self) -> str | None:
        if self.state == "stopped":
            return "stopped"
        if self.crash_looping:
            return f"failed {self.restarts} times, twice or more in the last {self.crash_window_seconds:.0f}s"
        return None


class ServiceRuntime:
    def __init__(self, settings: ServiceSettings, *, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.holder_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.client = connect(
            settings.mongo_url.get_secret_value(), timeout_ms=settings.mongo_timeout_ms, app_name=settings.service_name
        )
        self.db = self.client[settings.database_name]
        self.claims = Claims(self.db[CLAIMS], self.clock)
        self.store = EventStore(self.db, source=settings.event_source, clock=self.clock, on_append=self._hand_to_relay)
        self.producer = ProducerHolder(
            client_id=f"{settings.service_name}-{os.getpid()}", **settings.kafka_client_options()
        )
        self.token_verifier = TokenVerifier(
            secret=settings.jwt_secret.get_secret_value(),
            jwks_url=settings.jwt_jwks_url,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        self.kinds: dict[str, AggregateType] = {}
        self.relay = Relay(
            self.store,
            self.producer,
            topic_name=settings.topic,
            batch_size=settings.relay_batch_size,
            poll_seconds=settings.relay_poll_seconds,
            lease=self.lease("relay"),
            outgoing=Outgoing(self.kinds, settings.topic),
        )
        self.repositories: dict[str, Repository] = {}
        self.consumers: list[ConsumerWorker] = []
        self.jobs: list[Job] = []
        self.extra_workers: list[tuple[Worker, ProcessPart]] = []
        self.index_setups: list[Callable[[], Awaitable[None]]] = [self.store.ensure_indexes, self.claims.ensure_indexes]
        self.consumed_topics: set[str] = set()
        self.views_of: dict[str, list[str]] = {}  # consumer name -> the collections of the view it keeps
        self._scheduler: Scheduler | None = None
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._setup_done = False
        self._kafka_checked: tuple[float, bool, str | None] = (0.0, False, None)
        # An incoming event's `data` must fit its publisher's schema, as shipped in opp_shared.
        self.contract = EventContract(namespace=settings.kafka_namespace, data_checks=ShippedSchemaChecks())
        self.statuses: dict[str, WorkerStatus] = {}

    # -- composition ----------------------------------------------------------

    def register(self, kind: AggregateType[S], *, attempts: int = ATTEMPTS) -> Repository[S]:
        """Own an aggregate type: its projection, its events in the AsyncAPI document,
        its indexes, its `/history` route; answer its repository (which decides a change
        up to `attempts` times against copies of the service in other processes)."""
        if kind.topic in self.kinds:
            raise ValueError(f"{kind.topic} is registered already")
        if kind.topic.split(".", 1)[0] != self.settings.service_name:
            raise ValueError(f"{self.settings.service_name} cannot own {kind.topic}")
        self.kinds[kind.topic] = kind
        self.store.own(kind.topic, kind.collection)
        repository = Repository(self.store, kind, self.claims, attempts=attempts)
        self.repositories[kind.topic] = repository
        documents = self.store.documents(kind.topic)
        self.add_index_setup(lambda: documents.ensure_indexes(kind.indexes))
        return repository

    def lease(self, name: str) -> Lease:
        return Lease(self.claims, name, self.holder_id, slot_seconds=self.settings.lease_slot_seconds, clock=self.clock)

    def add_consumer(self, name: str, topics: list[str], router: EventRouter) -> ConsumerWorker:
        """A consumer group `<namespace><service>.<name>` reading `topics` (catalogue names)."""
        worker = ConsumerWorker(
            name=f"consumer:{name}",
            group_id=self.settings.group(name),
            topics=[self.settings.topic(t) for t in topics],
            router=router,
            client_options=self.settings.kafka_client_options(),
            producer=self.producer,
            policy=RetryPolicy(
                max_attempts=self.settings.consumer_max_attempts,
                backoff_seconds=self.settings.consumer_retry_backoff_seconds,
            ),
            contract=self.contract,
            max_strikes=self.settings.consumer_max_strikes,
            stall_seconds=self.settings.consumer_stall_seconds,
            database_ping=self._ping,
        )
        self.consumed_topics.update(topics)
        self.consumers.append(worker)
        return worker

    async def _ping(self) -> None:
        await ping(self.client)

    def add_job(self, job: Job) -> None:
        self.jobs.append(job)

    def view(self, collection: str, indexes: tuple[IndexKeys, ...] = ()) -> VersionedView:
        """A versioned view in this service's database (its consumer is the caller's to add)."""
        view = VersionedView(self.db[collection], max_sequence_jump=self.settings.view_max_sequence_jump)
        self.add_index_setup(lambda: view.documents.ensure_indexes(indexes))
        return view

    def records(self, collection: str, indexes: tuple[IndexKeys, ...] = ()) -> MongoRecords:
        """A collection of this service's own records (effects keyed by the event, deliveries, marks)."""
        records = MongoRecords(self.db[collection])
        self.add_index_setup(lambda: records.ensure_indexes(indexes))
        return records

    def add_foreign_view(self, spec: ForeignViewSpec, view_class: type[V] = ForeignView) -> V:
        """Keep a view of another service's aggregates, fed by a consumer group of its own."""
        view = view_class(spec, self.view(spec.collection, spec.indexes))
        self.views_of[spec.name] = [spec.collection]
        router = EventRouter()
        view.route(router)
        self.add_consumer(spec.name, [spec.topic], router)
        return view

    def add_worker(self, worker: Worker, part: ProcessPart = ProcessPart.WORKERS) -> None:
        """A long-running worker (an email or webhook sender draining recorded deliveries, say),
        supervised like the others and run in processes that run `part`."""
        self.extra_workers.append((worker, part))

    def add_index_setup(self, setup: Callable[[], Awaitable[None]]) -> None:
        self.index_setups.append(setup)

    def asyncapi(self) -> dict[str, Any]:
        return asyncapi.document(
            self.settings.service_name,
            f"Overseas Partnerships Platform: {self.settings.service_name} events",
            self.kinds.values(),
        )

    @property
    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            self._scheduler = Scheduler(
                self.jobs,
                self.clock,
                interval_seconds=self.settings.scheduler_interval_seconds,
                lease=self.lease("scheduler"),
            )
        return self._scheduler

    def _hand_to_relay(self, record: dict[str, Any], projected: bool) -> None:
        # Only a process that runs the relay keeps what it appends; elsewhere the relay's sweep finds it.
        if self.settings.runs(ProcessPart.RELAY):
            self.relay.handoff(record, projected)

    def workers(self) -> list[Worker]:
        chosen: list[Worker] = []
        if self.settings.runs(ProcessPart.RELAY):
            chosen.append(self.relay)
        if self.settings.runs(ProcessPart.CONSUMERS):
            chosen.extend(self.consumers)
        if self.settings.runs(ProcessPart.SCHEDULER) and self.jobs:
            chosen.append(self.scheduler)
        chosen.extend(worker for worker, part in self.extra_workers if self.settings.runs(part))
        return chosen

    # -- life cycle -------------------------------------------------------------

    async def start(self) -> None:
        self._stopping.clear()
        workers = self.workers()
        self.statuses = {w.name: WorkerStatus(self.settings.worker_crash_window_seconds) for w in workers}
        self._tasks = [asyncio.create_task(self._setup(), name="setup")]
        self._tasks += [asyncio.create_task(self._supervise(worker), name=worker.name) for worker in workers]

    async def stop(self) -> None:
        self._stopping.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=self.settings.shutdown_grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._tasks = []
        try:
            await self.producer.close()
        except Exception:
            log.warning("producer did not flush cleanly", exc_info=True)
        await self.client.close()

    async def _setup(self) -> None:
        """Indexes and topics, retried until the servers answer; workers wait for it."""
        delay = 0.5
        while not self._stopping.is_set():
            try:
                for setup in self.index_setups:
                    await setup()
                if self.settings.kafka_create_topics:
                    await self.create_topics()
                self._setup_done = True
                return
            except Exception as exc:
                log.warning("setup not done yet (%s: %s); retrying in %.1fs", type(exc).__name__, exc, delay)
                try:
                    await asyncio.wait_for(self._stopping.wait(), timeout=delay)
                except TimeoutError:
                    delay = min(delay * 2, 15.0)

    async def create_topics(self) -> list[str]:
        """This service's own topics and their compacted state topics, what it consumes (so that a
        consumer never waits for a metadata refresh to see a topic created later) and their
        dead-letter topics."""
        own = topics_of(self.settings.service_name)
        consumed = sorted(self.consumed_topics)
        wanted = sorted(set(own) | set(consumed)) + [dlq_topic(t) for t in consumed]
        options = dict(
            partitions=self.settings.kafka_topic_partitions, replication_factor=self.settings.kafka_replication_factor
        )
        client_options = self.settings.kafka_client_options()
        created = await ensure_topics(client_options, [self.settings.topic(t) for t in wanted], **options)
        return created + await ensure_topics(
            client_options,
            [self.settings.topic(state_topic(t)) for t in own],
            **options,
            config=STATE_TOPIC_CONFIG,
        )

    async def wait_until_set_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._setup_done:
            if time.monotonic() > deadline:
                raise TimeoutError("setup (indexes, topics) did not finish")
            await asyncio.sleep(0.05)

    async def _supervise(self, worker: Worker) -> None:
        status = self.statuses.setdefault(worker.name, WorkerStatus(self.settings.worker_crash_window_seconds))
        while not self._setup_done and not self._stopping.is_set():
            await asyncio.sleep(0.1)
        delay = 1.0
        try:
            while not self._stopping.is_set():
                status.state = "running"
                WORKER_UP.labels(worker.name).set(1)
                try:
                    await worker.run(self._stopping)
                    if not self._stopping.is_set():
                        log.error("worker %s returned while the service runs; it is stopped", worker.name)
                    return
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.exception("worker %s failed; restarting in %.0fs", worker.name, delay)
                    status.failed(f"{type(exc).__name__}: {exc}")
                    WORKER_UP.labels(worker.name).set(0)
                    WORKER_RESTARTS.labels(worker.name).inc()
                    try:
                        await asyncio.wait_for(self._stopping.wait(), timeout=delay)
                    except TimeoutError:
                        delay = min(delay * 2, 30.0)
        finally:
            status.state = "stopped"
            WORKER_UP.labels(worker.name).set(0)

    # -- health -------------------------------------------------------------

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Whether this process can do its work, and each check's detail (for operators only:
        the detail names hosts and errors). Unready when the database or Kafka does not
        answer, set-up is not done, the relay keeps failing, or a worker is stopped,
        crash-looping, or (a consumer) has a backlog it has not moved for a while."""
        checks: dict[str, Any] = {}
        try:
            await asyncio.wait_for(ping(self.client), timeout=3)
            checks["mongodb"] = {"ok": True}
        except Exception as exc:
            checks["mongodb"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        checks["kafka"] = await self._kafka_check()
        checks["setup"] = {"ok": self._setup_done}
        relay_ok = self.relay.healthy or not self.settings.runs(ProcessPart.RELAY)
        checks["relay"] = {"ok": relay_ok}
        checks["workers"] = {w.name: self._worker_check(w) for w in self.workers()}
        workers_ok = all(check["ok"] for check in checks["workers"].values())
        ok = checks["mongodb"]["ok"] and checks["kafka"]["ok"] and self._setup_done and relay_ok and workers_ok
        return ok, checks

    def _worker_check(self, worker: Worker) -> dict[str, Any]:
        """The worker's own health, with what the supervisor knows of it; `problem` says why it is not ok."""
        health = dict(worker.health())
        status = self.statuses.get(worker.name)
        problem = None
        if status is not None:
            health.update(state=status.state, restarts=status.restarts)
            health["last_error"] = health.get("last_error") or status.last_error
            problem = None if self._stopping.is_set() else status.problem()
        if problem is None and health.get("stalled"):
            problem = f"no progress on a backlog for over {self.settings.consumer_stall_seconds:.0f}s"
        if problem is not None:
            health["problem"] = problem
        health["ok"] = bool(health.get("ok", True)) and problem is None
        return health

    async def _kafka_check(self) -> dict[str, Any]:
        checked_at, ok, error = self._kafka_checked
        if time.monotonic() - checked_at > 5:  # the broker is asked at most every 5 s
            try:
                await describe_cluster(self.settings.kafka_client_options())
                ok, error = True, None
            except Exception as exc:
                ok, error = False, f"{type(exc).__name__}: {exc}"[:300]
            self._kafka_checked = (time.monotonic(), ok, error)
        return {"ok": ok} if ok else {"ok": False, "error": error}


def service_runtime(service: str) -> ServiceRuntime:
    """A service's runtime as its code wires it, with its `OPP_*` settings, nothing started (for the
    operators' commands, `replay` and `rebuild`, run in the service's image)."""
    return importlib.import_module(f"{service}.main").create_app().state.runtime  # type: ignore[no-any-return]


def run_command(runtime: ServiceRuntime, command: Awaitable[T]) -> T:
    """Run an operator's command on a runtime that is not started, and close its database client."""

    async def run() -> T:
        try:
            return await command
        finally:
            await runtime.client.close()

    return asyncio.run(run())
