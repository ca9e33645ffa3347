"""The consumer runner against the real Kafka: commits, dead letters, de-duplication, and records
that would once have wedged a partition (no key and no value, bytes of every kind, forged events)."""

import asyncio
import hashlib

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from opp_shared.consumer import ConsumerWorker, EventRouter, RetryPolicy
from opp_shared.contract import EventContract
from opp_shared.envelope import CloudEvent, make_data
from opp_shared.kafka import ProducerHolder, ensure_topics
from opp_shared.mongo import insert_once
from opp_shared.testing.helpers import eventually, read_topic
from opp_shared.views import VersionedView


@pytest.fixture
async def kafka(servers, namespace):
    topic = f"{namespace}.partners.partner"
    await ensure_topics(servers.kafka_bootstrap, [topic, topic + ".dlq"], partitions=1, replication_factor=1)
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    holder = ProducerHolder(servers.kafka_bootstrap, client_id="dlq-test")
    yield topic, producer, holder
    await producer.stop()
    await holder.close()


def event(n, event_type="partners.partner.registered", sequence=1, state=None, **changes):
    subject = f"ptn_{n}"
    values = {
        "id": f"e-{n}-{sequence}",
        "source": "/opp/partners",
        "type": event_type,
        "subject": subject,
        "sequence": sequence,
        "data": make_data({"id": subject, "version": sequence, "n": n} | (state or {})),
    }
    return CloudEvent(**(values | changes))


async def send(producer, topic, e):
    await producer.send_and_wait(topic, e.to_json_bytes(), key=e.subject.encode())


def worker(servers, namespace, topic, router, holder, attempts=2, **options):
    return ConsumerWorker(
        name="test",
        group_id=f"{namespace}.group",
        topics=[topic],
        router=router,
        client_options={"bootstrap_servers": servers.kafka_bootstrap},
        producer=holder,
        policy=RetryPolicy(max_attempts=attempts, backoff_seconds=0.01),
        contract=EventContract(namespace=f"{namespace}."),
        **options,
    )


async def run_until(w, condition, timeout=30):
    stopping = asyncio.Event()
    task = asyncio.create_task(w.run(stopping))
    try:
        await eventually(condition, timeout=timeout)
    finally:
        stopping.set()
        await asyncio.wait_for(task, 20)


async def _count(collection, n):
    return await collection.count_documents({}) >= n


def recorder(collection):
    async def effect(e):
        await insert_once(collection, {"_id": e.id})

    return effect


def failing_on_updates(collection, message):
    """A router recording every event in `collection`, but for `partners.partner.updated`, which fails."""

    async def handle(e):
        if e.type == "partners.partner.updated":
            raise ValueError(message)
        await insert_once(collection, {"_id": e.id})

    router = EventRouter()
    router.on("*", handle)
    return router


async def test_handles_commits_and_does_not_handle_again_after_restart(servers, namespace, kafka, db):
    topic, producer, holder = kafka
    for n in range(5):
        await send(producer, topic, event(n))
    effects = db["effects"]

    async def effect(e):
        await insert_once(effects, {"_id": e.id})
        handled.append(e.id)

    handled = []
    router = EventRouter()
    router.on("partners.partner.*", effect)
    await run_until(worker(servers, namespace, topic, router, holder), lambda: _count(effects, 5))
    assert sorted(handled) == [f"e-{n}-1" for n in range(5)]

    # Same group again: offsets were committed before stopping, so nothing is handled twice.
    handled.clear()
    await send(producer, topic, event(9))
    await run_until(worker(servers, namespace, topic, router, holder), lambda: _count(effects, 6))
    assert handled == ["e-9-1"]


async def test_poison_and_failing_records_go_to_the_dlq_and_the_partition_moves_on(servers, namespace, kafka, db):
    topic, producer, holder = kafka
    await producer.send_and_wait(topic, b"this is not json", key=b"bad")
    await send(producer, topic, event(1, "partners.partner.updated"))
    await send(producer, topic, event(2))
    done = db["done"]
    router = failing_on_updates(done, "this record breaks the handler")
    await run_until(worker(servers, namespace, topic, router, holder), lambda: _count(done, 1))

    dead = await read_topic(servers.kafka_bootstrap, topic + ".dlq", until=lambda r: len(r) >= 2)
    assert [r.value for r in dead] == [b"this is not json", event(1, "partners.partner.updated").to_json_bytes()]
    headers = [dict(r.headers) for r in dead]
    assert headers[0]["dlq.original.topic"] == topic.encode()
    assert headers[0]["dlq.original.partition"] == b"0"
    assert [h["dlq.original.offset"] for h in headers] == [b"0", b"1"]
    assert b"undecodable" in headers[0]["dlq.error"]
    assert b"this record breaks the handler" in headers[1]["dlq.error"]
    assert dead[1].key == b"ptn_1"
    assert await done.find_one({"_id": "e-2-1"}) is not None


async def test_records_of_any_bytes_even_without_key_and_value_are_dead_lettered_and_never_stop_the_partition(
    servers, namespace, kafka, db
):
    topic, producer, holder = kafka
    poison = [
        (None, None, []),  # the record the Kafka client refuses to dead-letter as it is
        (None, b"", []),
        (b"ptn_x", None, []),
        (None, b"\xff\xfe\xfd not utf-8", []),
        (b"ptn_x", b"[1, 2, 3]", []),
        (b"ptn_x", b'{"specversion": "1.0", "id": "x"}', [("h", None), ("ce_type", b"partners.partner.updated")]),
        (b"ptn_x", b"{" * 50_000, []),
    ]
    for key, value, headers in poison:
        # The Python client refuses a record with neither key nor value; write that one as another client would.
        batch = producer.create_batch()
        batch.append(key=key, value=value, timestamp=None, headers=headers)
        batch.close()
        partitions = await producer.partitions_for(topic)
        await (await producer.send_batch(batch, topic, partition=sorted(partitions)[0]))
    await send(producer, topic, event(1))
    done = db["done"]
    router = EventRouter()
    router.on("*", recorder(done))
    await run_until(worker(servers, namespace, topic, router, holder), lambda: _count(done, 1))

    dead = await read_topic(servers.kafka_bootstrap, topic + ".dlq", until=lambda r: len(r) >= len(poison))
    assert [r.key for r in dead] == [key for key, _, _ in poison]
    assert [r.value for r in dead] == [value or b"" for _, value, _ in poison]
    headers = [dict(r.headers) for r in dead]
    assert [h["dlq.original.offset"] for h in headers] == [str(n).encode() for n in range(len(poison))]
    assert [h.get("dlq.original.value-null") for h in headers] == [b"true", None, b"true", None, None, None, None]
    assert all(h["dlq.error"].startswith(b"undecodable") for h in headers)
    assert headers[5]["h"] == b"" and headers[5]["ce_type"] == b"partners.partner.updated"  # origin headers kept
    assert await done.find_one({"_id": "e-1-1"}) is not None


async def test_a_record_too_large_to_dead_letter_as_it_is_goes_as_headers_only(servers, namespace, db):
    # The topic takes records larger than the producer may send: the dead-letter copy cannot carry it.
    topic = f"{namespace}.partners.partner"
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(topic, 1, 1, topic_configs={"max.message.bytes": "3000000"}),
                NewTopic(topic + ".dlq", 1, 1),
            ]
        )
    finally:
        await admin.close()
    huge = b'{"not": "an event", "padding": "' + b"x" * 1_500_000 + b'"}'
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, max_request_size=3_000_000)
    await producer.start()
    holder = ProducerHolder(servers.kafka_bootstrap, client_id="dlq-test")
    try:
        await producer.send_and_wait(topic, huge, key=b"big")
        await send(producer, topic, event(1))
        done = db["done"]
        router = EventRouter()
        router.on("*", recorder(done))
        await run_until(worker(servers, namespace, topic, router, holder), lambda: _count(done, 1))
    finally:
        await producer.stop()
        await holder.close()
    [dead] = await read_topic(servers.kafka_bootstrap, topic + ".dlq", until=lambda r: len(r) >= 1)
    headers = dict(dead.headers)
    assert dead.value == b"" and dead.key is None
    assert headers["dlq.original.dropped"] == b"MessageSizeTooLargeError"
    assert headers["dlq.original.value-size"] == str(len(huge)).encode()
    assert headers["dlq.original.value-sha256"] == hashlib.sha256(huge).hexdigest().encode()
    assert headers["dlq.original.key-size"] == b"3" and headers["dlq.original.offset"] == b"0"


async def test_forged_and_malformed_events_are_dead_lettered_and_never_applied(servers, namespace, kafka, db):
    topic, producer, holder = kafka
    view = VersionedView(db["directory"])
    router = EventRouter()
    router.on("*", view.apply)  # as a consumer of every type would (the inbox)
    genuine = event(1, state={"name": "University of Tokyo"})
    forged = [
        event(1, source="/opp/funding", state={"name": "forged source"}, id="f1"),
        event(1, "partners.partner.teleported", state={"name": "unknown type"}, id="f2"),
        event(1, "partners.agreement.signed", state={"name": "another topic's type"}, id="f3"),
        event(1, data={"name": "data that is not the state"}, id="f4"),
        event(1, data=make_data({"id": "ptn_2", "version": 2, "name": "someone else's state"}), id="f5"),
    ]
    # JSON readers accept NaN; FerretDB drops the connection on it (the runner would wait for the database).
    with_nan = event(1, sequence=2, state={"rate": "__nan__"}, id="f6").to_json_bytes().replace(b'"__nan__"', b"NaN")
    await send(producer, topic, genuine)
    for e in forged:
        await send(producer, topic, e)
    await producer.send_and_wait(topic, with_nan, key=b"ptn_1")
    # A sequence far ahead: it would pin its state for good; refused by the view.
    await send(producer, topic, event(1, sequence=1_000_000, state={"name": "forged far ahead"}, id="f7"))
    await send(producer, topic, event(1, sequence=2, state={"name": "The University of Tokyo"}))  # the real next change

    async def renamed():
        held = await view.get("ptn_1")
        return held and held["name"] == "The University of Tokyo"

    await run_until(worker(servers, namespace, topic, router, holder), renamed)
    dead = await read_topic(servers.kafka_bootstrap, topic + ".dlq", until=lambda r: len(r) >= 7)
    assert [CloudEvent.from_json_bytes(r.value).id for r in dead] == [f"f{n}" for n in range(1, 8)]
    errors = [dict(r.headers)["dlq.error"].decode() for r in dead]
    for expected, error in zip(
        [
            "source '/opp/funding' is not /opp/partners",
            "not in the event catalogue",
            "does not belong on topic",
            "data.state is not an object",
            "data.state.id is not the subject",
            "cannot store",
            "implausibly far ahead",
        ],
        errors,
        strict=True,
    ):
        assert error.startswith("invalid:") and expected in error, (expected, error)
    held = await view.get("ptn_1")
    assert held["_sequence"] == 2 and held["_event_id"] == "e-1-2"
    assert await db["directory"].count_documents({}) == 1  # nothing forged created an entry


async def test_a_record_the_runner_keeps_failing_on_is_dead_lettered_after_bounded_restarts(
    servers, namespace, kafka, db
):
    topic, producer, holder = kafka
    await send(producer, topic, event(1, "partners.partner.updated"))
    await send(producer, topic, event(2))
    done = db["done"]
    router = failing_on_updates(done, "bad record")
    w = worker(servers, namespace, topic, router, holder, attempts=1, max_strikes=3)

    async def broken_send(record, error):  # a fault of the runner on this record, every time
        raise RuntimeError("the dead-letter path is broken")

    w.records.dead_letters.send = broken_send
    stopping = asyncio.Event()
    restarts = []

    async def supervise():  # as the runtime does: restart the worker after each failure
        while not stopping.is_set():
            try:
                await w.run(stopping)
            except RuntimeError:
                restarts.append(1)

    task = asyncio.create_task(supervise())
    try:
        await eventually(lambda: _count(done, 1), timeout=60)
    finally:
        stopping.set()
        await asyncio.wait_for(task, 20)
    assert len(restarts) == 3
    [dead] = await read_topic(servers.kafka_bootstrap, topic + ".dlq", until=lambda r: len(r) >= 1)
    headers = dict(dead.headers)
    assert headers["dlq.original.offset"] == b"0" and headers["dlq.original.dropped"] == b"repeated-failures"
    assert b"failed 3 times" in headers["dlq.error"] and b"the dead-letter path is broken" in headers["dlq.error"]


async def test_a_record_on_which_the_database_drops_the_connection_is_dead_lettered_not_waited_on(
    servers, namespace, kafka, db
):
    # FerretDB closes the connection on a NaN: the driver says "unreachable" while the database is up.
    if "ferretdbVersion" not in await db.client.admin.command("buildInfo"):
        pytest.skip("MongoDB stores a NaN; only FerretDB drops the connection on it")
    topic, producer, holder = kafka
    await send(producer, topic, event(1, "partners.partner.updated"))
    await send(producer, topic, event(2))
    done = db["done"]

    async def handle(e):
        if e.type == "partners.partner.updated":
            await db["stored"].insert_one({"_id": e.id, "rate": float("nan")})
        await insert_once(done, {"_id": e.id})

    router = EventRouter()
    router.on("*", handle)
    w = worker(servers, namespace, topic, router, holder, database_ping=lambda: db.client.admin.command("ping"))
    await run_until(w, lambda: done.find_one({"_id": "e-2-1"}), timeout=60)
    [dead] = await read_topic(servers.kafka_bootstrap, topic + ".dlq", until=lambda r: len(r) >= 1)
    assert CloudEvent.from_json_bytes(dead.value).id == "e-1-1"
    assert await done.find_one({"_id": "e-1-1"}) is None


class _NotUtf8(str):
    """A header name that encodes to bytes which are not UTF-8, as a client in another language may write."""

    def encode(self, *args, **kwargs):
        return b"\xff\xfe-name"


async def test_records_the_kafka_client_cannot_read_are_dead_lettered_by_place_and_skipped(
    servers, namespace, kafka, db
):
    from aiokafka.record.default_records import _DefaultRecordBatchBuilderPy

    topic, producer, holder = kafka
    await send(producer, topic, event(1))
    plain = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)  # one batch of three, not idempotent
    await plain.start()
    try:
        batch = plain.create_batch()
        batch._builder = _DefaultRecordBatchBuilderPy(
            2, 0, is_transactional=0, producer_id=-1, producer_epoch=-1, base_sequence=0, batch_size=16384
        )
        for n in range(3):
            batch.append(key=b"ptn_x", value=b"{}", timestamp=None, headers=[(_NotUtf8("h"), str(n).encode())])
        batch.close()
        await (await plain.send_batch(batch, topic, partition=0))
    finally:
        await plain.stop()
    await send(producer, topic, event(2))
    done = db["done"]
    router = EventRouter()
    router.on("*", recorder(done))
    await run_until(worker(servers, namespace, topic, router, holder), lambda: done.find_one({"_id": "e-2-1"}))
    assert await done.count_documents({}) == 2
    dead = await read_topic(servers.kafka_bootstrap, topic + ".dlq", until=lambda r: len(r) >= 3)
    assert [dict(r.headers)["dlq.original.offset"] for r in dead] == [b"1", b"2", b"3"]
    for record in dead:
        headers = dict(record.headers)
        assert record.value == b"" and headers["dlq.original.dropped"] == b"unreadable"
        assert headers["dlq.error"].startswith(b"unreadable by the Kafka client: UnicodeDecodeError")


async def test_records_compressed_as_other_clients_do_are_read(servers, namespace, kafka, db):
    # Without the codecs, one lz4, snappy or zstd batch stopped the partition for good (UnsupportedCodecError).
    topic, _, holder = kafka
    for n, codec in enumerate(("gzip", "lz4", "snappy", "zstd"), start=1):
        producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, compression_type=codec)
        await producer.start()
        try:
            await send(producer, topic, event(n))
        finally:
            await producer.stop()
    done = db["done"]
    router = EventRouter()
    router.on("*", recorder(done))
    await run_until(worker(servers, namespace, topic, router, holder), lambda: _count(done, 4))
