"""The agreement schedule on the real servers: reminders at 90, 30 and 7 days, expiry on
the day, signature overdue; across a restart, and with two copies racing."""

import asyncio
from datetime import UTC, datetime, timedelta

from opp_shared.testing.helpers import events_of, eventually, read_topic, running
from partners.main import create_app

NO_SCHEDULER = ["api", "relay", "consumers"]


def at(day: str) -> datetime:
    """Noon in Beijing on that day."""
    return datetime.fromisoformat(day).replace(hour=4, tzinfo=UTC)


async def active_agreement(api, expires_on="2027-07-01"):
    partner = await api.register("University of Toronto", "CA")
    agreement = await api.draft([{"partner_id": partner["id"]}], effective_from="2022-07-01", expires_on=expires_on)
    for action, body in (("submit", None), ("sign", {"signed_on": "2022-06-15"}), ("activate", None)):
        await api.act(agreement["id"], action, body)
    return agreement["id"]


async def changes(api, agreement_id):
    return [
        (e["type"].rsplit(".", 1)[1], e["data"]["change"].get("days_before"), e["data"]["change"].get("late"))
        for e in (await api.read(f"/api/v1/agreements/{agreement_id}/history"))["items"]
        if e["type"].endswith((".expiring", ".expired", ".signature_overdue"))
    ]


async def test_a_reminder_series_survives_a_restart(settings, clock, servers, namespace, partners_api):
    settings = settings.model_copy(update={"run": NO_SCHEDULER})
    first = create_app(settings, clock=clock)
    async with running(first) as client:
        api = partners_api(client, first)
        agreement_id = await active_agreement(api)
        assert await first.state.scheduler.tick() == {"agreement-expiry": 0, "signature-overdue": 0}
        clock.set(at("2027-04-02"))  # 90 days before 1 July
        assert (await first.state.scheduler.tick())["agreement-expiry"] == 1
        assert (await first.state.scheduler.tick())["agreement-expiry"] == 0

    # Down from 2 April to 5 June: the 30-day reminder (due 1 June) is missed.
    clock.set(at("2027-06-05"))
    second = create_app(settings, clock=clock)
    async with running(second) as client:
        api = partners_api(client, second)
        assert (await second.state.scheduler.tick())["agreement-expiry"] == 1
        clock.set(at("2027-06-24"))
        assert (await second.state.scheduler.tick())["agreement-expiry"] == 1
        clock.set(at("2027-06-30"))
        assert (await second.state.scheduler.tick())["agreement-expiry"] == 0
        clock.set(at("2027-07-01"))
        assert (await second.state.scheduler.tick())["agreement-expiry"] == 1
        assert (await second.state.scheduler.tick())["agreement-expiry"] == 0
        assert await changes(api, agreement_id) == [
            ("expiring", 90, False),
            ("expiring", 30, True),
            ("expiring", 7, False),
            ("expired", None, None),
        ]
        late = [
            e
            for e in (await api.read(f"/api/v1/agreements/{agreement_id}/history"))["items"]
            if e["data"]["change"].get("late")
        ]
        assert late[0]["data"]["change"]["days_left"] == 26
        assert (await api.read(f"/api/v1/agreements/{agreement_id}"))["status"] == "expired"

        # Each reminder is on Kafka exactly once.
        records = await read_topic(
            servers.kafka_bootstrap,
            f"{namespace}.partners.agreement",
            until=lambda r: len(events_of(r, agreement_id)) >= 8,
            settle=1,
        )
        published = [e.type.rsplit(".", 1)[1] for e in events_of(records, agreement_id)]
        assert published.count("expiring") == 3 and published.count("expired") == 1 and len(published) == 8


async def test_two_copies_racing_on_the_schedule_send_each_reminder_once(settings, clock, partners_api):
    settings = settings.model_copy(update={"run": NO_SCHEDULER})
    a, b = create_app(settings, clock=clock), create_app(settings, clock=clock)
    async with running(a) as client_a, running(b):
        api = partners_api(client_a, a)
        ids = [await active_agreement_named(api, i) for i in range(5)]
        clock.set(at("2027-06-24"))  # 90, 30 and 7-day reminders all due for each (the 7-day one today)
        results = await asyncio.gather(*(app.state.scheduler.tick() for app in (a, b, a, b)))
        assert sum(r["agreement-expiry"] for r in results) == 15
        for agreement_id in ids:
            assert await changes(api, agreement_id) == [
                ("expiring", 90, True),
                ("expiring", 30, True),
                ("expiring", 7, False),
            ]


async def active_agreement_named(api, i):
    partner = await api.register(f"Partner {i}", "DE", kind="enterprise")
    agreement = await api.draft([{"partner_id": partner["id"]}], effective_from="2022-07-01", expires_on="2027-07-01")
    for action, body in (("submit", None), ("sign", {"signed_on": "2022-06-15"}), ("activate", None)):
        await api.act(agreement["id"], action, body)
    return agreement["id"]


async def test_the_scheduler_inside_the_service_fires_at_start_after_a_restart(settings, clock, partners_api):
    quiet = settings.model_copy(update={"run": NO_SCHEDULER})
    first = create_app(quiet, clock=clock)
    async with running(first) as client:
        agreement_id = await active_agreement(partners_api(client, first))
    clock.set(at("2027-07-02"))  # the expiry day passed while the service was down
    second = create_app(settings, clock=clock)  # with its scheduler worker
    async with running(second) as client:
        api = partners_api(client, second)

        async def expired():
            return (await api.read(f"/api/v1/agreements/{agreement_id}"))["status"] == "expired"

        await eventually(expired)
        # Reminders are not sent after the end: the agreement simply expired.
        assert await changes(api, agreement_id) == [("expired", None, None)]


async def test_signature_overdue_once_per_wait(settings, clock, partners_api):
    settings = settings.model_copy(update={"run": NO_SCHEDULER, "signature_overdue_days": 30})
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        api = partners_api(client, app)
        partner = await api.register("Tohoku University", "JP")
        agreement = await api.draft([{"partner_id": partner["id"]}])
        clock.advance(timedelta(days=29))
        assert (await app.state.scheduler.tick())["signature-overdue"] == 0
        clock.advance(timedelta(days=1))
        assert (await app.state.scheduler.tick())["signature-overdue"] == 1
        assert (await app.state.scheduler.tick())["signature-overdue"] == 0
        await api.act(agreement["id"], "submit")  # a new wait starts at submission
        clock.advance(timedelta(days=30))
        assert (await app.state.scheduler.tick())["signature-overdue"] == 1
        overdue = [
            e
            for e in (await api.read(f"/api/v1/agreements/{agreement['id']}/history"))["items"]
            if e["type"].endswith("signature_overdue")
        ]
        assert [e["data"]["change"]["stage"] for e in overdue] == ["draft", "under_review"]
