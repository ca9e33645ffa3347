"""The relay against the real Kafka: order, envelope, crash windows, projections."""

import asyncio
import json

import pytest

from opp_shared.aggregate import Change
from opp_shared.errors import VersionConflict
from opp_shared.eventstore import ORPHANED_MARKER_AGE, EventStore, outbox_marker
from opp_shared.kafka import ProducerHolder, ensure_topics
from opp_shared.relay import Relay
from opp_shared.testing.helpers import events_of, read_topic, unstored_record

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


# -- the handoff, the sweep, and the windows between a writer's two inserts ------------------------


async def run_relay(relay):
    """The relay's loop in the background, as the runtime runs it; answers its stop."""
    stopping = asyncio.Event()
    task = asyncio.create_task(relay.run(stopping))

    async def stop():
        stopping.set()
        await asyncio.wait_for(task, timeout=10)

    return stop


async def test_the_running_relay_publishes_what_its_process_hands_off_and_what_another_copy_appends(
    store, relay, servers, namespace
):
    other_copy = EventStore(store.db, source="/opp/test", projections=dict(store.projections))  # no handoff
    store.on_append = relay.handoff
    relay.sweep_seconds = 60.0  # the other copy's record must come from the idle sweep, not the busy one
    stop = await run_relay(relay)
    try:
        await write_three(store, "ptn_h")
        await write_three(other_copy, "ptn_c")
        records = await read_topic(servers.kafka_bootstrap, f"{namespace}.{T}", until=lambda r: len(r) >= 6)
    finally:
        await stop()
    for subject in ("ptn_h", "ptn_c"):
        assert [e.sequence for e in events_of(records, subject)] == [1, 2, 3]
    assert await store.outbox.count_documents({}) == 0


async def test_a_crash_between_the_marker_and_the_record_publishes_nothing_and_the_marker_is_dropped(
    store, relay, servers, namespace
):
    first = await store.append(T, "ptn_m", None, change("v1", "registered"))
    unborn = unstored_record(store, T, "ptn_m", first, change("never stored"))
    await store.outbox.insert_one(outbox_marker(unborn))  # the writer died here
    assert await relay.publish_once() == 1  # record 1; the marker of 2 may still get its record
    assert await store.outbox.count_documents({}) == 1
    orphaned = store.clock.now() - ORPHANED_MARKER_AGE
    await store.outbox.update_one({"_id": unborn["event"]["id"]}, {"$set": {"recorded_at": orphaned}})
    assert await relay.publish_once() == 0
    assert await store.outbox.count_documents({}) == 0
    records = await read_topic(servers.kafka_bootstrap, f"{namespace}.{T}", until=lambda r: len(r) >= 1, settle=1)
    assert [e.sequence for e in events_of(records, "ptn_m")] == [1]


async def test_racing_writers_leave_one_marker_and_a_dead_losers_marker_is_dropped_unpublished(
    store, relay, servers, namespace
):
    first = await store.append(T, "ptn_r", None, change("v1", "registered"))
    outcomes = await asyncio.gather(
        *(store.append(T, "ptn_r", first, change(f"writer {n}")) for n in range(4)), return_exceptions=True
    )
    assert sum(1 for o in outcomes if isinstance(o, VersionConflict)) == 3
    assert sorted(m["record_id"] for m in await store.outbox.find({}).to_list(None)) == ["ptn_r:1", "ptn_r:2"]

    # A loser that died before taking its marker back: the marker names the winner's record.
    loser = unstored_record(store, T, "ptn_r", first, change("lost"))
    await store.outbox.insert_one(outbox_marker(loser))
    assert await relay.publish_once() == 2
    assert await store.outbox.count_documents({}) == 0
    records = await read_topic(servers.kafka_bootstrap, f"{namespace}.{T}", until=lambda r: len(r) >= 2, settle=1)
    events = events_of(records, "ptn_r")
    assert [e.sequence for e in events] == [1, 2] and events[1].data["state"]["name"] != "lost"


async def test_a_record_whose_handoff_was_lost_is_found_by_the_sweep(store, relay):
    store.on_append = lambda record, projected: None  # the process died right after the insert
    await write_three(store, "ptn_l")
    assert await relay.publish_once() == 3
    assert await store.outbox.count_documents({}) == 0


async def test_records_stored_before_the_outbox_are_adopted_once_and_published(store, relay):
    record = unstored_record(store, T, "ptn_old", None, change("old", "registered"))
    await store.events.insert_one({**record, "published": False})  # as the relay's former flag left it
    assert await relay.publish_once() == 0  # no marker: the sweep does not see it
    assert await store.adopt_legacy_records() == 1
    assert await store.adopt_legacy_records() == 0
    assert await relay.publish_once() == 1
    assert "published" not in await store.events.find_one({"_id": "ptn_old:1"})


async def test_a_projection_put_back_after_publishing_is_repaired_by_the_next_change(store, relay):
    first = await store.append(T, "ptn_b", None, change("v1", "registered"))
    await store.append(T, "ptn_b", first, change("v2"))
    assert await relay.publish_once() == 2  # both published: no outbox marker names them any more
    # FerretDB's replace is a read then a write: a slow writer's projection of version 1 lands last.
    await store.projection(T).replace_one({"_id": "ptn_b"}, {**first.state, "_id": "ptn_b"})
    stale = await store.load(T, "ptn_b")
    assert stale.version == 1  # the read by id trusts the projection when nothing newer is pending
    with pytest.raises(VersionConflict):
        await store.append(T, "ptn_b", stale, change("decided on version 1"))
    repaired = await store.load(T, "ptn_b")
    assert repaired.version == 2 and repaired.state["name"] == "v2"
    assert await store.outbox.count_documents({}) == 0  # the loser took its marker back
