"""State topics on the real Kafka: compacted, written by the relay after each event, holding every
aggregate's latest state; written again by the replay; and what our consumers refuse to the `.dlq`."""

import json

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from opp_shared.event_schemas import ShippedSchemaChecks
from opp_shared.kafka import ensure_topics, topic_configs
from opp_shared.replay import replay
from opp_shared.state_topics import STATE_TOPIC_CONFIG
from opp_shared.testing.helpers import auth, contract_event, eventually, read_topic, running, settings_for
from partners.main import create_app
from partners.settings import PartnersSettings

WRITER = auth("partnerships_officer", sub="officer-1")


def latest_per_key(records):
    """What a compacted topic keeps: the last record of each key."""
    return {r.key.decode(): json.loads(r.value) for r in records}


async def test_the_state_topics_are_compacted_and_hold_every_aggregate_s_latest_state(servers, namespace):
    settings = settings_for(PartnersSettings, servers, namespace)
    app = create_app(settings)
    runtime = app.state.runtime
    async with running(app) as client:
        partners = []
        for name, country in (("Imperial College London", "GB"), ("ETH Zurich", "CH"), ("Kyoto University", "JP")):
            answer = await client.post(
                "/api/v1/partners", json={"name": name, "kind": "university", "country": country}, headers=WRITER
            )
            assert answer.status_code == 201, answer.text
            partners.append(answer.json())
        imperial = partners[0]["id"]
        for status in ("active", "dormant"):
            answer = await client.post(f"/api/v1/partners/{imperial}/status", json={"status": status}, headers=WRITER)
            assert answer.status_code == 200, answer.text
        listed = (await client.get("/api/v1/partners", headers=WRITER)).json()["items"]
        expected = {p["id"]: p for p in listed}
        assert expected[imperial]["version"] == 3

        state_topic = f"{namespace}.partners.partner.state"
        admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
        await admin.start()

        async def configured():  # a topic created moments ago may not be described yet (error 3)
            try:
                return await topic_configs(admin, [f"{namespace}.{t}.state" for t in runtime.kinds])
            except RuntimeError:
                return None

        try:
            configs = await eventually(configured)
        finally:
            await admin.close()
        assert {name: entries["cleanup.policy"][0] for name, entries in configs.items()} == {
            f"{namespace}.{t}.state": "compact" for t in runtime.kinds
        }

        def complete(records):
            held = latest_per_key(records)
            return all(held.get(pid, {}).get("sequence") == p["version"] for pid, p in expected.items())

        records = await read_topic(servers.kafka_bootstrap, state_topic, until=complete)
        held = latest_per_key(records)
        assert {pid: e["data"]["state"] for pid, e in held.items()} == expected  # the API's answer, exactly
        # Per key, in the event topic's order: 1, 2, 3 for Imperial (compaction may drop older ones later).
        sequences = [json.loads(r.value)["sequence"] for r in records if r.key.decode() == imperial]
        assert sequences == [1, 2, 3]

        # The state topic lost (deleted and created anew): the replay writes it again.
        admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([state_topic])
        finally:
            await admin.close()

        async def recreated():
            return await ensure_topics(
                servers.kafka_bootstrap, [state_topic], partitions=2, replication_factor=1, config=STATE_TOPIC_CONFIG
            ) == [state_topic]

        await eventually(recreated)
        assert await replay(runtime, ["partners.partner"]) == {"partners.partner": 3}
        records = await read_topic(servers.kafka_bootstrap, state_topic, until=complete)
        assert {pid: e["data"]["state"] for pid, e in latest_per_key(records).items()} == expected


async def test_a_state_topic_created_without_compaction_is_given_it(servers, namespace):
    topic = f"{namespace}.partners.center.state"
    assert await ensure_topics(servers.kafka_bootstrap, [topic], partitions=1, replication_factor=1) == [topic]
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()
    try:
        assert (await topic_configs(admin, [topic]))[topic]["cleanup.policy"][0] == "delete"  # the broker's default
        created = await ensure_topics(
            servers.kafka_bootstrap, [topic], partitions=1, replication_factor=1, config=STATE_TOPIC_CONFIG
        )
        assert created == []
        assert (await topic_configs(admin, [topic]))[topic]["cleanup.policy"][0] == "compact"
    finally:
        await admin.close()


async def test_a_record_whose_data_does_not_fit_its_schema_is_dead_lettered(servers, namespace):
    """Funding's partner directory reads partners' events: one that breaks the schema goes to the `.dlq`,
    one that fits is applied."""
    from funding.main import create_app as funding_app
    from funding.settings import FundingSettings

    app = funding_app(settings_for(FundingSettings, servers, namespace))
    topic = f"{namespace}.partners.partner"
    good = contract_event("partners.partner.registered", "ptn_good", 1, {"name": "Tsinghua", "status": "active"})
    bad = contract_event("partners.partner.registered", "ptn_bad", 1, {"name": "Broken", "status": "active"})
    bad = bad.model_copy(update={"data": {**bad.data, "state": {**bad.data["state"], "country": 86}}})
    assert isinstance(app.state.runtime.contract.data_checks, ShippedSchemaChecks)
    async with running(app):
        producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
        await producer.start()
        try:
            for event in (bad, good):  # different keys; the good one proves the consumer ran
                await producer.send_and_wait(topic, event.to_json_bytes(), key=event.subject.encode())
        finally:
            await producer.stop()
        directory = app.state.partner_directory
        await eventually(lambda: directory.get("ptn_good"))
        dead = await read_topic(servers.kafka_bootstrap, f"{topic}.dlq", until=lambda records: len(records) >= 1)
        assert [r.key for r in dead] == [b"ptn_bad"]
        headers = dict(dead[0].headers)
        assert (
            headers["dlq.error"]
            .decode()
            .startswith("invalid: data.state.country does not fit urn:opp:event-schema:partners.partner.registered:1")
        )
        assert await directory.get("ptn_bad") is None
