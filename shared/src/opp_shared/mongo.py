"""MongoDB access shared by every service (PyMongo's async API, never Motor).

The code runs on MongoDB 7/8 and on FerretDB 1.24 (SQLite), so it uses
only what both do the same way; above all, the one write that is atomic on
both is the insert of a document with a unique `_id` (docs/conventions.md, "Storage").
"""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteError,
)

DUPLICATE_KEY = 11000

# Errors that mean "the database is unreachable right now", not "this input is wrong":
# a consumer waits and retries them instead of dead-lettering the record, and
# the API answers 503 instead of 500.
UNAVAILABLE = (ConnectionFailure, ServerSelectionTimeoutError, NetworkTimeout, AutoReconnect)


def connect(url: str, *, timeout_ms: int = 5000, app_name: str | None = None) -> AsyncMongoClient:
    return AsyncMongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        appname=app_name,
    )


def is_duplicate_key(exc: BaseException) -> bool:
    """Match on the code, never on the message (FerretDB and MongoDB word it differently)."""
    if isinstance(exc, DuplicateKeyError):
        return True
    if isinstance(exc, BulkWriteError):
        errors = exc.details.get("writeErrors", [])
        return bool(errors) and all(e.get("code") == DUPLICATE_KEY for e in errors)
    if isinstance(exc, (WriteError, OperationFailure)):
        return exc.code == DUPLICATE_KEY
    return False


async def insert_once(collection: AsyncCollection, document: dict[str, Any]) -> bool:
    """Insert a document keyed by a unique `_id`; False when it was already there.

    This is how an effect de-duplicates itself: its `_id` derives from the
    event that caused it, so a redelivered event finds its effect done.
    """
    try:
        await collection.insert_one(document)
    except Exception as exc:
        if is_duplicate_key(exc):
            return False
        raise
    return True


async def ping(client: AsyncMongoClient) -> None:
    await client.admin.command("ping")
