"""Figure 2: the relay against a bare idempotent producer (and Kafka's own ProducerPerformance)."""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from common import (
    AGGREGATE,
    PROJECTIONS,
    SOURCE,
    CommandTimer,
    Comparison,
    now,
    partner_state,
    subject_first,
    timed_client,
)
from pymongo import AsyncMongoClient
from writes import META

from opp_shared.aggregate import Change
from opp_shared.envelope import CONTENT_TYPE
from opp_shared.eventstore import EventStore
from opp_shared.kafka import ProducerHolder, ensure_topics
from opp_shared.relay import Relay
from opp_shared.settings import ServiceSettings
from opp_shared.state_topics import json_bytes

DEFAULTS = ServiceSettings()  # the relay's batch size and the topics' partitions as deployed
CHANGES_PER_AGGREGATE = 4
JAVA_LIBS = Path(__file__).resolve().parents[1] / ".cache" / "kafka-4.1.1" / "libs"


async def fill(store: EventStore, n: int, concurrency: int = 8) -> None:
    """N unpublished records: N/4 aggregates, each registered then updated three times,
    appended round-robin (as changes of many aggregates interleave in a real service)."""
    aggregates = max(1, n // CHANGES_PER_AGGREGATE)
    snapshots: dict[int, Any] = {}
    plan = [(seq, a) for seq in range(CHANGES_PER_AGGREGATE) for a in range(aggregates)][:n]
    for seq in range(CHANGES_PER_AGGREGATE):
        batch = [a for s, a in plan if s == seq]

        async def one(a: int, seq: int = seq) -> None:
            if seq == 0:
                change = Change(f"{AGGREGATE}.registered", partner_state(a))
            else:
                change = Change(f"{AGGREGATE}.updated", {**snapshots[a].domain_state(), "counter": seq})
            snapshots[a] = await store.append(AGGREGATE, f"ptn_relay_{a}", snapshots.get(a), change, META)

        for start in range(0, len(batch), concurrency):
            await asyncio.gather(*(one(a) for a in batch[start : start + concurrency]))


async def topic(bootstrap: str, name: str) -> str:
    await ensure_topics(bootstrap, [name], partitions=DEFAULTS.kafka_topic_partitions, replication_factor=1)
    return name


async def copy_of(client: AsyncMongoClient, name: str, events: list[dict], states: list[dict]) -> EventStore:
    """A fresh database holding exactly the prepared records (all unpublished) and projections;
    inserted in bulk, which is quick, unlike resetting the flags with an update on FerretDB."""
    store = EventStore(client[name], source=SOURCE, projections=PROJECTIONS)
    await store.ensure_indexes()
    await store.events.insert_many([dict(e) for e in events])
    await store.projection(AGGREGATE).insert_many([dict(d) for d in states])
    return store


async def relay_round(
    client: AsyncMongoClient, bootstrap: str, ns: str, r: int, events: list[dict], states: list[dict]
) -> dict[str, Any]:
    store = await copy_of(client, f"{ns}_relay_r{r}", events, states)
    name = await topic(bootstrap, f"{ns}.relay.r{r}.{AGGREGATE}")
    holder = ProducerHolder(bootstrap, client_id=f"{ns}-relay-{r}")
    relay = Relay(store, holder, topic_name=lambda t: f"{ns}.relay.r{r}.{t}", batch_size=DEFAULTS.relay_batch_size)
    try:
        await (await holder.get()).partitions_for(name)  # connected, metadata known: as a running relay
        calls = 0
        started = now()
        while True:
            published = await relay.publish_once()
            calls += 1
            if published == 0:
                break
        elapsed = now() - started
    finally:
        await holder.close()
    left = await store.events.count_documents({"published": False})
    await client.drop_database(store.db.name)
    if left:
        raise RuntimeError(f"the relay stopped with {left} records unpublished")
    return {"seconds": elapsed, "rate": len(events) / elapsed, "publish_once_calls": calls}


def messages(events: list[dict]) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """(key, value, headers) of every record, exactly as the relay sends them, in the relay's order."""
    out = []
    for record in events:
        event = record["event"]
        headers = [("content-type", CONTENT_TYPE.encode()), ("event-type", event["type"].encode())]
        out.append((record["aggregate_id"].encode(), json_bytes(event), headers))
    return out


async def producer_round(bootstrap: str, ns: str, r: int, payload: list, repeat: int = 3) -> dict[str, Any]:
    """The same messages with a bare idempotent producer: send all, then await every acknowledgement.
    Sub-second, so noisy: repeated `repeat` times, the round's figure is their median."""
    name = await topic(bootstrap, f"{ns}.bare.r{r}.{AGGREGATE}")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=f"{ns}-bare-{r}", enable_idempotence=True)
    seconds = []
    try:
        await producer.start()
        await producer.partitions_for(name)
        for _ in range(repeat):
            started = now()
            futures = [
                await producer.send(name, value=value, key=key, headers=headers) for key, value, headers in payload
            ]
            await asyncio.gather(*futures)
            seconds.append(now() - started)
    finally:
        await producer.stop()
    elapsed = statistics.median(seconds)
    return {"seconds": elapsed, "rate": len(payload) / elapsed, "repetitions": seconds}


_PERF_LINE = re.compile(r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency")


async def java_round(bootstrap: str, ns: str, r: int, n: int, record_size: int) -> dict[str, Any]:
    """Kafka's own producer benchmark; its figure excludes the JVM's start (it times its own loop)."""
    java = shutil.which("java")
    if java is None or not JAVA_LIBS.is_dir():
        raise RuntimeError(f"no java or no Kafka jars in {JAVA_LIBS}")
    name = await topic(bootstrap, f"{ns}.java.r{r}.{AGGREGATE}")
    argv = [
        java,
        "-Xmx256m",
        "-cp",
        f"{JAVA_LIBS}/*",
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        name,
        "--num-records",
        str(n),
        "--record-size",
        str(record_size),
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={bootstrap}",
        "acks=all",
        "enable.idempotence=true",
    ]
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    except BaseException:  # timeout, Ctrl-C: leave no JVM behind
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    text = output.decode(errors="replace")
    found = _PERF_LINE.findall(text)
    if process.returncode != 0 or not found:
        raise RuntimeError(f"ProducerPerformance failed (exit {process.returncode}):\n{text[-2000:]}")
    sent, rate, mb, avg_latency = found[-1]
    return {"rate": float(rate), "records": int(sent), "mb_per_s": float(mb), "avg_latency_ms": float(avg_latency)}


async def relay_vs_producer(
    client: AsyncMongoClient,
    url: str,
    bootstrap: str,
    ns: str,
    *,
    n: int,
    rounds: int,
    java: bool,
    java_records: int,
    log,
) -> tuple[list[Comparison], dict[str, Any]]:
    # The records, made once through EventStore.append; each round relays a fresh copy of them.
    source = EventStore(client[f"{ns}_relay_source"], source=SOURCE, projections=PROJECTIONS)
    await source.ensure_indexes()
    await fill(source, n)
    events = await source.events.find({}).sort([("recorded_at", 1), ("_id", 1)]).to_list(None)
    states = await source.projection(AGGREGATE).find({}).to_list(None)
    await client.drop_database(source.db.name)
    payload = messages(events)
    record_size = round(sum(len(v) for _, v, _ in payload) / len(payload))
    bare = Comparison(
        key="relay",
        title="Relay.publish_once until none left",
        unit="events/s",
        subject="Relay",
        baseline="AIOKafkaProducer(idempotent)",
        higher_is_better=True,
        notes=[
            f"{n} records of {record_size} B on average, {CHANGES_PER_AGGREGATE} per aggregate; "
            f"batch {DEFAULTS.relay_batch_size}, {DEFAULTS.kafka_topic_partitions} partitions"
        ],
    )
    versus_java = Comparison(
        key="relay_java",
        title="Relay.publish_once until none left",
        unit="events/s",
        subject="Relay",
        baseline="Java ProducerPerformance",
        higher_is_better=True,
        notes=[
            f"ProducerPerformance --num-records {java_records} --record-size {record_size} "
            "acks=all enable.idempotence=true"
        ],
    )
    # Warm-up of both paths: topic creation, connections, metadata.
    await relay_round(client, bootstrap, ns, 900, events[: max(20, n // 10)], states)
    await producer_round(bootstrap, ns, 900, payload[: max(50, n // 10)], repeat=1)
    raw: dict[str, Any] = {"relay": [], "producer": [], "java": [], "java_error": None, "record_size": record_size}
    for r in range(rounds):
        order = ["relay", "producer", "java"] if subject_first(r) else ["java", "producer", "relay"]
        got: dict[str, Any] = {}
        for what in order:
            if what == "relay":
                got[what] = await relay_round(client, bootstrap, ns, r, events, states)
            elif what == "producer":
                got[what] = await producer_round(bootstrap, ns, r, payload)
            elif java and raw["java_error"] is None:
                try:
                    got[what] = await java_round(bootstrap, ns, r, java_records, record_size)
                except RuntimeError as exc:
                    raw["java_error"] = str(exc)
                    log(f"    Kafka's ProducerPerformance did not work; that baseline is left out:\n{exc}")
        raw["relay"].append(got["relay"])
        raw["producer"].append(got["producer"])
        bare.add(got["relay"]["rate"], got["producer"]["rate"])
        relay_rate, bare_rate = got["relay"]["rate"], got["producer"]["rate"]
        line = f"    round {r + 1}/{rounds}: relay {relay_rate:,.0f}/s, bare producer {bare_rate:,.0f}/s"
        if "java" in got:
            raw["java"].append(got["java"])
            versus_java.add(got["relay"]["rate"], got["java"]["rate"])
            line += f", ProducerPerformance {got['java']['rate']:,.0f}/s"
        log(line)
    raw["breakdown"] = await relay_breakdown(url, bootstrap, ns, events, states)
    comparisons = [bare] + ([versus_java] if versus_java.rounds else [])
    return comparisons, raw


async def relay_breakdown(url: str, bootstrap: str, ns: str, events: list[dict], states: list[dict]) -> dict[str, Any]:
    """Untimed diagnostic: one more relay of a fresh copy, with every database command timed."""
    timer = CommandTimer()
    client = timed_client(url, timer)
    try:
        store = await copy_of(client, f"{ns}_relay_diag", events, states)
        name = await topic(bootstrap, f"{ns}.relaydiag.{AGGREGATE}")
        holder = ProducerHolder(bootstrap, client_id=f"{ns}-relay-diag")
        relay = Relay(store, holder, topic_name=lambda t: f"{ns}.relaydiag.{t}", batch_size=DEFAULTS.relay_batch_size)
        try:
            await (await holder.get()).partitions_for(name)
            timer.enabled = True
            started = now()
            while await relay.publish_once():
                pass
            elapsed = now() - started
            timer.enabled = False
        finally:
            await holder.close()
        await client.drop_database(store.db.name)
    finally:
        await client.close()
    commands = timer.report()
    in_db = sum(c["seconds"] for c in commands)
    return {"n": len(events), "seconds": elapsed, "database_seconds": in_db, "commands": commands}
