"""Rebuild what one of a service's consumers keeps (a view), from the state topics and by re-reading its topics.

    python -m opp_shared.rebuild --service funding --consumer partner-directory [--drop-view]

With the service's `OPP_*` settings (`.venv/bin/python` locally; in a container `python`),
and the service's consumers stopped (every copy: `OPP_RUN` without `consumers`, or the
service down); it refuses while its consumer group has members. Then:

1. `--drop-view` empties the view first (the collections of a foreign view, such as the
   partner directory: a view believed wrong, or one whose shape changed);
2. every record of the state topics of the consumer's topics (`<topic>.state`, each
   aggregate's latest event), read to their end, goes through the consumer's own
   handlers, after the same contract check: the view gets every aggregate, even one whose
   events the event topic no longer holds (retention);
3. the group's offsets on its topics go back to the beginning, so that when the consumers
   start again they re-read every event still on the topics.

A view applies only newer sequences and an effect keyed by the event id happens once, so
the events re-read in 3 change nothing they already show, and the changes made while the
consumers were stopped arrive in 3 too: nothing is missed, nothing is applied twice.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from opp_shared.consumer import ConsumerWorker, Undecodable, decode
from opp_shared.contract import RejectedEvent, UnknownSchemaVersion
from opp_shared.runtime import run_command, service_runtime
from opp_shared.state_topics import state_topic

log = logging.getLogger(__name__)


class Refused(Exception):
    """The rebuild cannot start (the consumers still run, no such consumer)."""


@dataclass
class Rebuilt:
    group: str
    dropped: list[str] = field(default_factory=list)
    applied: int = 0  # state records handed to the handlers
    skipped: int = 0  # state records refused by the contract, or of types the consumer does not handle
    reset: dict[str, int] = field(default_factory=dict)  # topic -> partitions reset to their beginning


def consumer_of(runtime: Any, name: str) -> ConsumerWorker:
    for worker in runtime.consumers:
        if worker.name == f"consumer:{name}":
            return worker
    names = sorted(w.name.removeprefix("consumer:") for w in runtime.consumers)
    raise Refused(f"{runtime.settings.service_name} has no consumer {name!r}; it has {names}")


async def members_of(options: dict[str, Any], group: str) -> int:
    admin = AIOKafkaAdminClient(**options, client_id="opp-rebuild")
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    # DescribeGroups: per group (error, id, state, protocol type, protocol, members, ...).
    return sum(len(entry[5]) for response in described for entry in response.groups if entry[1] == group)


async def rebuild(runtime: Any, name: str, *, drop_view: bool = False) -> Rebuilt:
    settings = runtime.settings
    worker = consumer_of(runtime, name)
    options = settings.kafka_client_options()
    members = await members_of(options, worker.group_id)
    if members:
        raise Refused(
            f"the group {worker.group_id} has {members} member(s): stop the service's consumers first "
            "(every copy: OPP_RUN without consumers)"
        )
    done = Rebuilt(worker.group_id)
    if drop_view:
        collections = runtime.views_of.get(name)
        if not collections:
            raise Refused(f"{name} keeps no view this command knows; drop its collections by hand")
        for collection in collections:
            await runtime.db[collection].delete_many({})
            done.dropped.append(collection)
    await _apply_state_topics(worker, options, done)
    await _reset(worker, options, done)
    return done


async def _apply_state_topics(worker: ConsumerWorker, options: dict[str, Any], done: Rebuilt) -> None:
    reader = AIOKafkaConsumer(**options, enable_auto_commit=False, client_id=f"{worker.group_id}.rebuild")
    await reader.start()
    try:
        for topic in worker.topics:
            partitions = await partitions_of(reader, state_topic(topic))
            if not partitions:
                log.warning("no state topic %s: only the events still on %s will be re-read", state_topic(topic), topic)
                continue
            reader.assign(partitions)
            await reader.seek_to_beginning(*partitions)
            ends = await reader.end_offsets(partitions)
            while await _behind(reader, ends):
                batches = await reader.getmany(*partitions, timeout_ms=1000)
                for records in batches.values():
                    for record in records:
                        await _apply(worker, topic, record, done)
    finally:
        await reader.stop()


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    # aiokafka has no public way to refresh a consumer's metadata for a topic it does not subscribe to.
    await consumer._client.force_metadata_update()
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]


async def _apply(worker: ConsumerWorker, topic: str, record: Any, done: Rebuilt) -> None:
    """One state record through the consumer's handlers, checked as if it came on the event topic."""
    try:
        event = decode(record)
        handlers = worker.records.router.handlers_for(event.type)
        if not handlers:
            done.skipped += 1
            return
        worker.records.contract.check(event, topic, record.key)
    except (Undecodable, RejectedEvent, UnknownSchemaVersion) as exc:
        log.warning("state record %s/%s@%s left out: %s", record.topic, record.partition, record.offset, exc)
        done.skipped += 1
        return
    for handler in handlers:
        await handler(event)
    done.applied += 1


async def _reset(worker: ConsumerWorker, options: dict[str, Any], done: Rebuilt) -> None:
    """The group's offsets to the beginning of each partition of its topics (a commit outside any
    generation, which Kafka accepts only from a group without members)."""
    committer = AIOKafkaConsumer(**options, group_id=worker.group_id, enable_auto_commit=False)
    await committer.start()
    try:
        for topic in worker.topics:
            partitions = await partitions_of(committer, topic)
            if not partitions:
                continue
            beginnings = await committer.beginning_offsets(partitions)
            committer.assign(partitions)
            await committer.commit(beginnings)
            done.reset[topic] = len(partitions)
    finally:
        await committer.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opp_shared.rebuild", description=__doc__.splitlines()[0])
    parser.add_argument("--service", required=True)
    parser.add_argument(
        "--consumer", required=True, help="its name, e.g. partner-directory (the group is <service>.<name>)"
    )
    parser.add_argument("--drop-view", action="store_true", help="empty the consumer's view first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    runtime = service_runtime(args.service)
    try:
        done = run_command(runtime, rebuild(runtime, args.consumer, drop_view=args.drop_view))
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print(
        f"{done.group}: dropped {done.dropped or 'nothing'}; {done.applied} state records applied, "
        f"{done.skipped} left out; offsets reset to the beginning on {done.reset}. Start the consumers again."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
