"""The read side of a service's storage: collections of documents, queried by filter.

Stores and queries take a `Documents` (a port) rather than a PyMongo
collection, so the same store code runs on MongoDB/FerretDB and, in unit
tests, on `opp_shared.testing.fakes.InMemoryDocuments`. The filter language
is the part of MongoDB's that both serve alike and that the in-memory fake
implements: equality (an array field matches when it contains the value),
`$in`, `$nin`, `$ne`, `$lt`, `$lte`, `$gt`, `$gte`, `$regex`, `$exists`,
`$and` and `$or`. One contract suite runs the same queries against both, so
the fake cannot drift from the database.

Writes to current-state documents belong to the write model (`EventStore`);
writes to views and effects belong to their consumers.
"""

from __future__ import annotations

from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from opp_shared.aggregate import IndexKeys

Filter = dict[str, Any]
Sort = list[tuple[str, int]]

__all__ = ["ASCENDING", "DESCENDING", "Documents", "Filter", "MongoDocuments", "Sort", "equal_to", "index_keys"]


class Documents(Protocol):
    """A collection of documents, as stores and queries read it."""

    @property
    def name(self) -> str: ...

    async def find_one(self, filter: Filter) -> dict[str, Any] | None: ...

    async def find(
        self, filter: Filter, *, sort: Sort | None = None, limit: int = 0, fields: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Matching documents in `sort` order (unsorted when None); `limit` 0 means all;
        `fields` keeps only those fields (and `_id`)."""
        ...

    async def count(self, filter: Filter) -> int: ...


class MongoDocuments:
    """`Documents` over a PyMongo async collection."""

    def __init__(self, collection: AsyncCollection) -> None:
        self.collection = collection

    @property
    def name(self) -> str:
        return self.collection.name

    async def find_one(self, filter: Filter) -> dict[str, Any] | None:
        return await self.collection.find_one(filter)

    async def find(
        self, filter: Filter, *, sort: Sort | None = None, limit: int = 0, fields: list[str] | None = None
    ) -> list[dict[str, Any]]:
        projection = {"_id": True, **dict.fromkeys(fields, True)} if fields is not None else None
        cursor = self.collection.find(filter, projection=projection)
        if sort:
            cursor = cursor.sort(sort)
        if limit:
            cursor = cursor.limit(limit)
        return await cursor.to_list(None)

    async def count(self, filter: Filter) -> int:
        return await self.collection.count_documents(filter)

    async def ensure_indexes(self, indexes: tuple[IndexKeys, ...] | list[IndexKeys]) -> None:
        for keys in indexes:
            await self.collection.create_index(index_keys(keys))


def index_keys(keys: IndexKeys) -> list[tuple[str, int]]:
    """`"status"` or `("status", "-expires_on")` as PyMongo index keys."""
    names = (keys,) if isinstance(keys, str) else keys
    return [(name[1:], DESCENDING) if name.startswith("-") else (name, ASCENDING) for name in names]


def equal_to(**values: Any) -> Filter:
    """A filter of equalities, leaving out the fields whose value is None (a list's
    optional query parameters: `equal_to(status=status, country=country)`)."""
    return {field: value for field, value in values.items() if value is not None}
