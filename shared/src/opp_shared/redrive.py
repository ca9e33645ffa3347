"""Re-drive dead letters: put the records of a `.dlq` topic back on their original topic.

    python -m opp_shared.redrive partners.partner.dlq                 # every record not re-driven yet
    python -m opp_shared.redrive partners.partner.dlq --dry-run       # only say what it would do
    python -m opp_shared.redrive partners.partner.dlq --group funding.partner-directory

Run it once the cause is fixed (the handler's bug deployed away, the data
corrected): each record goes back to the topic it came from, with its key,
value and headers as they were, and every consumer group reading that topic
sees it again (their effects de-duplicate, so the groups that had handled it
change nothing). Topic names are the catalogue's; `OPP_KAFKA_NAMESPACE` and
`OPP_KAFKA_BOOTSTRAP_SERVERS` apply as for the services.

- It reads the `.dlq` up to its end as of the start, and remembers how far it
  got in a consumer group of its own (`redrive.all`, or `redrive.<group>` with
  `--group`), so running it again re-drives only what was dead-lettered since.
  `--dry-run` reads from the same place and commits nothing.
- `--group` re-drives only the records that group gave up on (the
  `dlq.consumer.group` header); the others are passed over, for good, by
  that group's position.
- A record is re-driven once per run even when several groups dead-lettered it.
- It never writes anywhere but the `.dlq`'s own topic, whatever a record's
  headers say, and passes over what it cannot put back as it was: a record
  whose content was not kept (`dlq.original.dropped`), or whose original had
  no value (nothing a consumer could handle).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from opp_shared.catalogue import DLQ_SUFFIX
from opp_shared.settings import ServiceSettings

REDRIVEN_FROM = "opp.redriven-from"


@dataclass
class Report:
    redriven: list[str] = field(default_factory=list)
    passed_over: Counter[str] = field(default_factory=Counter)

    def summary(self, dry_run: bool) -> str:
        verb = "would re-drive" if dry_run else "re-drove"
        over = ", ".join(f"{n} {why}" for why, n in sorted(self.passed_over.items())) or "none"
        return f"{verb} {len(self.redriven)} records; passed over: {over}"


def _header(headers: list[tuple[str, bytes | None]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return (value or b"").decode("utf-8", "replace")
    return None


def restore(record: Any, original_topic: str) -> tuple[bytes | None, bytes, list[tuple[str, bytes]]] | str:
    """The original record's key, value and headers, or why it cannot be put back as it was."""
    headers = list(record.headers or ())
    if _header(headers, "dlq.original.topic") != original_topic:
        return "from another topic"
    if _header(headers, "dlq.original.dropped") is not None:
        return "content not kept"
    if _header(headers, "dlq.original.value-null") is not None or record.value is None:
        return "no value"
    kept = [(k, v or b"") for k, v in headers if not k.startswith("dlq.") and k != REDRIVEN_FROM]
    where = f"{record.topic}:{record.partition}:{record.offset}".encode()
    return record.key, record.value, kept + [(REDRIVEN_FROM, where)]


async def redrive(
    settings: ServiceSettings, dlq: str, *, group: str | None = None, dry_run: bool = False, out=print
) -> Report:
    if not dlq.endswith(DLQ_SUFFIX):
        raise ValueError(f"{dlq} is not a dead-letter topic (<topic>{DLQ_SUFFIX})")
    source = settings.topic(dlq)
    target = source.removesuffix(DLQ_SUFFIX)
    consumer = AIOKafkaConsumer(
        **settings.kafka_client_options(),
        group_id=settings.group(group or "all"),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(**settings.kafka_client_options(), enable_idempotence=True)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(source)
        if partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(source)
        if not partitions:
            raise ValueError(f"there is no topic {source}")
        tps = [TopicPartition(source, p) for p in sorted(partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        for tp in tps:
            committed = await consumer.committed(tp)
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
        if not dry_run:
            await producer.start()
        wanted = settings.kafka_namespace + group if group else None
        report = await _copy(consumer, producer, tps, ends, target, wanted, dry_run, out)
        if not dry_run:
            await producer.flush()
            await consumer.commit({tp: ends[tp] for tp in tps})
        out(report.summary(dry_run))
        return report
    finally:
        await consumer.stop()
        await producer.stop()


async def _copy(consumer, producer, tps, ends, target, wanted, dry_run, out) -> Report:
    report = Report()
    seen: set[tuple[str | None, str | None]] = set()
    remaining = {tp for tp in tps if await consumer.position(tp) < ends[tp]}
    while remaining:
        batches = await consumer.getmany(*remaining, timeout_ms=1000)
        for tp, records in batches.items():
            for record in records:
                if record.offset >= ends[tp]:
                    break
                where = f"{record.topic}[{record.partition}]@{record.offset}"
                headers = list(record.headers or ())
                if wanted is not None and _header(headers, "dlq.consumer.group") != wanted:
                    report.passed_over["of other groups"] += 1
                    continue
                origin = (_header(headers, "dlq.original.partition"), _header(headers, "dlq.original.offset"))
                if origin in seen:
                    report.passed_over["already re-driven in this run"] += 1
                    continue
                restored = restore(record, target)
                if isinstance(restored, str):
                    report.passed_over[restored] += 1
                    out(f"passed over {where}: {restored}")
                    continue
                seen.add(origin)
                key, value, kept = restored
                if not dry_run:
                    await producer.send_and_wait(target, value=value, key=key, headers=kept)
                report.redriven.append(where)
                error = _header(headers, "dlq.error") or ""
                out(f"{'would re-drive' if dry_run else 're-drove'} {where} -> {target} (was: {error[:120]})")
        remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m opp_shared.redrive", description="Put the records of a .dlq topic back on their topic."
    )
    parser.add_argument("dlq", help="the dead-letter topic, as in the catalogue: partners.partner.dlq")
    parser.add_argument("--group", help="only what this consumer group gave up on (e.g. funding.partner-directory)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be re-driven; change nothing")
    args = parser.parse_args(argv)
    settings = ServiceSettings(service_name="redrive")
    try:
        asyncio.run(redrive(settings, args.dlq, group=args.group, dry_run=args.dry_run))
    except ValueError as exc:
        print(f"redrive: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
