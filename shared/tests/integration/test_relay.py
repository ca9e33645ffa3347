"""The relay against the real Kafka: order, envelope, crash windows, projections."""

import json

import pytest

from opp_shared.aggregate import Change
from opp_shared.kafka import ProducerHolder, ensure_topics
from opp_shared.relay import Relay
from opp_shared.testing.helpers import events_of, read_topic

T = "partners.partner"


@pytest.fixture
async def relay(store, servers, namespace):
    await ensure_topics(servers.kafka_bootstrap, [f"{namespace}.{T}"], partitions=2, replication_factor=1)
    producer = ProducerHolder(servers.kafka_bootstrap, client_id="relay-test")
    relay = Relay(store, producer, topic_name=lambda t: f"{namespace}.{t}", batch_size=50)
    yield relay
    await producer.close()


def change(name, kind="updated"):
    return Change(f"{T}.{kind}", {"name": name})


async def write_three(store, aggregate_id):
    snapshot = await store.append(T, aggregate_id, None, change("v1", "registered"))
    snapshot = await store.append(T, aggregate_id, snapshot, change("v2"))
    return await store.append(T, aggregate_id, snapshot, change("v3"))


async def test_publishes_each_record_once_in_order_and_marks_it(store, relay, servers, namespace):
    await write_three(store, "ptn_x")
    await write_three(store, "ptn_y")
    assert await relay.publish_once() == 6
    assert await store.outbox.count_documents({}) == 0
    assert await relay.publish_once() == 0

    records = await read_topic(servers.kafka_bootstrap, f"{namespace}.{T}", until=lambda r: len(r) >= 6)
    for subject in ("ptn_x", "ptn_y"):
        events = events_of(records, subject)
        assert [e.sequence for e in events] == [1, 2, 3]
        assert len({r.partition for r in records if r.key == subject.encode()}) == 1  # keyed: one partition
    raw = json.loads(records[0].value)
    for attribute in (
        "specversion",
        "id",
        "source",
        "type",
        "subject",
        "time",
        "datacontenttype",
        "dataschema",
        "data",
        "sequence",
    ):
        assert attribute in raw
    assert dict(records[0].headers)["content-type"] == b"application/cloudevents+json"


async def test_a_crash_between_publish_and_mark_republishes_the_same_event(
    store, relay, servers, namespace, monkeypatch
):
    await store.append(T, "ptn_z", None, change("only", "registered"))
    original = store.mark_published

    async def crash(*args, **kwargs):
        raise RuntimeError("process killed before marking")

    monkeypatch.setattr(store, "mark_published", crash)
    with pytest.raises(RuntimeError):
        await relay.publish_once()
    monkeypatch.setattr(store, "mark_published", original)
    assert await relay.publish_once() == 1
    records = await read_topic(servers.kafka_bootstrap, f"{namespace}.{T}", until=lambda r: len(r) >= 2)
    events = events_of(records, "ptn_z")
    assert len(events) == 2 and events[0].id == events[1].id  # a duplicate, with the same id to de-duplicate by


async def test_the_relay_brings_a_lost_projection_forward_before_publishing(store, relay):
    snapshot = await write_three(store, "ptn_p")
    await store.projection(T).delete_one({"_id": "ptn_p"})
    await relay.publish_once()
    projected = await store.projection(T).find_one({"_id": "ptn_p"})
    assert projected["version"] == 3 and projected["name"] == snapshot.state["name"]


async def test_a_change_is_never_published_before_the_one_it_follows(store, relay, servers, namespace):
    first = await store.append(T, "ptn_o", None, change("v1", "registered"))
    await store.append(T, "ptn_o", first, change("v2"))
    # Another API copy with a fast clock: record 2 looks older than record 1.
    # (the outbox's order is its markers' `recorded_at`)
    await store.outbox.update_one(
        {"record_id": "ptn_o:1"},
        {"$set": {"recorded_at": first_recorded_plus(await store.outbox.find_one({"record_id": "ptn_o:2"}))}},
    )
    relay.batch_size = 1
    assert await relay.publish_once() == 0  # only record 2 in the batch, and 1 is unpublished: wait
    relay.batch_size = 50
    assert await relay.publish_once() == 2
    records = await read_topic(servers.kafka_bootstrap, f"{namespace}.{T}", until=lambda r: len(r) >= 2)
    assert [e.sequence for e in events_of(records, "ptn_o")] == [1, 2]


def first_recorded_plus(record):
    from datetime import timedelta

    return record["recorded_at"] + timedelta(seconds=5)


async def test_an_unreachable_broker_loses_nothing(store):
    producer = ProducerHolder("127.0.0.1:1", client_id="nowhere")
    relay = Relay(store, producer, batch_size=10)
    await store.append(T, "ptn_q", None, change("v1", "registered"))
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises for an unreachable broker
        await relay.publish_once()
    assert await store.outbox.count_documents({}) == 1
    await producer.reset()
