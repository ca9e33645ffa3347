"""Live streams of new notices (Server-Sent Events), one process's side.

A notice reaches a stream two ways: the consumer that records an entry hands
it at once to the streams of its own process (`publish`), and one poller per
process, running while at least one stream is open, reads the entries
recorded since its last look (by any process) every `OPP_STREAM_POLL_SECONDS`
and hands those on too. Each stream remembers what it sent, so a notice seen
both ways goes out once. The poller looks a few seconds back, so an entry
whose insert finished after a later one's is not missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from notifications.store.inbox import Inbox
from opp_shared.clock import Clock, rfc3339

log = logging.getLogger(__name__)

LOOK_BACK = timedelta(seconds=5)


class Listener:
    def __init__(self, addresses: list[str], opened_at: str, capacity: int = 256) -> None:
        self.addresses = set(addresses)
        self.opened_at = opened_at  # what was recorded before the stream opened is not new to it
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=capacity)
        self._seen: deque[str] = deque(maxlen=2000)
        self.overflowed = False

    def offer(self, entry: dict[str, Any]) -> None:
        if entry.get("recipient") not in self.addresses or entry["_id"] in self._seen:
            return
        if entry["created_at"] < self.opened_at:
            return
        self._seen.append(entry["_id"])
        try:
            self.queue.put_nowait(entry)
        except asyncio.QueueFull:
            self.overflowed = True  # a client that does not read: its stream ends, it opens a new one


class StreamHub:
    def __init__(self, inbox: Inbox, clock: Clock, *, poll_seconds: float) -> None:
        self.inbox = inbox
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.listeners: set[Listener] = set()
        self._poller: asyncio.Task | None = None

    def publish(self, entry: dict[str, Any]) -> None:
        for listener in list(self.listeners):
            listener.offer(entry)

    @contextlib.asynccontextmanager
    async def listen(self, addresses: list[str]) -> AsyncIterator[Listener]:
        listener = Listener(addresses, rfc3339(self.clock.now()))
        self.listeners.add(listener)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="notification-stream-poller")
        try:
            yield listener
        finally:
            self.listeners.discard(listener)

    async def _poll(self) -> None:
        since = self.clock.now() - LOOK_BACK
        while self.listeners:
            try:
                moment = self.clock.now()
                for entry in await self.inbox.recorded_after(rfc3339(since), limit=500):
                    self.publish(entry)
                since = max(since, moment - LOOK_BACK)
            except Exception:
                log.warning("the stream poller could not read the inbox; trying again", exc_info=True)
            await asyncio.sleep(self.poll_seconds)
