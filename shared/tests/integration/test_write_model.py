"""The write model against the real database (FerretDB here, MongoDB in compose)."""

import asyncio

import pytest

from opp_shared.aggregate import Change
from opp_shared.errors import NotFound, StaleVersion, VersionConflict
from opp_shared.eventstore import EventMeta, record_id
from opp_shared.repository import Repository
from opp_shared.testing.sample import PARTNER_SAMPLE

T = "partners.partner"


def registered(name="Imperial College London"):
    return Change(f"{T}.registered", {"name": name, "count": 0})


def renamed(name):
    return Change(f"{T}.updated", {"name": name, "count": 0}, {"fields": ["name"]})


async def test_append_records_the_event_and_projects_the_state(store):
    meta = EventMeta(actor="alice", correlation_id="corr", causation_id="req", traceparent=None)
    snapshot = await store.append(T, "ptn_a", None, registered(), meta)
    assert snapshot.version == 1
    assert snapshot.state["id"] == "ptn_a" and snapshot.state["name"] == "Imperial College London"

    record = await store.events.find_one({"_id": "ptn_a:1"})
    assert record["sequence"] == 1 and record["type"] == f"{T}.registered"
    marker = await store.outbox.find_one({"_id": record["event"]["id"]})  # unpublished until the relay runs
    assert marker["record_id"] == "ptn_a:1" and marker["aggregate_id"] == "ptn_a" and marker["sequence"] == 1
    event = record["event"]
    assert event["subject"] == "ptn_a" and event["sequence"] == 1 and event["actor"] == "alice"
    assert event["correlationid"] == "corr" and event["causationid"] == "req"
    assert event["data"]["state"]["version"] == 1

    projected = await store.projection(T).find_one({"_id": "ptn_a"})
    assert projected["version"] == 1 and projected["name"] == "Imperial College London"


async def test_second_writer_of_the_same_version_loses(store):
    first = await store.append(T, "ptn_b", None, registered())
    await store.append(T, "ptn_b", first, renamed("One"))
    with pytest.raises(VersionConflict):
        await store.append(T, "ptn_b", first, renamed("Two"))
    current = await store.load(T, "ptn_b")
    assert current.version == 2 and current.state["name"] == "One"


async def test_an_event_of_another_aggregate_type_is_refused(store):
    with pytest.raises(ValueError):
        await store.append(T, "ptn_c", None, Change("partners.agreement.drafted", {}))


async def test_read_rolls_forward_over_a_lost_projection_and_repairs_it(store):
    first = await store.append(T, "ptn_d", None, registered())
    second = await store.append(T, "ptn_d", first, renamed("Renamed"))
    # Simulate a request that died after inserting its record and before projecting it.
    await store.projection(T).replace_one({"_id": "ptn_d"}, {**first.state, "_id": "ptn_d"})
    loaded = await store.load(T, "ptn_d")
    assert loaded.version == 2 and loaded.state == second.state
    repaired = await store.projection(T).find_one({"_id": "ptn_d"})
    assert repaired["version"] == 2


async def test_read_finds_an_aggregate_whose_projection_was_never_written(store):
    await store.append(T, "ptn_e", None, registered())
    await store.projection(T).delete_one({"_id": "ptn_e"})
    loaded = await store.load(T, "ptn_e")
    assert loaded is not None and loaded.version == 1
    assert await store.load(T, "ptn_missing") is None
    assert await store.load("partners.agreement", "ptn_e") is None  # wrong type: not found


async def test_projection_never_goes_backwards(store):
    first = await store.append(T, "ptn_f", None, registered())
    second = await store.append(T, "ptn_f", first, renamed("Newer"))
    await store.project(T, first)  # a late projection of an older version
    projected = await store.projection(T).find_one({"_id": "ptn_f"})
    assert projected["version"] == 2 and projected["name"] == second.state["name"]


async def test_history_pages_oldest_first(store):
    snapshot = await store.append(T, "ptn_g", None, registered())
    for i in range(6):
        snapshot = await store.append(T, "ptn_g", snapshot, renamed(f"name {i}"))
    events, cursor = await store.history(T, "ptn_g", limit=4)
    assert [e.sequence for e in events] == [1, 2, 3, 4] and cursor == 4
    events, cursor = await store.history(T, "ptn_g", after=cursor, limit=4)
    assert [e.sequence for e in events] == [5, 6, 7] and cursor is None
    assert events[-1].state["name"] == "name 5"


async def test_created_at_is_kept_and_updated_at_moves(store):
    first = await store.append(T, "ptn_h", None, registered())
    second = await store.append(T, "ptn_h", first, renamed("x"))
    assert second.state["created_at"] == first.state["created_at"]
    assert second.state["updated_at"] >= first.state["updated_at"]


async def test_repository_retries_on_conflict_and_if_match_gives_412(store, claims):
    repo = Repository(store, PARTNER_SAMPLE, claims)
    await repo.create("ptn_i", registered())

    def bump(state):
        return Change(f"{T}.updated", state.evolve(count=state.count + 1).state())

    assert (await repo.change("ptn_i", bump)).state["count"] == 1
    with pytest.raises(StaleVersion):
        await repo.change("ptn_i", bump, if_match=1)
    assert (await repo.change("ptn_i", bump, if_match=2)).version == 3
    with pytest.raises(NotFound):
        await repo.change("ptn_nope", bump)
    assert await repo.change("ptn_i", lambda s: None) == await repo.get("ptn_i")  # no-op: nothing recorded


async def test_many_concurrent_writers_lose_no_accepted_change(store, claims):
    """Every change one aggregate accepted is in its history exactly once, in order,
    and each writer's increment survived: no lost update, no double count."""
    repo = Repository(store, PARTNER_SAMPLE, claims, attempts=200)
    await repo.create("ptn_hot", registered())
    writers, per_writer = 12, 5

    def bump(writer, n):
        def decide(state):
            return Change(f"{T}.updated", state.evolve(count=state.count + 1).state(), {"writer": writer, "n": n})

        return decide

    async def writer(w):
        accepted = []
        for n in range(per_writer):
            snapshot = await repo.change("ptn_hot", bump(w, n))
            accepted.append(snapshot.version)
        return accepted

    results = await asyncio.gather(*(writer(w) for w in range(writers)))
    accepted_versions = sorted(v for r in results for v in r)
    total = writers * per_writer
    assert accepted_versions == list(range(2, total + 2))  # each accepted change has its own version

    events, cursor = await store.history(T, "ptn_hot", limit=200)
    assert cursor is None and [e.sequence for e in events] == list(range(1, total + 2))
    changes = [(e.change["writer"], e.change["n"]) for e in events[1:]]
    assert sorted(changes) == sorted((w, n) for w in range(writers) for n in range(per_writer))
    assert events[-1].state["count"] == total
    assert (await store.load(T, "ptn_hot")).state["count"] == total
    ids = [r["_id"] for r in await store.events.find({"aggregate_id": "ptn_hot"}).to_list(None)]
    assert sorted(ids) == sorted(record_id("ptn_hot", s) for s in range(1, total + 2))
