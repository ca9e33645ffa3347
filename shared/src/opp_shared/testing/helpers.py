"""Helpers for tests that talk to the real servers and to running services."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from fastapi import FastAPI

from opp_shared.aggregate import Change, Snapshot
from opp_shared.auth import issue_local_token
from opp_shared.envelope import CloudEvent, make_data, schema_uri
from opp_shared.event_schemas import Examples, ShippedSchemaChecks
from opp_shared.eventstore import EventMeta, build_record
from opp_shared.kafka import client_options_of
from opp_shared.settings import LOCAL_JWT_SECRET, ServiceSettings
from opp_shared.testing.servers import Servers

T = TypeVar("T")
S = TypeVar("S", bound=ServiceSettings)


def new_namespace() -> str:
    """A name that isolates one test: database names and Kafka topics/groups carry it."""
    return "t" + uuid.uuid4().hex[:10]


def settings_for(cls: type[S], servers: Servers, namespace: str, **overrides: Any) -> S:
    """A service's settings pointing at the test servers, isolated by `namespace`,
    with short intervals so that tests need not wait long."""
    service = cls.model_fields["service_name"].default
    values: dict[str, Any] = {
        "mongo_url": servers.mongo_url,
        "mongo_database": f"{namespace}_{service}",
        "kafka_bootstrap_servers": servers.kafka_bootstrap,
        "kafka_namespace": f"{namespace}.",
        "kafka_topic_partitions": 2,
        "relay_poll_seconds": 0.1,
        "consumer_retry_backoff_seconds": 0.05,
        "scheduler_interval_seconds": 3600,
        "lease_slot_seconds": 2,
        "log_json": False,
        "shutdown_grace_seconds": 10,
        # A bad-input suite sends dozens of refused tokens from its one client address; the tests
        # of the slow-down set their own limit.
        "auth_failure_limit": 10_000,
    }
    values.update(overrides)
    return cls(**values)


def token(*roles: str, sub: str | None = None) -> str:
    return issue_local_token(LOCAL_JWT_SECRET, sub or f"test-{'-'.join(roles) or 'nobody'}", list(roles))


def auth(*roles: str, sub: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(*roles, sub=sub)}"}


@asynccontextmanager
async def running(app: FastAPI, *, raise_app_exceptions: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (its workers included) and give an HTTP client for it. With
    `raise_app_exceptions=False` a crash answers the 500 a real client would get (bad-input suites)."""
    async with app.router.lifespan_context(app):
        await app.state.runtime.wait_until_set_up()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


class ServiceApi:
    """A service's HTTP API as a test drives it: the client of a running app (its `get`, `post`, ...
    pass through), the app itself (its views, scheduler, event store), the tokens the test writes
    and reads with, and shortcuts that check the status they expect. Services' tests subclass it
    with shortcuts of their own."""

    def __init__(
        self, client: httpx.AsyncClient, app: FastAPI, *, writer: dict[str, str], reader: dict[str, str]
    ) -> None:
        self.client = client
        self.app = app
        self.writer = writer
        self.reader = reader

    def __getattr__(self, name: str) -> Any:  # get, post, patch, ... of the client
        return getattr(self.client, name)

    async def ok(
        self, method: str, path: str, body: Any = None, expect: int = 200, headers: dict[str, str] | None = None
    ) -> Any:
        """Send as the writer (or `headers`); answers the JSON body once the status is `expect`."""
        answer = await self.client.request(method, path, json=body, headers=headers or self.writer)
        assert answer.status_code == expect, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    async def read(self, path: str, *, headers: dict[str, str] | None = None, **params: Any) -> Any:
        """GET as the reader (or `headers`), with query parameters; answers the JSON body of a 200."""
        # No `params` at all when none are given: an empty one would drop a query written in `path`.
        answer = await self.client.get(path, params=params or None, headers=headers or self.reader)
        assert answer.status_code == 200, f"GET {path}: {answer.status_code} {answer.text}"
        return answer.json()

    async def event_count(self) -> int:
        """The event records of the service (every change is the insert of one)."""
        return await self.app.state.runtime.store.events.count_documents({})

    async def history_types(self, path: str) -> list[str]:
        """The actions of a resource's history, oldest first (`drafted`, `submitted`, ...)."""
        return [e["type"].rsplit(".", 1)[1] for e in (await self.read(f"{path}/history"))["items"]]


async def eventually(check: Callable[[], Awaitable[T]], *, timeout: float = 20.0, interval: float = 0.1) -> T:
    """Call `check` until it returns a truthy value (answered) or the time is up (AssertionError)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = await check()
            if last:
                return last
        except AssertionError as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s; last answer: {last!r}")
        await asyncio.sleep(interval)


async def read_topic(
    bootstrap: str | Mapping[str, Any],
    topic: str,
    *,
    until: Callable[[list[Any]], bool],
    timeout: float = 30.0,
    settle: float = 0.0,
) -> list[Any]:
    """Read a topic from the beginning with a client of the test's own (no group,
    nothing committed) until `until(records)` holds, then `settle` seconds more
    (to see a duplicate that would follow); answer the raw records. `bootstrap`: the address,
    or a client's connection options (a secured broker's login)."""
    consumer = AIOKafkaConsumer(**client_options_of(bootstrap), enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        partitions: set[int] | None = None
        while partitions is None:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                if time.monotonic() > deadline:
                    raise AssertionError(f"topic {topic} never appeared")
                await consumer._client.force_metadata_update()  # the topic may be newer than our metadata
                await asyncio.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        while not until(records):
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: condition not met within {timeout}s; read {len(records)} records")
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            for part in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(part)
        return records
    finally:
        await consumer.stop()


Publish = Callable[..., Awaitable[CloudEvent]]


@asynccontextmanager
async def event_publisher(bootstrap: str, namespace: str) -> AsyncIterator[Publish]:
    """Publish another service's events to Kafka, as that service would (for a test of a
    consumer whose producer is not running): `await send(topic, subject, sequence, state,
    event_type=None, event_id=None, change=None)` sends a CloudEvent that fits its type's
    schema (`contract_event`), keyed by its subject, to the namespace's topic; answers the event."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()

    async def send(
        topic: str,
        subject: str,
        sequence: int,
        state: dict[str, Any],
        event_type: str | None = None,
        event_id: str | None = None,
        change: dict[str, Any] | None = None,
    ) -> CloudEvent:
        event = contract_event(event_type or f"{topic}.updated", subject, sequence, state, change, event_id=event_id)
        await producer.send_and_wait(f"{namespace}.{topic}", event.to_json_bytes(), key=subject.encode())
        return event

    try:
        yield send
    finally:
        await producer.stop()


def contract_event(
    event_type: str,
    subject: str,
    sequence: int,
    state: dict[str, Any] | None = None,
    change: dict[str, Any] | None = None,
    *,
    event_id: str | None = None,
    source: str | None = None,
) -> CloudEvent:
    """An event of `event_type` that our consumers' contract check accepts, as its publisher would send
    it: `data` is `state` and `change` over the least its type's schema (shipped in opp_shared) requires
    (null where null is allowed, empty lists), with `id` and `version` the subject and sequence."""
    checks = ShippedSchemaChecks()
    version = max(checks.versions[event_type])
    document = json.loads((checks.folder / checks.versions[event_type][version]).read_text())
    base = Examples(document, {}, minimal=True).value(document["properties"]["data"])
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=source or f"/opp/{event_type.split('.')[0]}",
        type=event_type,
        subject=subject,
        sequence=sequence,
        time=datetime.now(UTC),
        dataschema=schema_uri(event_type, version),
        data=make_data(
            {**base["state"], **(state or {}), "id": subject, "version": sequence}, {**base["change"], **(change or {})}
        ),
    )


def events_of(records: list[Any], subject: str | None = None) -> list[CloudEvent]:
    events = [CloudEvent.from_json_bytes(r.value) for r in records]
    return [e for e in events if subject is None or e.subject == subject]


def assert_problem(answer: httpx.Response, status: int, slug: str | None = None) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with this status (and type slug); answers its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("urn:opp:problem:")
    if slug:
        assert body["type"] == f"urn:opp:problem:{slug}", body
    return body


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def unstored_record(
    store: Any, aggregate_type: str, aggregate_id: str, previous: Snapshot | None, change: Change
) -> dict:
    """The record a writer built and did not store (it died between its two inserts, or lost
    the race for the sequence): what a crash-window test places by hand."""
    where = {"aggregate_type": aggregate_type, "aggregate_id": aggregate_id, "previous": previous}
    record, _ = build_record(source=store.source, change=change, meta=EventMeta(), now=store.clock.now(), **where)
    return record
