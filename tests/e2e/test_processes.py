"""The services as real processes: a relay killed between write and publish,
separate API and worker processes, and a clean stop on SIGTERM."""

import httpx
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from opp_shared.mongo import connect
from opp_shared.testing.helpers import auth, events_of, eventually, read_topic

pytestmark = pytest.mark.e2e


def register(url, name, key=None):
    headers = auth("partnerships_officer", sub="e2e")
    if key:
        headers["Idempotency-Key"] = key
    answer = httpx.post(
        f"{url}/api/v1/partners",
        json={"name": name, "kind": "enterprise", "country": "DE"},
        headers=headers,
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def inbox(url, role):
    answer = httpx.get(f"{url}/api/v1/notifications", headers=auth(role), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def test_a_relay_killed_after_the_write_and_before_the_publish_loses_nothing_and_repeats_nothing(
    spawn, servers, namespace
):
    notifications = spawn("notifications")
    notifications.wait_until()
    # Kafka is out of reach for this copy: the write succeeds, the relay cannot publish.
    partners = spawn("partners", OPP_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9")
    partners.wait_until("/health/live")
    partner = register(partners.url, "Siemens AG")
    partners.kill()

    client = connect(servers.mongo_url)
    database = client[f"{namespace}_partners"]
    record = await database["events"].find_one({"_id": f"{partner['id']}:1"})
    event_id = record["event"]["id"]
    assert await database["outbox"].find_one({"_id": event_id}) is not None  # not published

    restarted = spawn("partners")
    restarted.wait_until()
    topic = f"{namespace}.partners.partner"
    items = await eventually(lambda: _inbox_has(notifications.url, "admin", 1))
    # Read on for a while after the first copy, so that a duplicate would be seen.
    records = await read_topic(
        servers.kafka_bootstrap, topic, until=lambda r: len(events_of(r, partner["id"])) >= 1, settle=2
    )
    assert [e.id for e in events_of(records, partner["id"])] == [event_id]  # published once
    assert len(await inbox(notifications.url, "admin")) == 1  # handled once
    assert items[0]["event_id"] == event_id
    assert await database["outbox"].find_one({"_id": event_id}) is None  # published, marker deleted
    await client.close()


async def _inbox_has(url, role, n):
    items = await inbox(url, role)
    return items if len(items) >= n else None


async def test_api_and_workers_in_separate_processes(spawn, servers, namespace):
    api = spawn("partners", OPP_RUN="api")
    workers = spawn("partners", OPP_RUN="relay,consumers,scheduler")
    api.wait_until()
    workers.wait_until()
    assert httpx.get(f"{workers.url}/api/v1/partners", headers=auth("viewer")).status_code == 404  # no API there
    partner = register(api.url, "Toyota Motor Corporation")
    records = await read_topic(servers.kafka_bootstrap, f"{namespace}.partners.partner", until=lambda r: len(r) >= 1)
    assert events_of(records)[0].subject == partner["id"]


async def test_sigterm_commits_what_was_handled_and_exits_cleanly(spawn, servers, namespace):
    partners = spawn("partners")
    notifications = spawn("notifications")
    partners.wait_until()
    notifications.wait_until()
    for name in ("Boeing", "Microsoft", "Samsung Electronics"):
        register(partners.url, name)
    await eventually(lambda: _inbox_has(notifications.url, "admin", 3))
    # uvicorn finishes its shutdown, then re-raises SIGTERM so that the exit status tells why it stopped.
    assert notifications.terminate() in (0, -15)
    assert "Application shutdown complete" in notifications.log()

    # The inbox group's committed offsets reach the end of the topic: nothing handled is left uncommitted.
    topic = f"{namespace}.partners.partner"
    group = f"{namespace}.notifications.inbox"
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    records = await read_topic(servers.kafka_bootstrap, topic, until=lambda r: len(r) >= 3)
    ends: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(topic, record.partition)
        ends[tp] = max(ends.get(tp, 0), record.offset + 1)
    assert len(records) == 3
    for tp, end in ends.items():
        assert committed.get(tp) is not None and committed[tp].offset == end, (tp, committed.get(tp), end)
