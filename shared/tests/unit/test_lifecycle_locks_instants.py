"""The life-cycle helper, the per-key lock, a repository's queue per aggregate and the `Instant` field."""

import asyncio
from datetime import UTC, datetime
from enum import StrEnum

import pytest
from pydantic import TypeAdapter, ValidationError

from opp_shared.aggregate import AggregateState, AggregateType, Change
from opp_shared.errors import Contention, IllegalTransition
from opp_shared.fields import Instant
from opp_shared.lifecycle import Lifecycle
from opp_shared.locks import KeyedLock
from opp_shared.repository import Repository
from opp_shared.testing.fakes import InMemoryClaims, InMemoryEventStore, InMemoryPorts
from opp_shared.testing.sample import open_changes


class Light(StrEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


LIFE = Lifecycle(
    "lamp",
    {"switch_on": ({Light.OFF}, Light.ON), "break": ({Light.OFF, Light.ON}, Light.BROKEN), "dust": ({Light.ON}, None)},
)


def test_a_move_leads_to_its_target_or_keeps_the_state():
    assert LIFE.move(Light.OFF, "switch_on") == Light.ON
    assert LIFE.move(Light.ON, "dust") == Light.ON
    assert LIFE.allows(Light.ON, "break") and not LIFE.allows(Light.BROKEN, "break")


def test_any_other_move_is_refused_naming_where_it_may_start():
    with pytest.raises(IllegalTransition, match="cannot switch on a lamp that is broken") as refused:
        LIFE.move(Light.BROKEN, "switch_on")
    assert refused.value.extensions == {"current_status": "broken", "allowed_from": ["off"]}


async def test_a_keyed_lock_serialises_one_key_and_not_others():
    lock, order = KeyedLock(), []

    async def hold(key, name, pause):
        async with lock.hold(key):
            order.append(f"{name}+")
            await asyncio.sleep(pause)
            order.append(f"{name}-")

    await asyncio.gather(hold("a", "a1", 0.02), hold("a", "a2", 0), hold("b", "b1", 0))
    assert order.index("a1-") < order.index("a2+")  # a2 waited for a1
    assert order.index("b1+") < order.index("a1-")  # b did not wait for a
    assert len(lock) == 0  # nothing kept once released


class Counter(AggregateState):
    value: int = 0


COUNTER = AggregateType(
    topic="funding.fund",
    state=Counter,
    noun="counter",
    id_prefix="cnt",
    collection="counters",
    route="/api/v1/c",
    changes=open_changes("funding.fund"),
)


class SlowStore(InMemoryEventStore):
    """The answer of a read arrives a turn of the event loop later, as over a network, so racers interleave."""

    async def load(self, aggregate_type, aggregate_id):
        found = await super().load(aggregate_type, aggregate_id)
        await asyncio.sleep(0)
        return found


def add_one(counter: Counter) -> Change:
    return Change("funding.fund.updated", counter.evolve(value=counter.value + 1).state())


async def test_racing_changes_of_one_aggregate_in_one_process_queue_instead_of_collide():
    store = SlowStore({COUNTER.topic: COUNTER.collection})
    repository = Repository(store, COUNTER, InMemoryClaims(), attempts=1)
    await repository.create("cnt_1", Change("funding.fund.created", Counter().state()))
    decisions = 0

    def add_one_counted(counter: Counter) -> Change:
        nonlocal decisions
        decisions += 1
        return add_one(counter)

    # One attempt each, yet every one is recorded: they waited for each other, deciding once each.
    await asyncio.gather(*(repository.change("cnt_1", add_one_counted) for _ in range(20)))
    assert (await repository.read("cnt_1")).value == 20 and decisions == 20
    assert len(repository.locks) == 0  # nothing kept once the burst is over


async def test_copies_in_other_processes_still_race_and_the_losers_answer_contention():
    # Two repositories on one store: two copies of the service, each with its own queue.
    store = SlowStore({COUNTER.topic: COUNTER.collection})
    here, there = (Repository(store, COUNTER, InMemoryClaims(), attempts=1) for _ in range(2))
    await here.create("cnt_1", Change("funding.fund.created", Counter().state()))
    outcomes = await asyncio.gather(
        *(repository.change("cnt_1", add_one) for _ in range(10) for repository in (here, there)),
        return_exceptions=True,
    )
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert lost and all(isinstance(o, Contention) for o in lost)
    assert (await here.read("cnt_1")).value == len(outcomes) - len(lost)  # the winners, each once


async def test_a_repository_may_take_its_own_number_of_attempts():
    ports = InMemoryPorts("funding")
    assert ports.register(COUNTER, attempts=3).attempts == 3
    with pytest.raises(ValueError, match="at least one attempt"):
        Repository(ports.store, COUNTER, ports.claims, attempts=0)


def test_an_instant_has_an_offset_is_kept_in_utc_and_written_as_the_api_writes_it():
    adapter = TypeAdapter(Instant)
    value = adapter.validate_python("2027-03-01T08:00:00+08:00")
    assert value == datetime(2027, 3, 1, tzinfo=UTC) and value.tzinfo == UTC
    assert adapter.dump_python(value, mode="json") == "2027-03-01T00:00:00.000Z"
    for bad in ("2027-03-01T08:00:00", 1798761600, "3000-01-01T00:00:00Z", "1899-12-31T00:00:00Z", "soon", True):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
