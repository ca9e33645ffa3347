"""Inbox entries and their read state.

An entry is one notice for one recipient (`role:<role>` or `user:<person id>`),
inserted once under an id derived from the event id and the recipient, so a
redelivered event adds nothing. Read state is per person, apart from the
entries, so that a notice addressed to a role is read or unread for each of
the people holding it:

- `reads`: one record per person and entry read, `<person>:<entry id>`, inserted once;
- `read_marks`: per person, `read_until`: everything recorded up to then counts
  as read ("mark all read"). Only that person moves it, and only forward.

Times are RFC 3339 strings (UTC, milliseconds), which sort as they read.
"""

from __future__ import annotations

from typing import Any

from opp_shared.auth import Principal
from opp_shared.documents import DESCENDING, Filter
from opp_shared.errors import NotFound
from opp_shared.pagination import PageParams, paginate
from opp_shared.ports import Records

INBOX_INDEXES = (("recipient", "-created_at"), "created_at")
READ_INDEXES = (("person", "entry_created_at"),)


class Inbox:
    def __init__(self, entries: Records, reads: Records, marks: Records) -> None:
        self.entries = entries
        self.reads = reads
        self.marks = marks

    async def add(self, entry: dict[str, Any]) -> bool:
        return await self.entries.insert_once(entry)

    async def read_until(self, person: str) -> str:
        mark = await self.marks.get(person)
        return str(mark["read_until"]) if mark else ""

    async def _reads_after(self, principal: Principal, mark: str) -> set[str]:
        found = await self.reads.documents.find(
            {"person": principal.sub, "entry_created_at": {"$gt": mark}}, fields=["entry_id"]
        )
        return {d["entry_id"] for d in found}

    async def list_for(
        self,
        principal: Principal,
        page: PageParams,
        *,
        unread: bool = False,
        event_type: str | None = None,
        since: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Newest first: what is addressed to the caller or one of their roles, each with `read`."""
        mark = await self.read_until(principal.sub)
        read_ids = await self._reads_after(principal, mark)
        query: Filter = {"recipient": {"$in": principal.addresses}}
        created: dict[str, str] = {}
        if event_type:
            query["event_type"] = event_type
        if since:
            created["$gte"] = since
        if unread:
            created["$gt"] = mark
            if read_ids:
                query["_id"] = {"$nin": sorted(read_ids)}
        if created:
            query["created_at"] = created
        items, cursor = await paginate(
            self.entries.documents, query, page, sort=[("created_at", DESCENDING), ("_id", DESCENDING)]
        )
        return [with_read(item, mark, read_ids) for item in items], cursor

    async def get_for(self, principal: Principal, entry_id: str) -> dict[str, Any]:
        entry = await self.entries.get(entry_id)
        if entry is None or entry.get("recipient") not in principal.addresses:
            raise NotFound(f"no notification with id {entry_id!r} for you")
        return entry

    async def read_one(self, principal: Principal, entry_id: str, now: str) -> dict[str, Any]:
        entry = await self.get_for(principal, entry_id)
        await self.reads.insert_once(
            {
                "_id": f"{principal.sub}:{entry_id}",
                "person": principal.sub,
                "entry_id": entry_id,
                "recipient": entry["recipient"],
                "entry_created_at": entry["created_at"],
                "read_at": now,
            }
        )
        return {**entry, "read": True}

    async def read_all(self, principal: Principal, now: str) -> str:
        """Everything recorded up to `now` reads as read for the caller (never moved back)."""
        until = max(await self.read_until(principal.sub), now)
        await self.marks.set_fields(principal.sub, {"read_until": until}, upsert=True)
        return until

    async def unread_count(self, principal: Principal) -> int:
        mark = await self.read_until(principal.sub)
        addresses = {"$in": principal.addresses}
        total = await self.entries.documents.count({"recipient": addresses, "created_at": {"$gt": mark}})
        read = await self.reads.documents.count(
            {"person": principal.sub, "recipient": addresses, "entry_created_at": {"$gt": mark}}
        )
        return max(total - read, 0)

    async def recorded_after(self, moment: str, limit: int) -> list[dict[str, Any]]:
        """Entries recorded after `moment`, oldest first (what the live streams poll)."""
        return await self.entries.documents.find(
            {"created_at": {"$gt": moment}}, sort=[("created_at", 1), ("_id", 1)], limit=limit
        )

    async def is_read(self, person: str, entry: dict[str, Any]) -> bool:
        if entry["created_at"] <= await self.read_until(person):
            return True
        return await self.reads.get(f"{person}:{entry['_id']}") is not None


def with_read(entry: dict[str, Any], mark: str, read_ids: set[str]) -> dict[str, Any]:
    return {**entry, "read": entry["created_at"] <= mark or entry["_id"] in read_ids}
