"""Figure 1: the write model against a raw insert, and a hot aggregate against spread writers
(in one process, and over two copies of the service)."""

from __future__ import annotations

import asyncio
from typing import Any

from common import (
    AGGREGATE,
    PROJECTIONS,
    SOURCE,
    CommandTimer,
    Comparison,
    Target,
    now,
    partner_state,
    subject_first,
    timed_client,
)
from pymongo import AsyncMongoClient

from opp_shared.aggregate import Change
from opp_shared.claims import CLAIMS, Claims
from opp_shared.errors import Contention
from opp_shared.eventstore import EventMeta, EventStore
from opp_shared.repository import Repository
from opp_shared.testing.sample import PARTNER_SAMPLE, Sample

META = EventMeta(actor="bench", correlation_id="bench-correlation", causation_id="bench-request")
CHUNKS = 10  # the N operations of a round are timed in this many slices, to see a cost that grows with size


async def new_store(client: AsyncMongoClient, name: str) -> EventStore:
    store = EventStore(client[name], source=SOURCE, projections=PROJECTIONS)
    await store.ensure_indexes()
    return store


async def _spread_over(count: int, concurrency: int, op) -> list[float]:
    """Run op(i) for i in range(count) on `concurrency` tasks; answer the time at the end of each chunk."""
    chunk = max(1, count // CHUNKS)
    marks: list[float] = []
    next_index = 0
    done = 0

    async def worker() -> None:
        nonlocal next_index, done
        while next_index < count:
            i = next_index
            next_index += 1
            await op(i)
            done += 1
            if done % chunk == 0:
                marks.append(now())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return marks


def _chunk_rates(started: float, marks: list[float], count: int) -> list[float]:
    chunk = max(1, count // CHUNKS)
    rates, previous = [], started
    for mark in marks:
        rates.append(chunk / (mark - previous) if mark > previous else float("inf"))
        previous = mark
    return rates


# -- 1a: EventStore.append of new aggregates vs insert_one -------------------------------


async def template_record(client: AsyncMongoClient, ns: str) -> dict[str, Any]:
    """An event record exactly as append stores it, to insert copies of it raw."""
    name = f"{ns}_template"
    store = await new_store(client, name)
    await store.append(AGGREGATE, "ptn_template", None, Change(f"{AGGREGATE}.registered", partner_state(0)), META)
    record = await store.events.find_one({"_id": "ptn_template:1"})
    await client.drop_database(name)
    return record


async def append_round(client: AsyncMongoClient, ns: str, r: int, n: int, concurrency: int) -> dict[str, Any]:
    name = f"{ns}_append_r{r}"
    store = await new_store(client, name)
    changes = [Change(f"{AGGREGATE}.registered", partner_state(i)) for i in range(n)]

    async def op(i: int) -> None:
        await store.append(AGGREGATE, f"ptn_{r}_{i}", None, changes[i], META)

    started = now()
    marks = await _spread_over(n, concurrency, op)
    elapsed = now() - started
    assert await store.events.count_documents({}) == n
    await client.drop_database(name)
    return {"seconds": elapsed, "rate": n / elapsed, "chunk_rates": _chunk_rates(started, marks, n)}


async def insert_round(
    client: AsyncMongoClient, ns: str, r: int, n: int, concurrency: int, template: dict[str, Any]
) -> dict[str, Any]:
    name = f"{ns}_insert_r{r}"
    collection = client[name]["raw_events"]
    await client[name].create_collection("raw_events")
    documents = []
    for i in range(n):
        document = dict(template, _id=f"raw_{r}_{i}:1", aggregate_id=f"raw_{r}_{i}")
        documents.append(document)

    async def op(i: int) -> None:
        await collection.insert_one(documents[i])

    started = now()
    marks = await _spread_over(n, concurrency, op)
    elapsed = now() - started
    assert await collection.count_documents({}) == n
    await client.drop_database(name)
    return {"seconds": elapsed, "rate": n / elapsed, "chunk_rates": _chunk_rates(started, marks, n)}


async def append_vs_insert(
    client: AsyncMongoClient, ns: str, *, n: int, rounds: int, concurrency: int, log
) -> tuple[Comparison, dict[str, Any]]:
    comparison = Comparison(
        key="append",
        title="EventStore.append (new aggregate)",
        unit="changes/s",
        subject="EventStore.append",
        baseline="insert_one, same record",
        higher_is_better=True,
    )
    template = await template_record(client, ns)
    # Warm-up: connections, FerretDB's first database and collection creation.
    await append_round(client, ns, 900, max(20, n // 20), concurrency)
    await insert_round(client, ns, 900, max(20, n // 20), concurrency, template)
    raw: dict[str, Any] = {"append": [], "insert": []}
    for r in range(rounds):
        if subject_first(r):
            a = await append_round(client, ns, r, n, concurrency)
            b = await insert_round(client, ns, r, n, concurrency, template)
        else:
            b = await insert_round(client, ns, r, n, concurrency, template)
            a = await append_round(client, ns, r, n, concurrency)
        raw["append"].append(a)
        raw["insert"].append(b)
        comparison.add(a["rate"], b["rate"])
        log(f"    round {r + 1}/{rounds}: append {a['rate']:,.0f}/s, insert {b['rate']:,.0f}/s")
    return comparison, raw


async def append_breakdown(url: str, ns: str, *, n: int, template: dict[str, Any] | None = None) -> dict[str, Any]:
    """Untimed diagnostic: the driver-measured time of each command an append sends."""
    timer = CommandTimer()
    client = timed_client(url, timer)
    try:
        name = f"{ns}_breakdown"
        store = await new_store(client, name)
        raw = client[name]["raw_events"]
        await client[name].create_collection("raw_events")
        template = template or await template_record(client, ns)
        changes = [Change(f"{AGGREGATE}.registered", partner_state(i)) for i in range(n)]
        documents = [dict(template, _id=f"raw_b_{i}:1", aggregate_id=f"raw_b_{i}") for i in range(n)]
        timer.enabled = True
        started = now()
        for i in range(n):
            await store.append(AGGREGATE, f"ptn_b_{i}", None, changes[i], META)
        append_seconds = now() - started
        append_commands = timer.report()
        timer.reset()
        started = now()
        for i in range(n):
            await raw.insert_one(documents[i])
        insert_seconds = now() - started
        insert_commands = timer.report()
        timer.enabled = False
        await client.drop_database(name)
    finally:
        await client.close()
    in_commands = sum(c["seconds"] for c in append_commands)
    return {
        "n": n,
        "append_ms": 1000 * append_seconds / n,
        "append_commands": append_commands,
        "append_client_ms": 1000 * (append_seconds - in_commands) / n,
        "insert_ms": 1000 * insert_seconds / n,
        "insert_commands": insert_commands,
    }


# -- 1b: one hot aggregate vs the same changes spread over C aggregates --------------------


def _decider(counter: list[int], writer: int):
    def decide(current: Sample) -> Change:
        counter[0] += 1
        return Change(
            f"{AGGREGATE}.updated",
            current.evolve(counter=int(getattr(current, "counter", 0)) + 1).state(),
            {"writer": writer},
        )

    return decide


async def contention_round(
    client: AsyncMongoClient, ns: str, r: int, *, writers: int, changes: int, hot: bool, copies: int = 1
) -> dict[str, Any]:
    """`copies` repositories on one database stand for as many processes of the service: each queues
    its own writers per aggregate, and between them the unique insert decides."""
    name = f"{ns}_{'hot' if hot else 'spread'}{copies}_r{r}"
    store = await new_store(client, name)
    claims = Claims(client[name][CLAIMS])
    copies_of_the_service = [Repository(store, PARTNER_SAMPLE, claims) for _ in range(copies)]  # default attempts
    repository = copies_of_the_service[0]
    ids = ["ptn_hot"] if hot else [f"ptn_spread_{w}" for w in range(writers)]
    for i, aggregate_id in enumerate(ids):
        await repository.create(aggregate_id, Change(f"{AGGREGATE}.registered", partner_state(i)), META)
    per_writer = changes // writers
    attempts = [[0] for _ in range(writers)]
    accepted = [0] * writers
    gave_up = [0] * writers

    async def writer(w: int) -> None:
        aggregate_id = ids[0] if hot else ids[w]
        decide = _decider(attempts[w], w)
        mine = copies_of_the_service[w % copies]
        for _ in range(per_writer):
            try:
                await mine.change(aggregate_id, decide, meta=META)
                accepted[w] += 1
            except Contention:  # "changing too often right now": the attempts ran out
                gave_up[w] += 1

    started = now()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    elapsed = now() - started
    total_accepted, total_attempts = sum(accepted), sum(a[0] for a in attempts)
    # What a reader sees afterwards: the records, the projection (possibly behind on FerretDB), a load.
    records = await store.events.count_documents({})
    projected = {d["_id"]: d["version"] async for d in store.projection(AGGREGATE).find({}, {"version": 1})}
    loaded = {i: (await store.load(AGGREGATE, i)).version for i in ids}
    await client.drop_database(name)
    return {
        "seconds": elapsed,
        "rate": total_accepted / elapsed,
        "accepted": total_accepted,
        "attempts": total_attempts,
        "attempts_per_change": total_attempts / total_accepted if total_accepted else float("inf"),
        "gave_up": sum(gave_up),
        "records": records,
        "records_expected": total_accepted + len(ids),
        "projection_behind": sum(1 for i in ids if projected.get(i, 0) < loaded[i]),
    }


async def hot_vs_spread(
    client: AsyncMongoClient, ns: str, *, writers: int, changes: int, rounds: int, log
) -> tuple[list[Comparison], dict[str, Any]]:
    def lower_is_better(key: str, title: str, unit: str, copies: int, target: Target | None = None) -> Comparison:
        over = "" if copies == 1 else f", {copies} copies"
        return Comparison(
            key=key,
            title=title,
            unit=unit,
            subject=f"1 hot aggregate{over}",
            baseline=f"{writers} aggregates{over}",
            higher_is_better=False,
            target=target,
        )

    throughput = Comparison(
        key="hot",
        title=f"Repository.change, {writers} writers on ONE aggregate",
        unit="changes/s",
        subject="1 hot aggregate",
        baseline=f"{writers} aggregates",
        higher_is_better=True,
    )
    attempts = lower_is_better(
        "hot_attempts", "  attempts per accepted change", "attempts", 1, Target("measured", at_most=1.5)
    )
    gave_up = lower_is_better(
        "hot_gave_up", "  commands that gave up (Contention)", "commands", 1, Target("measured", at_most=0)
    )
    two_copies = lower_is_better("hot_attempts_2_copies", "  attempts per change, over 2 copies", "attempts", 2)
    two_copies.notes.append(
        f"2 copies: {writers} writers spread over two repositories on one database, as two processes"
    )
    two_copies_gave_up = lower_is_better(
        "hot_gave_up_2_copies", "  commands that gave up, over 2 copies", "commands", 2, Target("measured", at_most=0)
    )
    await contention_round(client, ns, 900, writers=writers, changes=max(writers, changes // 10), hot=False)
    raw: dict[str, Any] = {"hot": [], "spread": [], "hot_2_copies": [], "spread_2_copies": []}
    for r in range(rounds):
        for copies in (1, 2):
            sides = {}
            for hot in (True, False) if subject_first(r) else (False, True):
                sides[hot] = await contention_round(
                    client, ns, r, writers=writers, changes=changes, hot=hot, copies=copies
                )
            h, s = sides[True], sides[False]
            suffix = "" if copies == 1 else "_2_copies"
            raw["hot" + suffix].append(h)
            raw["spread" + suffix].append(s)
            if copies == 1:
                throughput.add(h["rate"], s["rate"])
                attempts.add(h["attempts_per_change"], s["attempts_per_change"])
                gave_up.add(h["gave_up"], s["gave_up"])
            else:
                two_copies.add(h["attempts_per_change"], s["attempts_per_change"])
                two_copies_gave_up.add(h["gave_up"], s["gave_up"])
            log(
                f"    round {r + 1}/{rounds}, {copies} cop{'y' if copies == 1 else 'ies'}: hot {h['rate']:,.0f}/s "
                f"({h['attempts_per_change']:.2f} attempts/change, {h['gave_up']} gave up), "
                f"spread {s['rate']:,.0f}/s ({s['attempts_per_change']:.2f})"
            )
    return [throughput, attempts, gave_up, two_copies, two_copies_gave_up], raw
