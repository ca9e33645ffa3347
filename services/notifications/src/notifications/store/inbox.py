"""Inbox entries: one per event and recipient, keyed so that a redelivered event adds nothing."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from notifications.domain.rules import Notice, notices_for
from opp_shared.clock import rfc3339
from opp_shared.documents import MongoDocuments
from opp_shared.envelope import CloudEvent
from opp_shared.mongo import insert_once
from opp_shared.pagination import PageParams, paginate

COLLECTION = "inbox"


def entry_id(event_id: str, recipient: str) -> str:
    return f"{event_id}:{recipient}"


class Inbox:
    def __init__(self, db: AsyncDatabase) -> None:
        self.collection = db[COLLECTION]

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("recipient", ASCENDING), ("created_at", DESCENDING)])

    async def notify(self, event: CloudEvent) -> None:
        """A consumer's handler: the notices the rules make of an event, each once."""
        await self.deliver(event, notices_for(event))

    async def deliver(self, event: CloudEvent, notices: list[Notice]) -> int:
        """Add each notice once; answer how many were new."""
        added = 0
        for notice in notices:
            added += await insert_once(
                self.collection,
                {
                    "_id": entry_id(event.id, notice.recipient),
                    "recipient": notice.recipient,
                    "title": notice.title,
                    "body": notice.body,
                    "event_id": event.id,
                    "event_type": event.type,
                    "subject": event.subject,
                    "created_at": rfc3339(event.time) if event.time else None,
                },
            )
        return added

    async def list_for(self, addresses: list[str], page: PageParams) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first: what is addressed to any of the caller's addresses."""
        return await paginate(
            MongoDocuments(self.collection),
            {"recipient": {"$in": addresses}},
            page,
            sort=[("created_at", DESCENDING), ("_id", DESCENDING)],
        )
