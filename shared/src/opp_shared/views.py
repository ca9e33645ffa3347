"""De-duplicating effects for consumers.

Two shapes (docs/conventions.md, "Storage"):
- `VersionedView` keeps the latest state of another service's aggregates and
  applies an event only when its `sequence` is newer than what it holds, so
  duplicates and late arrivals change nothing, and a gap (a lost or skipped
  event) is harmless because each event carries the whole state;
- `mongo.insert_once` for effects keyed by the event id (an inbox entry is
  `<event id>:<recipient>`).
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from opp_shared.documents import MongoDocuments
from opp_shared.envelope import CloudEvent
from opp_shared.mongo import is_duplicate_key


class VersionedView:
    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    @property
    def documents(self) -> MongoDocuments:
        return MongoDocuments(self.collection)

    async def apply(self, event: CloudEvent, document: dict[str, Any] | None = None, *, key: str | None = None) -> bool:
        """Store `document` (by default the event's whole state) under `key` (by
        default the event's subject) if the event is newer than what the view
        holds for it; True if applied.

        On MongoDB the filtered upsert is atomic: when a newer version is
        there the filter misses and the upsert's insert hits the unique `_id`.
        On FerretDB it is a read then a write; it stays correct because one
        aggregate's events come through one partition, read by one consumer.
        """
        if not event.subject or event.sequence is None:
            raise ValueError(f"event {event.id} has no subject or sequence; a view cannot order it")
        body = dict(event.state if document is None else document)
        body.pop("_id", None)
        key = key or event.subject
        body.update(
            {
                "_id": key,
                "_sequence": event.sequence,
                "_event_id": event.id,
                "_event_type": event.type,
                "_event_time": event.time,
            }
        )
        try:
            result = await self.collection.replace_one(
                {"_id": key, "_sequence": {"$lt": event.sequence}}, body, upsert=True
            )
        except Exception as exc:
            if is_duplicate_key(exc):
                return False  # a newer version is already there
            raise
        return bool(result.upserted_id is not None or result.modified_count or result.matched_count)

    async def get(self, aggregate_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": aggregate_id})
