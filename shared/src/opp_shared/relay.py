"""The relay: brings projections forward, publishes event records, then marks them.

Order of work for each unpublished record, per aggregate in sequence order:
1. make sure the current-state document shows at least this version (the
   request that inserted the record may have died before projecting it);
2. publish the CloudEvent with the idempotent producer (acks=all), keyed by
   aggregate id so that one aggregate's events stay in one partition, in order;
   then its copies in older versions of its type and the aggregate's latest
   state on `<topic>.state` (`state_topics.Outgoing`: what to send is decided
   there, how and when here);
3. only after Kafka acknowledged all of them, set `published: true`.

A crash before 3 republishes the record on the next round: a duplicate on
the topic (same event id), which every consumer tolerates; a crash before 2
loses nothing. Several copies of a service share one relay lease so that
usually only one publishes; the guarantees do not depend on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.claims import Lease
from opp_shared.eventstore import EventStore
from opp_shared.kafka import ProducerHolder
from opp_shared.metrics import EVENTS_PUBLISHED, RELAY_BACKLOG, RELAY_FAILURES
from opp_shared.state_topics import Outgoing

log = logging.getLogger(__name__)


class Relay:
    name = "relay"

    def __init__(
        self,
        store: EventStore,
        producer: ProducerHolder,
        *,
        topic_name=lambda topic: topic,
        batch_size: int = 200,
        poll_seconds: float = 0.5,
        lease: Lease | None = None,
        outgoing: Outgoing | None = None,
    ) -> None:
        self.store = store
        self.producer = producer
        self.topic_name = topic_name  # adds the Kafka namespace
        self.outgoing = outgoing or Outgoing(topic_name=topic_name)
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.lease = lease
        self.wakeup = asyncio.Event()
        self.consecutive_failures = 0
        self.last_error: str | None = None

    def wake(self) -> None:
        self.wakeup.set()

    def health(self) -> dict[str, Any]:
        return {"consecutive_failures": self.consecutive_failures, "last_error": self.last_error}

    @property
    def healthy(self) -> bool:
        return self.consecutive_failures < 5

    async def run(self, stopping: asyncio.Event) -> None:
        backoff = self.poll_seconds
        while not stopping.is_set():
            try:
                if self.lease is not None and not await self.lease.held():
                    await self._sleep(stopping, self.lease.slot_seconds / 4)
                    continue
                # Cleared before the round, not after: an append during the round must wake the next one.
                self.wakeup.clear()
                published = await self.publish_once()
                self.consecutive_failures, self.last_error = 0, None
                backoff = self.poll_seconds
                if published < self.batch_size:
                    await self._sleep(stopping, self.poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                RELAY_FAILURES.inc()
                self.consecutive_failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("relay round failed (%s); retrying in %.1fs", self.last_error, backoff)
                await self.producer.reset()
                await self._sleep(stopping, backoff)
                backoff = min(backoff * 2, 30.0)

    async def _sleep(self, stopping: asyncio.Event, seconds: float) -> None:
        """Sleep until the timeout, a new append, or shutdown, whichever comes first."""
        waits = [asyncio.ensure_future(stopping.wait()), asyncio.ensure_future(self.wakeup.wait())]
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def publish_once(self) -> int:
        """One round: publish up to a batch of unpublished records; answer how many."""
        records = await self.store.unpublished(self.batch_size)
        RELAY_BACKLOG.set(len(records))
        if not records:
            return 0
        by_aggregate: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            by_aggregate[record["aggregate_id"]].append(record)

        producer = await self.producer.get()
        sends: list[tuple[dict[str, Any], list[asyncio.Future]]] = []
        for aggregate_id, group in by_aggregate.items():
            group.sort(key=lambda r: r["sequence"])
            first = group[0]["sequence"]
            # Never publish a change before the one it follows (clock skew between
            # API copies can order `recorded_at` differently from `sequence`).
            if first > 1 and not await self.store.is_published(aggregate_id, first - 1):
                continue
            # The newest record of the group is enough: a projection only moves forward.
            await self._bring_projection_forward(group[-1])
            for record in group:
                futures = [
                    await producer.send(message.topic, value=message.value, key=message.key, headers=message.headers)
                    for message in self.outgoing.messages(record)
                ]
                sends.append((record, futures))

        done: list[str] = []
        failed_aggregates: set[str] = set()
        failure: BaseException | None = None
        for record, futures in sends:
            outcomes = await asyncio.gather(*futures, return_exceptions=True)
            error = next((o for o in outcomes if isinstance(o, BaseException)), None)
            if error is not None:  # keep the acknowledged records, redo the rest
                failure = failure or error
                failed_aggregates.add(record["aggregate_id"])
                continue
            if record["aggregate_id"] in failed_aggregates:
                continue  # an earlier change of this aggregate failed: publish both again, in order
            done.append(record["_id"])
            EVENTS_PUBLISHED.labels(record["aggregate_type"]).inc()
        await self.store.mark_published(done, self.store.clock.now())
        if failure is not None:
            raise failure
        return len(done)

    async def _bring_projection_forward(self, record: dict[str, Any]) -> None:
        aggregate_type = record["aggregate_type"]
        if await self.store.projected_version(aggregate_type, record["aggregate_id"]) >= record["sequence"]:
            return
        state = record["event"]["data"]["state"]
        await self.store.project(aggregate_type, Snapshot(record["aggregate_id"], record["sequence"], state))
