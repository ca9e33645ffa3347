import asyncio
from datetime import UTC, datetime, timedelta

from opp_shared.aggregate import Change
from opp_shared.claims import Lease
from opp_shared.clock import ManualClock
from opp_shared.repository import CreateRequest, Repository
from opp_shared.testing.sample import PARTNER_SAMPLE


async def test_only_one_of_many_racing_claimants_wins(claims):
    results = await asyncio.gather(*(claims.claim("partner-name:GB:imperial", f"owner-{i}") for i in range(20)))
    owners = {r["owner"] for r in results}
    assert len(owners) == 1
    winner = owners.pop()
    await claims.release("partner-name:GB:imperial", "someone-else")
    assert (await claims.get("partner-name:GB:imperial"))["owner"] == winner
    await claims.release("partner-name:GB:imperial", winner)
    assert await claims.get("partner-name:GB:imperial") is None


async def test_take_over_replaces_only_the_stale_owner(claims):
    await claims.claim("k", "stale")
    taken = await claims.take_over("k", "stale", "fresh")
    assert taken["owner"] == "fresh"
    again = await claims.take_over("k", "stale", "third")  # the stale owner is gone: fresh keeps it
    assert again["owner"] == "fresh"


async def test_one_lease_holder_at_a_time_and_failover_when_it_stops_renewing(claims):
    clock = ManualClock(datetime(2027, 1, 1, tzinfo=UTC))
    a = Lease(claims, "relay", "a", slot_seconds=10, clock=clock)
    b = Lease(claims, "relay", "b", slot_seconds=10, clock=clock)
    assert await a.held() and not await b.held()
    clock.advance(timedelta(seconds=6))  # past half: a claims the next slot in advance
    assert await a.held() and not await b.held()
    clock.advance(timedelta(seconds=6))  # next slot: still a's
    assert not await b.held() and await a.held()
    # a dies (stops calling held); two slots later b takes over
    clock.advance(timedelta(seconds=20))
    assert await b.held()
    assert not await a.held()


async def test_idempotent_create_answers_the_first_result_and_creates_nothing_new(store, claims):
    repo = Repository(store, PARTNER_SAMPLE, claims)
    made = []

    async def create(pid):
        made.append(pid)
        return await repo.create(pid, Change("partners.partner.registered", {"name": "Toronto"}))

    request = CreateRequest(caller="alice", key="key-1", body={"name": "Toronto"})
    first, replayed1 = await repo.create_once("test", request, create)
    # the partner changes afterwards; a retry still answers the first result
    await repo.change(first.id, lambda s: Change("partners.partner.updated", {"name": "University of Toronto"}))
    again, replayed2 = await repo.create_once("test", request, create)
    assert (replayed1, replayed2) == (False, True)
    assert again.id == first.id and again.state == first.state and made == [first.id]


async def test_idempotent_creates_racing_with_one_key_create_one(store, claims):
    repo = Repository(store, PARTNER_SAMPLE, claims)

    async def create(pid):
        return await repo.create(pid, Change("partners.partner.registered", {"name": "Alberta"}))

    async def attempt():
        return await repo.create_once("test", CreateRequest(caller="bob", key="same", body={"n": 1}), create)

    results = await asyncio.gather(*(attempt() for _ in range(10)))
    assert len({s.id for s, _ in results}) == 1
    assert sum(1 for _, replayed in results if not replayed) == 1
    assert await store.events.count_documents({"aggregate_type": "partners.partner"}) == 1
