"""One attempt at a delivery, and what follows from it; replaying a delivery on demand.

Attempt n of a delivery is claimed by inserting `<delivery id>:<n>` before
sending, so of two sender copies only one sends it. What it came to is written
on the attempt, then on the delivery (sent; pending again with a later
`due_at`; or failed, after the last attempt). Should a sender die in between:

- the attempt's outcome is written but not the delivery's: the next sender to
  find the delivery due finds attempt n finished and applies its outcome;
- the attempt is claimed but never finished: after `stale` it counts as an
  interrupted attempt and the delivery goes on. The message may then have been
  sent once more; it carries the same key (`webhook-id`, `Message-ID`) so the
  receiver can drop it.

A delivery that failed for good is announced once per failure as
`notifications.delivery.failed`, through the write model.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from notifications.domain import deliveries as domain
from notifications.domain.deliveries import Backoff, DeliveryFailure, DeliveryStatus, Outcome
from notifications.store.deliveries import Deliveries
from opp_shared.clock import Clock, rfc3339
from opp_shared.errors import NotFound, RuleViolation, VersionConflict
from opp_shared.repository import Repository

Send = Callable[[dict[str, Any], int], Awaitable[Outcome]]
AfterOutcome = Callable[[dict[str, Any], Outcome], Awaitable[None]]


async def _nothing_after(delivery: dict[str, Any], outcome: Outcome) -> None:
    return None


class DeliveryAttempts:
    def __init__(
        self,
        deliveries: Deliveries,
        failures: Repository[DeliveryFailure],
        clock: Clock,
        backoff: Backoff,
        *,
        stale: timedelta,
        after: AfterOutcome = _nothing_after,
    ) -> None:
        self.deliveries = deliveries
        self.failures = failures
        self.clock = clock
        self.backoff = backoff
        self.stale = stale
        self.after = after

    async def attempt(self, delivery: dict[str, Any], send: Send) -> Outcome | None:
        """Make the delivery's next attempt; None when it was not this caller's to make."""
        number = int(delivery["attempts"]) + 1
        now = self.clock.now()
        if not await self.deliveries.begin_attempt(delivery, number, rfc3339(now)):
            await self._recover(delivery, number, now)
            return None
        started = time.perf_counter()
        try:
            outcome = await send(delivery, number)
        except Exception as exc:  # a sender must answer an outcome; one that raises is a failed attempt
            outcome = Outcome(sent=False, error=f"{type(exc).__name__}: {exc}"[:500])
        finished = rfc3339(self.clock.now())
        await self.deliveries.finish_attempt(
            delivery["_id"],
            number,
            {
                "finished_at": finished,
                "outcome": "sent" if outcome.sent else "failed",
                "error": outcome.error,
                "status_code": outcome.status_code,
                "permanent": outcome.permanent,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        await self._conclude(delivery, number, outcome, finished)
        return outcome

    async def _recover(self, delivery: dict[str, Any], number: int, now: datetime) -> None:
        held = await self.deliveries.attempt(delivery["_id"], number)
        if held is None:
            return
        if held.get("finished_at"):  # finished, but the delivery was not told
            outcome = Outcome(
                sent=held.get("outcome") == "sent", error=held.get("error"), permanent=bool(held.get("permanent"))
            )
            await self._conclude(delivery, number, outcome, held["finished_at"])
        elif held["started_at"] < rfc3339(now - self.stale):
            error = "the sender stopped during this attempt"
            finished = rfc3339(now)
            await self.deliveries.finish_attempt(
                delivery["_id"], number, {"finished_at": finished, "outcome": "interrupted", "error": error}
            )
            await self._conclude(delivery, number, Outcome(sent=False, error=error), finished)

    async def _conclude(self, delivery: dict[str, Any], number: int, outcome: Outcome, finished: str) -> None:
        at = datetime.fromisoformat(finished.replace("Z", "+00:00"))
        fields = domain.next_step(number, outcome, self.backoff, at, round_start=int(delivery.get("round_start", 0)))
        await self.deliveries.update(delivery["_id"], fields)
        concluded = {**delivery, **fields}
        if fields["status"] == DeliveryStatus.FAILED.value:
            await self.announce_failure(concluded)
        await self.after(concluded, outcome)

    async def announce_failure(self, delivery: dict[str, Any]) -> None:
        """`notifications.delivery.failed`, once per failure (its `failed_at` tells one from the next)."""
        change = domain.failed(delivery)
        current = await self.failures.find(delivery["_id"])
        if current is None:
            with contextlib.suppress(VersionConflict):  # announced by another sender at the same moment
                await self.failures.create(delivery["_id"], change)
        elif current.state.get("failed_at") != change.state["failed_at"]:
            await self.failures.change(
                delivery["_id"],
                lambda held: None if held.failed_at == change.state["failed_at"] else change,
            )


async def replay(deliveries: Deliveries, delivery_id: str, now: datetime) -> dict[str, Any]:
    """Send a delivery again, with a new round of attempts and the same key; not while it is pending."""
    delivery = await deliveries.get(delivery_id)
    if delivery is None:
        raise NotFound(f"no delivery with id {delivery_id!r}")
    if delivery["status"] == DeliveryStatus.PENDING.value:
        raise RuleViolation("the delivery is still being attempted", current_status=delivery["status"])
    fields = {
        "status": DeliveryStatus.PENDING.value,
        "round_start": int(delivery["attempts"]),
        "due_at": rfc3339(now),
        "updated_at": rfc3339(now),
        "replays": int(delivery.get("replays", 0)) + 1,
    }
    await deliveries.update(delivery_id, fields)
    return {**delivery, **fields}
