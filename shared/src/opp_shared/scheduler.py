"""Timed domain events: expiry reminders, call openings, overdue reports, patent deadlines.

The scheduler asks each job, every interval, to fire what is due at the
clock's `now`. A job derives what is due from current state (e.g. active
agreements whose `expires_on` is within 90 days and whose 90-day reminder is
not recorded yet) and fires it as a change to that aggregate through its
`Repository`. That gives the three guarantees without a timer store:
- once: the fired reminder is part of the aggregate's state, recorded by
  inserting the next event record; two copies of the service racing on the
  same reminder both try to insert `<id>:<n>`, one wins, the other reloads,
  sees it recorded and decides nothing;
- across restarts: state is in the database, not in memory;
- missed while down: whatever came due meanwhile is still due at the next tick.

The clock is injected, and `tick()` runs one pass, so tests never wait.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, Protocol

from opp_shared.claims import Lease
from opp_shared.clock import Clock
from opp_shared.metrics import SCHEDULER_FAILURES, SCHEDULER_FIRED
from opp_shared.mongo import UNAVAILABLE

log = logging.getLogger(__name__)


class Job(Protocol):
    name: str

    async def run(self, now: datetime) -> int:
        """Fire everything due at `now`; answer how many actions fired."""
        ...


class DailyJob:
    """A job whose rule works on a calendar day (an expiry, a deadline, a due date): it runs
    `run_on(day)` with the day it is at `now` in the office's calendar (`local_date`,
    usually `ServiceSettings.local_date`)."""

    def __init__(
        self, name: str, run_on: Callable[[date], Awaitable[int]], local_date: Callable[[datetime], date]
    ) -> None:
        self.name = name
        self.run_on = run_on
        self.local_date = local_date

    async def run(self, now: datetime) -> int:
        return await self.run_on(self.local_date(now))


class Scheduler:
    name = "scheduler"

    def __init__(self, jobs: list[Job], clock: Clock, *, interval_seconds: float, lease: Lease | None = None) -> None:
        self.jobs = list(jobs)
        self.clock = clock
        self.interval_seconds = interval_seconds
        self.lease = lease
        self.last_tick: datetime | None = None
        self.last_errors: dict[str, str] = {}

    def health(self) -> dict[str, Any]:
        return {
            "jobs": [job.name for job in self.jobs],
            "last_tick": self.last_tick.isoformat() if self.last_tick else None,
            "errors": dict(self.last_errors),
        }

    async def tick(self) -> dict[str, int]:
        """One pass over every job; one job's failure does not stop the others."""
        now = self.clock.now()
        fired: dict[str, int] = {}
        for job in self.jobs:
            try:
                fired[job.name] = await job.run(now)
                self.last_errors.pop(job.name, None)
                if fired[job.name]:
                    SCHEDULER_FIRED.labels(job.name).inc(fired[job.name])
            except UNAVAILABLE:
                raise
            except Exception as exc:
                SCHEDULER_FAILURES.labels(job.name).inc()
                self.last_errors[job.name] = f"{type(exc).__name__}: {exc}"
                log.exception("scheduled job %s failed; it runs again next tick", job.name)
        self.last_tick = now
        return fired

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                if self.lease is None or await self.lease.held():
                    await self.tick()
            except UNAVAILABLE as exc:
                log.warning("scheduler waiting for the database: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=self.interval_seconds)
