"""Kafka clients configured as docs/conventions.md requires (aiokafka's defaults do not).

Producers are idempotent with acks=all. One producer serves a whole process
(the relay and the consumers' dead-letter sends); when it gets stuck (aiokafka
issue 1017: OutOfOrderSequenceNumber after a broker hiccup) the holder throws
it away and makes a new one, which gets a new producer id.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


class ProducerHolder:
    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap_servers,
                    client_id=self.client_id,
                    enable_idempotence=True,
                    acks="all",
                    linger_ms=5,
                    request_timeout_ms=15000,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer

    async def reset(self) -> None:
        """Drop the producer after a failure; the next `get` makes a fresh one."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), timeout=10)
            except Exception:
                log.warning("producer did not stop cleanly", exc_info=True)

    async def close(self) -> None:
        """Flush what is in flight, then stop (called on shutdown)."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.flush(), timeout=10)
            finally:
                await producer.stop()


async def ensure_topics(
    bootstrap_servers: str, topics: list[str], *, partitions: int, replication_factor: int
) -> list[str]:
    """Create the topics that do not exist yet; answer those created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="opp-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [NewTopic(name=t, num_partitions=partitions, replication_factor=replication_factor) for t in missing]
        )
        for topic_error in response.topic_errors:
            topic, code = topic_error[0], topic_error[1]
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"could not create topic {topic}: error code {code} {topic_error[2:]}")
        return missing
    finally:
        await admin.close()


async def describe_cluster(bootstrap_servers: str, timeout: float = 3.0) -> dict:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="opp-health", request_timeout_ms=int(timeout * 1000)
    )
    try:
        await asyncio.wait_for(admin.start(), timeout)
        return await asyncio.wait_for(admin.describe_cluster(), timeout)
    finally:
        await admin.close()
