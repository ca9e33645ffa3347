"""Each default rule fires for events the real partners service produces; emails reach a real SMTP server.

The partners service does not yet carry the person fields its events will name
people by (`relationship_owner_id` of a partner, `owner_id` of an agreement;
being added beside the free-text fields). Until then the test republishes each
real event once more, with a new id and those fields filled in, as the
service will publish it; once partners carries them, the copies are simply
not needed.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from aiokafka import AIOKafkaProducer

from notifications.domain.defaults import DEFAULT_RULES
from opp_shared.testing.helpers import eventually, read_topic

from .conftest import ADMIN, OFFICER

PERSON_FIELDS = {"partners.partner": ("relationship_owner_id", "olga"), "partners.agreement": ("owner_id", "oscar")}


async def drive_every_partners_event(platform):
    """Registered, updated, status_changed, archived, merged; drafted ... renewed, expiring, overdue,
    expired, terminated; center established and closed: all through the real API and schedule."""
    imperial = await platform.register("Imperial College London", tier="strategic")
    await platform.partners.patch(
        f"/api/v1/partners/{imperial['id']}", json={"website": "https://imperial.ac.uk"}, headers=OFFICER
    )
    await platform.post(f"/api/v1/partners/{imperial['id']}/status", {"status": "active"}, expect=200)
    dormant = await platform.register("Old College")
    await platform.post(f"/api/v1/partners/{dormant['id']}/archive", {"reason": "closed"}, expect=200)
    merged = await platform.register("Imperial College of Science")
    await platform.post(f"/api/v1/partners/{merged['id']}/merge", {"successor_id": imperial["id"]}, expect=200)

    parties = [{"partner_id": imperial["id"]}]
    expiring = await platform.post(
        "/api/v1/agreements",
        {
            "type": "strategic",
            "title": "Strategic cooperation",
            "parties": parties,
            "effective_from": "2027-01-01",
            "expires_on": "2027-06-01",
        },
    )
    agreement = f"/api/v1/agreements/{expiring['id']}"
    await platform.post(f"{agreement}/submit", expect=200)
    await platform.post(f"{agreement}/sign", {"signed_on": "2027-03-01"}, expect=200)
    await platform.post(f"{agreement}/activate", expect=200)
    await platform.partners.patch(agreement, json={"notes": "kick-off in May"}, headers=OFFICER)
    await platform.post(f"{agreement}/renew", {"expires_on": "2032-06-01"})

    ended = await platform.post("/api/v1/agreements", {"type": "mou", "title": "Exchange MoU", "parties": parties})
    await platform.post(f"/api/v1/agreements/{ended['id']}/submit", expect=200)
    await platform.post(f"/api/v1/agreements/{ended['id']}/sign", {"signed_on": "2027-03-01"}, expect=200)
    await platform.post(f"/api/v1/agreements/{ended['id']}/terminate", {"reason": "superseded"}, expect=200)

    waiting = await platform.post("/api/v1/agreements", {"type": "mou", "title": "Waiting", "parties": parties})
    await platform.post(f"/api/v1/agreements/{waiting['id']}/submit", expect=200)

    center = await platform.post(
        "/api/v1/centers",
        {"name": "Joint Data Center", "partner_ids": [imperial["id"]], "established_on": "2026-01-01"},
    )
    await platform.post(f"/api/v1/centers/{center['id']}/close", {"reason": "done"}, expect=200)

    platform.clock.advance(timedelta(days=61))  # 1 May: the missed 90-day reminder (late), the overdue signature
    await platform.tick()
    platform.clock.advance(timedelta(days=31))  # 1 June: expired
    await platform.tick()


async def republish_with_person_fields(platform, servers, namespace):
    count = await platform.partners_app.state.runtime.store.events.count_documents({})
    topics = [f"{namespace}.{topic}" for topic in ("partners.partner", "partners.agreement", "partners.center")]
    records = await eventually(lambda: _all(servers, topics, count))
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap)
    await producer.start()
    try:
        for record in records:
            event = json.loads(record.value)
            topic = event["type"].rsplit(".", 1)[0]
            if topic not in PERSON_FIELDS or event["data"]["state"].get(PERSON_FIELDS[topic][0]):
                continue
            field, person = PERSON_FIELDS[topic]
            event["id"] = str(uuid.uuid4())
            event["data"]["state"][field] = person
            if event["type"] == "partners.partner.updated":  # as an edit that names the owner will say
                event["data"]["change"]["fields"] = [*event["data"]["change"].get("fields", []), field]
            await producer.send_and_wait(record.topic, json.dumps(event).encode(), key=record.key)
    finally:
        await producer.stop()
    return count


async def _all(servers, topics, count):
    records = []
    for topic in topics:
        records += await read_topic(servers.kafka_bootstrap, topic, until=lambda r: True, settle=0.3)
    return records if len(records) >= count else None


async def test_every_default_rule_fires_for_the_real_service_s_events(platform, servers, namespace, mailbox):
    for person, email in (("olga", "olga@example.edu"), ("oscar", "oscar@example.edu")):
        answer = await platform.api.post(
            "/api/v1/people", json={"id": person, "name": person.title(), "email": email}, headers=ADMIN
        )
        assert answer.status_code == 201, answer.text
    await drive_every_partners_event(platform)
    await republish_with_person_fields(platform, servers, namespace)

    wanted = {d.id for d in DEFAULT_RULES} - {"notifications-delivery-failed"}  # its own test: test_webhooks.py

    async def fired():
        reasons = {reason for entry in await platform.entries() for reason in entry["reasons"]}
        missing = wanted - reasons
        assert not missing, missing
        return True

    await eventually(fired, timeout=60)
    types = {e["event_type"] for e in await platform.inbox(OFFICER)}
    assert {
        "partners.agreement.expiring",
        "partners.agreement.signature_overdue",
        "partners.agreement.expired",
    } <= types

    async def mailed():
        subjects = {(tuple(to), m["Subject"]) for to, m in mailbox.messages}
        assert (("olga@example.edu",), "New partner: Imperial College London (GB)") in subjects, subjects
        assert any(to == ("oscar@example.edu",) and s.startswith("Expires in") for to, s in subjects), subjects
        return True

    await eventually(mailed, timeout=30)
    _, message = next(m for m in mailbox.messages if m[1]["Subject"].startswith("New partner: Imperial"))
    assert message["To"] == "Olga <olga@example.edu>"
    assert "was registered as prospect" in message.get_content()
