"""Running a command against one aggregate type: load, decide, append, retry.

This is the one path every change takes, from an HTTP request, a consumer
or the scheduler: load the latest snapshot, let the pure domain decide the
change, insert the next event record. When another writer got there first
the insert fails on its unique `_id`; without If-Match the command is
decided again on the fresh state (the domain may now refuse it), with
If-Match the client learns its version is stale (412).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Awaitable, Callable
from typing import Any

from opp_shared.aggregate import Change, Snapshot
from opp_shared.claims import Claims
from opp_shared.errors import InvalidInput, NotFound, RuleViolation, StaleVersion, VersionConflict
from opp_shared.eventstore import EventMeta, EventStore

Decide = Callable[[Snapshot], Change | None]


class Repository:
    def __init__(self, store: EventStore, aggregate_type: str, *, noun: str, attempts: int = 10) -> None:
        self.store = store
        self.aggregate_type = aggregate_type
        self.noun = noun  # "partner", for messages
        self.attempts = attempts

    @property
    def collection(self):
        """The current-state documents (for lists and filters)."""
        return self.store.projection(self.aggregate_type)

    async def find(self, aggregate_id: str) -> Snapshot | None:
        return await self.store.load(self.aggregate_type, aggregate_id)

    async def get(self, aggregate_id: str) -> Snapshot:
        snapshot = await self.find(aggregate_id)
        if snapshot is None:
            raise NotFound(f"no {self.noun} with id {aggregate_id!r}")
        return snapshot

    async def create(self, aggregate_id: str, change: Change, meta: EventMeta | None = None) -> Snapshot:
        """Record the first change of a new aggregate (VersionConflict if the id exists)."""
        return await self.store.append(self.aggregate_type, aggregate_id, None, change, meta)

    async def change(
        self,
        aggregate_id: str,
        decide: Decide,
        *,
        if_match: int | None = None,
        meta: EventMeta | None = None,
    ) -> Snapshot:
        """Apply `decide` to the latest state and record what it decides.

        `decide` answers the change, or None when there is nothing to do (the
        command is already satisfied: a repeated action changes nothing)."""
        snapshot, _ = await self.execute(aggregate_id, decide, if_match=if_match, meta=meta)
        return snapshot

    async def execute(
        self,
        aggregate_id: str,
        decide: Decide,
        *,
        if_match: int | None = None,
        meta: EventMeta | None = None,
    ) -> tuple[Snapshot, bool]:
        """As `change`, and whether this call recorded the change (False: nothing to do,
        e.g. because a racing copy of the service did it first)."""
        for attempt in range(self.attempts):
            if attempt:
                # Writers that collided would collide again at once: spread them out a little.
                await asyncio.sleep(random.uniform(0, min(0.002 * 2**attempt, 0.2)))
            current = await self.get(aggregate_id)
            if if_match is not None and current.version != if_match:
                raise StaleVersion(
                    f"the {self.noun} is at version {current.version}, not {if_match}",
                    current_version=current.version,
                )
            change = decide(current)
            if change is None:
                return current, False
            try:
                return await self.store.append(self.aggregate_type, aggregate_id, current, change, meta), True
            except VersionConflict:
                if if_match is not None:
                    raise StaleVersion(
                        f"the {self.noun} changed while this request was decided", current_version=None
                    ) from None
        raise RuleViolation(
            f"the {self.noun} is changing too often right now; try again",
            retryable=True,
        )

    async def create_idempotently(
        self,
        claims: Claims,
        *,
        scope: str,
        caller: str,
        key: str | None,
        request: Any,
        new_id: Callable[[], str],
        create: Callable[[str], Awaitable[Snapshot]],
    ) -> tuple[Snapshot, bool]:
        """Create at most once per Idempotency-Key; answer (snapshot, replayed).

        The claim `idem:<scope>:<hash of caller and key>` fixes the new
        aggregate's id before anything is created, so a retry, even after a
        crash between the claim and the create, reaches the same id, and the
        unique insert of its first event record decides whether it exists.
        A retry answers the state right after creation: the first answer.
        """
        if key is None:
            return await create(new_id()), False
        if not (1 <= len(key) <= 255) or not key.isprintable():
            raise InvalidInput(
                "Idempotency-Key must be 1 to 255 printable characters",
                errors=[{"parameter": "Idempotency-Key", "in": "header", "detail": "1 to 255 printable characters"}],
            )
        digest = hashlib.sha256(f"{caller}\x00{key}".encode()).hexdigest()
        fingerprint = hashlib.sha256(
            json.dumps(request, sort_keys=True, default=str, separators=(",", ":")).encode()
        ).hexdigest()
        claim = await claims.claim(
            f"idem:{scope}:{digest}", new_id(), kind="idempotency", fingerprint=fingerprint
        )
        if claim.get("fingerprint") != fingerprint:
            raise InvalidInput(
                "this Idempotency-Key was already used with a different request",
                errors=[{"parameter": "Idempotency-Key", "in": "header", "detail": "reused with a different body"}],
            )
        aggregate_id = claim["owner"]
        first = await self.store.load_version(self.aggregate_type, aggregate_id, 1)
        if first is not None:
            return first, True
        try:
            return await create(aggregate_id), False
        except VersionConflict:
            first = await self.store.load_version(self.aggregate_type, aggregate_id, 1)
            if first is None:
                raise
            return first, True
