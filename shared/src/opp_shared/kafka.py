"""Kafka clients configured as docs/conventions.md requires (aiokafka's defaults do not).

Producers are idempotent with acks=all. One producer serves a whole process
(the relay and the consumers' dead-letter sends); when it gets stuck (aiokafka
issue 1017: OutOfOrderSequenceNumber after a broker hiccup) the holder throws
it away and makes a new one, which gets a new producer id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

log = logging.getLogger(__name__)

TOPIC_ALREADY_EXISTS = 36


class ProducerHolder:
    def __init__(self, bootstrap_servers: str, client_id: str, **options: Any) -> None:
        """`options`: more of the client's connection settings (`ServiceSettings.kafka_client_options`)."""
        self.client_id = client_id
        self.options = {**options, "bootstrap_servers": bootstrap_servers}
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **self.options,
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


def client_options_of(cluster: str | Mapping[str, Any]) -> dict[str, Any]:
    """aiokafka's connection arguments: `ServiceSettings.kafka_client_options()`, or a bare bootstrap
    address (tests, benchmarks) for a cluster without authentication."""
    return {"bootstrap_servers": cluster} if isinstance(cluster, str) else dict(cluster)


async def ensure_topics(
    cluster: str | Mapping[str, Any],
    topics: list[str],
    *,
    partitions: int,
    replication_factor: int,
    config: Mapping[str, str] | None = None,
) -> list[str]:
    """Create the topics that do not exist yet; answer those created. With `config` (a state
    topic's `cleanup.policy=compact`), a topic that exists without it is given it: one that
    a client created by producing to it (brokers that auto-create topics) must not keep
    deleting what it holds. `cluster`: where the cluster is and who asks (`client_options_of`)."""
    admin = AIOKafkaAdminClient(**client_options_of(cluster), client_id="opp-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if config:
            await _configure(admin, [t for t in topics if t in existing], config)
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(
                    name=t,
                    num_partitions=partitions,
                    replication_factor=replication_factor,
                    topic_configs=dict(config or {}),
                )
                for t in missing
            ]
        )
        for topic_error in response.topic_errors:
            topic, code = topic_error[0], topic_error[1]
            if code not in (0, TOPIC_ALREADY_EXISTS):
                raise RuntimeError(f"could not create topic {topic}: error code {code} {topic_error[2:]}")
        return missing
    finally:
        await admin.close()


async def topic_configs(admin: AIOKafkaAdminClient, topics: list[str]) -> dict[str, dict[str, Any]]:
    """Each topic's configuration: name -> (value, whether the topic sets it itself)."""
    found: dict[str, dict[str, Any]] = {}
    if not topics:
        return found
    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics])
    for response in responses:
        for resource in response.resources:
            error_code, _message, _type, name, entries = resource[:5]
            if error_code:
                raise RuntimeError(f"could not read the configuration of topic {name}: error code {error_code}")
            # An entry: name, value, read-only, then the protocol's is-default (a bool, version 0) or the
            # setting's source (an int from version 1 on; 1 is the topic's own setting).
            found[name] = {entry[0]: (entry[1], _own(entry[3])) for entry in entries}
    return found


def _own(source: bool | int) -> bool:
    return source is False if isinstance(source, bool) else source == 1


async def _configure(admin: AIOKafkaAdminClient, topics: list[str], config: Mapping[str, str]) -> None:
    current = await topic_configs(admin, topics)
    for topic, entries in current.items():
        if all(entries.get(name, (None, True))[0] == value for name, value in config.items()):
            continue
        # AlterConfigs replaces the topic's own settings: keep those set before, change ours.
        kept = {name: value for name, (value, own) in entries.items() if own and value is not None}
        log.warning("topic %s lacks %s; setting it", topic, dict(config))
        await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, {**kept, **config})])


async def describe_cluster(cluster: str | Mapping[str, Any], timeout: float = 3.0) -> dict:
    admin = AIOKafkaAdminClient(
        **client_options_of(cluster), client_id="opp-health", request_timeout_ms=int(timeout * 1000)
    )
    try:
        await asyncio.wait_for(admin.start(), timeout)
        return await asyncio.wait_for(admin.describe_cluster(), timeout)
    finally:
        await admin.close()
