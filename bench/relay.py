"""The relay's drain with a history already in the database (2,000 and 20,000 event records), against
a bare idempotent AIOKafkaProducer sending the same messages in the same round (see bench/README.md).

Two ways the relay learns of a record:
- handoff: the records were appended in this process, which handed them to the relay (as
  `runtime.py` wires it); the relay publishes them and deletes their outbox markers;
- sweep: the records were appended by another copy (no handoff); the relay finds them by reading
  the outbox (its recovery path, and how it hears of API-only copies).
"""

from __future__ import annotations

from typing import Any

from common import AGGREGATE, PROJECTIONS, SOURCE, Comparison, now, subject_first
from publish import CHANGES_PER_AGGREGATE, DEFAULTS, producer_round, topic
from pymongo import AsyncMongoClient
from reads import HISTORY_SIZES, build_history, insert_in_bulk, seed_history

from opp_shared.eventstore import EventStore, outbox_marker
from opp_shared.kafka import ProducerHolder
from opp_shared.relay import Relay
from opp_shared.state_topics import Outgoing, state_topic


async def append_unpublished(store: EventStore, relay: Relay, n: int, prefix: str, *, handoff: bool) -> list[dict]:
    """n new records of n/4 new aggregates, stored as `append` stores them (outbox markers, then
    the records, and the projections) but in bulk, which keeps FerretDB's growing cost of a
    projection's replace out of the set-up; handed to the relay as `append` hands them, or not."""
    events, states = build_history(store, prefix, max(1, n // CHANGES_PER_AGGREGATE), CHANGES_PER_AGGREGATE)
    await insert_in_bulk(store.outbox, [outbox_marker(record) for record in events])
    await insert_in_bulk(store.events, events)
    await insert_in_bulk(store.projection(AGGREGATE), states)
    relay.handed_off.clear()
    if handoff:
        for record in events:
            relay.handoff(record, True)
    return events


async def drain(store: EventStore, relay: Relay, n: int, *, handoff: bool) -> dict[str, Any]:
    """Time the relay until the n records appended before are published."""
    started = now()
    if handoff:
        while relay.handed_off:
            await relay.publish_handed_off()
    else:
        while await relay.sweep_once():
            pass
    elapsed = now() - started
    left = await store.outbox.count_documents({})
    if left:
        raise RuntimeError(f"the relay stopped with {left} records unpublished")
    return {"seconds": elapsed, "rate": n / elapsed}


def same_messages(records: list[dict]) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """What the relay sends for these records (the event, then the state), for the bare producer."""
    outgoing = Outgoing(topic_name=lambda t: t)
    return [(m.key, m.value, m.headers) for record in records for m in outgoing.messages(record)]


async def relay_with_history(
    client: AsyncMongoClient, bootstrap: str, ns: str, *, n: int, rounds: int, log
) -> tuple[list[Comparison], dict[str, Any]]:
    rows: dict[tuple[str, int], Comparison] = {}
    growth = Comparison(
        key="relay_growth",
        title=f"Relay handoff drain at {HISTORY_SIZES[-1]:,} records in history",
        unit="events/s",
        subject=f"{HISTORY_SIZES[-1]:,} in history",
        baseline=f"{HISTORY_SIZES[0]:,} in history",
        higher_is_better=True,
        notes=[f"the same drain of {n} records, the history {HISTORY_SIZES[-1]:,} vs {HISTORY_SIZES[0]:,} records"],
    )
    setups = {}
    for size in HISTORY_SIZES:
        store = EventStore(client[f"{ns}_relayhist_{size}"], source=SOURCE, projections=PROJECTIONS)
        await store.ensure_indexes()
        started = now()
        await seed_history(store, size)
        log(f"    {size:,} records in history seeded in {now() - started:.1f} s")
        prefix = f"{ns}.relayhist{size}."
        await topic(bootstrap, prefix + AGGREGATE)
        await topic(bootstrap, prefix + state_topic(AGGREGATE))
        holder = ProducerHolder(bootstrap, client_id=f"{ns}-relayhist-{size}")
        relay = Relay(store, holder, topic_name=lambda t, p=prefix: p + t, batch_size=DEFAULTS.relay_batch_size)
        await (await holder.get()).partitions_for(prefix + AGGREGATE)  # connected, metadata known
        setups[size] = (store, relay, holder)
        for path in ("handoff", "sweep"):
            rows[(path, size)] = Comparison(
                key=f"relay_{path}_{size}",
                title=f"Relay {path} drain, {size:,} records in history",
                unit="events/s",
                subject=f"Relay ({path})",
                baseline="AIOKafkaProducer(idempotent)",
                higher_is_better=True,
                notes=[
                    f"{n} records per round, 4 changes per aggregate, interleaved; each record is an event and "
                    "its state-topic message, which the bare producer sends too; "
                    f"batch {DEFAULTS.relay_batch_size}"
                ],
            )
    raw: dict[str, Any] = {str(size): [] for size in HISTORY_SIZES}
    try:
        # Warm-up of every path: connections, metadata, the first batches.
        for size, (store, relay, _) in setups.items():
            await append_unpublished(store, relay, max(20, n // 10), f"warm_{size}", handoff=True)
            await drain(store, relay, max(20, n // 10), handoff=True)
        for r in range(rounds):
            sizes = HISTORY_SIZES if subject_first(r) else tuple(reversed(HISTORY_SIZES))
            handoff_rates = {}
            for size in sizes:
                store, relay, _ = setups[size]
                records = await append_unpublished(store, relay, n, f"r{r}_handoff", handoff=True)
                payload = same_messages(records)
                got: dict[str, Any] = {}
                for what in ["relay", "bare"] if subject_first(r) else ["bare", "relay"]:
                    if what == "relay":
                        got["handoff"] = await drain(store, relay, n, handoff=True)
                    else:
                        got["bare"] = await producer_round(bootstrap, f"{ns}.relayhist{size}", r, payload)
                await append_unpublished(store, relay, n, f"r{r}_sweep", handoff=False)
                got["sweep"] = await drain(store, relay, n, handoff=False)
                bare_rate = n / got["bare"]["seconds"]  # records/s, each record being the relay's messages
                for path in ("handoff", "sweep"):
                    rows[(path, size)].add(got[path]["rate"], bare_rate)
                handoff_rates[size] = got["handoff"]["rate"]
                raw[str(size)].append(got)
                log(
                    f"    round {r + 1}/{rounds}, {size:,} in history: handoff {got['handoff']['rate']:,.0f}/s, "
                    f"sweep {got['sweep']['rate']:,.0f}/s, bare producer {bare_rate:,.0f}/s"
                )
            growth.add(handoff_rates[HISTORY_SIZES[-1]], handoff_rates[HISTORY_SIZES[0]])
    finally:
        for store, _, holder in setups.values():
            await holder.close()
            await client.drop_database(store.db.name)
    comparisons = [rows[(path, size)] for path in ("handoff", "sweep") for size in HISTORY_SIZES] + [growth]
    return comparisons, raw
