"""Uniqueness across aggregates, and leadership, built on unique inserts.

A claim is a document whose `_id` is the unique key (a partner's name in a
country, an Idempotency-Key, a lease slot) and whose `owner` is the
aggregate or process holding it. Inserting it is atomic on MongoDB and on
FerretDB; nothing here rests on a conditional update.

A claim can outlive its purpose (its owner crashed before creating the
aggregate, or renamed it and crashed before releasing the old name). The
caller, who knows what the key means, decides whether a found claim is
still live and may `take_over` a stale one.
"""

from __future__ import annotations

import logging
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from opp_shared.clock import Clock, SystemClock
from opp_shared.mongo import is_duplicate_key

log = logging.getLogger(__name__)

CLAIMS = "claims"


class Claims:
    def __init__(self, collection: AsyncCollection, clock: Clock | None = None) -> None:
        self.collection = collection
        self.clock = clock or SystemClock()

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("kind", ASCENDING), ("slot", ASCENDING)])

    async def claim(self, key: str, owner: str, **info: Any) -> dict[str, Any]:
        """Claim `key` for `owner`; answer the claim as it stands afterwards
        (its `owner` is the caller's when the caller holds it)."""
        document = {"_id": key, "owner": owner, "claimed_at": self.clock.now(), **info}
        try:
            await self.collection.insert_one(document)
            return document
        except Exception as exc:
            if not is_duplicate_key(exc):
                raise
        existing = await self.collection.find_one({"_id": key})
        if existing is None:
            # Released between our insert and our read: try once more.
            return await self.claim(key, owner, **info)
        return existing

    async def get(self, key: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": key})

    async def release(self, key: str, owner: str) -> None:
        """Give up a claim we hold; a claim held by someone else stays."""
        await self.collection.delete_one({"_id": key, "owner": owner})

    async def take_over(self, key: str, stale_owner: str, owner: str, **info: Any) -> dict[str, Any]:
        """Replace a claim the caller has judged stale. Two callers racing on the same
        stale claim both delete it, but only one insert of the new claim wins."""
        await self.collection.delete_one({"_id": key, "owner": stale_owner})
        return await self.claim(key, owner, **info)


class Lease:
    """Leadership among copies of a service: the holder of the current time slot's claim leads.

    Time is cut into slots of `slot_seconds`; the claim `lease:<name>:<slot>`
    is the lease for that slot. The leader claims the next slot once it is
    half-way through the current one, so it keeps leading without a gap; if it
    dies, another copy wins the first slot nobody claimed in advance (a
    failover within two slots). A paused leader can act for a moment after
    losing its lease, so the lease saves work but never carries a guarantee:
    those rest on unique inserts (the relay may publish twice; consumers
    de-duplicate).
    """

    def __init__(
        self, claims: Claims, name: str, holder: str, *, slot_seconds: float, clock: Clock | None = None
    ) -> None:
        self.claims = claims
        self.name = name
        self.holder = holder
        self.slot_seconds = slot_seconds
        self.clock = clock or claims.clock
        self._held: set[int] = set()

    def _key(self, slot: int) -> str:
        return f"lease:{self.name}:{slot}"

    async def _claim(self, slot: int) -> bool:
        if slot in self._held:
            return True
        found = await self.claims.claim(self._key(slot), self.holder, kind=f"lease:{self.name}", slot=slot)
        if found["owner"] == self.holder:
            self._held.add(slot)
            return True
        return False

    async def held(self) -> bool:
        now = self.clock.now().timestamp()
        slot = int(now // self.slot_seconds)
        if not await self._claim(slot):
            return False
        if now - slot * self.slot_seconds >= self.slot_seconds / 2 and slot + 1 not in self._held:
            await self._claim(slot + 1)
            await self._forget_before(slot - 2)
        return True

    async def _forget_before(self, slot: int) -> None:
        self._held = {s for s in self._held if s >= slot}
        try:
            await self.claims.collection.delete_many({"kind": f"lease:{self.name}", "slot": {"$lt": slot}})
        except Exception:
            log.debug("old lease slots of %s left for later", self.name, exc_info=True)
