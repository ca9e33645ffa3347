"""Time as a dependency, so that schedules and expiries are tested without waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 1, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


def rfc3339(instant: datetime) -> str:
    """RFC 3339 in UTC with millisecond precision and a `Z`, the API's and the events' format."""
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; use timezone-aware UTC instants")
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
