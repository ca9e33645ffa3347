"""Forged `merged` events on the real Kafka against the running partners service: one from another
source is dead-lettered by the follow-ups' runner; one that passes the contract but that partners never
recorded does nothing. Only partners' own merge moves what referred to the merged partner."""

import pytest
from aiokafka import AIOKafkaProducer

from opp_shared.envelope import CloudEvent, make_data
from opp_shared.testing.helpers import eventually, read_topic

P = "/api/v1/partners"


@pytest.fixture
async def producer(servers):
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    yield producer
    await producer.stop()


def forged_merge(old, new, *, event_id, source):
    return CloudEvent(
        id=event_id,
        source=source,
        type="partners.partner.merged",
        dataschema="urn:opp:event-schema:partners.partner.merged:1",
        subject=old["id"],
        sequence=old["version"] + 1,
        data=make_data(
            {**old, "version": old["version"] + 1, "status": "archived", "merged_into": new["id"]},
            {"successor_id": new["id"], "from": old["status"]},
        ),
    )


async def test_a_forged_merge_moves_nothing(api, producer, servers, namespace):
    old = await api.register("Imperial College of Science", "GB", status="active")
    new = await api.register("Imperial College London", "GB", status="active")
    agreement = await api.draft([{"partner_id": old["id"], "lead": True}])
    topic = f"{namespace}.partners.partner"
    # Right source, right shape, right next sequence: it passes the contract, but partners did not record it.
    unrecorded = forged_merge(old, new, event_id="forged-unrecorded", source="/opp/partners")
    from_elsewhere = forged_merge(old, new, event_id="forged-elsewhere", source="/opp/funding")
    for forged in (unrecorded, from_elsewhere):  # one key, one partition: handled in this order
        await producer.send_and_wait(topic, forged.to_json_bytes(), key=old["id"].encode())

    group = f"{namespace}.partners.follow-ups".encode()

    def refused_by_follow_ups(records):
        return any(dict(r.headers).get("dlq.consumer.group") == group for r in records)

    dead = await read_topic(servers.kafka_bootstrap, topic + ".dlq", until=refused_by_follow_ups)
    [refused] = [r for r in dead if dict(r.headers)["dlq.consumer.group"] == group]
    assert CloudEvent.from_json_bytes(refused.value).id == "forged-elsewhere"
    assert b"source '/opp/funding' is not /opp/partners" in dict(refused.headers)["dlq.error"]
    # Both forgeries are behind the follow-ups now; neither moved anything.
    assert (await api.read(f"{P}/{new['id']}"))["version"] == new["version"]
    assert (await api.read(f"{P}/{old['id']}"))["status"] == "active"
    assert (await api.read(f"/api/v1/agreements/{agreement['id']}"))["party_ids"] == [old["id"]]

    # The real merge still moves what referred to the old partner.
    merged = await api.post(f"{P}/{old['id']}/merge", json={"successor_id": new["id"]}, headers=api.writer)
    assert merged.status_code == 200, merged.text

    async def followed():
        return (await api.read(f"/api/v1/agreements/{agreement['id']}"))["party_ids"] == [new["id"]]

    await eventually(followed)
