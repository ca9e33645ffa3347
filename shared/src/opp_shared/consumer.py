"""The consumer runner: handle each record, commit after handling, dead-letter what cannot be handled.

For every record of a partition, in order:
- decode the CloudEvent in the handler (a bad record must not stall the
  partition, as a failing `value_deserializer` would): a record that is not a
  CloudEvent goes straight to `<topic>.dlq`;
- dispatch it by type; types nobody handles are skipped (consumers ignore
  what they do not know);
- a handler error is retried a bounded number of times, then the record goes
  to `<topic>.dlq` with the original topic, partition, offset and error in
  its headers, and the partition moves on;
- the database being unreachable is not the record's fault: the runner waits
  and retries without limit (and without dead-lettering) until it is back or
  the process stops;
- offsets are committed after handling, and once more before stopping.

De-duplication is the handler's: its effect must be keyed by the event id, or
apply only newer sequences (see `views.py`); redelivery after a crash or a
rebalance then changes nothing.
"""

from __future__ import annotations

import asyncio
import fnmatch
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from opp_shared.catalogue import dlq_topic
from opp_shared.envelope import CloudEvent
from opp_shared.kafka import ProducerHolder
from opp_shared.logs import correlation_id_var, event_id_var, traceparent_var
from opp_shared.metrics import CONSUMER_RETRIES, EVENTS_CONSUMED
from opp_shared.mongo import UNAVAILABLE

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent], Awaitable[None]]


class EventRouter:
    """Maps event types (exact, or a pattern such as `partners.partner.*`) to handlers."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, Handler]] = []

    def on(self, pattern: str, handler: Handler) -> None:
        self._routes.append((pattern, handler))

    def handlers_for(self, event_type: str) -> list[Handler]:
        return [h for pattern, h in self._routes if fnmatch.fnmatchcase(event_type, pattern)]

    async def dispatch(self, event: CloudEvent) -> bool:
        """Run every handler of the event's type; False when none handles it."""
        handlers = self.handlers_for(event.type)
        for handler in handlers:
            await handler(event)
        return bool(handlers)


@dataclass
class RetryPolicy:
    max_attempts: int = 4
    backoff_seconds: float = 0.2
    max_backoff_seconds: float = 30.0

    def delay(self, attempt: int) -> float:
        return min(self.backoff_seconds * (2 ** (attempt - 1)), self.max_backoff_seconds)


@dataclass
class Outcome:
    handled: bool = False
    dead_lettered: bool = False
    error: str | None = None


class DeadLetters:
    """Sends a record that could not be handled to `<topic>.dlq`, unchanged, with why in its headers."""

    def __init__(self, producer: ProducerHolder, group: str) -> None:
        self.producer = producer
        self.group = group

    async def send(self, record: Any, error: BaseException | str) -> None:
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        headers = [(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq.")]
        headers += [
            ("dlq.original.topic", record.topic.encode()),
            ("dlq.original.partition", str(record.partition).encode()),
            ("dlq.original.offset", str(record.offset).encode()),
            ("dlq.error", reason[:4000].encode()),
            ("dlq.consumer.group", self.group.encode()),
            ("dlq.failed.at", datetime.now(UTC).isoformat().encode()),
        ]
        producer = await self.producer.get()
        await producer.send_and_wait(dlq_topic(record.topic), value=record.value, key=record.key, headers=headers)


class RecordHandler:
    """Decode, dispatch with bounded retries, dead-letter: the per-record logic, without Kafka's loop."""

    def __init__(self, router: EventRouter, dead_letters: DeadLetters, policy: RetryPolicy, group: str) -> None:
        self.router = router
        self.dead_letters = dead_letters
        self.policy = policy
        self.group = group

    async def handle(self, record: Any, stopping: asyncio.Event) -> Outcome | None:
        """Answer the outcome, or None when shutdown came while the database was down
        (the record is then left uncommitted, for the next run)."""
        try:
            event = CloudEvent.from_json_bytes(record.value)
        except Exception as exc:
            log.warning(
                "record %s/%s@%s is not a CloudEvent; dead-lettered", record.topic, record.partition, record.offset
            )
            await self.dead_letters.send(record, f"undecodable: {exc}")
            EVENTS_CONSUMED.labels(self.group, record.topic, "dead_lettered").inc()
            return Outcome(dead_lettered=True, error=str(exc))

        tokens = [
            event_id_var.set(event.id),
            correlation_id_var.set(event.correlationid or event.id),
            traceparent_var.set(event.traceparent),
        ]
        try:
            attempt = 0
            while True:
                try:
                    handled = await self.router.dispatch(event)
                    EVENTS_CONSUMED.labels(self.group, record.topic, "handled" if handled else "ignored").inc()
                    return Outcome(handled=handled)
                except UNAVAILABLE as exc:
                    # Not the record's fault: wait for the database, however long it takes.
                    log.warning("database unavailable while handling %s (%s); waiting", event.id, exc)
                    if await _sleep_or_stop(stopping, self.policy.max_backoff_seconds / 6):
                        return None
                except Exception as exc:
                    attempt += 1
                    if attempt >= self.policy.max_attempts:
                        log.error("handling %s failed %d times; dead-lettered", event.id, attempt, exc_info=True)
                        await self.dead_letters.send(record, exc)
                        EVENTS_CONSUMED.labels(self.group, record.topic, "dead_lettered").inc()
                        return Outcome(dead_lettered=True, error=str(exc))
                    CONSUMER_RETRIES.labels(self.group).inc()
                    log.warning("handling %s failed (attempt %d): %s", event.id, attempt, exc)
                    if await _sleep_or_stop(stopping, self.policy.delay(attempt)):
                        return None
        finally:
            for token in reversed(tokens):
                token.var.reset(token)


async def _sleep_or_stop(stopping: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
        return True
    except TimeoutError:
        return False


@dataclass
class _Progress(ConsumerRebalanceListener):
    """Offsets handled but not yet committed; committed before partitions are taken away."""

    consumer: AIOKafkaConsumer | None = None
    pending: dict[TopicPartition, int] = field(default_factory=dict)

    async def commit(self) -> None:
        if not self.pending or self.consumer is None:
            return
        offsets, self.pending = dict(self.pending), {}
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The partitions moved to another member; it will redeliver, and handlers de-duplicate.
            log.warning("commit of %s failed: %s", offsets, exc)

    async def on_partitions_revoked(self, revoked) -> None:
        await self.commit()

    async def on_partitions_assigned(self, assigned) -> None:
        return None


class ConsumerWorker:
    """One consumer group reading some topics and handing each record to a router."""

    def __init__(
        self,
        *,
        name: str,
        group_id: str,
        topics: list[str],
        router: EventRouter,
        bootstrap_servers: str,
        producer: ProducerHolder,
        policy: RetryPolicy | None = None,
        max_records: int = 100,
    ) -> None:
        self.name = name
        self.group_id = group_id
        self.topics = topics
        self.bootstrap_servers = bootstrap_servers
        self.max_records = max_records
        self.records = RecordHandler(router, DeadLetters(producer, group_id), policy or RetryPolicy(), group_id)
        self.assigned: set[TopicPartition] = set()
        self.last_error: str | None = None

    def health(self) -> dict[str, Any]:
        return {"group": self.group_id, "partitions": len(self.assigned), "last_error": self.last_error}

    async def run(self, stopping: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            client_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.max_records,
            # A topic created moments before the group's first assignment may have no partition
            # metadata yet, and then gets no partitions until the next metadata refresh (aiokafka's
            # default: 5 minutes); a short refresh rebalances it in within seconds.
            metadata_max_age_ms=5000,
        )
        progress = _Progress(consumer)
        await consumer.start()
        try:
            consumer.subscribe(self.topics, listener=progress)
            while not stopping.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
                self.assigned = set(consumer.assignment())
                for tp, records in batches.items():
                    for record in records:
                        outcome = await self.records.handle(record, stopping)
                        if outcome is None:
                            return  # stopping while the database is down: leave this record uncommitted
                        progress.pending[tp] = record.offset + 1
                        if stopping.is_set():
                            return  # the rest of the batch is redelivered to the next run
                    await progress.commit()
        finally:
            await progress.commit()
            await consumer.stop()
