"""The per-record logic of the consumer runner, with fakes of the project's own ports."""

import asyncio
from dataclasses import dataclass, field

import pytest
from aiokafka.errors import (
    CorruptRecordException,
    KafkaConnectionError,
    MessageSizeTooLargeError,
    UnsupportedCodecError,
)
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from opp_shared.consumer import (
    ConsumerWorker,
    DeadLetters,
    EventRouter,
    RecordHandler,
    RetryPolicy,
    _clients_fault,
)
from opp_shared.contract import EventContract, RejectedEvent
from opp_shared.envelope import CloudEvent, make_data
from opp_shared.logs import correlation_id_var, event_id_var
from opp_shared.runtime import WorkerStatus
from opp_shared.testing.fakes import FakeProducerHolder


@dataclass
class Record:
    value: bytes | None
    topic: str = "partners.partner"
    partition: int = 0
    offset: int = 7
    key: bytes | None = b"ptn_1"
    headers: tuple = ()


@dataclass
class FakeDeadLetters:
    sent: list = field(default_factory=list)
    headers_only: list = field(default_factory=list)

    async def send(self, record, error):
        self.sent.append((record, str(error)))

    async def send_headers_only(self, record, error, *, dropped_because):
        self.headers_only.append((record, str(error), dropped_because))


def an_event(event_type="partners.partner.registered", **changes):
    values = {
        "id": "e-1",
        "source": "/opp/partners",
        "type": event_type,
        "subject": "ptn_1",
        "sequence": 1,
        "data": make_data({"id": "ptn_1", "version": 1}),
        "correlationid": "corr-1",
    }
    return CloudEvent(**(values | changes))


def event_record(event_type="partners.partner.registered", **changes):
    return Record(an_event(event_type, **changes).to_json_bytes())


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


async def test_types_nobody_handles_are_ignored_not_failed():
    router = EventRouter()
    router.on("partners.partner.registered", lambda e: asyncio.sleep(0))
    records, dead = handler_with(router)
    outcome = await records.handle(event_record("partners.partner.archived"), asyncio.Event())
    assert not outcome.handled and not outcome.dead_lettered and dead.sent == []
    # Even one that breaks the contract: nothing here would apply it.
    outcome = await records.handle(event_record("partners.partner.archived", source="/opp/x"), asyncio.Event())
    assert not outcome.handled and not outcome.dead_lettered and dead.sent == []


@pytest.mark.parametrize(
    ("changes", "record_changes", "why"),
    [
        ({"source": "/opp/funding"}, {}, "source '/opp/funding' is not /opp/partners"),
        ({"type": "partners.partner.teleported"}, {}, "not in the event catalogue"),
        ({"type": "partners.agreement.signed"}, {}, "does not belong on topic"),
        ({"subject": None}, {}, "needs a subject and a sequence"),
        ({"sequence": None}, {}, "needs a subject and a sequence"),
        ({}, {"key": None}, "key is not the event's subject"),
        ({}, {"key": b"ptn_2"}, "key is not the event's subject"),
        ({"data": {"name": "not a state"}}, {}, "data.state is not an object"),
        ({"data": ["a", "list"]}, {}, "data.state is not an object"),
        ({"data": {"state": "text", "change": {}}}, {}, "data.state is not an object"),
        ({"data": {"state": {"id": "ptn_1", "version": 1}}}, {}, "data.change is not an object"),
        ({"data": make_data({"id": "ptn_2", "version": 1})}, {}, "data.state.id is not the subject"),
        ({"data": make_data({"version": 1})}, {}, "data.state.id is not the subject"),
        ({"data": make_data({"id": "ptn_1", "version": 2})}, {}, "data.state.version is not the sequence"),
        ({"data": make_data({"id": "ptn_1", "version": True})}, {}, "data.state.version is not the sequence"),
        ({"data": make_data({"id": "ptn_1", "version": "1"})}, {}, "data.state.version is not the sequence"),
    ],
)
async def test_a_record_that_breaks_the_contract_is_dead_lettered_unhandled(changes, record_changes, why):
    calls = []
    router = EventRouter()
    router.on("*", lambda e: calls.append(e))
    records, dead = handler_with(router)
    record = Record(an_event(**changes).to_json_bytes(), **record_changes)
    outcome = await records.handle(record, asyncio.Event())
    assert outcome.dead_lettered and calls == []
    assert len(dead.sent) == 1 and dead.sent[0][1].startswith("invalid:") and why in dead.sent[0][1], dead.sent


def test_the_contract_takes_the_namespace_and_a_check_of_each_types_data():
    seen = []

    def names_required(event):
        seen.append(event.data)
        if "name" not in event.data["state"]:
            raise RejectedEvent("data.state.name is missing")

    contract = EventContract(namespace="t1.", data_checks={"partners.partner.registered": names_required})
    contract.check(
        an_event(data=make_data({"id": "ptn_1", "version": 1, "name": "x"})), "t1.partners.partner", b"ptn_1"
    )
    with pytest.raises(RejectedEvent, match="does not belong"):
        contract.check(an_event(), "partners.partner", b"ptn_1")
    with pytest.raises(RejectedEvent, match="name is missing"):
        contract.check(an_event(), "t1.partners.partner", b"ptn_1")
    contract.check(an_event("partners.partner.updated"), "t1.partners.partner", b"ptn_1")  # no check for this type
    assert len(seen) == 2


async def test_a_handler_that_rejects_the_event_has_it_dead_lettered_without_retries():
    attempts = []

    async def view(event):
        attempts.append(event.id)
        raise RejectedEvent("sequence 5000 is implausibly far ahead")

    router = EventRouter()
    router.on("*", view)
    records, dead = handler_with(router, RetryPolicy(max_attempts=5, backoff_seconds=0))
    outcome = await records.handle(event_record(), asyncio.Event())
    assert outcome.dead_lettered and attempts == ["e-1"]
    assert "implausibly far ahead" in dead.sent[0][1]


@pytest.mark.parametrize(
    "value",
    [None, b"", b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'{"specversion": "1.0"}', b'"a string"', b"{" * 10_000],
    ids=["null", "empty", "not-json", "not-utf8", "json-array", "not-an-envelope", "json-string", "deeply-nested"],
)
async def test_whatever_the_bytes_a_record_that_is_no_cloudevent_goes_to_the_dead_letters_at_once(value):
    calls = []
    router = EventRouter()
    router.on("*", lambda e: calls.append(e))
    records, dead = handler_with(router)
    outcome = await records.handle(Record(value, key=None), asyncio.Event())
    assert outcome.dead_lettered and calls == []
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


async def test_a_record_that_breaks_the_connection_while_the_database_answers_is_dead_lettered():
    # FerretDB drops the connection on a NaN: the driver reports an outage, yet the database answers a ping.
    attempts, pings = [], []

    async def drops_connection(event):
        attempts.append(1)
        raise AutoReconnect("connection closed")

    async def ping():
        pings.append(1)

    router = EventRouter()
    router.on("*", drops_connection)
    records = RecordHandler(
        router, dead := FakeDeadLetters(), RetryPolicy(max_attempts=3, backoff_seconds=0), "g", database_ping=ping
    )
    outcome = await records.handle(event_record(), asyncio.Event())
    assert outcome.dead_lettered and len(attempts) == 3 and len(pings) == 3
    assert "connection closed" in dead.sent[0][1]


@pytest.mark.parametrize(
    "state",
    [
        {"rate": float("nan")},
        {"nested": {"list": [1, float("inf")]}},
        {"amount": -float("inf")},
        {"big": 2**63},
        {"small": -(2**63) - 1},
    ],
)
def test_the_contract_refuses_numbers_a_database_cannot_store(state):
    with pytest.raises(RejectedEvent, match="cannot store"):
        EventContract().check(
            an_event(data=make_data({"id": "ptn_1", "version": 1} | state)), "partners.partner", b"ptn_1"
        )
    EventContract().check(  # the largest and smallest 64-bit integers, and a plain float, are fine
        an_event(data=make_data({"id": "ptn_1", "version": 1, "a": 2**63 - 1, "b": -(2**63), "c": 0.5})),
        "partners.partner",
        b"ptn_1",
    )


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


def worker_with(dead):
    worker = ConsumerWorker(
        name="consumer:test",
        group_id="g",
        topics=["partners.partner"],
        router=EventRouter(),
        client_options={"bootstrap_servers": "unused:9092"},
        producer=FakeProducerHolder(),
        max_strikes=3,
    )
    worker.records.dead_letters = dead
    return worker


async def test_a_record_the_runner_keeps_failing_on_is_dead_lettered_unhandled_after_the_limit():
    dead = FakeDeadLetters()
    worker = worker_with(dead)
    calls = []

    async def runner_fails(record, stopping):
        calls.append(record.offset)
        raise RuntimeError("the runner broke on this record")

    worker.records.handle = runner_fails
    record = event_record()
    for _ in range(3):  # each failure restarts the worker, which reads the same record again
        with pytest.raises(RuntimeError):
            await worker._handle(record, asyncio.Event())
    outcome = await worker._handle(record, asyncio.Event())
    assert outcome.dead_lettered and calls == [7, 7, 7]
    [(sent, why, dropped)] = dead.headers_only
    assert sent is record and "failed 3 times" in why and "the runner broke" in why and dropped == "repeated-failures"
    assert worker.strikes.of(record) == (0, "")  # forgotten once dead-lettered


async def test_strikes_are_per_record_and_a_success_forgets_them():
    worker = worker_with(FakeDeadLetters())
    fail = {"on": True}

    async def sometimes(record, stopping):
        if fail["on"]:
            raise RuntimeError("transient")
        return None

    worker.records.handle = sometimes
    first, second = event_record(), Record(b"x", offset=8)
    for record in (first, first, second):
        with pytest.raises(RuntimeError):
            await worker._handle(record, asyncio.Event())
    assert worker.strikes.of(first)[0] == 2 and worker.strikes.of(second)[0] == 1
    fail["on"] = False
    await worker._handle(first, asyncio.Event())
    assert worker.strikes.of(first)[0] == 0


def test_a_worker_that_failed_twice_within_the_window_is_crash_looping():
    status = WorkerStatus(crash_window_seconds=60)
    status.state = "running"
    assert status.problem() is None
    status.failed("RuntimeError: once")
    assert status.problem() is None  # one failure may be a blip
    status.failed("RuntimeError: twice")
    assert "failed 2 times" in status.problem() and status.restarts == 2
    status.state = "stopped"
    assert status.problem() == "stopped"


def test_router_patterns():
    router = EventRouter()
    a, b = object(), object()
    router.on("partners.partner.*", a)
    router.on("partners.*", b)
    assert router.handlers_for("partners.partner.archived") == [a, b]
    assert router.handlers_for("partners.agreement.signed") == [b]
    assert router.handlers_for("funding.fund.created") == []


class RefusingProducer:
    """Refuses what aiokafka refuses (neither key nor value; a value over its size limit), or everything."""

    def __init__(self, down=False):
        self.down = down
        self.sent = []

    async def send_and_wait(self, topic, value=None, key=None, headers=None):
        if self.down:
            raise KafkaConnectionError("no broker")
        assert not (value is None and key is None), "Need at least one: key or value"
        if value is not None and len(value) > 1000:
            raise MessageSizeTooLargeError("too large")
        self.sent.append((topic, key, value, dict(headers or [])))


class Holder:
    def __init__(self, producer):
        self.producer, self.resets = producer, 0

    async def get(self):
        return self.producer

    async def reset(self):
        self.resets += 1


async def test_a_dead_letter_is_sent_whatever_the_record_and_headers_only_as_the_last_resort():
    producer = RefusingProducer()
    dead = DeadLetters(Holder(producer), "g")
    await dead.send(Record(None, key=None, headers=(("h", None),)), "undecodable: no value")
    await dead.send(Record(b"x" * 5000), "undecodable: too big")
    (topic, key, value, headers), (_, big_key, big_value, big_headers) = producer.sent
    assert topic == "partners.partner.dlq" and key is None and value == b""
    assert headers["dlq.original.value-null"] == b"true" and headers["h"] == b""
    assert big_key is None and big_value == b"" and big_headers["dlq.original.dropped"] == b"MessageSizeTooLargeError"
    assert big_headers["dlq.original.value-size"] == b"5000" and big_headers["dlq.original.key-size"] == b"5"


async def test_a_dead_letter_that_cannot_reach_kafka_fails_and_the_producer_is_made_anew():
    holder = Holder(RefusingProducer(down=True))
    with pytest.raises(KafkaConnectionError):
        await DeadLetters(holder, "g").send(event_record(), "failed")
    assert holder.resets == 1


@pytest.mark.parametrize(
    ("error", "the_records"),
    [
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), True),  # a header name not UTF-8
        (UnsupportedCodecError("Libraries for zstd compression codec not found"), True),
        (CorruptRecordException("Invalid CRC"), True),
        (KafkaConnectionError("no broker"), False),  # reaching Kafka: restart the worker instead
        (AssertionError("internal state"), False),  # the client's own state: a fresh consumer mends it
    ],
)
def test_a_failed_fetch_is_blamed_on_the_records_only_when_it_is_about_them(error, the_records):
    assert _clients_fault(error) is the_records
