"""Each default rule fires for events the real partners service produces; emails reach a real SMTP server.

People are named in partners' events by person id: a partner's
`relationship_owner_id` ("olga" here) and an agreement's `owner_id` ("oscar").
"""

from __future__ import annotations

from datetime import timedelta

from notifications.domain.defaults import DEFAULT_RULES
from opp_shared.testing.helpers import eventually

from .conftest import ADMIN, OFFICER


async def drive_every_partners_event(platform):
    """Registered, updated, status_changed, archived, merged; drafted ... renewed, expiring, overdue,
    expired, terminated; center established and closed: all through the real API and schedule."""
    imperial = await platform.register("Imperial College London", tier="strategic", relationship_owner_id="olga")
    await platform.partners.patch(
        f"/api/v1/partners/{imperial['id']}", json={"website": "https://imperial.ac.uk"}, headers=OFFICER
    )
    handed_over = await platform.register("University of Edinburgh")
    await platform.partners.patch(  # a new relationship owner is told
        f"/api/v1/partners/{handed_over['id']}", json={"relationship_owner_id": "olga"}, headers=OFFICER
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
            "owner_id": "oscar",
        },
    )
    agreement = f"/api/v1/agreements/{expiring['id']}"
    await platform.post(f"{agreement}/submit", expect=200)
    await platform.post(f"{agreement}/sign", {"signed_on": "2027-03-01"}, expect=200)
    await platform.post(f"{agreement}/activate", expect=200)
    await platform.partners.patch(agreement, json={"notes": "kick-off in May"}, headers=OFFICER)
    await platform.post(f"{agreement}/renew", {"expires_on": "2032-06-01"})

    owned = {"parties": parties, "owner_id": "oscar"}
    ended = await platform.post("/api/v1/agreements", {"type": "mou", "title": "Exchange MoU", **owned})
    await platform.post(f"/api/v1/agreements/{ended['id']}/submit", expect=200)
    await platform.post(f"/api/v1/agreements/{ended['id']}/sign", {"signed_on": "2027-03-01"}, expect=200)
    await platform.post(f"/api/v1/agreements/{ended['id']}/terminate", {"reason": "superseded"}, expect=200)

    waiting = await platform.post("/api/v1/agreements", {"type": "mou", "title": "Waiting", **owned})
    await platform.post(f"/api/v1/agreements/{waiting['id']}/submit", expect=200)

    abandoned = await platform.post("/api/v1/agreements", {"type": "mou", "title": "Never signed", **owned})
    await platform.post(f"/api/v1/agreements/{abandoned['id']}/withdraw", {"reason": "partner declined"}, expect=200)

    center = await platform.post(
        "/api/v1/centers",
        {"name": "Joint Data Center", "partner_ids": [imperial["id"]], "established_on": "2026-01-01"},
    )
    await platform.post(f"/api/v1/centers/{center['id']}/close", {"reason": "done"}, expect=200)

    platform.clock.advance(timedelta(days=61))  # 1 May: the missed 90-day reminder (late), the overdue signature
    await platform.tick()
    platform.clock.advance(timedelta(days=31))  # 1 June: expired
    await platform.tick()


async def test_every_default_rule_fires_for_the_real_service_s_events(platform, mailbox):
    for person, email in (("olga", "olga@example.edu"), ("oscar", "oscar@example.edu")):
        answer = await platform.api.post(
            "/api/v1/people", json={"id": person, "name": person.title(), "email": email}, headers=ADMIN
        )
        assert answer.status_code == 201, answer.text
    await drive_every_partners_event(platform)

    # Funding's and techtransfer's rules fire for their real events in tests/integration/test_notifications.py;
    # the failed delivery's in test_webhooks_and_inbox.py.
    wanted = {d.id for d in DEFAULT_RULES if d.id.startswith("partners-")}

    async def fired():
        reasons = {reason for entry in await platform.entries() for reason in entry["reasons"]}
        missing = wanted - reasons
        assert not missing, missing
        return True

    await eventually(fired, timeout=60)
    # Each template, in every language, found what it reads in the real events: no "?" for a missing field.
    unrendered = {
        (entry["event_type"], language, text["title"], text["body"])
        for entry in await platform.entries()
        for language, text in entry["texts"].items()
        if "?" in text["title"] + text["body"]
    }
    assert not unrendered, "\n".join(map(repr, sorted(unrendered)))

    async def office_told():
        types = {e["event_type"] for e in await platform.inbox(OFFICER)}
        wanted_types = {
            "partners.agreement.expiring",
            "partners.agreement.signature_overdue",
            "partners.agreement.expired",
            "partners.agreement.withdrawn",
        }
        assert wanted_types <= types, wanted_types - types
        return True

    await eventually(office_told, timeout=30)

    async def mailed():
        subjects = {(tuple(to), m["Subject"]) for to, m in mailbox.messages}
        assert (("olga@example.edu",), "New partner: Imperial College London (GB)") in subjects, subjects
        assert any(to == ("oscar@example.edu",) and s.startswith("Expires in") for to, s in subjects), subjects
        return True

    await eventually(mailed, timeout=30)
    _, message = next(m for m in mailbox.messages if m[1]["Subject"].startswith("New partner: Imperial"))
    assert message["To"] == "Olga <olga@example.edu>"
    assert "was registered as prospect" in message.get_content()
