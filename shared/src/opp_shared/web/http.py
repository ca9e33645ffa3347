"""Small HTTP conventions: ETag / If-Match, Idempotency-Key, and the answers that carry them."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from opp_shared.aggregate import Snapshot
from opp_shared.errors import InvalidInput

IfMatchHeader = Annotated[
    str | None,
    Header(alias="If-Match", description='The ETag of the version this change is based on, e.g. `"3"`.', max_length=64),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Makes a create safe to retry: the same key answers the first result.", max_length=255),
]

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,12})"\s*$')


def parse_if_match(value: str | None) -> int | None:
    """The version an If-Match names; None when absent or `*` (any version)."""
    if value is None or value.strip() == "*":
        return None
    match = _ETAG.match(value)
    if not match:
        raise InvalidInput(
            'If-Match must be an ETag this API gave out, such as "3"',
            errors=[{"in": "header", "parameter": "If-Match", "detail": 'expected an ETag like "3"'}],
        )
    return int(match.group(1))


def resource_response(snapshot: Snapshot, body: Any, *, status: int = 200, replayed: bool = False, location: str | None = None) -> JSONResponse:
    headers = {"ETag": snapshot.etag}
    if location:
        headers["Location"] = location
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(body, status_code=status, headers=headers)


def edits_of(body: BaseModel, *, not_null: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields a PATCH body sets, as JSON values (`null` clears an optional one);
    refuses an empty edit and the clearing of a field that must have a value."""
    edits = body.model_dump(mode="json", exclude_unset=True)
    if not edits:
        raise InvalidInput("send at least one field to change")
    cleared = [name for name in not_null if name in edits and edits[name] is None]
    if cleared:
        raise InvalidInput(
            "these fields cannot be cleared",
            errors=[{"pointer": f"#/{name}", "detail": "may not be null"} for name in cleared],
        )
    return edits
