"""The write model's logic, with fakes of the project's own ports (no servers).

The same behaviour against the real database is in shared/tests/integration."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from opp_shared.aggregate import Change, Snapshot
from opp_shared.clock import ManualClock
from opp_shared.errors import Contention, InvalidInput, NotFound, RuleViolation, StaleVersion
from opp_shared.eventstore import ORPHANED_MARKER_AGE, EventMeta, build_record, outbox_marker
from opp_shared.relay import Relay
from opp_shared.repository import BACKOFF_CAP_SECONDS, CreateRequest, Repository, backoff_seconds
from opp_shared.testing.fakes import FakeProducerHolder, InMemoryClaims, InMemoryEventStore
from opp_shared.testing.helpers import assert_problem, unstored_record
from opp_shared.testing.sample import PARTNER_SAMPLE
from opp_shared.web.problems import install_problem_handlers

T = "partners.partner"


def counted(n):
    return Change(f"{T}.updated", {"count": n})


@pytest.fixture
def clock():
    return ManualClock(datetime(2027, 1, 1, tzinfo=UTC))


@pytest.fixture
def store(clock):
    return InMemoryEventStore({T: "partners"}, clock=clock)


@pytest.fixture
def claims():
    return InMemoryClaims()


@pytest.fixture
def repo(store, claims):
    return Repository(store, PARTNER_SAMPLE, claims, attempts=3)


def sneak_in(store, version, change):
    """Another writer's record, inserted between a command's load and its insert."""
    previous = Snapshot("ptn_1", version, {"count": 0})
    record, _ = build_record(
        source="s",
        aggregate_type=T,
        aggregate_id="ptn_1",
        previous=previous,
        change=change,
        meta=EventMeta(),
        now=store.clock.now(),
    )
    store.records[record["_id"]] = record


# -- the record ------------------------------------------------------------------


def test_a_record_carries_the_event_the_state_and_the_meta():
    now = datetime(2027, 1, 1, 8, tzinfo=UTC)
    meta = EventMeta(
        actor="alice", correlation_id="c", causation_id="r", traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    )
    record, snapshot = build_record(
        source="/opp/partners",
        aggregate_type=T,
        aggregate_id="ptn_1",
        previous=None,
        change=Change(f"{T}.registered", {"name": "X"}, {"why": "test"}),
        meta=meta,
        now=now,
    )
    assert record["_id"] == "ptn_1:1" and record["sequence"] == 1
    event = record["event"]
    assert (event["subject"], event["sequence"], event["actor"], event["correlationid"], event["causationid"]) == (
        "ptn_1",
        1,
        "alice",
        "c",
        "r",
    )
    assert event["data"] == {"state": snapshot.state, "change": {"why": "test"}}
    assert snapshot.state["created_at"] == snapshot.state["updated_at"] == "2027-01-01T08:00:00.000Z"
    json.dumps(event)  # JSON-safe as stored

    later, _ = build_record(
        source="/opp/partners",
        aggregate_type=T,
        aggregate_id="ptn_1",
        previous=snapshot,
        change=counted(1),
        meta=meta,
        now=now + timedelta(days=1),
    )
    assert later["_id"] == "ptn_1:2" and later["event"]["data"]["state"]["created_at"] == "2027-01-01T08:00:00.000Z"


def test_an_event_type_must_belong_to_the_aggregate_and_meta_fields_belong_to_the_store():
    with pytest.raises(ValueError):
        build_record(
            source="s",
            aggregate_type=T,
            aggregate_id="x",
            previous=None,
            change=Change("partners.agreement.drafted", {}),
            meta=EventMeta(),
            now=datetime.now(UTC),
        )
    with pytest.raises(ValueError):
        Change(f"{T}.updated", {"version": 3})


# -- the command loop --------------------------------------------------------------


async def test_a_change_decided_on_stale_state_is_decided_again(store, repo):
    await repo.create("ptn_1", Change(f"{T}.registered", {"count": 0}))
    decided_on = []

    def decide(state):
        decided_on.append(state.count)
        if len(decided_on) == 1:  # another writer gets in between our load and our insert
            sneak_in(store, 1, counted(10))
        return counted(state.count + 1)

    result = await repo.change("ptn_1", decide)
    assert decided_on == [0, 10] and result.version == 3 and result.state["count"] == 11


async def test_if_match_is_checked_before_deciding_and_a_race_is_412(store, repo):
    await repo.create("ptn_1", Change(f"{T}.registered", {"count": 0}))
    with pytest.raises(StaleVersion):
        await repo.change("ptn_1", lambda s: counted(1), if_match=7)

    def racing(state):
        sneak_in(store, 1, counted(5))
        return counted(1)

    with pytest.raises(StaleVersion):
        await repo.change("ptn_1", racing, if_match=1)
    assert (await repo.get("ptn_1")).state["count"] == 5


async def test_nothing_to_do_records_nothing_and_unknown_ids_are_404(store, repo):
    created = await repo.create("ptn_1", Change(f"{T}.registered", {"count": 0}))
    assert await repo.execute("ptn_1", lambda s: None) == (created, False)
    assert len(store.records) == 1
    with pytest.raises(NotFound):
        await repo.change("ptn_2", lambda s: counted(1))


async def test_a_command_that_always_loses_answers_contention_not_a_rule_violation(store, repo):
    await repo.create("ptn_1", Change(f"{T}.registered", {"count": 0}))

    versions = iter(range(1, 100))
    decisions = 0

    def always_beaten(state):
        nonlocal decisions
        decisions += 1
        sneak_in(store, next(versions), counted(0))
        return counted(1)

    with pytest.raises(Contention) as caught:
        await repo.change("ptn_1", always_beaten)
    assert not isinstance(caught.value, RuleViolation) and decisions == repo.attempts == 3
    assert caught.value.status == 503 and caught.value.slug == "contention"
    assert caught.value.headers == {"Retry-After": "1"} and caught.value.extensions == {"retry_after": 1}
    assert (await repo.get("ptn_1")).state["count"] == 0  # only the other writers' records


async def test_a_command_beaten_a_few_times_is_decided_again_and_recorded(store, repo):
    await repo.create("ptn_1", Change(f"{T}.registered", {"count": 0}))
    sneaking = iter([1, 2])  # the versions the other writer's records follow

    def beaten_twice(state):
        version = next(sneaking, None)
        if version is not None:
            sneak_in(store, version, counted(0))
        return counted(state.count + 1)

    assert (await repo.change("ptn_1", beaten_twice)).version == 4  # two sneaked in, then ours


def test_the_wait_after_a_lost_race_is_random_and_grows_up_to_a_cap():
    for attempt in range(1, 12):
        waits = [backoff_seconds(attempt) for _ in range(200)]
        ceiling = min(0.005 * 2**attempt, BACKOFF_CAP_SECONDS)
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling / 2 and len(set(waits)) > 100  # spread over the range, not one value


async def test_reads_roll_forward_over_a_projection_that_was_not_written(store, repo):
    created = await repo.create("ptn_1", Change(f"{T}.registered", {"count": 0}))
    record, _ = build_record(
        source="s",
        aggregate_type=T,
        aggregate_id="ptn_1",
        previous=created,
        change=counted(3),
        meta=EventMeta(),
        now=store.clock.now(),
    )
    store.records[record["_id"]] = record  # inserted, then the process died before projecting
    assert (await repo.get("ptn_1")).state["count"] == 3


# -- creating once per Idempotency-Key ----------------------------------------------


async def test_an_idempotency_key_creates_once_and_answers_the_first_result(store, repo):
    async def create(pid):
        return await repo.create(pid, Change(f"{T}.registered", {"count": 0}))

    request = CreateRequest(caller="alice", key="k1", body={"name": "X"})
    first, replayed = await repo.create_once("s", request, create)
    await repo.change(first.id, lambda s: counted(9))
    again, replayed_again = await repo.create_once("s", request, create)
    assert (replayed, replayed_again) == (False, True)
    assert again.id == first.id and again.state == first.state and again.version == 1
    with pytest.raises(InvalidInput):
        await repo.create_once("s", CreateRequest(caller="alice", key="k1", body={"name": "Y"}), create)
    other_caller, replayed_other = await repo.create_once(
        "s", CreateRequest(caller="bob", key="k1", body={"name": "X"}), create
    )
    assert other_caller.id != first.id and not replayed_other
    without_key, replayed_without = await repo.create_once(
        "s", CreateRequest(caller="alice", key=None, body={}), create
    )
    assert without_key.id not in (first.id, other_caller.id) and not replayed_without


async def test_a_crash_between_the_claim_and_the_create_is_finished_by_the_retry(store, repo):
    calls = []

    async def crashing(pid):
        calls.append(pid)
        if len(calls) == 1:
            raise ConnectionError("process died")
        return await repo.create(pid, Change(f"{T}.registered", {"count": 0}))

    request = CreateRequest(caller="alice", key="k1", body={})
    with pytest.raises(ConnectionError):
        await repo.create_once("s", request, crashing)
    snapshot, replayed = await repo.create_once("s", request, crashing)
    assert calls[0] == calls[1] == snapshot.id and not replayed


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
async def test_a_malformed_idempotency_key_is_refused(key):
    with pytest.raises(InvalidInput):
        CreateRequest(caller="a", key=key, body={})


# -- the relay ------------------------------------------------------------------------------


async def test_the_relay_publishes_each_aggregate_in_order_and_marks_only_what_was_acknowledged(store, clock):
    holder = FakeProducerHolder()
    relay = Relay(store, holder, topic_name=lambda t: "ns." + t)
    for aggregate in ("ptn_a", "ptn_b"):
        snapshot = await store.append(T, aggregate, None, Change(f"{T}.registered", {"count": 0}))
        for n in range(1, 3):
            clock.advance(timedelta(seconds=1))
            snapshot = await store.append(T, aggregate, snapshot, counted(n))
    holder.producer.fail_keys = {b"ptn_b"}
    with pytest.raises(RuntimeError):
        await relay.publish_once()
    sent = [(topic, key, json.loads(value)["sequence"]) for topic, key, value in holder.producer.sent]
    # Each event, then the aggregate's state on the state topic: in sequence order on both.
    assert sent == [(f"ns.{T}{suffix}", b"ptn_a", n) for n in (1, 2, 3) for suffix in ("", ".state")]
    assert [r["_id"] for r in await store.unpublished(10)] == ["ptn_b:1", "ptn_b:2", "ptn_b:3"]

    holder.producer.fail_keys = set()
    assert await relay.publish_once() == 3
    assert await store.unpublished(10) == []


async def test_the_relay_waits_for_a_predecessor_outside_its_batch(store, clock):
    holder = FakeProducerHolder()
    first = await store.append(T, "ptn_a", None, Change(f"{T}.registered", {"count": 0}))
    await store.append(T, "ptn_a", first, counted(1))
    # An API copy with a fast clock: the marker of record 1 sorts after record 2's in the outbox.
    marker_of_first = next(m for m in store.outbox.values() if m["record_id"] == "ptn_a:1")
    marker_of_first["recorded_at"] = clock.now() + timedelta(minutes=5)
    relay = Relay(store, holder, batch_size=1)
    assert await relay.publish_once() == 0 and holder.producer.sent == []
    relay.batch_size = 10
    assert await relay.publish_once() == 2
    assert [json.loads(v)["sequence"] for topic, _, v in holder.producer.sent if topic == T] == [1, 2]


async def test_the_relay_projects_a_record_the_request_did_not(store):
    first = await store.append(T, "ptn_a", None, Change(f"{T}.registered", {"count": 0}))
    record, _ = build_record(
        source="s",
        aggregate_type=T,
        aggregate_id="ptn_a",
        previous=first,
        change=counted(4),
        meta=EventMeta(),
        now=store.clock.now(),
    )
    # A request that died after its two inserts, before projecting.
    store.outbox[record["event"]["id"]] = outbox_marker(record)
    store.records[record["_id"]] = record
    await Relay(store, FakeProducerHolder()).publish_once()
    assert (await store.documents(T).find_one({"_id": "ptn_a"})) == {**record["event"]["data"]["state"], "_id": "ptn_a"}


# -- the relay's handoff and outbox sweep (the real servers: shared/tests/integration/test_relay.py) -------


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


def sequences_sent(holder, subject):
    return [json.loads(v)["sequence"] for topic, key, v in holder.producer.sent if topic == T and key == subject]


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


async def test_the_sweep_leaves_what_waits_in_the_handoff_to_it(store, relay, holder):
    await store.append(T, "ptn_a", None, registered())
    store.on_append = None  # another copy's change: only the sweep can find it
    await store.append(T, "ptn_b", None, registered())
    assert await relay.sweep_once() == 1 and sequences_sent(holder, b"ptn_b") == [1]
    assert sequences_sent(holder, b"ptn_a") == [] and len(relay.handed_off) == 1
    assert await relay.publish_handed_off() == 1 and store.outbox == {}


async def test_a_handed_off_change_after_another_copys_unpublished_one_waits_for_it(store, relay, holder):
    first = await store.append(T, "ptn_a", None, registered())
    store.on_append = None
    second = await store.append(T, "ptn_a", first, counted(1))  # another copy's, not handed off here
    store.on_append = relay.handoff
    await store.append(T, "ptn_a", second, counted(2))
    relay.sweep_due = False
    assert await relay.publish_handed_off() == 1  # 1, then not 3 before 2
    assert sequences_sent(holder, b"ptn_a") == [1] and relay.sweep_due
    assert await relay.sweep_once() == 2
    assert sequences_sent(holder, b"ptn_a") == [1, 2, 3]


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
    unborn = unstored_record(store, T, "ptn_a", first, counted(1))
    store.outbox[unborn["event"]["id"]] = outbox_marker(unborn)  # the writer died after its marker
    relay.handed_off.clear()
    assert await relay.sweep_once() == 1  # record 1; the marker of 2 may still get its record
    assert len(store.outbox) == 1
    clock.advance(ORPHANED_MARKER_AGE)
    assert await relay.sweep_once() == 0
    assert store.outbox == {} and sequences_sent(holder, b"ptn_a") == [1]


async def test_the_marker_of_a_lost_race_is_dropped_and_the_winner_published_once(store, relay, holder):
    first = await store.append(T, "ptn_a", None, registered())
    loser = unstored_record(store, T, "ptn_a", first, counted(99))  # same sequence as the winner's
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
    assert await relay.sweep_once() == 1 and sequences_sent(holder, b"ptn_b") == [1]
    assert await relay.publish_handed_off() == 1 and store.outbox == {}


async def test_a_handed_off_record_whose_projection_failed_is_projected_before_it_is_published(store, relay, holder):
    first = await store.append(T, "ptn_a", None, registered())
    assert await relay.publish_handed_off() == 1
    record = unstored_record(store, T, "ptn_a", first, counted(1))
    store.outbox[record["event"]["id"]] = outbox_marker(record)
    store.records[record["_id"]] = record
    relay.handoff(record, False)  # as `append` does when its projection write failed
    assert await relay.publish_handed_off() == 1
    assert (await store.documents(T).find_one({"_id": "ptn_a"}))["version"] == 2
    assert sequences_sent(holder, b"ptn_a") == [1, 2]


async def test_over_http_a_write_that_always_loses_is_a_503_contention_with_retry_after(store, repo):
    app = FastAPI()
    install_problem_handlers(app)
    await repo.create("ptn_1", Change(f"{T}.registered", {"count": 0}))
    versions = iter(range(1, 100))

    def always_beaten(state):
        sneak_in(store, next(versions), counted(0))  # a copy of the service elsewhere records first
        return counted(1)

    @app.post("/api/v1/counters/{counter_id}/add")
    async def add(counter_id: str):
        return (await repo.change(counter_id, always_beaten)).version

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.post("/api/v1/counters/ptn_1/add")
    body = assert_problem(answer, 503, "contention")
    assert answer.headers["retry-after"] == "1" and body["retry_after"] == 1
    assert "changing too often" in body["detail"]
