"""Running a command against one aggregate type: load, decide, append, retry.

This is the one path every change takes, from an HTTP request, a consumer
or the scheduler: load the latest state, let the pure domain decide the
change, insert the next event record. When another writer got there first
the insert fails on its unique `_id`; without If-Match the command is
decided again on the fresh state (the domain may now refuse it), with
If-Match the client learns its version is stale (412).

Hot aggregates: the changes to one aggregate made in one process are
decided and recorded one at a time (a lock per aggregate id), so its
writers queue instead of colliding on the next record and decide once
each. Only copies of the service in other processes can still race; the
unique insert decides between them, and the loser waits a random, growing
while (exponential backoff with full jitter) before it decides again. When
the attempts run out the command answers `Contention` (503, Retry-After):
a busy resource, not a refusal, so a client simply tries again.

A `Repository[S]` is typed by the aggregate's state model: `decide` receives
an `S`, so domain functions take their state model, never a raw dict.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic

from opp_shared.aggregate import AggregateType, Change, S, Snapshot
from opp_shared.documents import Documents
from opp_shared.errors import Contention, InvalidInput, NotFound, StaleVersion, VersionConflict
from opp_shared.eventstore import EventMeta
from opp_shared.locks import KeyedLock
from opp_shared.ports import ClaimStore, EventLog

Decide = Callable[[S], Change | None]

ATTEMPTS = 10  # decisions of one command before it answers Contention
BACKOFF_BASE_SECONDS = 0.005  # the first wait after a lost race is up to 10 ms ...
BACKOFF_CAP_SECONDS = 0.5  # ... doubling with each lost race, up to this
CONTENTION_RETRY_AFTER_SECONDS = 1


def backoff_seconds(attempt: int) -> float:
    """How long to wait before attempt number `attempt` (1 for the first retry): a random
    part of a ceiling that doubles each time, so writers that collided do not collide again."""
    return random.uniform(0, min(BACKOFF_BASE_SECONDS * 2**attempt, BACKOFF_CAP_SECONDS))


@dataclass(frozen=True)
class CreateRequest:
    """Who asks to create something, with which Idempotency-Key, and what they sent."""

    caller: str
    key: str | None
    body: Any

    def __post_init__(self) -> None:
        if self.key is not None and (not (1 <= len(self.key) <= 255) or not self.key.isprintable()):
            raise InvalidInput(
                "Idempotency-Key must be 1 to 255 printable characters",
                errors=[{"parameter": "Idempotency-Key", "in": "header", "detail": "1 to 255 printable characters"}],
            )

    def fingerprint(self) -> str:
        canonical = json.dumps(self.body, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class Repository(Generic[S]):
    def __init__(
        self, events: EventLog, kind: AggregateType[S], claims: ClaimStore, *, attempts: int = ATTEMPTS
    ) -> None:
        if attempts < 1:
            raise ValueError("a repository needs at least one attempt")
        self.events = events
        self.kind = kind
        self.claims = claims
        self.attempts = attempts
        # The changes of one aggregate in this process, one at a time (the module's docstring).
        self.locks = KeyedLock()

    @property
    def aggregate_type(self) -> str:
        return self.kind.topic

    @property
    def noun(self) -> str:
        return self.kind.noun

    @property
    def documents(self) -> Documents:
        """The current-state documents (for lists and queries)."""
        return self.events.documents(self.kind.topic)

    async def find(self, aggregate_id: str) -> Snapshot | None:
        return await self.events.load(self.kind.topic, aggregate_id)

    async def get(self, aggregate_id: str) -> Snapshot:
        snapshot = await self.find(aggregate_id)
        if snapshot is None:
            raise NotFound(f"no {self.kind.noun} with id {aggregate_id!r}")
        return snapshot

    async def read(self, aggregate_id: str) -> S:
        """The aggregate's state model (NotFound when there is none)."""
        return self.kind.read(await self.get(aggregate_id))

    async def create(self, aggregate_id: str, change: Change, meta: EventMeta | None = None) -> Snapshot:
        """Record the first change of a new aggregate (VersionConflict if the id exists)."""
        return await self.events.append(self.kind.topic, aggregate_id, None, self.kind.checked(change), meta)

    async def change(
        self,
        aggregate_id: str,
        decide: Decide[S],
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
        decide: Decide[S],
        *,
        if_match: int | None = None,
        meta: EventMeta | None = None,
    ) -> tuple[Snapshot, bool]:
        """As `change`, and whether this call recorded the change (False: nothing to do,
        e.g. because a racing copy of the service did it first)."""
        async with self.locks.hold(aggregate_id):
            return await self._execute(aggregate_id, decide, if_match=if_match, meta=meta)

    async def _execute(
        self, aggregate_id: str, decide: Decide[S], *, if_match: int | None, meta: EventMeta | None
    ) -> tuple[Snapshot, bool]:
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(backoff_seconds(attempt))
            current = await self.get(aggregate_id)
            if if_match is not None and current.version != if_match:
                raise StaleVersion(
                    f"the {self.kind.noun} is at version {current.version}, not {if_match}",
                    current_version=current.version,
                )
            change = decide(self.kind.read(current))
            if change is None:
                return current, False
            change = self.kind.checked(change)  # the contract describes every change recorded
            try:
                return await self.events.append(self.kind.topic, aggregate_id, current, change, meta), True
            except VersionConflict:
                if if_match is not None:
                    raise StaleVersion(
                        f"the {self.kind.noun} changed while this request was decided", current_version=None
                    ) from None
        raise Contention(
            f"the {self.kind.noun} is changing too often right now; try again shortly",
            retry_after=CONTENTION_RETRY_AFTER_SECONDS,
        )

    # -- creating at most once per Idempotency-Key --------------------------------

    async def create_once(
        self, scope: str, request: CreateRequest, create: Callable[[str], Awaitable[Snapshot]]
    ) -> tuple[Snapshot, bool]:
        """Create a new aggregate at most once per Idempotency-Key; answer (snapshot, replayed).

        The new id is reserved first: without a key it is simply new; with one,
        the claim `idem:<scope>:<hash of caller and key>` fixes it, so a retry,
        even after a crash between the claim and the create, reaches the same id.
        Then the unique insert of the first event record decides whether this
        call creates it or replays the first answer (the state right after creation)."""
        aggregate_id = await self._reserve_id(scope, request)
        if request.key is not None:
            first = await self.events.load_version(self.kind.topic, aggregate_id, 1)
            if first is not None:
                return first, True
        try:
            return await create(aggregate_id), False
        except VersionConflict:
            first = await self.events.load_version(self.kind.topic, aggregate_id, 1)
            if first is None or request.key is None:
                raise
            return first, True

    async def _reserve_id(self, scope: str, request: CreateRequest) -> str:
        if request.key is None:
            return self.kind.new_id()
        digest = hashlib.sha256(f"{request.caller}\x00{request.key}".encode()).hexdigest()
        fingerprint = request.fingerprint()
        claim = await self.claims.claim(
            f"idem:{scope}:{digest}", self.kind.new_id(), kind="idempotency", fingerprint=fingerprint
        )
        if claim.get("fingerprint") != fingerprint:
            raise InvalidInput(
                "this Idempotency-Key was already used with a different request",
                errors=[{"parameter": "Idempotency-Key", "in": "header", "detail": "reused with a different body"}],
            )
        return claim["owner"]
