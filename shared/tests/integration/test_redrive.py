"""Re-driving a .dlq against the real Kafka: records dead-lettered by a failing handler go back to their
topic once the cause is fixed, and are handled; a dry run changes nothing; a second run re-drives nothing;
what cannot be put back as it was, or claims another topic, is passed over."""

import asyncio
import os
import subprocess
import sys

import pytest
from aiokafka import AIOKafkaProducer

from opp_shared.consumer import ConsumerWorker, EventRouter, RetryPolicy
from opp_shared.contract import EventContract
from opp_shared.envelope import CloudEvent, make_data
from opp_shared.kafka import ProducerHolder, ensure_topics
from opp_shared.mongo import insert_once
from opp_shared.redrive import REDRIVEN_FROM, redrive
from opp_shared.settings import ServiceSettings
from opp_shared.testing.helpers import eventually, read_topic


@pytest.fixture
async def setup(servers, namespace):
    topic = f"{namespace}.partners.partner"
    await ensure_topics(servers.kafka_bootstrap, [topic, topic + ".dlq"], partitions=2, replication_factor=1)
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    holder = ProducerHolder(servers.kafka_bootstrap, client_id="redrive-test")
    settings = ServiceSettings(
        service_name="redrive", kafka_bootstrap_servers=servers.kafka_bootstrap, kafka_namespace=f"{namespace}."
    )
    yield topic, producer, holder, settings
    await producer.stop()
    await holder.close()


def event(n):
    subject = f"ptn_{n}"
    return CloudEvent(
        id=f"e{n}",
        source="/opp/partners",
        type="partners.partner.registered",
        subject=subject,
        sequence=1,
        data=make_data({"id": subject, "version": 1}),
    )


def consumer(servers, namespace, topic, holder, handle, name="directory"):
    router = EventRouter()
    router.on("partners.partner.*", handle)
    return ConsumerWorker(
        name=name,
        group_id=f"{namespace}.test.{name}",
        topics=[topic],
        router=router,
        client_options={"bootstrap_servers": servers.kafka_bootstrap},
        producer=holder,
        policy=RetryPolicy(max_attempts=1),
        contract=EventContract(namespace=f"{namespace}."),
    )


async def test_dead_letters_go_back_to_their_topic_once_the_cause_is_fixed(servers, namespace, setup, db):
    topic, producer, holder, settings = setup
    effects, fixed = db["effects"], {"yes": False}

    async def handle(e):
        if e.subject in ("ptn_2", "ptn_3") and not fixed["yes"]:
            raise RuntimeError("the directory cannot take this partner yet")
        await insert_once(effects, {"_id": e.id})

    for n in (1, 2, 3, 4):
        e = event(n)
        await producer.send_and_wait(topic, e.to_json_bytes(), key=e.subject.encode(), headers=[("trace", b"t-1")])
    stopping = asyncio.Event()
    task = asyncio.create_task(consumer(servers, namespace, topic, holder, handle).run(stopping))
    try:
        await eventually(lambda: read_topic(servers.kafka_bootstrap, topic + ".dlq", until=lambda r: len(r) >= 2))
        # The partitions run apart: e4's effect may land after both dead letters.
        await eventually(lambda: _count(effects, 2))
        assert sorted(d["_id"] for d in await effects.find().to_list(None)) == ["e1", "e4"]

        lines = []
        report = await redrive(settings, "partners.partner.dlq", dry_run=True, out=lines.append)
        assert len(report.redriven) == 2 and lines[-1] == "would re-drive 2 records; passed over: none"
        assert await effects.count_documents({}) == 2  # a dry run changes nothing

        fixed["yes"] = True
        report = await redrive(settings, "partners.partner.dlq", out=lines.append)
        assert len(report.redriven) == 2 and lines[-1] == "re-drove 2 records; passed over: none"
        await eventually(lambda: _count(effects, 4))
        back = await read_topic(servers.kafka_bootstrap, topic, until=lambda r: len(r) >= 6)
        redriven = [r for r in back if REDRIVEN_FROM in dict(r.headers)]
        assert sorted(r.key for r in redriven) == [b"ptn_2", b"ptn_3"]
        assert all(dict(r.headers)["trace"] == b"t-1" for r in redriven)  # the origin's headers, without dlq.*
        assert not any(k.startswith("dlq.") for r in redriven for k, _ in r.headers)
        assert sorted(CloudEvent.from_json_bytes(r.value).id for r in redriven) == ["e2", "e3"]

        again = await redrive(settings, "partners.partner.dlq", out=lines.append)
        assert again.redriven == []  # the tool's own group remembers how far it got
    finally:
        stopping.set()
        await asyncio.wait_for(task, 20)


async def _count(collection, n):
    return await collection.count_documents({}) >= n


def dead_letter(topic, group, offset, **extra):
    headers = {
        "dlq.original.topic": topic,
        "dlq.original.partition": "0",
        "dlq.original.offset": str(offset),
        "dlq.error": "RuntimeError: boom",
        "dlq.consumer.group": group,
    } | extra
    return [(k, v.encode()) for k, v in headers.items()]


async def test_what_cannot_be_put_back_as_it_was_or_belongs_elsewhere_is_passed_over(servers, namespace, setup):
    topic, producer, _, settings = setup
    dlq, group_a, group_b = topic + ".dlq", f"{namespace}.a", f"{namespace}.b"
    other = f"{namespace}.partners.agreement"
    await ensure_topics(servers.kafka_bootstrap, [other], partitions=1, replication_factor=1)
    value = event(7).to_json_bytes()
    records = [
        (b"ptn_7", value, dead_letter(topic, group_a, 7)),
        (b"ptn_7", value, dead_letter(topic, group_b, 7)),  # the same original, given up by another group
        (None, b"", dead_letter(topic, group_a, 8, **{"dlq.original.dropped": "MessageSizeTooLargeError"})),
        (b"ptn_9", b"", dead_letter(topic, group_a, 9, **{"dlq.original.value-null": "true"})),
        (b"ptn_x", value, dead_letter(other, group_a, 1)),  # a record claiming another topic as its origin
    ]
    for key, val, headers in records:
        await producer.send_and_wait(dlq, val, key=key, headers=headers, partition=0)

    lines = []
    report = await redrive(settings, "partners.partner.dlq", group="b", dry_run=True, out=lines.append)
    assert len(report.redriven) == 1 and sum(report.passed_over.values()) == 4  # --group b: only b's copy

    report = await redrive(settings, "partners.partner.dlq", out=lines.append)
    assert len(report.redriven) == 1
    assert report.passed_over == {
        "already re-driven in this run": 1,
        "content not kept": 1,
        "no value": 1,
        "from another topic": 1,
    }
    back = await read_topic(servers.kafka_bootstrap, topic, until=lambda r: len(r) >= 1, settle=1.0)
    assert [r.key for r in back] == [b"ptn_7"]
    nothing = await read_topic(servers.kafka_bootstrap, other, until=lambda r: True, settle=1.0)
    assert nothing == []  # never written to another topic, whatever a record's headers say


async def test_the_command_line(servers, namespace, setup):
    topic, producer, _, _ = setup
    await producer.send_and_wait(
        topic + ".dlq", event(1).to_json_bytes(), key=b"ptn_1", headers=dead_letter(topic, "g", 1), partition=0
    )
    env = os.environ | {
        "OPP_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
        "OPP_KAFKA_NAMESPACE": f"{namespace}.",
    }
    command = [sys.executable, "-m", "opp_shared.redrive"]
    dry = subprocess.run([*command, "partners.partner.dlq", "--dry-run"], env=env, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert "would re-drive 1 records" in dry.stdout and f"-> {topic}" in dry.stdout
    wrong = subprocess.run([*command, "partners.partner"], env=env, capture_output=True, text=True)
    assert wrong.returncode == 2 and "is not a dead-letter topic" in wrong.stderr
    done = subprocess.run([*command, "partners.partner.dlq"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "re-drove 1 records" in done.stdout, done.stderr
