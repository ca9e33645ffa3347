"""Records: documents a service writes itself, outside the write model, keyed by a unique `_id`.

What a consumer or a worker keeps that is not an aggregate: an effect keyed by
the event that caused it (an inbox entry `<event id>:<recipient>`), a
delivery to send and its log, a read mark. The guarantee is the insert of a
unique `_id` (`insert_once`), as everywhere on the platform. `set_fields`
changes fields of one record by `_id`; on FerretDB that is a read then a
write, so it is for records with a single writer at a time (the one that
holds the record's claim), never a compare-and-set.

    deliveries = ports.records("deliveries", indexes=(("status", "due_at"),))
    if await deliveries.insert_once({"_id": key, "status": "pending", ...}): ...
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from opp_shared.aggregate import IndexKeys
from opp_shared.documents import Filter, MongoDocuments
from opp_shared.mongo import insert_once


class MongoRecords:
    """The `Records` port over a PyMongo async collection."""

    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    @property
    def documents(self) -> MongoDocuments:
        return MongoDocuments(self.collection)

    async def insert_once(self, document: dict[str, Any]) -> bool:
        return await insert_once(self.collection, document)

    async def get(self, record_id: str) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": record_id})

    async def set_fields(self, record_id: str, fields: dict[str, Any], *, upsert: bool = False) -> bool:
        """Set some fields of one record; False when there is no such record (and no upsert)."""
        result = await self.collection.update_one({"_id": record_id}, {"$set": fields}, upsert=upsert)
        return bool(result.matched_count or result.upserted_id is not None)

    async def delete_many(self, filter: Filter) -> int:
        return (await self.collection.delete_many(filter)).deleted_count

    async def ensure_indexes(self, indexes: tuple[IndexKeys, ...] | list[IndexKeys]) -> None:
        await self.documents.ensure_indexes(indexes)
