"""Deliveries and their attempts.

`deliveries`: one record per event, channel and target (`domain.deliveries.delivery_id`),
inserted once before anything is sent. `delivery_attempts`: one record per attempt,
`<delivery id>:<n>`, inserted by the sender that makes attempt n before it sends,
so of two sender copies only one makes it; it is also the delivery log.

Finding due deliveries is `{channel, status: pending, due_at <= now}` sorted by
`due_at`, limited to a batch: on MongoDB the index (channel, status, due_at)
answers it from the index; FerretDB on SQLite reads the whole collection for
it (only a lookup by `_id` uses an index there), which is why a sender polls
it every `OPP_DELIVERY_POLL_SECONDS` and is otherwise woken by its own process.
"""

from __future__ import annotations

from typing import Any

from opp_shared.documents import ASCENDING, DESCENDING
from opp_shared.pagination import PageParams, paginate
from opp_shared.ports import Records

DELIVERY_INDEXES = (("channel", "status", "due_at"), ("target", "-created_at"), "status", "-created_at")
ATTEMPT_INDEXES = (("target", "finished_at"), "delivery_id")


class Deliveries:
    def __init__(self, deliveries: Records, attempts: Records) -> None:
        self.records = deliveries
        self.attempts = attempts

    async def add(self, delivery: dict[str, Any]) -> bool:
        return await self.records.insert_once(delivery)

    async def get(self, delivery_id: str) -> dict[str, Any] | None:
        return await self.records.get(delivery_id)

    async def due(self, channel: str, now: str, limit: int) -> list[dict[str, Any]]:
        return await self.records.documents.find(
            {"channel": channel, "status": "pending", "due_at": {"$lte": now}},
            sort=[("due_at", ASCENDING)],
            limit=limit,
        )

    async def update(self, delivery_id: str, fields: dict[str, Any]) -> None:
        await self.records.set_fields(delivery_id, fields)

    async def begin_attempt(self, delivery: dict[str, Any], number: int, now: str) -> bool:
        """Claim attempt `number` of a delivery; False when another sender has it."""
        return await self.attempts.insert_once(
            {
                "_id": f"{delivery['_id']}:{number}",
                "delivery_id": delivery["_id"],
                "channel": delivery["channel"],
                "target": delivery["target"],
                "number": number,
                "started_at": now,
                "finished_at": None,
            }
        )

    async def attempt(self, delivery_id: str, number: int) -> dict[str, Any] | None:
        return await self.attempts.get(f"{delivery_id}:{number}")

    async def finish_attempt(self, delivery_id: str, number: int, fields: dict[str, Any]) -> None:
        await self.attempts.set_fields(f"{delivery_id}:{number}", fields)

    async def recent_attempts(self, target: str, since: str, limit: int) -> list[dict[str, Any]]:
        """A target's finished attempts after `since`, newest first."""
        return await self.attempts.documents.find(
            {"target": target, "finished_at": {"$gt": since}}, sort=[("finished_at", DESCENDING)], limit=limit
        )

    async def attempts_of(self, delivery_id: str) -> list[dict[str, Any]]:
        return await self.attempts.documents.find({"delivery_id": delivery_id}, sort=[("number", ASCENDING)])

    async def log(
        self, page: PageParams, *, target: str | None = None, channel: str | None = None, status: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = {k: v for k, v in {"target": target, "channel": channel, "status": status}.items() if v is not None}
        return await paginate(
            self.records.documents, query, page, sort=[("created_at", DESCENDING), ("_id", DESCENDING)]
        )
