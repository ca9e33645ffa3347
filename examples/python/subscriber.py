"""An example subscriber of another university system: the partners and agreements the platform knows.

    pip install -r requirements.txt
    python subscriber.py --bootstrap 127.0.0.1:9092 --group crm.partners [--namespace NS.] [--until-caught-up] [--json]
    KAFKA_PASSWORD=... python subscriber.py --username subscriber --group subscriber.crm ...   # a broker with logins

With `--username` it logs in with SASL/SCRAM-SHA-512 (the password from the
KAFKA_PASSWORD variable, so that it is not on the command line), over plain TCP
(`--security-protocol SASL_PLAINTEXT`, the local stack and compose) or TLS
(`SASL_SSL`, a production cluster). Its consumer group must then start with its
principal's name and a dot (`subscriber.crm`): the broker refuses any other.

What docs/subscribing.md says, with Confluent's Kafka client and the CloudEvents SDK:

1. read the state topics (`partners.partner.state`, `partners.agreement.state`) from the
   beginning up to their end offsets, keeping per aggregate the newest `sequence` and state;
2. then consume the event topics (`partners.partner`, `partners.agreement`) with a consumer
   group of its own, from the beginning or from its committed offsets, applying an event
   only when its `sequence` is newer than what it holds (which also drops duplicates);
3. print the partners and agreements it knows: when it has caught up (`--until-caught-up`:
   every partition read to its end, and nothing new for a moment), or on Ctrl-C.

It takes only the event types and `dataschema` versions it was written for, and ignores
any other; it ignores fields it does not use.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from cloudevents.core.bindings.kafka import KafkaMessage, from_structured_event
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

TOPICS = ("partners.partner", "partners.agreement")
# The versions of data.change this code was written for, per topic (it reads data.state only,
# which is the same in every version; a newer version's copy is ignored, its twin taken).
KNOWN_VERSIONS = {1}
SCHEMA = re.compile(r"^urn:opp:event-schema:(?P<type>[a-z_.]+):(?P<version>[0-9]+)$")


@dataclass
class Known:
    """The newest state of every aggregate seen, per topic, and how many records were applied or dropped."""

    aggregates: dict[str, dict[str, tuple[int, dict[str, Any]]]] = field(
        default_factory=lambda: {topic: {} for topic in TOPICS}
    )
    applied: int = 0
    dropped: int = 0

    def apply(self, topic: str, key: bytes | None, value: bytes | None, headers: list | None) -> None:
        if value is None:  # a tombstone on a state topic: the aggregate was deleted
            self.aggregates[topic].pop((key or b"").decode(), None)
            return
        message = KafkaMessage(headers=dict(headers or []), key=key, value=value)
        event = from_structured_event(message)
        attributes = event.get_attributes()
        schema = SCHEMA.match(attributes.get("dataschema") or "")
        if (
            attributes["source"] != f"/opp/{topic.split('.')[0]}"
            or not attributes["type"].startswith(topic + ".")
            or schema is None
            or int(schema["version"]) not in KNOWN_VERSIONS
        ):
            self.dropped += 1  # not from the topic's owner, or a type or version this code does not know
            return
        subject, sequence = attributes["subject"], int(attributes["sequence"])
        held = self.aggregates[topic].get(subject)
        if held is not None and held[0] >= sequence:
            self.dropped += 1  # a duplicate, or older than what it holds
            return
        self.aggregates[topic][subject] = (sequence, event.get_data()["state"])
        self.applied += 1

    def picture(self) -> dict[str, Any]:
        partners = {
            pid: {"name": s["name"], "country": s["country"], "status": s["status"], "version": seq}
            for pid, (seq, s) in self.aggregates["partners.partner"].items()
        }
        agreements = {
            aid: {"title": s["title"], "status": s["status"], "partner_ids": s["partner_ids"], "version": seq}
            for aid, (seq, s) in self.aggregates["partners.agreement"].items()
        }
        return {"partners": dict(sorted(partners.items())), "agreements": dict(sorted(agreements.items()))}


def partitions_of(consumer: Consumer, topic: str) -> list[TopicPartition]:
    metadata = consumer.list_topics(topic, timeout=10).topics[topic]
    if metadata.error is not None:
        raise KafkaException(metadata.error)
    return [TopicPartition(topic, p) for p in sorted(metadata.partitions)]


def bootstrap(config: dict[str, Any], namespace: str, group: str, known: Known) -> None:
    """Step 1: every state topic read to the end offsets it had when this step began."""
    # The client insists on a group even for assigned partitions, and looks up its coordinator:
    # a broker with ACLs allows only the principal's own groups. It never joins nor commits.
    reader = Consumer({**config, "group.id": f"{group}-bootstrap", "enable.auto.commit": False})
    try:
        for topic in TOPICS:
            partitions = partitions_of(reader, f"{namespace}{topic}.state")
            ends = {tp.partition: reader.get_watermark_offsets(tp, timeout=10)[1] for tp in partitions}
            todo = {p for p, end in ends.items() if end > 0}
            reader.assign([TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING) for tp in partitions])
            while todo:
                for message in reader.consume(num_messages=500, timeout=1.0):
                    if message.error() is not None:
                        raise KafkaException(message.error())
                    if message.partition() in todo:
                        known.apply(topic, message.key(), message.value(), message.headers())
                        if message.offset() + 1 >= ends[message.partition()]:
                            todo.discard(message.partition())
            reader.unassign()
    finally:
        reader.close()


def follow(config: dict[str, Any], namespace: str, group: str, known: Known, until_caught_up: bool) -> None:
    """Step 2: the event topics with the subscriber's own group, committing after applying."""
    consumer = Consumer({**config, "group.id": group, "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.subscribe([f"{namespace}{topic}" for topic in TOPICS])
    next_offsets: dict[tuple[str, int], int] = {}  # where each partition is, from the records applied
    quiet_since = time.monotonic()
    try:
        while True:
            messages = consumer.consume(num_messages=500, timeout=0.5)
            for message in messages:
                if message.error() is not None:
                    raise KafkaException(message.error())
                topic = message.topic().removeprefix(namespace)
                known.apply(topic, message.key(), message.value(), message.headers())
                next_offsets[(message.topic(), message.partition())] = message.offset() + 1
            if messages:
                consumer.commit(asynchronous=False)
                quiet_since = time.monotonic()
            elif until_caught_up and time.monotonic() - quiet_since > 2 and caught_up(consumer, next_offsets):
                return
    finally:
        consumer.close()


def caught_up(consumer: Consumer, next_offsets: dict[tuple[str, int], int]) -> bool:
    """Partitions assigned, and each read to its end (from where this run applied up to, or from
    the group's committed offset for a partition it found nothing new on)."""
    assigned = consumer.assignment()
    if not assigned:
        return False
    for tp in consumer.committed(assigned, timeout=10):
        at = next_offsets.get((tp.topic, tp.partition), tp.offset)
        end = consumer.get_watermark_offsets(tp, timeout=10)[1]
        if end > 0 and at < end:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--group", required=True, help="this system's own consumer group")
    parser.add_argument("--namespace", default="", help="the platform's topic prefix, if any (OPP_KAFKA_NAMESPACE)")
    parser.add_argument("--until-caught-up", action="store_true", help="stop once every partition is read")
    parser.add_argument("--json", action="store_true", help="print the picture as JSON")
    parser.add_argument("--username", help="log in as this principal (SASL/SCRAM; password in KAFKA_PASSWORD)")
    parser.add_argument("--security-protocol", default="SASL_PLAINTEXT", choices=["SASL_PLAINTEXT", "SASL_SSL"])
    args = parser.parse_args(argv)
    config = {"bootstrap.servers": args.bootstrap, "client.id": f"{args.group}-example"}
    if args.username:
        if not os.environ.get("KAFKA_PASSWORD"):
            parser.error("--username needs the password in the KAFKA_PASSWORD variable")
        config.update(
            {
                "security.protocol": args.security_protocol,
                "sasl.mechanisms": "SCRAM-SHA-512",
                "sasl.username": args.username,
                "sasl.password": os.environ["KAFKA_PASSWORD"],
            }
        )
    known = Known()
    started = time.monotonic()
    bootstrap(config, args.namespace, args.group, known)
    counts = {topic: len(held) for topic, held in known.aggregates.items()}
    print(f"bootstrapped {counts} from the state topics in {time.monotonic() - started:.2f} s", file=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: print what it knows so far
        follow(config, args.namespace, args.group, known, args.until_caught_up)
    print(f"applied {known.applied} records, dropped {known.dropped}", file=sys.stderr)
    picture = known.picture()
    if args.json:
        print(json.dumps(picture, indent=2, sort_keys=True))
    else:
        for pid, p in picture["partners"].items():
            print(f"partner   {pid}  {p['name']} ({p['country']}), {p['status']}")
        for aid, a in picture["agreements"].items():
            print(f"agreement {aid}  {a['title']}, {a['status']}, parties {', '.join(a['partner_ids'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
