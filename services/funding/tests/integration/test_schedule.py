"""Calls open and close on schedule on the real servers: once each, across a restart, with two copies racing."""

import asyncio
from datetime import timedelta

from funding.main import create_app
from opp_shared.testing.helpers import events_of, eventually, read_topic, running

NO_SCHEDULER = ["api", "relay", "consumers"]


async def call_types(api, call_id):
    return [e["type"].rsplit(".", 1)[1] for e in (await api.read(f"/api/v1/calls/{call_id}/history"))["items"]]


async def test_a_call_opens_and_closes_once_across_a_restart(settings, clock, servers, namespace, funding_api):
    quiet = settings.model_copy(update={"run": NO_SCHEDULER})
    first = create_app(quiet, clock=clock)
    async with running(first) as client:
        api = funding_api(client, first)
        sponsor = await api.partner()
        fund = await api.fund(sponsor)
        call = await api.call(fund["id"], opens_in=timedelta(hours=2))
        call_id = call["id"]
        assert call["status"] == "scheduled"
        assert (await first.state.scheduler.tick())["call-schedule"] == 0
        clock.advance(timedelta(hours=2))
        assert (await first.state.scheduler.tick())["call-schedule"] == 1
        assert (await first.state.scheduler.tick())["call-schedule"] == 0

    clock.advance(timedelta(days=40))  # the closing (day 30) passed while the service was down
    second = create_app(settings, clock=clock)  # with its scheduler worker: it fires at start
    async with running(second) as client:
        api = funding_api(client, second)

        async def closed():
            return (await api.read(f"/api/v1/calls/{call_id}"))["status"] == "closed"

        await eventually(closed)
        assert (await second.state.scheduler.tick())["call-schedule"] == 0
        assert await call_types(api, call_id) == ["scheduled", "opened", "closed"]
        records = await read_topic(
            servers.kafka_bootstrap,
            f"{namespace}.funding.call",
            until=lambda r: len(events_of(r, call_id)) >= 3,
            settle=1,
        )
        assert [e.type.rsplit(".", 1)[1] for e in events_of(records, call_id)] == ["scheduled", "opened", "closed"]


async def test_two_copies_racing_on_the_schedule_open_each_call_once(settings, clock, funding_api):
    quiet = settings.model_copy(update={"run": NO_SCHEDULER})
    a, b = create_app(quiet, clock=clock), create_app(quiet, clock=clock)
    async with running(a) as client_a, running(b):
        api = funding_api(client_a, a)
        sponsor = await api.partner()
        fund = await api.fund(sponsor)
        calls = [(await api.call(fund["id"], opens_in=timedelta(hours=1)))["id"] for _ in range(5)]
        clock.advance(timedelta(hours=1))
        results = await asyncio.gather(*(app.state.scheduler.tick() for app in (a, b, a, b)))
        assert sum(r["call-schedule"] for r in results) == 5
        for call_id in calls:
            assert await call_types(api, call_id) == ["scheduled", "opened"]
        clock.advance(timedelta(days=31))
        results = await asyncio.gather(*(app.state.scheduler.tick() for app in (b, a, b, a)))
        assert sum(r["call-schedule"] for r in results) == 5
        for call_id in calls:
            assert await call_types(api, call_id) == ["scheduled", "opened", "closed"]
