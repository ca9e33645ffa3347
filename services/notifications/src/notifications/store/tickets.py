"""Stream tickets: a browser's `EventSource` cannot send an Authorization header, so it opens
the live stream with a short-lived ticket instead of the bearer token (never a token in a URL).

A ticket is 32 random bytes, given to the caller once; only its SHA-256 is
stored, with the caller's subject and roles and an expiry. It is good for one
stream: opening one inserts `used:<hash>`, a unique insert that only the first
use wins.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from opp_shared.auth import Principal, Role
from opp_shared.clock import rfc3339
from opp_shared.errors import Unauthenticated
from opp_shared.ports import Records

TICKET_INDEXES = ("expires_at",)


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


class StreamTickets:
    def __init__(self, records: Records) -> None:
        self.records = records

    async def issue(self, principal: Principal, now: datetime, ttl: timedelta) -> tuple[str, str]:
        """A new ticket for the caller; answers (ticket, expires_at)."""
        ticket = secrets.token_urlsafe(32)
        expires_at = rfc3339(now + ttl)
        await self.records.insert_once(
            {
                "_id": _digest(ticket),
                "sub": principal.sub,
                "roles": sorted(r.value for r in principal.roles),
                "expires_at": expires_at,
            }
        )
        return ticket, expires_at

    async def redeem(self, ticket: str, now: datetime) -> Principal:
        """The caller the ticket was issued to, once; Unauthenticated for an unknown, expired or used one."""
        if not ticket or len(ticket) > 200:
            raise Unauthenticated("open the stream with ?ticket= from POST /api/v1/notifications/stream-tickets")
        digest = _digest(ticket)
        found: dict[str, Any] | None = await self.records.get(digest)
        if found is None or found["expires_at"] <= rfc3339(now):
            raise Unauthenticated("the stream ticket is unknown or expired; ask for a new one")
        if not await self.records.insert_once({"_id": f"used:{digest}", "expires_at": found["expires_at"]}):
            raise Unauthenticated("the stream ticket was used already; ask for a new one")
        return Principal(sub=found["sub"], roles=frozenset(Role(r) for r in found["roles"]))

    async def forget_expired(self, now: datetime) -> int:
        return await self.records.delete_many({"expires_at": {"$lt": rfc3339(now - timedelta(hours=1))}})
