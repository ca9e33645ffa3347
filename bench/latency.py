"""Figure 3: from EventStore.append returning to a ConsumerWorker's handler, against a bare round trip."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from common import AGGREGATE, PROJECTIONS, SOURCE, Comparison, Target, now, partner_state, quantile, subject_first
from pymongo import AsyncMongoClient
from writes import META

from opp_shared.aggregate import Change
from opp_shared.consumer import ConsumerWorker, EventRouter
from opp_shared.contract import EventContract, owner_of, source_of
from opp_shared.envelope import CONTENT_TYPE, CloudEvent
from opp_shared.eventstore import EventStore
from opp_shared.kafka import ProducerHolder, ensure_topics
from opp_shared.relay import Relay
from opp_shared.settings import ServiceSettings
from opp_shared.state_topics import json_bytes

DEFAULTS = ServiceSettings()
OWNER = source_of(owner_of(AGGREGATE))  # the only source a consumer accepts on that topic
WARMUP = 10
TARGET_MS = {50: 50, 99: 250}  # append -> handled at 100 events/s
WAIT_SECONDS = 180.0  # for the last event after the paced ones: a backlog drains at 100/s too


async def _paced(count: int, rate: float, send) -> None:
    """Call send(i) at `rate` per second on an absolute schedule (no drift when a send is slow)."""
    started = now()
    for i in range(count):
        delay = started + i / rate - now()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(i)


async def _wait_for(condition, what: str) -> None:
    deadline = now() + WAIT_SECONDS
    while not condition():
        if now() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def write_model_round(
    client: AsyncMongoClient, bootstrap: str, ns: str, r: int, *, count: int, rate: float
) -> dict[str, Any]:
    """Append (new aggregates) at a steady rate with the relay and a consumer running in this process,
    wired as opp_shared.runtime wires them: the append wakes the relay."""
    prefix = f"{ns}.e2e.r{r}."
    await ensure_topics(
        bootstrap, [prefix + AGGREGATE], partitions=DEFAULTS.kafka_topic_partitions, replication_factor=1
    )
    holder = ProducerHolder(bootstrap, client_id=f"{ns}-e2e-{r}")
    # The consumer applies only what keeps the event contract: its owner's source, its own topic.
    store = EventStore(client[f"{ns}_e2e_r{r}"], source=OWNER, projections=PROJECTIONS)
    await store.ensure_indexes()
    relay = Relay(
        store,
        holder,
        topic_name=lambda t: prefix + t,
        batch_size=DEFAULTS.relay_batch_size,
        poll_seconds=DEFAULTS.relay_poll_seconds,
    )
    store.on_append = relay.handoff
    handled: dict[str, float] = {}

    async def handler(event: CloudEvent) -> None:
        handled.setdefault(event.subject, now())

    router = EventRouter()
    router.on(f"{AGGREGATE}.*", handler)
    worker = ConsumerWorker(
        name="bench",
        group_id=f"{prefix}bench.latency",
        topics=[prefix + AGGREGATE],
        router=router,
        client_options={"bootstrap_servers": bootstrap},
        producer=holder,
        contract=EventContract(namespace=prefix),
    )
    stopping = asyncio.Event()
    tasks: list[asyncio.Task] = []
    returned: dict[str, float] = {}
    append_ms: list[float] = []

    async def append(i: int, tag: str = "m") -> None:
        aggregate_id = f"ptn_{tag}{i}"
        t0 = now()
        await store.append(AGGREGATE, aggregate_id, None, Change(f"{AGGREGATE}.registered", partner_state(i)), META)
        returned[aggregate_id] = now()
        append_ms.append(1000 * (returned[aggregate_id] - t0))

    try:
        tasks += [asyncio.create_task(relay.run(stopping)), asyncio.create_task(worker.run(stopping))]
        # Warm-up: the consumer joined its group and handled something, the producer is connected.
        await _paced(WARMUP, rate, lambda i: append(i, "w"))
        await _wait_for(lambda: all(f"ptn_w{i}" in handled for i in range(WARMUP)), "the warm-up events")
        append_ms.clear()
        await _paced(count, rate, append)
        await _wait_for(lambda: all(f"ptn_m{i}" in handled for i in range(count)), "the measured events")
    finally:
        await _stop(stopping, tasks)
        with contextlib.suppress(Exception):
            await holder.close()
    await client.drop_database(store.db.name)
    latencies = [1000 * (handled[f"ptn_m{i}"] - returned[f"ptn_m{i}"]) for i in range(count)]
    return {"latencies_ms": latencies, "append_ms": append_ms}


async def bare_round(bootstrap: str, ns: str, r: int, *, count: int, rate: float, payload: bytes) -> dict[str, Any]:
    """The same rate and bytes, from AIOKafkaProducer.send to AIOKafkaConsumer.getmany, nothing else."""
    name = f"{ns}.bare-e2e.r{r}.{AGGREGATE}"
    await ensure_topics(bootstrap, [name], partitions=DEFAULTS.kafka_topic_partitions, replication_factor=1)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=f"{ns}-bare-e2e-{r}", enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        name,
        bootstrap_servers=bootstrap,
        group_id=f"{name}.bench",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    received: dict[bytes, float] = {}
    stopping = asyncio.Event()

    async def consume() -> None:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    received.setdefault(record.key, now())

    sent: dict[bytes, float] = {}
    futures = []
    headers = [("content-type", CONTENT_TYPE.encode()), ("event-type", f"{AGGREGATE}.registered".encode())]

    async def send(i: int, tag: str = "m") -> None:
        key = f"ptn_{tag}{i}".encode()
        sent[key] = now()
        futures.append(await producer.send(name, value=payload, key=key, headers=headers))

    tasks: list[asyncio.Task] = []
    try:
        await producer.start()
        await consumer.start()
        tasks.append(asyncio.create_task(consume()))
        await _paced(WARMUP, rate, lambda i: send(i, "w"))
        await _wait_for(lambda: all(f"ptn_w{i}".encode() in received for i in range(WARMUP)), "the warm-up records")
        await _paced(count, rate, send)
        await _wait_for(lambda: all(f"ptn_m{i}".encode() in received for i in range(count)), "the measured records")
        await asyncio.gather(*futures)
    finally:
        await _stop(stopping, tasks)
        for client in (consumer, producer):
            with contextlib.suppress(Exception):
                await client.stop()
    keys = [f"ptn_m{i}".encode() for i in range(count)]
    return {"latencies_ms": [1000 * (received[k] - sent[k]) for k in keys]}


async def _stop(stopping: asyncio.Event, tasks: list[asyncio.Task]) -> None:
    """Let the background loops finish (they check `stopping` at least every half second)."""
    stopping.set()
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=20)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def percentiles(latencies: list[float]) -> dict[str, float]:
    return {f"p{q}": quantile(latencies, q / 100) for q in (50, 95, 99)} | {"max": max(latencies)}


async def end_to_end(
    client: AsyncMongoClient, bootstrap: str, ns: str, *, count: int, rate: float, rounds: int, log
) -> tuple[list[Comparison], dict[str, Any]]:
    event = CloudEvent(
        id="00000000-0000-0000-0000-000000000000",
        source=SOURCE,
        type=f"{AGGREGATE}.registered",
        subject="ptn_x",
        sequence=1,
        data={"state": partner_state(0), "change": {}},
    )
    payload = json_bytes(event.to_document())
    comparisons = [
        Comparison(
            key=f"e2e_p{q}",
            title=f"append returned -> handled, p{q}",
            unit="ms",
            subject="relay + ConsumerWorker",
            baseline="bare produce -> consume",
            higher_is_better=False,
            notes=[
                f"{count} events per round at {rate:g}/s; relay poll {DEFAULTS.relay_poll_seconds:g} s, woken by append"
            ],
            target=Target("measured", at_most=TARGET_MS[q]) if q in TARGET_MS else None,
        )
        for q in (50, 95, 99)
    ]
    raw: dict[str, Any] = {"write_model": [], "bare": [], "rate": rate, "count": count}
    for r in range(rounds):
        if subject_first(r):
            a = await write_model_round(client, bootstrap, ns, r, count=count, rate=rate)
            b = await bare_round(bootstrap, ns, r, count=count, rate=rate, payload=payload)
        else:
            b = await bare_round(bootstrap, ns, r, count=count, rate=rate, payload=payload)
            a = await write_model_round(client, bootstrap, ns, r, count=count, rate=rate)
        pa, pb = percentiles(a["latencies_ms"]), percentiles(b["latencies_ms"])
        a["percentiles"], b["percentiles"] = pa, pb
        raw["write_model"].append(a)
        raw["bare"].append(b)
        for comparison, q in zip(comparisons, (50, 95, 99), strict=True):
            comparison.add(pa[f"p{q}"], pb[f"p{q}"])
        log(
            f"    round {r + 1}/{rounds}: write model p50 {pa['p50']:.1f} / p99 {pa['p99']:.1f} ms, "
            f"bare p50 {pb['p50']:.1f} / p99 {pb['p99']:.1f} ms"
        )
    return comparisons, raw
