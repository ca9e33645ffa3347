"""Small HTTP conventions: ETag / If-Match, Idempotency-Key, list parameters, and the answers that carry them."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from opp_shared.aggregate import Snapshot
from opp_shared.auth import Principal
from opp_shared.errors import InvalidInput
from opp_shared.pagination import PageParams
from opp_shared.repository import CreateRequest

PageQuery = Annotated[PageParams, Query()]

IfMatchHeader = Annotated[
    str | None,
    Header(alias="If-Match", description='The ETag of the version this change is based on, e.g. `"3"`.', max_length=64),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Makes a create safe to retry: the same key answers the first result.",
        max_length=255,
    ),
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


def create_request(principal: Principal, idempotency_key: str | None, body: Any) -> CreateRequest:
    """A creating POST as the command sees it: who, with which Idempotency-Key, what (as JSON)."""
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    return CreateRequest(caller=principal.sub, key=idempotency_key, body=body)


ME = "me"


def person_or_me(value: str | None, principal: Principal) -> str | None:
    """A list filter on a person id: `me` is the caller (the token's `sub`), anything else is itself."""
    return principal.sub if value == ME else value


def answer(
    snapshot: Snapshot, *, status: int = 200, replayed: bool = False, location: str | None = None
) -> JSONResponse:
    """One resource: its whole public state, with its ETag (and Location and
    Idempotent-Replayed for a create)."""
    headers = {"ETag": snapshot.etag}
    if location:
        headers["Location"] = location
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(dict(snapshot.state), status_code=status, headers=headers)


def created(snapshot: Snapshot, replayed: bool, collection_path: str) -> JSONResponse:
    """The answer to a creating POST: 201 with the new resource's Location."""
    return answer(snapshot, status=201, replayed=replayed, location=f"{collection_path}/{snapshot.id}")


def page_answer(documents: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    """A list page of stored documents, without their storage key."""
    return {"items": [{k: v for k, v in d.items() if k != "_id"} for d in documents], "next_cursor": next_cursor}


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
