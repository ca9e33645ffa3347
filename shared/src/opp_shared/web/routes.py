"""Routes every service has: health, metrics, and the generic history of an aggregate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from opp_shared.auth import Role
from opp_shared.errors import InvalidInput
from opp_shared.pagination import decode_cursor, encode_cursor
from opp_shared.repository import Repository
from opp_shared.web.http import PageQuery
from opp_shared.web.security import Operator, Reader, is_operator, requires


def operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health/live", summary="The process is up")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/health/ready",
        summary="The database and Kafka are reachable and the workers are well",
        description="Answers only `ok` (200) or `unavailable` (503). Which check failed, and why, is shown "
        "to an admin token or on the management port.",
    )
    async def ready(request: Request) -> JSONResponse:
        ok, checks = await request.app.state.runtime.readiness()
        body: dict[str, Any] = {"status": "ok" if ok else "unavailable"}
        if await is_operator(request):
            body["checks"] = checks
        return JSONResponse(body, status_code=200 if ok else 503)

    @router.get("/asyncapi.json", summary="The events this service publishes (AsyncAPI 3.0)")
    async def asyncapi(request: Request) -> dict[str, Any]:
        return request.app.state.runtime.asyncapi()

    @router.get(
        "/metrics",
        summary="Prometheus metrics (an admin token, or the management port)",
        response_class=Response,
        dependencies=[Operator],
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class EventPage(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None


def history_router(repository: Repository) -> APIRouter:
    """`GET <prefix>/{id}/history`: the events recorded for one aggregate, oldest first.

    These are the event records (outbox) of the aggregate: every one of them
    is published, or about to be, exactly as shown here."""
    kind = repository.kind
    allowed = [Depends(requires(*(Role(role) for role in kind.history_roles)))]
    router = APIRouter(tags=[kind.route.rsplit("/", 1)[1]], dependencies=allowed)

    @router.get(
        kind.route + "/{id}/history",
        summary=f"Events of one {repository.noun}, oldest first",
        response_model=EventPage,
    )
    async def history(id: str, page: PageQuery, _: Reader) -> dict[str, Any]:
        await repository.get(id)  # 404 for an unknown id rather than an empty list
        after = _sequence_cursor(page.cursor, repository.aggregate_type) if page.cursor else 0
        events, last = await repository.events.history(repository.aggregate_type, id, after=after, limit=page.limit)
        return {
            "items": [e.model_dump(mode="json", exclude_none=True) for e in events],
            "next_cursor": encode_cursor([last], list_name=f"history:{repository.aggregate_type}")
            if last is not None
            else None,
        }

    return router


def _sequence_cursor(cursor: str, aggregate_type: str) -> int:
    value = decode_cursor(cursor, 1, list_name=f"history:{aggregate_type}")[0]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**53:
        raise InvalidInput(
            "the cursor is not one this list gave out",
            errors=[{"in": "query", "parameter": "cursor", "detail": "unknown cursor"}],
        )
    return value
