"""The per-record logic of the consumer runner, with fakes of the project's own ports."""

import asyncio
from dataclasses import dataclass, field

from pymongo.errors import ServerSelectionTimeoutError

from opp_shared.consumer import EventRouter, RecordHandler, RetryPolicy
from opp_shared.envelope import CloudEvent, make_data
from opp_shared.logs import correlation_id_var, event_id_var


@dataclass
class Record:
    value: bytes
    topic: str = "partners.partner"
    partition: int = 0
    offset: int = 7
    key: bytes = b"ptn_1"
    headers: tuple = ()


@dataclass
class FakeDeadLetters:
    sent: list = field(default_factory=list)

    async def send(self, record, error):
        self.sent.append((record, str(error)))


def event_record(event_type="partners.partner.registered", **extra):
    event = CloudEvent(
        id="e-1",
        source="/opp/partners",
        type=event_type,
        subject="ptn_1",
        sequence=1,
        data=make_data({}),
        correlationid="corr-1",
        **extra,
    )
    return Record(event.to_json_bytes())


def handler_with(router, policy=None):
    dead = FakeDeadLetters()
    return RecordHandler(router, dead, policy or RetryPolicy(max_attempts=3, backoff_seconds=0), "g"), dead


async def test_a_record_is_handled_once_with_event_ids_in_context():
    seen = []

    async def handle(event):
        seen.append((event.id, event_id_var.get(), correlation_id_var.get()))

    router = EventRouter()
    router.on("partners.partner.*", handle)
    records, dead = handler_with(router)
    outcome = await records.handle(event_record(), asyncio.Event())
    assert outcome.handled and not outcome.dead_lettered
    assert seen == [("e-1", "e-1", "corr-1")]
    assert dead.sent == []
    assert event_id_var.get() is None  # context restored afterwards


async def test_unknown_types_are_ignored_not_failed():
    router = EventRouter()
    router.on("partners.partner.registered", lambda e: asyncio.sleep(0))
    records, dead = handler_with(router)
    outcome = await records.handle(event_record("funding.fund.created"), asyncio.Event())
    assert not outcome.handled and not outcome.dead_lettered and dead.sent == []


async def test_a_record_that_is_not_a_cloudevent_goes_to_the_dead_letters_at_once():
    calls = []
    router = EventRouter()
    router.on("*", lambda e: calls.append(e))
    records, dead = handler_with(router)
    outcome = await records.handle(Record(b"{not json"), asyncio.Event())
    assert outcome.dead_lettered
    assert calls == []
    assert len(dead.sent) == 1 and dead.sent[0][1].startswith("undecodable")


async def test_a_failing_handler_is_retried_then_dead_lettered():
    attempts = []

    async def broken(event):
        attempts.append(event.id)
        raise ValueError("cannot handle this one")

    router = EventRouter()
    router.on("*", broken)
    records, dead = handler_with(router, RetryPolicy(max_attempts=3, backoff_seconds=0))
    outcome = await records.handle(event_record(), asyncio.Event())
    assert outcome.dead_lettered
    assert len(attempts) == 3
    assert "cannot handle this one" in dead.sent[0][1]


async def test_a_handler_that_recovers_within_the_retries_is_not_dead_lettered():
    attempts = []

    async def flaky(event):
        attempts.append(1)
        if len(attempts) < 2:
            raise RuntimeError("transient")

    router = EventRouter()
    router.on("*", flaky)
    records, dead = handler_with(router)
    outcome = await records.handle(event_record(), asyncio.Event())
    assert outcome.handled and dead.sent == [] and len(attempts) == 2


async def test_database_outage_is_waited_out_without_dead_lettering():
    attempts = []

    async def db_down_twice(event):
        attempts.append(1)
        if len(attempts) <= 5:
            raise ServerSelectionTimeoutError("no servers")

    router = EventRouter()
    router.on("*", db_down_twice)
    records, dead = handler_with(router, RetryPolicy(max_attempts=2, backoff_seconds=0, max_backoff_seconds=0.01))
    outcome = await records.handle(event_record(), asyncio.Event())
    assert outcome.handled and dead.sent == [] and len(attempts) == 6


async def test_stopping_during_an_outage_leaves_the_record_for_later():
    async def db_down(event):
        raise ServerSelectionTimeoutError("no servers")

    router = EventRouter()
    router.on("*", db_down)
    records, dead = handler_with(router, RetryPolicy(max_backoff_seconds=0.01))
    stopping = asyncio.Event()
    stopping.set()
    assert await records.handle(event_record(), stopping) is None
    assert dead.sent == []


def test_router_patterns():
    router = EventRouter()
    a, b = object(), object()
    router.on("partners.partner.*", a)
    router.on("partners.*", b)
    assert router.handlers_for("partners.partner.archived") == [a, b]
    assert router.handlers_for("partners.agreement.signed") == [b]
    assert router.handlers_for("funding.fund.created") == []
