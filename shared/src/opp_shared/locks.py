"""Changes to one aggregate taken one at a time within a process.

The write model already makes concurrent changes safe: of two writers that
loaded the same version, one inserts the next record and the other decides
again (`opp_shared.repository`). Under a burst on one hot aggregate (twenty
awards against one fund at once) every loser reloads and retries, and the
last of them may run out of attempts. Holding a lock per aggregate id while
a change is decided and recorded lets the writers of one process queue
instead of collide; copies of the service in other processes still race,
and the unique insert still decides between them.

A lock is kept only while someone holds or waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Generic

from opp_shared.aggregate import S, Snapshot
from opp_shared.eventstore import EventMeta
from opp_shared.repository import Decide, Repository


class KeyedLock:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            _, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        """How many keys are held or waited for (for tests and metrics)."""
        return len(self._locks)


class SerialRepository(Generic[S]):
    """A repository whose changes to one aggregate are decided one at a time in this process
    (with its own number of attempts against the copies in other processes); everything
    else is the wrapped repository's."""

    def __init__(self, repository: Repository[S], *, attempts: int | None = None) -> None:
        if attempts is not None:
            repository = Repository(repository.events, repository.kind, repository.claims, attempts=attempts)
        self.repository = repository
        self.locks = KeyedLock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.repository, name)

    async def change(
        self, aggregate_id: str, decide: Decide[S], *, if_match: int | None = None, meta: EventMeta | None = None
    ) -> Snapshot:
        snapshot, _ = await self.execute(aggregate_id, decide, if_match=if_match, meta=meta)
        return snapshot

    async def execute(
        self, aggregate_id: str, decide: Decide[S], *, if_match: int | None = None, meta: EventMeta | None = None
    ) -> tuple[Snapshot, bool]:
        async with self.locks.hold(aggregate_id):
            return await self.repository.execute(aggregate_id, decide, if_match=if_match, meta=meta)
