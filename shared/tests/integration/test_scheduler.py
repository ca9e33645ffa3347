"""The scheduler: a due action fires once, also with two copies racing and across restarts."""

import asyncio
from datetime import UTC, datetime, timedelta

from opp_shared.aggregate import Change
from opp_shared.clock import ManualClock
from opp_shared.eventstore import EventStore
from opp_shared.repository import Repository
from opp_shared.scheduler import Scheduler
from opp_shared.testing.fakes import InMemoryClaims
from opp_shared.testing.sample import AGREEMENT_SAMPLE

T = "partners.agreement"


class ExpiryReminders:
    """A toy job: an agreement expiring within 30 days gets one `expiring` event."""

    name = "expiry-reminders"

    def __init__(self, repository: Repository) -> None:
        self.repository = repository

    async def run(self, now: datetime) -> int:
        horizon = (now + timedelta(days=30)).date().isoformat()
        due = await self.repository.documents.find({"expires_on": {"$lte": horizon}, "reminded": False})
        fired = 0
        for document in due:
            _, recorded = await self.repository.execute(document["_id"], self.decide)
            fired += recorded
        return fired

    @staticmethod
    def decide(state):
        if state.reminded:
            return None  # someone else fired it first
        return Change(f"{T}.expiring", state.evolve(reminded=True).state(), {"days_before": 30})


def copy_of_service(db, clock):
    store = EventStore(db, source="/opp/test", projections={T: "agreements"}, clock=clock)
    return Scheduler(
        [ExpiryReminders(Repository(store, AGREEMENT_SAMPLE, InMemoryClaims()))], clock, interval_seconds=3600
    ), store


async def expiring_events(store):
    return await store.events.count_documents({"type": f"{T}.expiring"})


async def test_two_copies_racing_fire_each_reminder_once(db):
    clock = ManualClock(datetime(2027, 1, 1, tzinfo=UTC))
    a, store = copy_of_service(db, clock)
    b, _ = copy_of_service(db, clock)
    repo = Repository(store, AGREEMENT_SAMPLE, InMemoryClaims())
    for i in range(8):
        await repo.create(f"agr_{i}", Change(f"{T}.drafted", {"expires_on": "2027-01-20", "reminded": False}))
    results = await asyncio.gather(*(s.tick() for s in (a, b, a, b)))
    assert sum(r["expiry-reminders"] for r in results) == 8
    assert await expiring_events(store) == 8


async def test_a_reminder_missed_while_down_fires_after_restart_and_only_once(db):
    clock = ManualClock(datetime(2027, 1, 1, tzinfo=UTC))
    scheduler, store = copy_of_service(db, clock)
    await Repository(store, AGREEMENT_SAMPLE, InMemoryClaims()).create(
        "agr_late", Change(f"{T}.drafted", {"expires_on": "2027-03-01", "reminded": False})
    )
    assert (await scheduler.tick())["expiry-reminders"] == 0  # not due yet
    # The service is down while the reminder comes due; a new copy starts 50 days later.
    clock.advance(timedelta(days=50))
    restarted, _ = copy_of_service(db, clock)
    assert (await restarted.tick())["expiry-reminders"] == 1
    assert (await restarted.tick())["expiry-reminders"] == 0
    assert await expiring_events(store) == 1


async def test_a_failing_job_does_not_stop_the_others(db):
    clock = ManualClock()

    class Broken:
        name = "broken"

        async def run(self, now):
            raise RuntimeError("bug")

    class Fine:
        name = "fine"

        async def run(self, now):
            return 2

    scheduler = Scheduler([Broken(), Fine()], clock, interval_seconds=1)
    assert await scheduler.tick() == {"fine": 2}
    assert "bug" in scheduler.health()["errors"]["broken"]
