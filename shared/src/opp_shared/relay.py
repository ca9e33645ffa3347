"""The relay: brings projections forward, publishes event records, then deletes their outbox markers.

How it learns of work, without ever scanning the history:
- **handoff**: `EventStore.append` hands each stored record to the relay of its
  own process (a bounded queue), which publishes it straight away;
- **sweep**: a read of the outbox (`EventStore.unpublished`), whose size is
  the backlog. It runs when the relay starts or takes the lease, after a
  failed round, when the queue overflowed, whenever the relay has been idle
  for `poll_seconds`, and at least every `sweep_seconds` while busy. It finds
  what the handoff cannot: records appended by other copies of the service
  (API-only processes), by a copy that died, or before a crash.

Order of work for each record, per aggregate in sequence order:
1. never publish sequence n before n-1 was acknowledged: n-1 is known to be
   published when this relay published it, or else when no outbox marker
   names it any more;
2. make sure the current-state document shows at least this version (the
   request that inserted the record may have died before projecting it);
3. publish the CloudEvent with the idempotent producer (acks=all), keyed by
   aggregate id so that one aggregate's events stay in one partition, in order;
   then its copies in older versions of its type and the aggregate's latest
   state on `<topic>.state` (`state_topics.Outgoing`: what to send is decided
   there, how and when here);
4. only after Kafka acknowledged all of them, delete the record's marker.

A crash before 4 republishes the record on the next sweep: a duplicate on
the topic (same event id), which every consumer tolerates; a crash before 3
loses nothing (the marker is still there). Several copies of a service share
one relay lease so that usually only one publishes; the guarantees do not
depend on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.claims import Lease
from opp_shared.eventstore import EventStore
from opp_shared.kafka import ProducerHolder
from opp_shared.metrics import EVENTS_PUBLISHED, RELAY_BACKLOG, RELAY_FAILURES
from opp_shared.state_topics import Outgoing

log = logging.getLogger(__name__)

# Aggregates whose last published sequence the relay remembers (oldest forgotten first): it spares
# the outbox query of step 1 for aggregates that change again, and skips a handed-off record that
# a sweep already published.
REMEMBERED_AGGREGATES = 10_000


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
        sweep_seconds: float = 5.0,
        queue_size: int = 10_000,
        lease: Lease | None = None,
        outgoing: Outgoing | None = None,
    ) -> None:
        self.store = store
        self.producer = producer
        self.topic_name = topic_name  # adds the Kafka namespace
        self.outgoing = outgoing or Outgoing(topic_name=topic_name)
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self.queue_size = queue_size
        self.lease = lease
        self.wakeup = asyncio.Event()
        self.consecutive_failures = 0
        self.last_error: str | None = None
        self.handed_off: list[tuple[dict[str, Any], bool]] = []  # (record, projected), in append order
        self.sweep_due = True
        self.published_up_to: dict[str, int] = {}  # aggregate id -> last sequence this relay published
        self.legacy_adopted = False

    def handoff(self, record: dict[str, Any], projected: bool) -> None:
        """Called by `EventStore.append` once `record` is stored (and projected, or not)."""
        if len(self.handed_off) >= self.queue_size:
            self.sweep_due = True  # its marker is in the outbox: the sweep publishes it
        else:
            self.handed_off.append((record, projected))
        self.wakeup.set()

    def health(self) -> dict[str, Any]:
        return {"consecutive_failures": self.consecutive_failures, "last_error": self.last_error}

    @property
    def healthy(self) -> bool:
        return self.consecutive_failures < 5

    async def run(self, stopping: asyncio.Event) -> None:
        backoff = self.poll_seconds
        next_sweep = 0.0
        while not stopping.is_set():
            try:
                if self.lease is not None and not await self.lease.held():
                    # The holder's sweep publishes what this copy appends.
                    self.handed_off.clear()
                    self.sweep_due = True
                    await self._sleep(stopping, self.lease.slot_seconds / 4)
                    continue
                # Cleared before the round, not after: an append during the round must wake the next one.
                self.wakeup.clear()
                if self.sweep_due or time.monotonic() >= next_sweep:
                    if not self.legacy_adopted:
                        if adopted := await self.store.adopt_legacy_records():
                            log.info("adopted %d records stored before the outbox", adopted)
                        self.legacy_adopted = True
                    next_sweep = time.monotonic() + self.sweep_seconds
                    published = await self.sweep_once()
                    self.sweep_due = published >= self.batch_size  # a full batch: more may wait
                elif self.handed_off:
                    await self.publish_handed_off()
                else:
                    woken = await self._sleep(stopping, self.poll_seconds)
                    # Idle: look for what other copies appended.
                    self.sweep_due = self.sweep_due or not woken
                self.consecutive_failures, self.last_error = 0, None
                backoff = self.poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                RELAY_FAILURES.inc()
                self.consecutive_failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.sweep_due = True
                log.warning("relay round failed (%s); retrying in %.1fs", self.last_error, backoff)
                await self.producer.reset()
                await self._sleep(stopping, backoff)
                backoff = min(backoff * 2, 30.0)

    async def _sleep(self, stopping: asyncio.Event, seconds: float) -> bool:
        """Sleep until the timeout, a new append, or shutdown, whichever comes first; True when woken."""
        waits = [asyncio.ensure_future(stopping.wait()), asyncio.ensure_future(self.wakeup.wait())]
        try:
            done, _ = await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        return bool(done)

    async def sweep_once(self) -> int:
        """One sweep: publish up to a batch of the outbox's records; answer how many.
        Records waiting in the handoff are left to it (cheaper: it reads nothing); one the
        sweep publishes anyway (handed off meanwhile) is skipped by the handoff."""
        waiting = {record["event"]["id"] for record, _ in self.handed_off}
        records = await self.store.unpublished(self.batch_size, skip=waiting)
        RELAY_BACKLOG.set(len(records))
        return await self._publish([(record, False) for record in records])

    # The name the tests, the bench and operators know: one round of the sweep.
    publish_once = sweep_once

    async def publish_handed_off(self) -> int:
        """Publish up to a batch of the records handed off by appends in this process."""
        batch, self.handed_off = self.handed_off[: self.batch_size], self.handed_off[self.batch_size :]
        fresh = [(r, p) for r, p in batch if r["sequence"] > self.published_up_to.get(r["aggregate_id"], 0)]
        return await self._publish(fresh)

    async def _publish(self, work: list[tuple[dict[str, Any], bool]]) -> int:
        if not work:
            return 0
        by_aggregate: dict[str, list[tuple[dict[str, Any], bool]]] = defaultdict(list)
        for record, projected in work:
            by_aggregate[record["aggregate_id"]].append((record, projected))

        ready: list[list[dict[str, Any]]] = []
        unprojected: list[dict[str, Any]] = []
        for aggregate_id, group in by_aggregate.items():
            group.sort(key=lambda item: item[0]["sequence"])
            first = group[0][0]["sequence"]
            # Never publish a change before the one it follows (it may be another copy's, still in
            # the outbox; or clock skew between API copies ordered the outbox differently).
            if first > 1 and not await self._published(aggregate_id, first - 1):
                self.sweep_due = True  # a handed-off record waits for the sweep, which has its marker
                continue
            contiguous = next((i for i in range(1, len(group)) if group[i][0]["sequence"] != first + i), len(group))
            if contiguous < len(group):  # the change between is another copy's: after it, by the sweep
                self.sweep_due = True
                group = group[:contiguous]
            ready.append([record for record, _ in group])
            newest, projected = group[-1]
            if not projected:  # the newest record of the group is enough: a projection only moves forward
                unprojected.append(newest)
        await self._bring_projections_forward(unprojected)

        producer = await self.producer.get()
        sends: list[tuple[dict[str, Any], list[asyncio.Future]]] = []
        for group in ready:
            for record in group:
                futures = [
                    await producer.send(message.topic, value=message.value, key=message.key, headers=message.headers)
                    for message in self.outgoing.messages(record)
                ]
                sends.append((record, futures))

        done: list[dict[str, Any]] = []
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
            done.append(record)
            EVENTS_PUBLISHED.labels(record["aggregate_type"]).inc()
        await self.store.mark_published(done)
        for record in done:
            self._remember(record["aggregate_id"], record["sequence"])
        if failure is not None:
            raise failure
        return len(done)

    async def _published(self, aggregate_id: str, sequence: int) -> bool:
        if self.published_up_to.get(aggregate_id, 0) >= sequence:
            return True
        return not await self.store.is_pending(aggregate_id, sequence)

    def _remember(self, aggregate_id: str, sequence: int) -> None:
        self.published_up_to.pop(aggregate_id, None)  # re-inserted last: the most recent is kept longest
        self.published_up_to[aggregate_id] = sequence
        if len(self.published_up_to) > REMEMBERED_AGGREGATES:
            del self.published_up_to[next(iter(self.published_up_to))]

    async def _bring_projections_forward(self, newest: list[dict[str, Any]]) -> None:
        """Project each record whose projection shows an older version (read together, per type)."""
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in newest:
            by_type[record["aggregate_type"]].append(record)
        for aggregate_type, records in by_type.items():
            versions = await self.store.projected_versions(aggregate_type, [r["aggregate_id"] for r in records])
            for record in records:
                if versions[record["aggregate_id"]] < record["sequence"]:
                    state = record["event"]["data"]["state"]
                    snapshot = Snapshot(record["aggregate_id"], record["sequence"], state)
                    await self.store.project(aggregate_type, snapshot)
