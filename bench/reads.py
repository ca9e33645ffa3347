"""Reads against a history already in the database (2,000 and 20,000 event records): the history
of one aggregate with 5 events, a read by id (`EventStore.load`) and a list page, each against a
`find_one` by `_id` on the same database, in the same round (see bench/README.md)."""

from __future__ import annotations

from typing import Any

from common import AGGREGATE, PROJECTIONS, SOURCE, Comparison, now, partner_state, subject_first
from pymongo import AsyncMongoClient
from writes import META

from opp_shared.aggregate import Change, Snapshot
from opp_shared.eventstore import EventStore, build_record
from opp_shared.pagination import PageParams, paginate

HISTORY_SIZES = (2_000, 20_000)
EVENTS_PER_AGGREGATE = 5
LIST_PAGE = 50
LIST_SORT = [("name", 1)]  # the partners' list sorted by name, as `GET /partners?sort=name` asks


def build_history(store: EventStore, prefix: str, aggregates: int, changes: int) -> tuple[list[dict], list[dict]]:
    """The event records of `aggregates` aggregates with `changes` changes each, interleaved as many
    aggregates' changes are in a real service, and their projections (the latest states)."""
    chains: list[list[dict]] = []
    states = []
    for a in range(aggregates):
        aggregate_id = f"{prefix}_{a}"
        previous: Snapshot | None = None
        chain = []
        for n in range(changes):
            kind = "registered" if previous is None else "updated"
            record, previous = build_record(
                source=SOURCE,
                aggregate_type=AGGREGATE,
                aggregate_id=aggregate_id,
                previous=previous,
                change=Change(f"{AGGREGATE}.{kind}", {**partner_state(a), "counter": n}),
                meta=META,
                now=store.clock.now(),
            )
            chain.append(record)
        chains.append(chain)
        states.append({**previous.state, "_id": aggregate_id})
    events = [chain[n] for n in range(changes) for chain in chains]
    return events, states


async def insert_in_bulk(collection, documents: list[dict]) -> None:
    for start in range(0, len(documents), 1000):
        await collection.insert_many(documents[start : start + 1000])


async def seed_history(store: EventStore, records: int, *, prefix: str = "ptn_hist") -> list[str]:
    """`records` event records already published (no outbox marker): aggregates of 5 changes each,
    with their projections; inserted in bulk, which is quick. Answers the aggregates' ids."""
    events, states = build_history(store, prefix, records // EVENTS_PER_AGGREGATE, EVENTS_PER_AGGREGATE)
    await insert_in_bulk(store.events, events)
    await insert_in_bulk(store.projection(AGGREGATE), states)
    return [state["_id"] for state in states]


async def per_call_ms(calls: int, one) -> float:
    """Mean milliseconds of `calls` sequential calls of `one(i)`."""
    started = now()
    for i in range(calls):
        await one(i)
    return 1000 * (now() - started) / calls


async def reads_at(
    client: AsyncMongoClient, ns: str, size: int, *, calls: int, rounds: int, log
) -> tuple[list[Comparison], dict[str, Any]]:
    """The three reads against `find_one` by `_id`, with `size` records in the history."""
    store = EventStore(client[f"{ns}_reads_{size}"], source=SOURCE, projections=PROJECTIONS)
    await store.ensure_indexes()
    started = now()
    ids = await seed_history(store, size)
    log(f"    {size:,} records in history ({len(ids):,} aggregates) seeded in {now() - started:.1f} s")
    documents = store.documents(AGGREGATE)

    def pick(i: int) -> str:
        return ids[(i * 7919) % len(ids)]  # spread over the collection, not one hot document

    async def find_one(i: int) -> None:
        await store.events.find_one({"_id": f"{pick(i)}:3"})

    async def history(i: int) -> None:
        events, _ = await store.history(AGGREGATE, pick(i))
        assert len(events) == EVENTS_PER_AGGREGATE

    async def load(i: int) -> None:
        await store.load(AGGREGATE, pick(i))

    async def list_page(i: int) -> None:
        await paginate(documents, {}, PageParams(limit=LIST_PAGE), sort=LIST_SORT)

    subjects = {
        "history": (f"history of a 5-event aggregate, {size:,} records", history, calls),
        "load": (f"EventStore.load (GET by id), {size:,} records", load, calls),
        "list": (f"list page of {LIST_PAGE} sorted by name, {size:,} records", list_page, max(3, calls // 20)),
    }
    figures = {
        key: Comparison(
            key=f"reads_{key}_{size}",
            title=title,
            unit="ms",
            subject=key,
            baseline="find_one by _id",
            higher_is_better=False,
            notes=[f"{size:,} event records, {len(ids):,} projections; {n} sequential calls per round"],
        )
        for key, (title, _, n) in subjects.items()
    }
    raw: dict[str, list] = {key: [] for key in subjects}
    try:
        await per_call_ms(20, history)  # warm-up: connections, caches
        for r in range(rounds):
            for key, (_, one, n) in subjects.items():
                sides = ["subject", "baseline"] if subject_first(r) else ["baseline", "subject"]
                got = {side: await per_call_ms(n, one if side == "subject" else find_one) for side in sides}
                figures[key].add(got["subject"], got["baseline"])
                raw[key].append(got)
            log(
                f"    round {r + 1}/{rounds}, {size:,} records: "
                + ", ".join(f"{key} {c.rounds[-1]['subject']:.1f} ms" for key, c in figures.items())
                + f" (find_one {figures['history'].rounds[-1]['baseline']:.1f} ms)"
            )
    finally:
        await client.drop_database(store.db.name)
    return list(figures.values()), raw


async def reads_vs_find_one(
    client: AsyncMongoClient, ns: str, *, calls: int, rounds: int, log
) -> tuple[list[Comparison], dict[str, Any]]:
    comparisons: list[Comparison] = []
    raw: dict[str, Any] = {}
    for size in HISTORY_SIZES:
        # Every read scans on FerretDB: fewer calls where the history is larger keep a round's time alike.
        at_size = max(10, calls * HISTORY_SIZES[0] // size)
        found, raw[str(size)] = await reads_at(client, ns, size, calls=at_size, rounds=rounds, log=log)
        comparisons.extend(found)
    return comparisons, raw
