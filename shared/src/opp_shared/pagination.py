"""Cursor pagination over documents: `?limit=&cursor=` answering
`{"items": [...], "next_cursor": ...}`, stably sorted (the storage side; the
HTTP query parameter is `web.http.PageQuery`).

The cursor is opaque to clients: URL-safe base64 of the sort values of the
last item, to continue strictly after it (keyset pagination, so pages do
not shift when items are added). The sort always ends on `_id`, which is
unique, so the order is total.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from pydantic import BaseModel, Field

from opp_shared.documents import ASCENDING, Documents, Filter, Sort
from opp_shared.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageParams(BaseModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1 to 200).")
    cursor: str | None = Field(None, max_length=2048, description="`next_cursor` of the previous page.")


def encode_cursor(values: list[Any], *, list_name: str = "") -> str:
    return (
        base64.urlsafe_b64encode(json.dumps([list_name, *values], separators=(",", ":")).encode()).decode().rstrip("=")
    )


def _plain(value: Any) -> bool:
    """A value that can go back into a query unchanged (a crafted cursor must not reach the driver)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return len(value) <= 1000
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, float) and math.isfinite(value)


def decode_cursor(cursor: str, length: int, *, list_name: str = "") -> list[Any]:
    """The sort values a cursor carries; refused unless this very list gave it out."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except Exception:
        values = None
    if (
        not isinstance(values, list)
        or len(values) != length + 1
        or values[0] != list_name
        or not all(_plain(v) for v in values[1:])
    ):
        raise InvalidInput(
            "the cursor is not one this list gave out",
            errors=[{"in": "query", "parameter": "cursor", "detail": "unknown cursor"}],
        )
    return values[1:]


def _after(sort: Sort, values: list[Any]) -> Filter:
    """The keyset condition 'strictly after these sort values'."""
    alternatives = []
    for i, (field, direction) in enumerate(sort):
        condition = {f: v for (f, _), v in zip(sort[:i], values[:i], strict=True)}
        condition[field] = {"$gt" if direction == ASCENDING else "$lt": values[i]}
        alternatives.append(condition)
    return {"$or": alternatives}


async def paginate(
    documents: Documents,
    filter: Filter,
    page: PageParams,
    *,
    sort: Sort | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of documents matching `filter`; sort defaults to `_id` (creation order)."""
    sort = list(sort or [])
    if not sort or sort[-1][0] != "_id":
        sort.append(("_id", ASCENDING))  # unique, so the order is total
    # A cursor names its list (collection and order), so one list's cursor is refused by another.
    list_name = f"{documents.name}:" + ",".join(f"{f}{'+' if d == ASCENDING else '-'}" for f, d in sort)
    query = dict(filter)
    if page.cursor:
        after = _after(sort, decode_cursor(page.cursor, len(sort), list_name=list_name))
        query = {"$and": [query, after]} if query else after
    found = await documents.find(query, sort=sort, limit=page.limit + 1)
    more = len(found) > page.limit
    found = found[: page.limit]
    next_cursor = encode_cursor([_value(found[-1], f) for f, _ in sort], list_name=list_name) if more else None
    return found, next_cursor


def _value(document: dict[str, Any], dotted: str) -> Any:
    value: Any = document
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
