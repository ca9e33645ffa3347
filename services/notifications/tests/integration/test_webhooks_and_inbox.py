"""Webhooks to a real HTTP receiver, duplicates on Kafka, read state per person, and the live stream."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from aiokafka import AIOKafkaProducer
from standardwebhooks import Webhook as Verifier

from opp_shared.testing.helpers import assert_problem, auth, eventually, read_topic

from .conftest import ADMIN, OFFICER


async def endpoint(platform, receiver, path, event_types=("partners.partner.*",)):
    answer = await platform.api.post(
        "/api/v1/webhooks", json={"url": receiver.url + path, "event_types": list(event_types)}, headers=ADMIN
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_receiver_failing_three_times_gets_it_once_signed_and_rotation_signs_with_both(platform, receiver):
    receiver.script["/flaky"] = [500, 503, 502]
    hook = await endpoint(platform, receiver, "/flaky")
    assert hook["secret"].startswith("whsec_")
    partner = await platform.register("ETH Zürich", country="CH")
    calls = await eventually(
        lambda: asyncio.sleep(
            0,
            [c for c in receiver.at("/flaky") if c["headers"].get("webhook-id")]
            if len(receiver.at("/flaky")) >= 4
            else None,
        )
    )
    await asyncio.sleep(0.5)  # nothing more comes once it was taken
    assert len(receiver.at("/flaky")) == 4 and len({c["headers"]["webhook-id"] for c in calls}) == 1
    delivered = calls[-1]
    event = Verifier(hook["secret"]).verify(delivered["body"], delivered["headers"])
    assert event["type"] == "partners.partner.registered" and event["subject"] == partner["id"]
    assert delivered["headers"]["content-type"] == "application/cloudevents+json"
    log = (await platform.api.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=ADMIN)).json()["items"]
    assert [(d["status"], d["attempts"]) for d in log] == [("sent", 4)]

    rotated = (await platform.api.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret", headers=ADMIN)).json()
    assert (
        rotated["secret"] != hook["secret"]
        and "secret" not in (await platform.api.get(f"/api/v1/webhooks/{hook['id']}", headers=ADMIN)).json()
    )
    await platform.register("EPFL", country="CH")
    after = await eventually(lambda: asyncio.sleep(0, receiver.at("/flaky")[4:]))
    for secret in (hook["secret"], rotated["secret"]):
        assert Verifier(secret).verify(after[0]["body"], after[0]["headers"])["type"] == "partners.partner.registered"


async def test_one_that_always_fails_ends_failed_in_the_log_and_on_kafka(platform, receiver, servers, namespace):
    receiver.script["/down"] = [500] * 50
    hook = await endpoint(platform, receiver, "/down")
    await platform.register("University of Oxford")

    async def failed():
        log = (await platform.api.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=ADMIN)).json()["items"]
        return log if log and log[0]["status"] == "failed" else None

    [delivery] = await eventually(failed, timeout=30)
    assert delivery["attempts"] == 8 and delivery["last_error"] == "answered 500"
    records = await read_topic(
        servers.kafka_bootstrap, f"{namespace}.notifications.delivery", until=lambda r: len(r) >= 1
    )
    announced = json.loads(records[0].value)
    assert announced["type"] == "notifications.delivery.failed" and announced["subject"] == delivery["id"]
    detail = (await platform.api.get(f"/api/v1/deliveries/{delivery['id']}", headers=ADMIN)).json()
    assert [a["outcome"] for a in detail["log"]] == ["failed"] * 8
    admin_inbox = await eventually(lambda: platform.inbox(ADMIN, type="notifications.delivery.failed"), timeout=60)
    assert delivery["id"] in admin_inbox[0]["body"]
    receiver.script["/down"] = []
    replayed = await platform.api.post(f"/api/v1/deliveries/{delivery['id']}/replay", headers=ADMIN)
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending"
    await eventually(
        lambda: asyncio.sleep(
            0, receiver.at("/down")[-1]["headers"]["webhook-id"] == delivery["id"] and len(receiver.at("/down")) == 9
        )
    )


async def test_a_private_address_is_refused_unless_allowed(platform):
    platform.service.webhooks.allow_private = False
    for url in ("http://127.0.0.1:9/x", "http://10.0.0.8/x", "http://169.254.169.254/x", "http://localhost/x"):
        answer = await platform.api.post("/api/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=ADMIN)
        assert_problem(answer, 409, "rule-violation")
    assert (await platform.api.get("/api/v1/webhooks", headers=ADMIN)).json()["items"] == []


async def test_a_duplicated_event_gives_one_effect_per_channel(platform, receiver, servers, namespace, mailbox):
    await platform.api.post(
        "/api/v1/people", json={"id": "dora", "name": "Dora", "email": "dora@example.edu"}, headers=ADMIN
    )
    await endpoint(platform, receiver, "/dup")
    partner = await platform.register("University of Toronto", country="CA")
    records = await read_topic(servers.kafka_bootstrap, f"{namespace}.partners.partner", until=lambda r: len(r) >= 1)
    event = json.loads(records[0].value)
    event["data"]["state"]["relationship_owner_id"] = "dora"
    event["id"] = "dup-" + event["id"]
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
    await producer.start()
    try:
        for _ in range(3):  # the same event three times, as a redelivery would bring it
            await producer.send_and_wait(records[0].topic, json.dumps(event).encode(), key=partner["id"].encode())
    finally:
        await producer.stop()
    mine = auth("viewer", sub="dora")
    await eventually(lambda: platform.inbox(mine))
    await eventually(lambda: asyncio.sleep(0, [m for m in mailbox.messages if m[0] == ["dora@example.edu"]]))
    await eventually(lambda: asyncio.sleep(0, len(receiver.at("/dup")) >= 2))
    await asyncio.sleep(1.0)  # the copies are read by now: nothing more may come of them
    assert len(await platform.inbox(mine)) == 1
    assert len([m for m in mailbox.messages if m[0] == ["dora@example.edu"]]) == 1
    assert len(receiver.at("/dup")) == 2  # the original event and the copy with its own id
    assert len(await platform.inbox(OFFICER, type="partners.partner.registered")) == 2


async def test_read_state_is_per_person_and_the_stream_delivers_within_a_second(platform):
    ann, ben = auth("partnerships_officer", sub="ann"), auth("partnerships_officer", sub="ben")
    await platform.register("Kyoto University", country="JP")
    [entry] = await eventually(lambda: platform.inbox(ann))
    read = await platform.api.post(f"/api/v1/notifications/{entry['id']}/read", headers=ann)
    assert read.status_code == 200 and read.json()["read"] is True
    count = lambda who: platform.api.get("/api/v1/notifications/unread-count", headers=who)  # noqa: E731
    assert (await count(ann)).json() == {"unread": 0} and (await count(ben)).json() == {"unread": 1}
    assert (await platform.inbox(ben, unread="true"))[0]["id"] == entry["id"]
    assert (await platform.api.post("/api/v1/notifications/read-all", headers=ben)).status_code == 200
    assert (await count(ben)).json() == {"unread": 0}
    other = auth("funding_officer", sub="fay")
    assert_problem(await platform.api.post(f"/api/v1/notifications/{entry['id']}/read", headers=other), 404)

    assert_problem(await platform.api.get("/api/v1/notifications/stream"), 401)
    ticket = (await platform.api.post("/api/v1/notifications/stream-tickets", headers=ann)).json()
    async with platform.api.stream("GET", ticket["stream_url"], timeout=httpx.Timeout(10, read=10)) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == ": connected"
        started = time.monotonic()
        await platform.register("Osaka University", country="JP")
        data = None
        async for line in lines:
            if line.startswith("data: "):
                data = json.loads(line[6:])
                break
        latency_from_request = time.monotonic() - started
    assert data["title"] == "New partner: Osaka University (JP)" and data["recipient"] == "role:partnerships_officer"
    assert latency_from_request < 1.0, latency_from_request
    assert_problem(await platform.api.get(ticket["stream_url"]), 401)  # a ticket opens one stream


async def test_a_person_without_a_role_reads_what_is_addressed_to_them_and_nothing_more(platform):
    """The rules address people the other services name by person id (a partner's relationship owner
    here; a PI, a reviewer, an inventor), whose tokens need carry no role."""
    olga = auth(sub="olga")
    partner = await platform.register("Uppsala University", country="SE", relationship_owner_id="olga")
    [entry] = await eventually(lambda: platform.inbox(olga))
    assert entry["recipient"] == "user:olga" and entry["subject"] == partner["id"]
    [office_entry] = await eventually(lambda: platform.inbox(OFFICER))  # the office's, which olga does not see
    count = await platform.api.get("/api/v1/notifications/unread-count", headers=olga)
    assert count.status_code == 200 and count.json() == {"unread": 1}
    read = await platform.api.post(f"/api/v1/notifications/{entry['id']}/read", headers=olga)
    assert read.status_code == 200 and read.json()["read"] is True
    assert_problem(await platform.api.get(f"/api/v1/notifications/{office_entry['id']}", headers=olga), 404)
    ticket = await platform.api.post("/api/v1/notifications/stream-tickets", headers=olga)
    assert ticket.status_code == 201, ticket.text
    # Her own directory entry, once an admin made one; nothing that is not her own.
    assert_problem(await platform.api.get("/api/v1/me", headers=olga), 404)
    created = await platform.api.post("/api/v1/people", json={"id": "olga", "name": "Olga"}, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert (await platform.api.get("/api/v1/me", headers=olga)).json()["name"] == "Olga"
    assert_problem(await platform.api.get("/api/v1/people", headers=olga), 403)
    assert_problem(await platform.api.get("/api/v1/subscriptions", headers=olga), 403)
    subscribe = await platform.api.post("/api/v1/subscriptions", json={"event_types": ["*"]}, headers=olga)
    assert_problem(subscribe, 403)  # a subscription to what her roles may not read would show it to her
