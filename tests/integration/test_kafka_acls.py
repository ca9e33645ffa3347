"""Kafka logins and ACLs, against a broker started as `make up` starts it (SASL/SCRAM, StandardAuthorizer).

The admin creates one namespace's topics and grants the platform's ACLs for it
(opp_shared.topics, opp_shared.kafka_acls, as `make up` and compose do); then each
principal is tried at what it may and may not do.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from opp_shared import kafka_acls, topics
from opp_shared.settings import ServiceSettings
from opp_shared.testing.helpers import auth, new_namespace, read_topic, running, settings_for
from partners.main import create_app as create_partners
from partners.settings import PartnersSettings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python" / "subscriber.py"


async def prepared_namespace(secured_kafka_broker) -> str:
    """A new namespace whose topics exist and whose grants are made, by the admin."""
    namespace = new_namespace() + "."
    admin = ServiceSettings(
        service_name="admin",
        kafka_namespace=namespace,
        kafka_topic_partitions=1,
        **secured_kafka_broker.settings("admin"),
    )
    await topics.create_all(admin)
    await kafka_acls.grant(admin.kafka_client_options(), kafka_acls.platform_grants(namespace))
    return namespace


@pytest.fixture(scope="module")
async def ns(secured_kafka_broker) -> str:
    """The namespace of the tests that try each principal with records of their own."""
    return await prepared_namespace(secured_kafka_broker)


async def _produce(options, topic: str, value: bytes = b"{}", idempotent: bool = True):
    """Send one record as the platform's producers do (idempotent, acks=all)."""
    producer = AIOKafkaProducer(**options, enable_idempotence=idempotent, acks="all", request_timeout_ms=10000)
    try:
        await producer.start()
        return await asyncio.wait_for(producer.send_and_wait(topic, value, key=b"k"), 30)
    finally:
        await producer.stop()


async def _end_offset(options, topic: str) -> int:
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False)
    try:
        await consumer.start()
        partition = TopicPartition(topic, 0)
        return (await consumer.end_offsets([partition]))[partition]
    finally:
        await consumer.stop()


async def _read(options, topic: str, group: str) -> list:
    """Records of `topic`, read by a consumer of `group` that subscribes to it (as the services' do)."""
    consumer = AIOKafkaConsumer(
        topic, **options, group_id=group, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    try:
        await consumer.start()
        for _ in range(40):
            batch = await consumer.getmany(timeout_ms=500)
            if batch:
                records = [record for part in batch.values() for record in part]
                await consumer.commit()  # offsets of its own group
                return records
        return []
    finally:
        await consumer.stop()


async def test_a_service_produces_to_its_own_topics_and_its_dead_letters(secured_kafka_broker, ns):
    partners = secured_kafka_broker.client_options("partners")
    for topic in ("partners.partner", "partners.partner.state", "partners.agreement.dlq", "funding.fund.dlq"):
        sent = await _produce(partners, ns + topic)
        assert sent.topic == ns + topic


async def test_a_service_cannot_produce_to_another_service_s_topic(secured_kafka_broker, ns):
    admin = secured_kafka_broker.client_options("admin")
    before = await _end_offset(admin, ns + "funding.fund")
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(secured_kafka_broker.client_options("partners"), ns + "funding.fund")
    # Nor to another service's state topic, or a dead-letter topic of a topic it does not consume.
    for topic in ("funding.fund.state", "funding.call.dlq"):
        with pytest.raises(TopicAuthorizationFailedError):
            await _produce(secured_kafka_broker.client_options("partners"), ns + topic)
    assert await _end_offset(admin, ns + "funding.fund") == before


async def test_a_service_reads_only_what_it_consumes(secured_kafka_broker, ns):
    funding = secured_kafka_broker.client_options("funding")
    await _produce(funding, ns + "funding.project", b'{"n": 1}')
    await _produce(funding, ns + "funding.fund", b'{"n": 1}')
    techtransfer = secured_kafka_broker.client_options("techtransfer")  # consumes funding.project, not funding.fund
    assert await _read(techtransfer, ns + "funding.project", f"{ns}techtransfer.project-view")
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(techtransfer, ns + "funding.fund", f"{ns}techtransfer.project-view")
    with pytest.raises(GroupAuthorizationFailedError):  # a group of another service's
        await _read(techtransfer, ns + "funding.project", f"{ns}funding.follow-ups")


async def test_the_subscriber_reads_events_and_states_but_writes_nothing(secured_kafka_broker, ns):
    partners = secured_kafka_broker.client_options("partners")
    for topic in ("partners.partner", "partners.partner.state", "partners.partner.dlq"):
        await _produce(partners, ns + topic, b'{"n": 1}')
    subscriber = secured_kafka_broker.client_options("subscriber")
    group = f"{ns}subscriber.crm"  # its groups: <its name>.<anything>
    assert await _read(subscriber, ns + "partners.partner", group)
    assert await _read(subscriber, ns + "partners.partner.state", group)
    # It may write nowhere: an idempotent producer is refused its producer id, a plain one the topic.
    with pytest.raises(ClusterAuthorizationFailedError):
        await _produce(subscriber, ns + "partners.partner")
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(subscriber, ns + "partners.partner", idempotent=False)
    with pytest.raises(TopicAuthorizationFailedError):  # dead letters are the platform's, not public
        await _read(subscriber, ns + "partners.partner.dlq", group)


async def test_a_wrong_password_cannot_connect(secured_kafka_broker, ns):
    for options in (
        secured_kafka_broker.client_options("partners", password="not-the-password"),
        secured_kafka_broker.client_options("partners") | {"sasl_plain_username": "nobody"},
        # No login at all: the listener speaks only SASL.
        {"bootstrap_servers": secured_kafka_broker.bootstrap, "request_timeout_ms": 5000},
    ):
        producer = AIOKafkaProducer(**options)
        with pytest.raises(KafkaError):
            await asyncio.wait_for(producer.start(), 30)
        await producer.stop()


async def test_partners_publishes_its_event_with_its_own_credentials(servers, secured_kafka_broker):
    ns = await prepared_namespace(secured_kafka_broker)  # only the platform's records: the example reads them all
    settings = settings_for(
        PartnersSettings,
        servers,
        ns.removesuffix("."),
        **secured_kafka_broker.settings("partners"),
        kafka_create_topics=False,  # the admin created them; its principal may not
    )
    app = create_partners(settings)
    async with running(app) as client:
        answer = await client.post(
            "/api/v1/partners",
            json={"name": "University of Oslo", "kind": "university", "country": "NO", "tier": "strategic"},
            headers=auth("partnerships_officer"),
        )
        assert answer.status_code == 201, answer.text
        partner_id = answer.json()["id"]
        # A subscribing system sees it, on the event topic and the state topic.
        subscriber = secured_kafka_broker.client_options("subscriber")
        for topic in ("partners.partner", "partners.partner.state"):
            records = await read_topic(
                subscriber, ns + topic, until=lambda found: any(r.key == partner_id.encode() for r in found)
            )
            event = json.loads(next(r.value for r in records if r.key == partner_id.encode()))
            assert event["type"] == "partners.partner.registered" and event["source"] == "/opp/partners"
        ready, checks = await app.state.runtime.readiness()
        assert ready, checks  # its consumers read what they consume with its login, the cluster answers

    # The subscriber's guide's Python example, with the subscriber's login, finds the partner.
    example = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLE),
        *("--bootstrap", secured_kafka_broker.bootstrap, "--namespace", ns),
        *("--username", "subscriber", "--group", f"{ns}subscriber.crm-example", "--until-caught-up", "--json"),
        env={**os.environ, "KAFKA_PASSWORD": secured_kafka_broker.passwords["subscriber"]},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(example.communicate(), 120)
    assert example.returncode == 0, err.decode()
    assert partner_id in json.loads(out)["partners"]
