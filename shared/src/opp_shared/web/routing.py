"""What the services' routes share, as dependencies, so that a route reads as a declaration.

    Creating = creating(Writer)  # in a service's api/access.py

    @router.post("", status_code=201, response_model=FUND.response, operation_id="createFund", summary="...")
    async def create(body: CreateFund, by: Creating) -> JSONResponse:
        return await by.create(body, commands.create, FUND.route)

    @router.post("/{fund_id}/close", response_model=FUND.response, operation_id="closeFund", summary="...")
    async def close(fund_id: str, _: Writer, version: IfMatch, body: Reason | None = None) -> JSONResponse:
        return answer(await commands.close(fund_id, body.reason if body else None, if_match=version))

(No `from __future__ import annotations` here: `creating` builds a dependency whose
parameter annotation is the caller's own dependency, which FastAPI must see as an
object, not as a name to look up.)
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from opp_shared.aggregate import Snapshot
from opp_shared.auth import Principal
from opp_shared.repository import CreateRequest
from opp_shared.web.http import IdempotencyKeyHeader, IfMatchHeader, create_request, created, parse_if_match


async def _if_match(if_match: IfMatchHeader = None) -> int | None:
    return parse_if_match(if_match)


# The version an edit or action is based on (`If-Match`), None for "the latest".
IfMatch = Annotated[int | None, Depends(_if_match)]

CreateCommand = Callable[[dict[str, Any], CreateRequest], Awaitable[tuple[Snapshot, bool]]]


@dataclass(frozen=True)
class Creator:
    """Who creates, with which `Idempotency-Key`: what a creating command needs besides the body."""

    principal: Principal
    idempotency_key: str | None

    def request(self, body: Any) -> CreateRequest:
        return create_request(self.principal, self.idempotency_key, body)

    async def create(self, body: BaseModel, command: CreateCommand, collection_path: str) -> JSONResponse:
        """The usual creating POST: the body as JSON to the command, answered 201 with its Location."""
        fields = body.model_dump(mode="json")
        snapshot, replayed = await command(fields, self.request(fields))
        return created(snapshot, replayed, collection_path)


def creating(caller: Any) -> Any:
    """The dependency of a creating route whose caller `caller` admits (a service's `Writer`)."""

    async def creator(principal: caller, idempotency_key: IdempotencyKeyHeader = None) -> Creator:
        return Creator(principal, idempotency_key)

    return Annotated[Creator, Depends(creator)]


__all__ = ["Creator", "IfMatch", "Principal", "creating"]
