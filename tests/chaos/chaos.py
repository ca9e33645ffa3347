"""Fault injection against the platform as it runs: real Kafka and FerretDB (the local stack, in a
folder of its own on free ports), the four services as real processes, load over HTTP, and SIGKILL
of one part at a time.

A run starts the stack, then goes through its faults one after the other while the load runs all
along. For each fault: some load, SIGKILL of the part (every process of a service, a Kafka node or
FerretDB), a while with the part dead, a restart, then a canary (a new partner) followed until it
has every effect: the time from the kill to that moment is the time to recover. At the end an
independent Kafka consumer reads the topics and the services' databases are read directly: every
change the API acknowledged (a 201 or 200, with its id and version) must have been published and
have had its effects exactly once:

- published: a record of the aggregate's topic with that subject and sequence; two records of one
  change with different event ids count as a duplicated effect (a redelivery of the same event id
  is Kafka's at-least-once and not one);
- the notifications inbox: for an event type with an unconditional default rule to the office's
  roles, at least one entry for that event, and never two entries for one change and recipient;
- the partner directories of funding and techtransfer: the partner at that version or later;
- the partners' portfolio: a fund at that version or later.

`run.py` prints the table and draws the plot; `test_chaos.py` runs a short version in the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from opp_devstack import servers as stack
from opp_shared.envelope import CloudEvent
from opp_shared.mongo import connect
from opp_shared.testing.helpers import auth
from opp_shared.testing.mail import Mailbox
from opp_shared.testing.processes import ServiceProcess, service_env
from opp_shared.testing.servers import Servers, local_stack, local_stack_config

SERVICES = ("partners", "funding", "techtransfer", "notifications")
TOPICS = ("partners.partner", "partners.agreement", "funding.fund")
# The views whose entries the acknowledged changes must reach: (service, collection).
VIEWS = (("funding", "partner_directory"), ("techtransfer", "partner_directory"), ("partners", "portfolio_items"))
# What runs in a worker process when a service's API and workers run apart (ProcessPart).
WORKER_PARTS = "relay,consumers,scheduler,workers"
PARTNERS_OFFICER = auth("partnerships_officer", sub="chaos")
FUNDING_OFFICER = auth("funding_officer", sub="chaos")


def inbox_event_types() -> set[str]:
    """The event types that always reach an inbox: a default rule without conditions, to roles."""
    # Imported here: the notifications service is a workspace package, this module's caller may
    # only want the constants.
    from notifications.domain.defaults import DEFAULT_RULES

    return {
        event_type
        for rule in DEFAULT_RULES
        if "inbox" in rule.channels and not rule.conditions and all(r.startswith("role:") for r in rule.recipients)
        for event_type in rule.event_types
    }


@dataclass(frozen=True)
class Ack:
    """A change the API acknowledged."""

    topic: str
    subject: str
    version: int
    scenario: str
    at: float  # seconds since the run started


@dataclass
class Scenario:
    name: str  # "partners", "kafka-2", ... or "baseline" (no fault)
    killed_at: float | None = None
    restarted_at: float | None = None
    recovered_at: float | None = None
    refused: int = 0  # answers that were not a success (5xx, 409 while a view lags, timeouts): not acknowledged

    @property
    def recover_seconds(self) -> float | None:
        if self.killed_at is None or self.recovered_at is None:
            return None
        return self.recovered_at - self.killed_at


@dataclass
class Row:
    scenario: str
    acknowledged: int
    refused: int
    lost: int  # changes not published, or an effect missing, when the check gave up
    duplicated: int
    recover_seconds: float | None
    unpublished: int = 0  # of `lost`: changes still without a Kafka record (in the outbox, or gone)
    effects: int = 0  # effects found as expected (publications, inbox entries, view entries): the check bites
    problems: list[str] = field(default_factory=list)


class Platform:
    """The stack and the services' processes of one run."""

    def __init__(self, folder: Path, *, brokers: int, copies: int) -> None:
        self.folder = folder
        self.config = local_stack_config(folder / "stack", kafka_brokers=brokers)
        self.copies = copies
        self.namespace = "chaos" + uuid.uuid4().hex[:8]
        self.processes: dict[str, list[ServiceProcess]] = {}
        self.servers: Servers | None = None

    def faults(self) -> list[str]:
        """Every part that can be killed: each service, each Kafka node, FerretDB."""
        return [*SERVICES, *stack.KAFKA_NODES[: self.config.kafka_brokers], "ferretdb"]

    @contextlib.contextmanager
    def running(self) -> Any:
        logs = self.folder / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        mailbox = Mailbox().start()
        try:
            with local_stack(self.config.data_dir, self.config) as servers:
                self.servers = servers
                try:
                    for service in SERVICES:
                        self.processes[service] = [
                            ServiceProcess(service, self._env(service, mailbox, parts), logs).start()
                            for parts in self._parts()
                        ]
                    for process in self.all_processes():
                        process.wait_until(timeout=180)
                    yield self
                finally:
                    for process in self.all_processes():
                        process.stop()
        finally:
            mailbox.stop()

    def _parts(self) -> list[str | None]:
        """One process running everything, or `copies` API processes and `copies` worker processes."""
        if self.copies == 1:
            return [None]
        return ["api"] * self.copies + [WORKER_PARTS] * self.copies

    def _env(self, service: str, mailbox: Mailbox, parts: str | None) -> dict[str, str]:
        assert self.servers is not None
        extra: dict[str, object] = {
            "OPP_KAFKA_REPLICATION_FACTOR": self.config.kafka_replication_factor,
            "OPP_SMTP_PORT": mailbox.port,
            "OPP_CONSUMER_RETRY_BACKOFF_SECONDS": 0.2,
            "OPP_RULES_CACHE_SECONDS": 1,
            # The load comes from one client address with valid tokens; no limit needed.
            "OPP_AUTH_FAILURE_LIMIT": 100_000,
        }
        if parts:
            extra["OPP_RUN"] = parts
        return service_env(self.servers, self.namespace, service, **extra)

    def all_processes(self) -> list[ServiceProcess]:
        return [p for group in self.processes.values() for p in group]

    def api_urls(self, service: str) -> list[str]:
        group = self.processes[service]
        apis = [p for p in group if p.env.get("OPP_RUN") in (None, "api")]
        return [p.url for p in apis]

    async def kill(self, part: str) -> None:
        if part in self.processes:
            for process in self.processes[part]:
                await asyncio.to_thread(process.kill)
        else:
            killed = await asyncio.to_thread(stack.kill_server, self.config, part)
            assert killed is not None, f"{part} was not running"

    async def restart(self, part: str) -> None:
        if part in self.processes:
            for process in self.processes[part]:
                process.start()
            for process in self.processes[part]:
                await asyncio.to_thread(process.wait_until, "/health/live", 120)
            return
        await asyncio.to_thread(stack.start_server, self.config, part)
        if part in stack.KAFKA_NODES:
            await asyncio.to_thread(stack.wait_for_kafka, self.config)

    async def readiness(self) -> str:
        """Each service process's /health/ready status code, for a report of a part that did not recover."""
        answers = []
        async with httpx.AsyncClient() as client:
            for process in self.all_processes():
                try:
                    code = (await client.get(process.url + "/health/ready", timeout=5)).status_code
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                answers.append(f"{process.service}:{process.port} {code}")
        return ", ".join(answers)

    def database(self, service: str) -> str:
        return f"{self.namespace}_{service}"

    def topic(self, name: str) -> str:
        return f"{self.namespace}.{name}"


class Load:
    """Writers that keep making changes over HTTP and record every acknowledged one."""

    def __init__(self, platform: Platform, *, writers: int, rate: float, started: float) -> None:
        self.platform = platform
        self.writers = writers
        self.pause = writers / rate  # seconds from one write of a writer to its next
        self.started = started
        self.acks: list[Ack] = []
        self.scenario = Scenario("baseline")
        self.partners: list[str] = []  # acknowledged partners, for agreements, funds and status changes
        self.prospects: list[str] = []
        self.drafts: list[str] = []  # acknowledged agreements still drafted
        self._numbers = itertools.count(1)
        self._random = random.Random(14)

    def now(self) -> float:
        return time.monotonic() - self.started

    def record(self, topic: str, answer: dict[str, Any], scenario: Scenario) -> str:
        self.acks.append(Ack(topic, answer["id"], int(answer["version"]), scenario.name, self.now()))
        return str(answer["id"])

    async def _post(self, client: httpx.AsyncClient, service: str, path: str, body: Any, headers: dict) -> Any:
        """The answer's body on a success, else None (counted as refused by the scenario it was sent in)."""
        scenario = self.scenario
        url = self._random.choice(self.platform.api_urls(service))
        try:
            answer = await client.post(url + path, json=body, headers=headers, timeout=10)
        except httpx.HTTPError:
            scenario.refused += 1
            return None
        if answer.status_code not in (200, 201):
            scenario.refused += 1
            return None
        return answer.json(), scenario

    async def register(self, client: httpx.AsyncClient) -> str | None:
        n = next(self._numbers)
        body = {"name": f"Chaos University {n}", "kind": "university", "country": "DE"}
        key = {"Idempotency-Key": uuid.uuid4().hex}
        done = await self._post(client, "partners", "/api/v1/partners", body, PARTNERS_OFFICER | key)
        if done is None:
            return None
        partner_id = self.record("partners.partner", *done)
        self.partners.append(partner_id)
        self.prospects.append(partner_id)
        return partner_id

    async def activate(self, client: httpx.AsyncClient) -> None:
        if not self.prospects:
            return
        partner_id = self.prospects.pop(0)
        path = f"/api/v1/partners/{partner_id}/status"
        done = await self._post(client, "partners", path, {"status": "active"}, PARTNERS_OFFICER)
        if done is not None:
            self.record("partners.partner", *done)

    async def draft(self, client: httpx.AsyncClient) -> None:
        if not self.partners:
            return
        partner_id = self._random.choice(self.partners)
        body = {"type": "mou", "title": "Chaos exchange", "parties": [{"partner_id": partner_id, "lead": True}]}
        done = await self._post(client, "partners", "/api/v1/agreements", body, PARTNERS_OFFICER)
        if done is not None:
            self.drafts.append(self.record("partners.agreement", *done))

    async def submit(self, client: httpx.AsyncClient) -> None:
        if not self.drafts:
            return
        agreement_id = self.drafts.pop(0)
        done = await self._post(client, "partners", f"/api/v1/agreements/{agreement_id}/submit", None, PARTNERS_OFFICER)
        if done is not None:
            self.record("partners.agreement", *done)

    async def fund(self, client: httpx.AsyncClient) -> None:
        # Only partners registered a while ago: funding's directory must know the sponsor.
        if len(self.partners) < 5:
            return
        sponsor = self._random.choice(self.partners[:-3])
        body = {"name": "Chaos fund", "partner_ids": [sponsor], "budget": {"amount": "1000.00", "currency": "EUR"}}
        done = await self._post(client, "funding", "/api/v1/funds", body, FUNDING_OFFICER)
        if done is not None:
            self.record("funding.fund", *done)

    async def _writer(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        actions: list[Callable[[httpx.AsyncClient], Any]] = [
            self.register,
            self.register,
            self.activate,
            self.draft,
            self.submit,
            self.fund,
        ]
        while not stop.is_set():
            began = time.monotonic()
            await self._random.choice(actions)(client)
            # A steady rate, as an office makes changes: the platform keeps up with it when nothing
            # fails, so a fault's backlog and how fast it drains are the fault's own.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(self.pause - (time.monotonic() - began), 0.01))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Load]:
        stop = asyncio.Event()
        async with httpx.AsyncClient() as client:
            tasks = [asyncio.create_task(self._writer(client, stop)) for _ in range(self.writers)]
            try:
                yield self
            finally:
                stop.set()
                await asyncio.gather(*tasks)


async def canary(platform: Platform, load: Load, deadline: float) -> bool:
    """Register a partner (retrying until the API takes it) and wait until it has every effect:
    an inbox entry and both partner directories. False if that did not happen by `deadline`."""
    async with httpx.AsyncClient() as client:
        while (partner_id := await load.register(client)) is None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.2)
    mongo = connect(platform.servers.mongo_url)  # type: ignore[union-attr]
    try:
        while True:
            inbox = await mongo[platform.database("notifications")]["inbox"].find_one({"subject": partner_id})
            directories = [
                await mongo[platform.database(service)]["partner_directory"].find_one({"_id": partner_id})
                for service in ("funding", "techtransfer")
            ]
            if inbox is not None and all(directories):
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(1)  # the inbox lookup scans on FerretDB: not more often
    finally:
        await mongo.close()


async def read_published(bootstrap: str, topics: list[str]) -> list[CloudEvent]:
    """Every record of the topics from the beginning to their current end, with a consumer of no group."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = []
        for topic in topics:
            found = consumer.partitions_for_topic(topic)
            if found is None:
                await consumer._client.force_metadata_update()  # a topic newer than the client's metadata
                found = consumer.partitions_for_topic(topic) or set()
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        events: list[CloudEvent] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                events += [CloudEvent.from_json_bytes(r.value) for r in records]
        return events
    finally:
        await consumer.stop()


async def verify(platform: Platform, load: Load, scenarios: list[Scenario]) -> list[Row]:
    """Each scenario's acknowledged changes against what Kafka and the services' databases hold."""
    assert platform.servers is not None
    events = await read_published(platform.servers.kafka_bootstrap, [platform.topic(t) for t in TOPICS])
    published: dict[tuple[str, str, int], dict[str, str]] = defaultdict(dict)  # change -> event id -> type
    change_of: dict[str, tuple[str, str, int]] = {}
    for event in events:
        change = (event.topic, str(event.subject), int(event.sequence))
        published[change][event.id] = event.type
        change_of[event.id] = change

    mongo = connect(platform.servers.mongo_url)
    try:
        inbox_collection = mongo[platform.database("notifications")]["inbox"]
        entries = await inbox_collection.find({}, {"event_id": 1, "recipient": 1}).to_list()
        views = {}  # service -> view document id -> the sequence it holds
        for service, collection in VIEWS:
            found = mongo[platform.database(service)][collection].find({}, {"_sequence": 1})
            views[service] = {d["_id"]: d["_sequence"] async for d in found}
    finally:
        await mongo.close()

    inbox: dict[str, int] = defaultdict(int)  # event id -> entries
    per_recipient: dict[tuple[tuple[str, str, int], str], int] = defaultdict(int)
    for entry in entries:
        change = change_of.get(entry["event_id"])
        if change is not None:  # else an event of a topic not read here (e.g. notifications' own)
            inbox[entry["event_id"]] += 1
            per_recipient[(change, entry["recipient"])] += 1
    repeated: dict[tuple[str, str, int], int] = defaultdict(int)  # change -> entries beyond one per recipient
    for (change, _recipient), count in per_recipient.items():
        repeated[change] += count - 1

    inbox_types = inbox_event_types()
    latest: dict[tuple[str, str], Ack] = {}
    for ack in load.acks:
        key = (ack.topic, ack.subject)
        if key not in latest or ack.version > latest[key].version:
            latest[key] = ack

    rows = []
    for scenario in scenarios:
        acks = [a for a in load.acks if a.scenario == scenario.name]
        lost, unpublished, duplicated, effects, problems = 0, 0, 0, 0, []
        for ack in acks:
            change = (ack.topic, ack.subject, ack.version)
            ids = published.get(change, {})
            if not ids:
                lost += 1
                unpublished += 1
                problems.append(f"not published: {ack.topic} {ack.subject} v{ack.version}")
                continue
            effects += 1
            if len(ids) > 1:
                duplicated += len(ids) - 1
                problems.append(f"published as {len(ids)} events: {ack.topic} {ack.subject} v{ack.version}")
            event_type = next(iter(ids.values()))
            if event_type in inbox_types:
                if any(inbox[i] for i in ids):
                    effects += 1
                else:
                    lost += 1
                    problems.append(f"no inbox entry: {event_type} {ack.subject} v{ack.version}")
            duplicated += repeated[change]
            if repeated[change]:
                problems.append(f"inbox entry repeated: {event_type} {ack.subject} v{ack.version}")
            if latest[(ack.topic, ack.subject)] is not ack:
                continue  # a view holds the latest version only: judged by the latest ack
            for service, view, wanted in (
                ("funding", "partner directory", ack.topic == "partners.partner"),
                ("techtransfer", "partner directory", ack.topic == "partners.partner"),
                ("partners", "portfolio", ack.topic == "funding.fund"),
            ):
                key = ack.subject if view == "partner directory" else f"funding.fund:{ack.subject}"
                if not wanted:
                    continue
                if views[service].get(key, 0) >= ack.version:
                    effects += 1
                else:
                    lost += 1
                    problems.append(f"{service}'s {view} lacks {ack.subject} v{ack.version}")
        rows.append(
            Row(
                scenario=scenario.name,
                acknowledged=len(acks),
                refused=scenario.refused,
                lost=lost,
                duplicated=duplicated,
                recover_seconds=scenario.recover_seconds,
                unpublished=unpublished,
                effects=effects,
                problems=problems,
            )
        )
    return rows


async def settle(platform: Platform, load: Load, scenarios: list[Scenario], timeout: float) -> list[Row]:
    """Verify until nothing is missing or `timeout` seconds have passed (effects trail the writes)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = await verify(platform, load, scenarios)
        if all(row.lost == 0 for row in rows) or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(2)


@dataclass
class Result:
    rows: list[Row]
    acks: list[Ack]
    scenarios: list[Scenario]
    brokers: int
    copies: int
    seconds: float


async def run(
    folder: Path,
    *,
    faults: list[str] | None = None,
    brokers: int = 1,
    copies: int = 1,
    load_seconds: float = 4.0,
    down_seconds: float = 2.0,
    writers: int = 4,
    rate: float = 2.0,
    recover_timeout: float = 300.0,
    settle_timeout: float = 300.0,
    say: Callable[[str], None] = print,
) -> Result:
    """Start the stack, inject each fault in turn under load, and verify every acknowledged change."""
    platform = Platform(folder, brokers=brokers, copies=copies)
    chosen = faults or platform.faults()
    unknown = sorted(set(chosen) - set(platform.faults()))
    if unknown:
        raise ValueError(f"no part {', '.join(unknown)} to kill; the parts are {', '.join(platform.faults())}")
    started = time.monotonic()
    with platform.running():
        say(
            f"chaos: stack and services up in {time.monotonic() - started:.0f} s ({brokers} Kafka broker(s), "
            f"{copies} copy(ies) of each service part)"
        )
        load = Load(platform, writers=writers, rate=rate, started=time.monotonic())
        scenarios = [Scenario("baseline")]
        async with load.running():
            await asyncio.sleep(load_seconds)
            for part in chosen:
                scenario = Scenario(part)
                scenarios.append(scenario)
                load.scenario = scenario
                await asyncio.sleep(load_seconds)
                scenario.killed_at = load.now()
                await platform.kill(part)
                say(f"chaos: killed {part} (SIGKILL) at {scenario.killed_at:.1f} s")
                await asyncio.sleep(down_seconds)
                await platform.restart(part)
                scenario.restarted_at = load.now()
                if await canary(platform, load, time.monotonic() + recover_timeout):
                    scenario.recovered_at = load.now()
                    say(f"chaos: {part} restarted, every effect again after {scenario.recover_seconds:.1f} s")
                else:
                    say(f"chaos: {part} restarted, but a new change lacked an effect {recover_timeout:.0f} s later")
                    say("chaos: readiness now: " + await platform.readiness())
                await asyncio.sleep(load_seconds)
            load.scenario = Scenario("after")  # what the writers send while they stop is not judged
        rows = await settle(platform, load, scenarios, settle_timeout)
    return Result(rows, load.acks, scenarios, brokers, copies, time.monotonic() - started)


COLUMNS = (
    "scenario",
    "acknowledged",
    "refused",
    "lost",
    "of which unpublished",
    "duplicated effects",
    "time to recover",
)


def table(rows: list[Row]) -> str:
    widths = [max(14, len(COLUMNS[0])), *(len(c) for c in COLUMNS[1:])]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(COLUMNS, widths, strict=True)))]
    lines.append("-" * len(lines[0]))
    for row in rows:
        recover = "-" if row.scenario == "baseline" else "not recovered"
        if row.recover_seconds is not None:
            recover = f"{row.recover_seconds:.1f} s"
        cells = [row.scenario, row.acknowledged, row.refused, row.lost, row.unpublished, row.duplicated, recover]
        lines.append(
            "  ".join(
                str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    return "\n".join(lines)
