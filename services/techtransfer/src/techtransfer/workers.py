"""Techtransfer's workers besides the relay: follow-ups of its own license events, and the schedule.

Follow-ups make the execution of a license crash-proof: each event of an
execution's saga, delivered at least once, drives the same idempotent steps
again (`LicenseCommands.drive`), so whatever a dying process left half done is
completed or refused by another; an ended license's rights are released. A
refusal met on the way is an outcome, not a failure of the event.
"""

from __future__ import annotations

import contextlib

from opp_shared.consumer import EventRouter
from opp_shared.envelope import CloudEvent
from opp_shared.errors import PlatformError
from opp_shared.scheduler import DailyJob
from techtransfer.handlers.licenses import LicenseCommands
from techtransfer.handlers.royalties import RoyaltyCommands
from techtransfer.handlers.technologies import TechnologyCommands
from techtransfer.settings import TechtransferSettings

FOLLOW_UP_TOPICS = ["techtransfer.license"]


def follow_ups(licenses: LicenseCommands) -> EventRouter:
    router = EventRouter()

    async def drive(event: CloudEvent) -> None:
        attempt = event.change.get("attempt")
        if event.subject and isinstance(attempt, str):
            with contextlib.suppress(PlatformError):  # refused: that outcome is recorded
                await licenses.drive(event.subject, attempt)

    async def refused(event: CloudEvent) -> None:
        attempt = event.change.get("attempt")
        named = event.state.get("technology_ids")
        if event.subject and isinstance(attempt, str) and isinstance(named, list):
            await licenses.release_rights(event.subject, "execution refused", attempt=attempt, technology_ids=named)

    async def ended(event: CloudEvent) -> None:
        if event.subject:
            await licenses.release_rights(event.subject, f"license {event.type.rsplit('.', 1)[1]}")

    router.on("techtransfer.license.execution_requested", drive)
    router.on("techtransfer.license.executed", drive)
    router.on("techtransfer.license.execution_refused", refused)
    router.on("techtransfer.license.terminated", ended)
    router.on("techtransfer.license.expired", ended)
    return router


def schedule(
    technologies: TechnologyCommands,
    licenses: LicenseCommands,
    royalties: RoyaltyCommands,
    settings: TechtransferSettings,
) -> list[DailyJob]:
    async def executions(_) -> int:
        return await licenses.resume_pending()

    return [
        # Priority years and national phases: reminders at the configured lead times.
        DailyJob("patent-deadlines", technologies.run_deadlines, settings.local_date),
        # Licenses becoming active on their effective date, expiring on their expiry date.
        DailyJob("license-term", licenses.run_term, settings.local_date),
        # Reports opening when their period ends, and flagged overdue after their due date.
        DailyJob("royalty-reports", royalties.run, settings.local_date),
        # Executions whose process died before their outcome was recorded.
        DailyJob("pending-executions", executions, settings.local_date),
    ]
