"""The schedule on the real servers: patent deadlines and royalty reports (opened at the end
of their period, flagged overdue after their due date), each once, across a restart and
with two copies of the service ticking at the same moment."""

import asyncio
from datetime import UTC, datetime

from opp_shared.testing.helpers import events_of, eventually, read_topic, running
from techtransfer.main import create_app

NO_SCHEDULER = ["api", "relay", "consumers"]
PATENT = {
    "jurisdiction": "CN",
    "application_number": "CN202610012345.6",
    "priority_date": "2026-06-15",
    "filing_date": "2026-06-15",
}


def at(day: str) -> datetime:
    """Noon in Beijing on that day."""
    return datetime.fromisoformat(day).replace(hour=4, tzinfo=UTC)


async def deadline_changes(api, technology_id):
    return [
        (e["data"]["change"]["kind"], e["data"]["change"]["lead_days"], e["data"]["change"]["late"])
        for e in (await api.read(f"/api/v1/technologies/{technology_id}/history"))["items"]
        if e["type"].endswith(".deadline_approaching")
    ]


async def test_patent_deadlines_and_overdue_reports_survive_a_restart(
    settings, clock, partner, techtransfer_api, servers, namespace
):
    settings = settings.model_copy(update={"run": NO_SCHEDULER, "royalty_grace_days": 20})
    first = create_app(settings, clock=clock)
    async with running(first) as client:
        api = techtransfer_api(client, first)
        await partner(first, "ptn_siemens", "Siemens AG", "DE")
        technology = await api.technology()
        tid = technology["id"]
        await api.ok("POST", f"/api/v1/technologies/{tid}/patents", PATENT, 201)
        license = await api.license([tid], "ptn_siemens")
        await api.ok("POST", f"/api/v1/licenses/{license['id']}/execute")
        clock.set(at("2027-03-17"))  # 90 days before the priority year ends (15 June)
        fired = await first.state.scheduler.tick()
        assert fired["patent-deadlines"] == 1 and fired["license-term"] == 1 and fired["royalty-reports"] == 0
        assert (await first.state.scheduler.tick())["patent-deadlines"] == 0

    # Down from 17 March to 25 April: the first quarter ended (31 March), its report fell due
    # (20 April) and is overdue; no reminder was due meanwhile.
    clock.set(at("2027-04-25"))
    second = create_app(settings, clock=clock)
    async with running(second) as client:
        api = techtransfer_api(client, second)
        fired = await second.state.scheduler.tick()
        assert fired["royalty-reports"] == 2 and fired["patent-deadlines"] == 0  # opened, and overdue
        assert all(n == 0 for n in (await second.state.scheduler.tick()).values())
        [report] = (await api.read("/api/v1/royalty-reports", license_id=license["id"]))["items"]
        assert (report["status"], report["due_on"], report["overdue_since"]) == ("overdue", "2027-04-20", "2027-04-25")
        assert await api.history_types(f"/api/v1/royalty-reports/{report['id']}") == ["opened", "overdue"]
        # 13 June, 2 days left: the 30-day reminder (16 May) and the 7-day one (8 June) were both
        # missed; one reminder goes out, the nearest, marked late.
        clock.set(at("2027-06-13"))
        assert (await second.state.scheduler.tick())["patent-deadlines"] == 1
        assert await deadline_changes(api, tid) == [("priority_year", 90, False), ("priority_year", 7, True)]

        # Each is on Kafka exactly once.
        records = await read_topic(
            servers.kafka_bootstrap,
            f"{namespace}.techtransfer.royalty_report",
            until=lambda r: len(events_of(r, report["id"])) >= 2,
            settle=1,
        )
        assert [e.type.rsplit(".", 1)[1] for e in events_of(records, report["id"])] == ["opened", "overdue"]


async def test_two_copies_ticking_together_fire_each_once(settings, clock, partner, techtransfer_api):
    settings = settings.model_copy(update={"run": NO_SCHEDULER, "royalty_grace_days": 10})
    a, b = create_app(settings, clock=clock), create_app(settings, clock=clock)
    async with running(a) as client_a, running(b):
        api = techtransfer_api(client_a, a)
        await partner([a, b], "ptn_siemens", "Siemens AG", "DE")
        technologies, licenses = [], []
        for i in range(3):
            technology = (await api.technology())["id"]
            await api.ok(
                "POST", f"/api/v1/technologies/{technology}/patents", {**PATENT, "application_number": f"CN{i}"}, 201
            )
            license = await api.license([technology], "ptn_siemens")
            await api.ok("POST", f"/api/v1/licenses/{license['id']}/execute")
            technologies.append(technology)
            licenses.append(license["id"])
        clock.set(at("2027-06-12"))  # 3 days before the priority year ends; two quarters over, the first overdue
        results = await asyncio.gather(*(app.state.scheduler.tick() for app in (a, b, a, b)))
        assert sum(r["patent-deadlines"] for r in results) == 3  # one (the 7-day reminder) per technology
        assert sum(r["royalty-reports"] for r in results) == 3 * 2  # per license: one report opened, and overdue
        assert sum(r["license-term"] for r in results) == 3
        for technology in technologies:
            assert await deadline_changes(api, technology) == [("priority_year", 7, True)]
        for license in licenses:
            [report] = (await api.read("/api/v1/royalty-reports", license_id=license))["items"]
            assert await api.history_types(f"/api/v1/royalty-reports/{report['id']}") == ["opened", "overdue"]


async def test_the_scheduler_inside_the_service_catches_up_at_start(settings, clock, partner, techtransfer_api):
    quiet = settings.model_copy(update={"run": NO_SCHEDULER})
    first = create_app(quiet, clock=clock)
    async with running(first) as client:
        api = techtransfer_api(client, first)
        await partner(first, "ptn_siemens", "Siemens AG", "DE")
        technology = (await api.technology())["id"]
        license = await api.license([technology], "ptn_siemens", expires_on="2027-05-31")
        await api.ok("POST", f"/api/v1/licenses/{license['id']}/execute")
    clock.set(at("2027-06-02"))  # its term ended while the service was down
    second = create_app(settings, clock=clock)  # with its scheduler worker
    async with running(second) as client:
        api = techtransfer_api(client, second)

        async def expired():
            return (await api.read(f"/api/v1/licenses/{license['id']}"))["status"] == "expired"

        await eventually(expired)

        async def released():  # the follow-up of the `expired` event releases the rights
            return (await api.read(f"/api/v1/technologies/{technology}"))["grants"] == []

        await eventually(released)
