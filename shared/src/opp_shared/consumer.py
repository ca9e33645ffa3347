"""The consumer runner: handle each record, commit after handling, dead-letter what cannot be handled.

Every record, whatever its bytes, is either handled or dead-lettered; no
record can stop a partition. For every record of a partition, in order:
- decode the CloudEvent in the handler (a bad record must not stall the
  partition, as a failing `value_deserializer` would): a record that is not a
  CloudEvent (no value, not UTF-8, not JSON, not an envelope) goes straight to
  `<topic>.dlq`;
- find its handlers by type; a type nobody here handles is skipped
  (consumers ignore what they do not know);
- check it against the contract (`contract.EventContract`: catalogue type of
  this topic, the owner's source, subject, sequence, key, the shape of
  `data`, its type's JSON Schema): a record that fails goes to `<topic>.dlq`
  at once and no handler sees it; one in a version of its type this code does
  not know is skipped. A handler may refuse a record too (`RejectedEvent`, e.g. a view
  seeing an implausible sequence): dead-lettered at once as well;
- a handler error is retried a bounded number of times, then the record goes
  to `<topic>.dlq` with the original topic, partition, offset and error in
  its headers, and the partition moves on;
- the database being unreachable is not the record's fault: the runner waits
  and retries without limit (and without dead-lettering) until it is back or
  the process stops. Unless the database answers a ping meanwhile: then it
  was the record that broke the connection (FerretDB drops it on a NaN), and
  the failure counts as the handler's;
- offsets are committed after handling, and once more before stopping.

The dead-letter send must not be what fails: a record with neither key nor
value (which the Kafka client refuses to send) is dead-lettered with an empty
value and a header saying the value was null; one that cannot be sent as it
is (too large, say) is dead-lettered as headers only, with its size and
digest. And if the runner itself fails on a record (an error that escapes all
of the above and restarts the worker), the worker counts it: after
`max_strikes` failures on the same offset it dead-letters that record as
headers only, without handling it, and moves on. A record the Kafka client
itself cannot read (aiokafka fails on a header name that is not UTF-8, which
a client in another language can write, or on a codec it lacks) is met the same way: read one record
at a time, the partition shows where it is stuck, and after `max_strikes`
failures there the offset is dead-lettered as headers only and skipped (so is
the rest of that producer's batch, which the client cannot read either).
Nothing is ever skipped without a copy in the `.dlq`: when even that send
fails (Kafka is down), the worker waits and tries again.

De-duplication is the handler's: its effect must be keyed by the event id, or
apply only newer sequences (see `views.py`); redelivery after a crash or a
rebalance then changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import (
    CommitFailedError,
    CorruptRecordException,
    InvalidTimestampError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    UnsupportedCodecError,
)
from pydantic import ValidationError

from opp_shared.catalogue import dlq_topic
from opp_shared.contract import EventContract, RejectedEvent, UnknownSchemaVersion
from opp_shared.envelope import CloudEvent
from opp_shared.kafka import ProducerHolder
from opp_shared.logs import correlation_id_var, event_id_var, traceparent_var
from opp_shared.metrics import CONSUMER_LAG, CONSUMER_RETRIES, DEAD_LETTERS, EVENTS_CONSUMED
from opp_shared.mongo import UNAVAILABLE

log = logging.getLogger(__name__)

Handler = Callable[[CloudEvent], Awaitable[None]]

# Errors of a send that are the record's own fault (its size, its header types, the
# client refusing a record with neither key nor value); anything else (Kafka down) is
# retried by restarting the worker.
RECORD_FAULTS = (
    AssertionError,
    TypeError,
    ValueError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidTimestampError,
)


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


class Undecodable(Exception):
    """The record's value is not a CloudEvent."""


def decode(record: Any) -> CloudEvent:
    if record.value is None:
        raise Undecodable("the record has no value")
    try:
        return CloudEvent.from_json_bytes(record.value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "value"
        raise Undecodable(f"not a CloudEvent ({exc.error_count()} errors; {where}: {first.get('msg')})") from None
    except Exception as exc:
        raise Undecodable(f"not a CloudEvent ({type(exc).__name__})") from None


class DeadLetters:
    """Sends a record that could not be handled to `<topic>.dlq`, unchanged, with why in its headers.

    When the record cannot be sent as it is, its value is replaced: by an empty one
    and `dlq.original.value-null: true` when it had none, or by nothing at all
    (`dlq.original.dropped`, with the size and SHA-256 of key and value) when the
    record itself makes the send fail."""

    def __init__(self, producer: ProducerHolder, group: str) -> None:
        self.producer = producer
        self.group = group

    def _why(self, record: Any, error: BaseException | str) -> list[tuple[str, bytes]]:
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        return [
            ("dlq.original.topic", record.topic.encode()),
            ("dlq.original.partition", str(record.partition).encode()),
            ("dlq.original.offset", str(record.offset).encode()),
            ("dlq.error", reason[:4000].encode("utf-8", "replace")),
            ("dlq.consumer.group", self.group.encode()),
            ("dlq.failed.at", datetime.now(UTC).isoformat().encode()),
        ]

    async def send(self, record: Any, error: BaseException | str) -> None:
        why = self._why(record, error)
        original = [(k, v or b"") for k, v in (record.headers or ()) if not str(k).startswith("dlq.")]
        value = record.value
        if value is None:
            value, why = b"", why + [("dlq.original.value-null", b"true")]
        try:
            await self._send(record, value=value, key=record.key, headers=original + why)
        except RECORD_FAULTS as exc:
            log.warning("record %s cannot be dead-lettered as it is (%s); sending its headers only", _at(record), exc)
            await self.send_headers_only(record, error, dropped_because=type(exc).__name__)

    async def _send(self, record: Any, **message: Any) -> None:
        producer = await self.producer.get()
        try:
            await producer.send_and_wait(dlq_topic(record.topic), **message)
        except RECORD_FAULTS:
            raise
        except Exception:
            # Kafka out of reach, or the producer stuck (aiokafka issue 1017): the next try gets a
            # fresh producer, even in a process that runs no relay to reset it.
            await self.producer.reset()
            raise

    async def send_headers_only(self, record: Any, error: BaseException | str, *, dropped_because: str) -> None:
        """The record's place, size and digest, without its key, value or headers: the last resort,
        which no content can make fail. (An `Unreadable` record has only its place.)"""
        headers = self._why(record, error) + [("dlq.original.dropped", dropped_because.encode())]
        for part in ("key", "value") if not isinstance(record, Unreadable) else ():
            content = getattr(record, part)
            if content is None:
                headers.append((f"dlq.original.{part}-null", b"true"))
            else:
                headers.append((f"dlq.original.{part}-size", str(len(content)).encode()))
                headers.append((f"dlq.original.{part}-sha256", hashlib.sha256(content).hexdigest().encode()))
        await self._send(record, value=b"", key=None, headers=headers)


@dataclass(frozen=True)
class Unreadable:
    """Where a record is that the Kafka client fails to read: all there is to know of it."""

    topic: str
    partition: int
    offset: int


def _at(record: Any) -> str:
    return f"{record.topic}/{record.partition}@{record.offset}"


def _clients_fault(exc: BaseException) -> bool:
    """An error of a fetch that is about the records themselves (bytes the client cannot decode, a
    codec it lacks), not about reaching Kafka or the client's own state (its assertions)."""
    if isinstance(exc, (CorruptRecordException, UnsupportedCodecError)):
        return True
    return not isinstance(exc, (KafkaError, AssertionError))


class RecordHandler:
    """Decode, check, dispatch with bounded retries, dead-letter: the per-record logic, without Kafka's loop."""

    def __init__(
        self,
        router: EventRouter,
        dead_letters: DeadLetters,
        policy: RetryPolicy,
        group: str,
        contract: EventContract | None = None,
        database_ping: Callable[[], Awaitable[Any]] | None = None,
    ) -> None:
        self.router = router
        self.dead_letters = dead_letters
        self.policy = policy
        self.group = group
        self.contract = contract or EventContract()
        self.database_ping = database_ping

    async def dead_letter(self, record: Any, reason: str, error: BaseException | str) -> Outcome:
        await self.dead_letters.send(record, error)
        EVENTS_CONSUMED.labels(self.group, record.topic, "dead_lettered").inc()
        DEAD_LETTERS.labels(self.group, record.topic, reason).inc()
        return Outcome(dead_lettered=True, error=str(error))

    async def handle(self, record: Any, stopping: asyncio.Event) -> Outcome | None:
        """Answer the outcome, or None when shutdown came while the database was down
        (the record is then left uncommitted, for the next run)."""
        try:
            event = decode(record)
        except Undecodable as exc:
            log.warning("record %s is not a CloudEvent; dead-lettered", _at(record))
            return await self.dead_letter(record, "undecodable", f"undecodable: {exc}")

        handlers = self.router.handlers_for(event.type)
        if not handlers:
            EVENTS_CONSUMED.labels(self.group, record.topic, "ignored").inc()
            return Outcome()
        try:
            self.contract.check(event, record.topic, record.key)
        except UnknownSchemaVersion:
            # Another version of its type, published beside the one this code knows: not for us.
            EVENTS_CONSUMED.labels(self.group, record.topic, "ignored").inc()
            return Outcome()
        except RejectedEvent as exc:
            log.warning("record %s breaks the event contract (%s); dead-lettered", _at(record), exc)
            return await self.dead_letter(record, "invalid", f"invalid: {exc}")

        tokens = [
            event_id_var.set(event.id),
            correlation_id_var.set(event.correlationid or event.id),
            traceparent_var.set(event.traceparent),
        ]
        try:
            return await self._dispatch(record, event, handlers, stopping)
        finally:
            for token in reversed(tokens):
                token.var.reset(token)

    async def _dispatch(
        self, record: Any, event: CloudEvent, handlers: list[Handler], stopping: asyncio.Event
    ) -> Outcome | None:
        attempt = 0
        while True:
            try:
                for handler in handlers:
                    await handler(event)
                EVENTS_CONSUMED.labels(self.group, record.topic, "handled").inc()
                return Outcome(handled=True)
            except RejectedEvent as exc:
                log.warning("%s refused by its handler (%s); dead-lettered", event.id, exc)
                return await self.dead_letter(record, "invalid", f"invalid: {exc}")
            except Exception as exc:
                if isinstance(exc, UNAVAILABLE) and not await self._database_answers():
                    # Not the record's fault: wait for the database, however long it takes.
                    log.warning("database unavailable while handling %s (%s); waiting", event.id, exc)
                    if await _sleep_or_stop(stopping, self.policy.max_backoff_seconds / 6):
                        return None
                    continue
                # An error of the handler; or the connection failed on this record while the
                # database answers (FerretDB drops it on some values): the record's fault either way.
                attempt += 1
                if attempt >= self.policy.max_attempts:
                    log.error("handling %s failed %d times; dead-lettered", event.id, attempt, exc_info=True)
                    return await self.dead_letter(record, "failed", exc)
                CONSUMER_RETRIES.labels(self.group).inc()
                log.warning("handling %s failed (attempt %d): %s", event.id, attempt, exc)
                if await _sleep_or_stop(stopping, self.policy.delay(attempt)):
                    return None

    async def _database_answers(self) -> bool:
        """Whether the database answers a ping now (False when the runner has no way to ask)."""
        if self.database_ping is None:
            return False
        try:
            await asyncio.wait_for(self.database_ping(), timeout=5)
        except Exception:
            return False
        return True


async def _sleep_or_stop(stopping: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(stopping.wait(), timeout=seconds)
        return True
    except TimeoutError:
        return False


@dataclass
class PartitionProgress:
    """How far one assigned partition is: its lag, and since when it has been moving (or caught up)."""

    lag: int = 0
    moving_since: float = field(default_factory=time.monotonic)

    def caught_up_or_moved(self, lag: int) -> None:
        self.lag = max(lag, 0)
        self.moving_since = time.monotonic()


@dataclass
class _Progress(ConsumerRebalanceListener):
    """Offsets handled but not yet committed (committed before partitions are taken away),
    and each assigned partition's progress, for readiness and the lag metric."""

    consumer: AIOKafkaConsumer | None = None
    group: str = ""
    pending: dict[TopicPartition, int] = field(default_factory=dict)
    partitions: dict[TopicPartition, PartitionProgress] = field(default_factory=dict)

    async def commit(self) -> None:
        if not self.pending or self.consumer is None:
            return
        offsets, self.pending = dict(self.pending), {}
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The partitions moved to another member; it will redeliver, and handlers de-duplicate.
            log.warning("commit of %s failed: %s", offsets, exc)

    def set_lag(self, tp: TopicPartition, lag: int, *, moved: bool) -> None:
        progress = self.partitions.setdefault(tp, PartitionProgress())
        if moved or lag <= 0:
            progress.caught_up_or_moved(lag)
        else:
            progress.lag = lag
        CONSUMER_LAG.labels(self.group, tp.topic, str(tp.partition)).set(progress.lag)

    def forget(self, partitions) -> None:
        for tp in partitions:
            self.partitions.pop(tp, None)
            with contextlib.suppress(KeyError):  # never measured
                CONSUMER_LAG.remove(self.group, tp.topic, str(tp.partition))

    async def on_partitions_revoked(self, revoked) -> None:
        await self.commit()
        self.forget(revoked)

    async def on_partitions_assigned(self, assigned) -> None:
        for tp in assigned:
            self.partitions[tp] = PartitionProgress()


@dataclass
class Strikes:
    """Failures of the runner itself per record (topic, partition, offset), across restarts of the worker."""

    limit: int = 3
    counts: dict[tuple[str, int, int], tuple[int, str]] = field(default_factory=dict)
    capacity: int = 1000

    def add(self, record: Any, error: BaseException) -> int:
        key = (record.topic, record.partition, record.offset)
        count = self.counts.pop(key, (0, ""))[0] + 1
        self.counts[key] = (count, f"{type(error).__name__}: {error}")
        while len(self.counts) > self.capacity:
            del self.counts[next(iter(self.counts))]
        return count

    def of(self, record: Any) -> tuple[int, str]:
        return self.counts.get((record.topic, record.partition, record.offset), (0, ""))

    def clear(self, record: Any) -> None:
        self.counts.pop((record.topic, record.partition, record.offset), None)


class ConsumerWorker:
    """One consumer group reading some topics and handing each record to a router."""

    def __init__(
        self,
        *,
        name: str,
        group_id: str,
        topics: list[str],
        router: EventRouter,
        client_options: Mapping[str, Any],
        producer: ProducerHolder,
        policy: RetryPolicy | None = None,
        max_records: int = 100,
        contract: EventContract | None = None,
        max_strikes: int = 3,
        stall_seconds: float = 120.0,
        database_ping: Callable[[], Awaitable[Any]] | None = None,
    ) -> None:
        self.name = name
        self.group_id = group_id
        self.topics = topics
        self.client_options = dict(client_options)  # where the cluster is, who we are (kafka_client_options)
        self.max_records = max_records
        self.stall_seconds = stall_seconds
        self.records = RecordHandler(
            router,
            DeadLetters(producer, group_id),
            policy or RetryPolicy(),
            group_id,
            contract=contract,
            database_ping=database_ping,
        )
        self.strikes = Strikes(limit=max_strikes)
        self._skipping: set[TopicPartition] = set()  # partitions past an unreadable offset, in its batch
        self.progress = _Progress(group=group_id)
        self.assigned: set[TopicPartition] = set()
        self.last_error: str | None = None

    @property
    def stalled(self) -> list[str]:
        """Partitions with a backlog that have not moved for `stall_seconds`."""
        now = time.monotonic()
        return sorted(
            f"{tp.topic}[{tp.partition}]"
            for tp, p in list(self.progress.partitions.items())
            if p.lag > 0 and now - p.moving_since > self.stall_seconds
        )

    def health(self) -> dict[str, Any]:
        stalled = self.stalled
        return {
            "ok": not stalled,
            "group": self.group_id,
            "partitions": len(self.assigned),
            "lag": sum(p.lag for p in list(self.progress.partitions.values())),
            "stalled": stalled,
            "last_error": self.last_error,
        }

    async def run(self, stopping: asyncio.Event) -> None:
        consumer = AIOKafkaConsumer(
            **self.client_options,
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
        progress = self.progress
        progress.consumer, progress.pending = consumer, {}
        progress.forget(list(progress.partitions))
        await consumer.start()
        try:
            consumer.subscribe(self.topics, listener=progress)
            while not stopping.is_set():
                try:
                    batches = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
                except Exception as exc:
                    if not _clients_fault(exc):
                        raise
                    batches = await self._read_around_unreadable(consumer, exc)
                self.assigned = set(consumer.assignment())
                await self._measure(consumer, batches)
                for tp, records in batches.items():
                    for record in records:
                        outcome = await self._handle(record, stopping)
                        if outcome is None:
                            return  # stopping while the database is down: leave this record uncommitted
                        progress.pending[tp] = record.offset + 1
                        progress.set_lag(tp, (consumer.highwater(tp) or 0) - record.offset - 1, moved=True)
                        if stopping.is_set():
                            return  # the rest of the batch is redelivered to the next run
                    await progress.commit()
        finally:
            await progress.commit()
            self.assigned = set()
            progress.forget(list(progress.partitions))
            progress.consumer = None
            await consumer.stop()

    async def _read_around_unreadable(
        self, consumer: AIOKafkaConsumer, error: BaseException
    ) -> dict[TopicPartition, list[Any]]:
        """After a fetch failed on records the client cannot read: one record per partition, so that
        the stuck partition shows its offset; past the strikes that offset is dead-lettered and skipped."""
        log.warning(
            "the Kafka client cannot read a record (%s: %s); reading one at a time", type(error).__name__, error
        )
        batches: dict[TopicPartition, list[Any]] = {}
        for tp in sorted(consumer.assignment()):
            try:
                batches.update(await consumer.getmany(tp, timeout_ms=100, max_records=1))
                self._skipping.discard(tp)
                continue
            except Exception as exc:
                if not _clients_fault(exc):
                    raise
                failure = exc
            unreadable = Unreadable(tp.topic, tp.partition, await consumer.position(tp))
            count = self.strikes.add(unreadable, failure)
            self.last_error = f"{_at(unreadable)}: unreadable: {type(failure).__name__}: {failure}"[:500]
            # Once one offset is skipped, the next ones that fail are the rest of its batch: no need to wait.
            if count < self.strikes.limit and tp not in self._skipping:
                continue
            log.error("dead-lettering unreadable %s after %d failures", _at(unreadable), count)
            await self.records.dead_letters.send_headers_only(
                unreadable,
                f"unreadable by the Kafka client: {type(failure).__name__}: {failure}",
                dropped_because="unreadable",
            )
            EVENTS_CONSUMED.labels(self.group_id, tp.topic, "dead_lettered").inc()
            DEAD_LETTERS.labels(self.group_id, tp.topic, "unreadable").inc()
            self.strikes.clear(unreadable)
            self._skipping.add(tp)
            consumer.seek(tp, unreadable.offset + 1)
            self.progress.pending[tp] = unreadable.offset + 1
        await self.progress.commit()
        return batches

    async def _measure(self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[Any]]) -> None:
        """Each assigned partition's lag before this round's records are handled."""
        for tp in self.assigned:
            highwater = consumer.highwater(tp)
            if highwater is None:
                continue
            records = batches.get(tp)
            if records:
                next_offset = records[0].offset
            else:
                try:
                    next_offset = await consumer.position(tp)
                except KafkaError:
                    continue
            self.progress.set_lag(tp, highwater - next_offset, moved=False)

    async def _handle(self, record: Any, stopping: asyncio.Event) -> Outcome | None:
        """One record, counting the runner's own failures on it: past the limit, it is
        dead-lettered as headers only, without being handled again."""
        strikes, last = self.strikes.of(record)
        if strikes >= self.strikes.limit:
            log.error("the runner failed %d times on %s (%s); dead-lettered unhandled", strikes, _at(record), last)
            reason = f"the consumer failed {strikes} times on this record; last: {last}"
            await self.records.dead_letters.send_headers_only(record, reason, dropped_because="repeated-failures")
            EVENTS_CONSUMED.labels(self.group_id, record.topic, "dead_lettered").inc()
            DEAD_LETTERS.labels(self.group_id, record.topic, "runner").inc()
            self.strikes.clear(record)
            return Outcome(dead_lettered=True, error=reason)
        try:
            outcome = await self.records.handle(record, stopping)
        except Exception as exc:
            count = self.strikes.add(record, exc)
            self.last_error = f"{_at(record)}: {type(exc).__name__}: {exc}"[:500]
            log.warning("the runner failed on %s (%d of %d)", _at(record), count, self.strikes.limit)
            raise
        self.strikes.clear(record)
        return outcome
