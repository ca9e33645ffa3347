"""De-duplicating effects for consumers.

Two shapes (docs/conventions.md, "Storage"):
- `VersionedView` keeps the latest state of another service's aggregates and
  applies an event only when its `sequence` is newer than what it holds, so
  duplicates and late arrivals change nothing, and a gap (a lost or skipped
  event) is harmless because each event carries the whole state. It refuses
  a sequence implausibly far ahead of what it holds (`RejectedEvent`, which
  the runner dead-letters): applied, such a record would pin its state until
  the aggregate's real sequence caught up with it, which for a forged
  sequence of a billion is never;
- `mongo.insert_once` for effects keyed by the event id (an inbox entry is
  `<event id>:<recipient>`).
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from opp_shared.contract import RejectedEvent
from opp_shared.documents import MongoDocuments
from opp_shared.envelope import CloudEvent
from opp_shared.mongo import is_duplicate_key

# How far ahead of what a view holds (nothing held counts as 0) a sequence may be.
# An aggregate's events reach a view in order, so a real jump is as large as the
# changes the view missed: records lost to retention before the view first read
# the topic, or dead-lettered ones. A partner or an agreement changes a few times
# a year; a thousand changes of one aggregate is beyond anything the office does,
# while a forged far-ahead sequence (the attack this stops) is refused. A forged
# jump below the limit is overtaken by the aggregate's real changes after at most
# this many of them. `OPP_VIEW_MAX_SEQUENCE_JUMP` moves it.
MAX_SEQUENCE_JUMP = 1000


def check_sequence_jump(event: CloudEvent, held: int, max_jump: int | None) -> None:
    """RejectedEvent when the event's sequence is more than `max_jump` ahead of `held`."""
    if max_jump is not None and event.sequence is not None and event.sequence > held + max_jump:
        raise RejectedEvent(
            f"sequence {event.sequence} is implausibly far ahead of the {held} this view holds "
            f"(more than {max_jump} ahead)"
        )


class VersionedView:
    def __init__(self, collection: AsyncCollection, *, max_sequence_jump: int | None = MAX_SEQUENCE_JUMP) -> None:
        self.collection = collection
        self.max_sequence_jump = max_sequence_jump

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

        RejectedEvent when the sequence is implausibly far ahead (`MAX_SEQUENCE_JUMP`).
        """
        if not event.subject or event.sequence is None:
            raise ValueError(f"event {event.id} has no subject or sequence; a view cannot order it")
        body = dict(event.state if document is None else document)
        body.pop("_id", None)
        key = key or event.subject
        if self.max_sequence_jump is not None:
            held = await self.collection.find_one({"_id": key}, projection={"_sequence": True})
            check_sequence_jump(event, int(held["_sequence"]) if held else 0, self.max_sequence_jump)
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
