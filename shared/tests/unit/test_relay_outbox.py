"""The relay's handoff and outbox sweep, with the in-memory event store (no servers).

The same crash windows against the real FerretDB and Kafka are in shared/tests/integration/test_relay.py."""

import json
from datetime import UTC, datetime

import pytest

from opp_shared.aggregate import Change
from opp_shared.clock import ManualClock
from opp_shared.eventstore import ORPHANED_MARKER_AGE, EventMeta, build_record, outbox_marker
from opp_shared.relay import Relay
from opp_shared.testing.fakes import FakeProducerHolder, InMemoryEventStore

T = "partners.partner"


@pytest.fixture
def clock():
    return ManualClock(datetime(2027, 1, 1, tzinfo=UTC))


@pytest.fixture
def store(clock):
    return InMemoryEventStore({T: "partners"}, clock=clock)


@pytest.fixture
def holder():
    return FakeProducerHolder()


@pytest.fixture
def relay(store, holder):
    relay = Relay(store, holder, topic_name=lambda t: t)
    store.on_append = relay.handoff
    return relay


def registered():
    return Change(f"{T}.registered", {"count": 0})


def counted(n):
    return Change(f"{T}.updated", {"count": n})


def sequences_sent(holder, subject):
    return [json.loads(v)["sequence"] for topic, key, v in holder.producer.sent if topic == T and key == subject]


def unborn_record(store, aggregate_id, previous, change):
    """The record a writer built and never stored (it died between its two inserts, or lost the race)."""
    record, _ = build_record(
        source="s",
        aggregate_type=T,
        aggregate_id=aggregate_id,
        previous=previous,
        change=change,
        meta=EventMeta(),
        now=store.clock.now(),
    )
    return record


async def test_a_handed_off_record_is_published_without_a_sweep_and_its_marker_deleted(store, relay, holder):
    first = await store.append(T, "ptn_a", None, registered())
    await store.append(T, "ptn_a", first, counted(1))
    assert len(store.outbox) == 2 and len(relay.handed_off) == 2

    async def no_sweep(limit):
        raise AssertionError("the handoff needs no sweep")

    store.unpublished = no_sweep
    assert await relay.publish_handed_off() == 2
    assert sequences_sent(holder, b"ptn_a") == [1, 2]
    assert store.outbox == {} and relay.handed_off == []


async def test_a_record_the_sweep_already_published_is_not_sent_again_from_the_handoff(store, relay, holder):
    await store.append(T, "ptn_a", None, registered())
    relay.handed_off, handed = [], relay.handed_off  # the sweep runs with the record still in flight
    assert await relay.sweep_once() == 1
    relay.handed_off = handed
    assert await relay.publish_handed_off() == 0
    assert sequences_sent(holder, b"ptn_a") == [1]


async def test_a_handed_off_change_waits_for_its_predecessor_from_another_copy(store, relay, holder):
    store.on_append = None  # another API copy appends the first change: no handoff here
    first = await store.append(T, "ptn_a", None, registered())
    store.on_append = relay.handoff
    relay.sweep_due = False
    await store.append(T, "ptn_a", first, counted(1))
    assert await relay.publish_handed_off() == 0 and holder.producer.sent == []
    assert relay.sweep_due  # the sweep has both markers and publishes them in order
    assert await relay.sweep_once() == 2
    assert sequences_sent(holder, b"ptn_a") == [1, 2]


async def test_a_marker_whose_record_never_landed_is_dropped_once_orphaned_never_published(store, relay, holder, clock):
    first = await store.append(T, "ptn_a", None, registered())
    unborn = unborn_record(store, "ptn_a", first, counted(1))
    store.outbox[unborn["event"]["id"]] = outbox_marker(unborn)  # the writer died after its marker
    relay.handed_off.clear()
    assert await relay.sweep_once() == 1  # record 1; the marker of 2 may still get its record
    assert len(store.outbox) == 1
    clock.advance(ORPHANED_MARKER_AGE)
    assert await relay.sweep_once() == 0
    assert store.outbox == {} and sequences_sent(holder, b"ptn_a") == [1]


async def test_the_marker_of_a_lost_race_is_dropped_and_the_winner_published_once(store, relay, holder):
    first = await store.append(T, "ptn_a", None, registered())
    loser = unborn_record(store, "ptn_a", first, counted(99))  # same sequence as the winner's
    store.outbox[loser["event"]["id"]] = outbox_marker(loser)  # the loser died before deleting its marker
    await store.append(T, "ptn_a", first, counted(1))
    relay.handed_off.clear()
    assert await relay.sweep_once() == 2
    assert store.outbox == {}
    counts = [json.loads(v)["data"]["state"]["count"] for topic, _, v in holder.producer.sent if topic == T]
    assert counts == [0, 1]


async def test_a_writer_that_loses_the_race_takes_its_marker_back(store, relay):
    first = await store.append(T, "ptn_a", None, registered())
    await store.append(T, "ptn_a", first, counted(1))
    with pytest.raises(Exception, match="ptn_a"):
        await store.append(T, "ptn_a", first, counted(2))
    assert sorted(m["record_id"] for m in store.outbox.values()) == ["ptn_a:1", "ptn_a:2"]


async def test_an_overflowing_handoff_leaves_the_record_to_the_sweep(store, holder):
    relay = Relay(store, holder, topic_name=lambda t: t, queue_size=1)
    store.on_append = relay.handoff
    relay.sweep_due = False
    await store.append(T, "ptn_a", None, registered())
    await store.append(T, "ptn_b", None, registered())
    assert len(relay.handed_off) == 1 and relay.sweep_due
    assert await relay.sweep_once() == 2 and relay.handed_off == []


async def test_a_handed_off_record_whose_projection_failed_is_projected_before_it_is_published(store, relay, holder):
    first = await store.append(T, "ptn_a", None, registered())
    assert await relay.publish_handed_off() == 1
    record = unborn_record(store, "ptn_a", first, counted(1))
    store.outbox[record["event"]["id"]] = outbox_marker(record)
    store.records[record["_id"]] = record
    relay.handoff(record, False)  # as `append` does when its projection write failed
    assert await relay.publish_handed_off() == 1
    assert (await store.documents(T).find_one({"_id": "ptn_a"}))["version"] == 2
    assert sequences_sent(holder, b"ptn_a") == [1, 2]
