"""Notifications' workers: the two consumers that record, the two senders that deliver, a clean-up job.

Consumer groups (each reads every other service's topics and this service's
`notifications.delivery`):
- `inbox`: rules and subscriptions -> inbox entries and email deliveries;
- `webhooks`: endpoint filters -> webhook deliveries.
Senders (`ProcessPart.WORKERS`): `sender:email`, `sender:webhook`, each draining
its channel's due deliveries; woken at once by a recording in its own process,
else every `OPP_DELIVERY_POLL_SECONDS`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from notifications.domain.deliveries import Outcome
from notifications.handlers.recording import NoticeRecorder, WebhookRecorder
from notifications.handlers.sending import DeliveryAttempts, Send
from notifications.handlers.webhooks import WebhookCommands
from notifications.store.deliveries import Deliveries
from notifications.store.tickets import StreamTickets
from opp_shared.catalogue import all_topics
from opp_shared.clock import Clock, rfc3339
from opp_shared.consumer import EventRouter
from opp_shared.envelope import CloudEvent
from opp_shared.mongo import UNAVAILABLE

log = logging.getLogger(__name__)

# Every other service's topics, and this service's failed deliveries (an admin hears of them).
WATCHED_TOPICS = [t for t in all_topics() if not t.startswith("notifications.")] + ["notifications.delivery"]


def every_event(recorder: NoticeRecorder | WebhookRecorder) -> EventRouter:
    """A router handing every event to a recorder (a recorder ignores what no rule or endpoint wants)."""
    router = EventRouter()

    async def record(event: CloudEvent) -> None:
        await recorder.record(event)

    router.on("*", record)
    return router


class DeliveryWorker:
    """Drains one channel's due deliveries: targets in parallel (bounded), one target's in order."""

    def __init__(
        self,
        channel: str,
        deliveries: Deliveries,
        attempts: DeliveryAttempts,
        send: Send,
        clock: Clock,
        *,
        poll_seconds: float,
        batch_size: int,
        concurrency: int,
    ) -> None:
        self.name = f"sender:{channel}"
        self.channel = channel
        self.deliveries = deliveries
        self.attempts = attempts
        self.send = send
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.wakeup = asyncio.Event()
        self.last_error: str | None = None
        self.sent = 0
        self.failed_attempts = 0

    def wake(self) -> None:
        self.wakeup.set()

    def health(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed_attempts": self.failed_attempts, "last_error": self.last_error}

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            self.wakeup.clear()  # before the round: a recording during it wakes the next one
            attempted = 0
            try:
                attempted = await self.drain_once()
                self.last_error = None
            except UNAVAILABLE as exc:
                self.last_error = f"database unavailable: {exc}"
                log.warning("%s waiting for the database: %s", self.name, exc)
            if attempted < self.batch_size:
                waits = [asyncio.ensure_future(stopping.wait()), asyncio.ensure_future(self.wakeup.wait())]
                try:
                    await asyncio.wait(waits, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for wait in waits:
                        wait.cancel()

    async def drain_once(self, now: datetime | None = None) -> int:
        """One round over the due deliveries; answers how many attempts this process made."""
        due = await self.deliveries.due(self.channel, rfc3339(now or self.clock.now()), self.batch_size)
        by_target: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for delivery in due:
            by_target[delivery["target"]].append(delivery)
        gate = asyncio.Semaphore(self.concurrency)

        async def one_target(deliveries: list[dict[str, Any]]) -> int:
            made = 0
            async with gate:
                for delivery in deliveries:
                    outcome = await self.attempts.attempt(delivery, self.send)
                    if outcome is not None:
                        made += 1
                        self._count(outcome)
            return made

        return sum(await asyncio.gather(*(one_target(group) for group in by_target.values())))

    def _count(self, outcome: Outcome) -> None:
        if outcome.sent:
            self.sent += 1
        else:
            self.failed_attempts += 1
            self.last_error = outcome.error


class EndpointWatch:
    """After each webhook attempt: an endpoint whose last N attempts since it was enabled all failed is disabled."""

    def __init__(self, webhooks: WebhookCommands, deliveries: Deliveries, threshold: int) -> None:
        self.webhooks = webhooks
        self.deliveries = deliveries
        self.threshold = threshold

    async def __call__(self, delivery: dict[str, Any], outcome: Outcome) -> None:
        if outcome.sent:
            return
        snapshot = await self.webhooks.repository.find(delivery["target"])
        if snapshot is None or not snapshot.state.get("enabled"):
            return
        recent = await self.deliveries.recent_attempts(delivery["target"], snapshot.state["enabled_at"], self.threshold)
        if len(recent) >= self.threshold and all(a.get("outcome") != "sent" for a in recent):
            await self.webhooks.disable(delivery["target"], f"{self.threshold} failed attempts in a row")


class TicketCleanup:
    """A scheduled job: stream tickets expired over an hour ago go."""

    name = "stream-ticket-cleanup"

    def __init__(self, tickets: StreamTickets) -> None:
        self.tickets = tickets

    async def run(self, now: datetime) -> int:
        return await self.tickets.forget_expired(now)
