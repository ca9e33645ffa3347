"""Write every aggregate's latest event to its state topic again.

    python -m opp_shared.replay --service partners [--topic partners.agreement] [--dry-run]

(`make replay SERVICE=partners` locally; in a container `python -m opp_shared.replay ...`,
with the service's `OPP_*` settings.) For a state topic that is new (aggregates that
existed before state topics did), emptied, or lost: for every aggregate of the service's
types (or of `--topic`), read from its current-state document, the relay's own state
message (`state_topics.Outgoing.state`) is sent again: the aggregate's latest recorded
event, keyed by its id.

It may run while the service runs. The relay may publish a newer change of an aggregate
while this sends an older one; so after Kafka acknowledged a page, each aggregate is
looked at again, and any that moved meanwhile is sent again at its newest version. A
change recorded after that look is the relay's to send, after this one. So when it
finishes, the last record of every key of the state topic is at least as new as what it
read. It sends what is recorded even when the relay has not published it on the event
topic yet: a subscriber keeps the newest sequence per subject, so a state a little ahead
of the event topic changes nothing for it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from typing import Any

from opp_shared.eventstore import EVENTS, record_id
from opp_shared.kafka import ProducerHolder
from opp_shared.runtime import run_command, service_runtime
from opp_shared.state_topics import Outgoing

log = logging.getLogger(__name__)

PAGE = 500


async def replay(runtime: Any, topics: list[str] | None = None, *, dry_run: bool = False, page: int = PAGE) -> dict:
    """Send every aggregate's latest event of `topics` (default: all the runtime's) to its state
    topic; answer how many were sent per topic (or would be, with `dry_run`)."""
    settings = runtime.settings
    kinds = {topic: kind for topic, kind in runtime.kinds.items() if not topics or topic in topics}
    unknown = sorted(set(topics or ()) - set(kinds))
    if unknown:
        raise SystemExit(f"{settings.service_name} owns no {', '.join(unknown)}")
    outgoing = Outgoing(runtime.kinds, settings.topic)
    producer = ProducerHolder(
        client_id=f"{settings.service_name}-replay-{os.getpid()}", **settings.kafka_client_options()
    )
    sent: dict[str, int] = {}
    try:
        for topic in sorted(kinds):
            sent[topic] = 0
            documents = runtime.store.projection(topic)
            after = ""
            while True:
                batch = (
                    await documents.find({"_id": {"$gt": after}}, {"_id": 1, "version": 1})
                    .sort("_id", 1)
                    .limit(page)
                    .to_list(None)
                )
                if not batch:
                    break
                after = batch[-1]["_id"]
                versions = {d["_id"]: int(d["version"]) for d in batch}
                records = await latest_records(runtime, topic, versions)
                if not dry_run:
                    while records:
                        await send(producer, [outgoing.state(r) for r in records.values()])
                        sent[topic] += len(records)
                        # Anything recorded since: send its newest record again (see the module's docstring).
                        records = await latest_records(
                            runtime, topic, {aid: r["sequence"] for aid, r in records.items()}, only_newer=True
                        )
                else:
                    sent[topic] += len(records)
            log.info("replayed %d aggregates of %s", sent[topic], topic)
    finally:
        await producer.close()
    return sent


async def latest_records(
    runtime: Any, topic: str, versions: dict[str, int], *, only_newer: bool = False
) -> dict[str, dict[str, Any]]:
    """The newest event record of each aggregate, from the version its document shows (a projection may
    be a version behind: newer records are followed). With `only_newer`, only aggregates that moved."""
    events = runtime.db[EVENTS]
    found: dict[str, dict[str, Any]] = {}
    current = dict(versions)
    if not only_newer:
        ids = [record_id(aid, version) for aid, version in versions.items()]
        for record in await events.find({"_id": {"$in": ids}}).to_list(None):
            if record.get("aggregate_type") == topic:
                found[record["aggregate_id"]] = record
        current = {aid: record["sequence"] for aid, record in found.items()}
    while current:
        ids = [record_id(aid, version + 1) for aid, version in current.items()]
        newer = [r for r in await events.find({"_id": {"$in": ids}}).to_list(None) if r.get("aggregate_type") == topic]
        for record in newer:
            found[record["aggregate_id"]] = record
        current = {r["aggregate_id"]: r["sequence"] for r in newer}
    return found


async def send(producer: ProducerHolder, messages: list) -> None:
    client = await producer.get()
    futures = [await client.send(m.topic, value=m.value, key=m.key, headers=m.headers) for m in messages]
    await asyncio.gather(*futures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opp_shared.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--service", required=True, help="the service whose aggregates to replay (its OPP_* settings)")
    parser.add_argument("--topic", action="append", help="only this aggregate type (repeatable)")
    parser.add_argument("--dry-run", action="store_true", help="count, send nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    runtime = service_runtime(args.service)
    sent = run_command(runtime, replay(runtime, args.topic, dry_run=args.dry_run))
    verb = "would send" if args.dry_run else "sent"
    for topic, count in sent.items():
        print(f"{topic}: {verb} {count} to {runtime.settings.topic(topic)}.state")
    return 0


if __name__ == "__main__":
    sys.exit(main())
