"""The consumer runner against the real Kafka: commits, dead letters, de-duplication."""

import asyncio

import pytest
from aiokafka import AIOKafkaProducer

from opp_shared.consumer import ConsumerWorker, EventRouter, RetryPolicy
from opp_shared.envelope import CloudEvent, make_data
from opp_shared.kafka import ProducerHolder, ensure_topics
from opp_shared.mongo import insert_once
from opp_shared.testing.helpers import eventually, read_topic


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


def event(n, event_type="partners.partner.registered"):
    return CloudEvent(
        id=f"e-{n}", source="/opp/test", type=event_type, subject=f"ptn_{n}", sequence=1, data=make_data({"n": n})
    )


def worker(servers, namespace, topic, router, holder, attempts=2):
    return ConsumerWorker(
        name="test",
        group_id=f"{namespace}.group",
        topics=[topic],
        router=router,
        bootstrap_servers=servers.kafka_bootstrap,
        producer=holder,
        policy=RetryPolicy(max_attempts=attempts, backoff_seconds=0.01),
    )


async def run_until(w, condition, timeout=30):
    stopping = asyncio.Event()
    task = asyncio.create_task(w.run(stopping))
    try:
        await eventually(condition, timeout=timeout)
    finally:
        stopping.set()
        await asyncio.wait_for(task, 20)


async def test_handles_commits_and_does_not_handle_again_after_restart(servers, namespace, kafka, db):
    topic, producer, holder = kafka
    for n in range(5):
        await producer.send_and_wait(topic, event(n).to_json_bytes(), key=f"ptn_{n}".encode())
    effects = db["effects"]

    async def effect(e):
        await insert_once(effects, {"_id": e.id})
        handled.append(e.id)

    handled = []
    router = EventRouter()
    router.on("partners.partner.*", effect)
    await run_until(worker(servers, namespace, topic, router, holder), lambda: _count(effects, 5))
    assert sorted(handled) == [f"e-{n}" for n in range(5)]

    # Same group again: offsets were committed before stopping, so nothing is handled twice.
    handled.clear()
    await producer.send_and_wait(topic, event(9).to_json_bytes(), key=b"ptn_9")
    await run_until(worker(servers, namespace, topic, router, holder), lambda: _count(effects, 6))
    assert handled == ["e-9"]


async def _count(collection, n):
    return await collection.count_documents({}) >= n


async def test_poison_and_failing_records_go_to_the_dlq_and_the_partition_moves_on(servers, namespace, kafka, db):
    topic, producer, holder = kafka
    await producer.send_and_wait(topic, b"this is not json", key=b"bad")
    await producer.send_and_wait(topic, event(1, "partners.partner.updated").to_json_bytes(), key=b"ptn_1")
    await producer.send_and_wait(topic, event(2).to_json_bytes(), key=b"ptn_2")
    done = db["done"]

    async def handle(e):
        if e.type == "partners.partner.updated":
            raise ValueError("this record breaks the handler")
        await insert_once(done, {"_id": e.id})

    router = EventRouter()
    router.on("*", handle)
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
    assert await done.find_one({"_id": "e-2"}) is not None
