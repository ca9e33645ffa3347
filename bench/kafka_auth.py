"""What Kafka's logins and ACLs cost a producer: the secured broker against a plaintext one, same run.

    .venv/bin/python bench/kafka_auth.py [--rounds 3] [--records 20000] [--connections 10]

Starts two single-node brokers with opp_devstack on free ports in a temporary folder:
one as `make up` runs it (SASL/SCRAM-SHA-512, StandardAuthorizer, the platform's ACLs)
and one plaintext (as the tests' fixtures run it). Each round, in alternating order:

- connect: a fresh idempotent producer (as the relay makes one after a failure) starts,
  sends one record, is acknowledged and stops; ms per producer, `--connections` times;
- throughput: `--records` records of 512 bytes from one idempotent producer (acks=all,
  as opp_shared.kafka.ProducerHolder), every acknowledgement awaited; records/s.

Prints each figure's median [min-max] over the rounds and the cost against the plaintext
baseline (1.00: as cheap; 2.00: twice the time per item). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Comparison, spread, subject_first  # noqa: E402

from opp_shared import kafka_acls  # noqa: E402
from opp_shared.kafka import ensure_topics  # noqa: E402
from opp_shared.testing.servers import secured_kafka  # noqa: E402

TOPIC = "bench.partners.partner"  # a partners topic: the partners principal may write it
VALUE = b"x" * 512


async def connect(options: dict[str, Any], count: int) -> float:
    """ms per fresh producer: start, one acknowledged record, stop."""
    started = time.perf_counter()
    for i in range(count):
        producer = AIOKafkaProducer(**options, enable_idempotence=True, acks="all")
        try:
            await producer.start()
            await producer.send_and_wait(TOPIC, VALUE, key=str(i).encode())
        finally:
            await producer.stop()
    return (time.perf_counter() - started) * 1000 / count


async def throughput(options: dict[str, Any], records: int) -> float:
    producer = AIOKafkaProducer(**options, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    try:
        started = time.perf_counter()
        sent = [await producer.send(TOPIC, VALUE, key=str(i % 100).encode()) for i in range(records)]
        await asyncio.gather(*sent)
        return records / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def measure(secured: dict[str, Any], plain: dict[str, Any], args: argparse.Namespace) -> list[Comparison]:
    figures = [
        Comparison("connect", "fresh producer: start, 1 record, stop", "ms", "SASL/SCRAM + ACLs", "plaintext", False),
        Comparison(
            "throughput", f"{args.records} records of 512 B", "records/s", "SASL/SCRAM + ACLs", "plaintext", True
        ),
    ]
    for round_index in range(args.rounds):
        order = [secured, plain] if subject_first(round_index) else [plain, secured]
        found: dict[int, dict[str, float]] = {}
        for options in order:
            found[id(options)] = {
                "connect": await connect(options, args.connections),
                "throughput": await throughput(options, args.records),
            }
        for figure in figures:
            figure.add(found[id(secured)][figure.key], found[id(plain)][figure.key])
        print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr)
    return figures


def table(figures: list[Comparison]) -> str:
    def cell(values: dict[str, float]) -> str:
        return f"{values['median']:.2f} [{values['min']:.2f}-{values['max']:.2f}]"

    lines = [f"{'figure':<40} {'unit':<10} {'secured':<24} {'plaintext':<24} x baseline cost"]
    for figure in figures:
        summary = figure.summary()
        lines.append(
            f"{figure.title:<40} {figure.unit:<10} {cell(summary['subject']):<24} "
            f"{cell(summary['baseline']):<24} {cell(spread(figure.costs()))}"
        )
    return "\n".join(lines)


async def prepare(secured, plain_bootstrap: str) -> None:
    admin = secured.client_options("admin")
    await ensure_topics(admin, [TOPIC], partitions=3, replication_factor=1)
    await ensure_topics(plain_bootstrap, [TOPIC], partitions=3, replication_factor=1)
    await kafka_acls.grant(admin, kafka_acls.service_grants("partners", "bench."))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=10)
    args = parser.parse_args()

    import opp_devstack as stack

    folder = Path(tempfile.mkdtemp(prefix="bench-kafka-auth-"))
    kafka_port, controller_port = stack.free_ports(2)
    plain_config = stack.StackConfig(
        data_dir=folder / "plain", kafka_port=kafka_port, kafka_controller_port=controller_port, kafka_auth=False
    )
    try:
        with secured_kafka(folder / "secured") as secured:
            stack.start(plain_config, "kafka")
            try:
                asyncio.run(prepare(secured, plain_config.kafka_bootstrap))
                figures = asyncio.run(
                    measure(
                        secured.client_options("partners"), {"bootstrap_servers": plain_config.kafka_bootstrap}, args
                    )
                )
            finally:
                stack.stop(plain_config, "kafka")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
