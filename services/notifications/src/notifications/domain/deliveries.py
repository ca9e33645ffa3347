"""Deliveries: one email or webhook call per event, channel and target, and what became of it (pure).

A delivery is written down before anything is sent, under an id derived from
the event id, the channel and the target, so a redelivered event finds it
there and adds nothing. Its id is also the message's key on the wire (the
webhook's `webhook-id`, the email's `Message-ID`), so a receiver can drop a
repeat. Attempts follow an exponential backoff with jitter; after the last one
the delivery has failed, which is announced as `notifications.delivery.failed`
(an aggregate of its own, `DELIVERY`, whose first change is that failure).
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from opp_shared.aggregate import AggregateState, AggregateType, Change, NoChange
from opp_shared.clock import rfc3339


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def delivery_id(event_id: str, channel: str, target: str) -> str:
    """`dlv_` and 26 characters of a hash of (event, channel, target): the same delivery, the same id."""
    digest = hashlib.sha256(f"{event_id}\x00{channel}\x00{target}".encode()).digest()
    return "dlv_" + base64.b32encode(digest).decode().lower()[:26]


def notice_id(event_id: str, address: str) -> str:
    """An inbox entry's id: one per event and recipient."""
    digest = hashlib.sha256(f"{event_id}\x00{address}".encode()).digest()
    return "ntf_" + base64.b32encode(digest).decode().lower()[:26]


@dataclass(frozen=True)
class Backoff:
    """Attempt n (1-based) failed: wait base * 2^(n-1), at most `cap`, of which a random half
    ("equal jitter"), so that receivers coming back are not hit by every sender at once."""

    base_seconds: float = 5.0
    cap_seconds: float = 3600.0
    max_attempts: int = 8

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> timedelta:
        full = min(self.base_seconds * 2 ** (attempt - 1), self.cap_seconds)
        return timedelta(seconds=full / 2 + rand() * full / 2)


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to. `permanent`: no use trying again (an address refused, a 5xx SMTP reply)."""

    sent: bool
    error: str | None = None
    status_code: int | None = None
    permanent: bool = False


def next_step(
    attempt: int, outcome: Outcome, backoff: Backoff, now: datetime, *, round_start: int = 0
) -> dict[str, object]:
    """The delivery's fields after attempt number `attempt` (a replay starts a new round of attempts)."""
    fields: dict[str, object] = {"attempts": attempt, "updated_at": rfc3339(now), "last_error": outcome.error}
    if outcome.sent:
        return {**fields, "status": DeliveryStatus.SENT.value, "sent_at": rfc3339(now)}
    if outcome.permanent or attempt - round_start >= backoff.max_attempts:
        return {**fields, "status": DeliveryStatus.FAILED.value, "failed_at": rfc3339(now)}
    return {**fields, "status": DeliveryStatus.PENDING.value, "due_at": rfc3339(now + backoff.delay(attempt))}


class DeliveryFailure(AggregateState):
    """What `notifications.delivery.failed` says of a delivery that failed for good."""

    channel: str
    target: str
    event_id: str
    event_type: str
    event_subject: str | None = None
    attempts: int
    last_error: str | None = None
    failed_at: str


DELIVERY = AggregateType(
    topic="notifications.delivery",
    state=DeliveryFailure,
    changes={"failed": NoChange},
    noun="delivery failure",
    id_prefix="dlv",
    collection="delivery_failures",
    route="/api/v1/deliveries",
    indexes=("channel", "target"),
    history_roles=("admin",),
)


def failed(delivery: dict[str, object]) -> Change:
    """The failure of a delivery record (also when a replay of it fails again)."""
    state = DeliveryFailure(
        channel=str(delivery["channel"]),
        target=str(delivery["target"]),
        event_id=str(delivery["event_id"]),
        event_type=str(delivery["event_type"]),
        event_subject=delivery.get("subject"),  # type: ignore[arg-type]
        attempts=int(delivery["attempts"]),  # type: ignore[call-overload]
        last_error=delivery.get("last_error"),  # type: ignore[arg-type]
        failed_at=str(delivery["failed_at"]),
    )
    return Change(DELIVERY.event("failed"), state.state())
