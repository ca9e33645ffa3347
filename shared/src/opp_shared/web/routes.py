"""Routes every service has: health, metrics, and the generic history of an aggregate."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, create_model

from opp_shared.auth import Role
from opp_shared.errors import InvalidInput
from opp_shared.pagination import decode_cursor, encode_cursor
from opp_shared.repository import Repository
from opp_shared.web.http import PageQuery
from opp_shared.web.security import Operator, Reader, is_operator, requires


def operations_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health/live", operation_id="getLiveness", summary="The process is up", response_model=Liveness)
    async def live() -> dict[str, Any]:
        return {"status": "ok"}

    @router.get(
        "/health/ready",
        operation_id="getReadiness",
        summary="The database and Kafka are reachable and the workers are well",
        description="Answers only `ok` (200) or `unavailable` (503). Which check failed, and why, is shown "
        "to an admin token or on the management port.",
        response_model=Readiness,
        responses={503: {"description": "Not ready", "model": Readiness}},
    )
    async def ready(request: Request) -> JSONResponse:
        ok, checks = await request.app.state.runtime.readiness()
        body: dict[str, Any] = {"status": "ok" if ok else "unavailable"}
        if await is_operator(request):
            body["checks"] = checks
        return JSONResponse(body, status_code=200 if ok else 503)

    @router.get(
        "/asyncapi.json", operation_id="getAsyncApi", summary="The events this service publishes (AsyncAPI 3.0)"
    )
    async def asyncapi(request: Request) -> dict[str, Any]:
        return request.app.state.runtime.asyncapi()

    @router.get(
        "/metrics",
        operation_id="getMetrics",
        summary="Prometheus metrics (an admin token, or the management port)",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}},
        dependencies=[Operator],
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, Any] | None = Field(None, description="Only to an admin token or on the management port")


class EventData(BaseModel):
    state: dict[str, Any] = Field(description="The aggregate's whole public state after the change")
    change: dict[str, Any] = Field(description="What is particular to this event: a reason, a previous status")


class RecordedEvent(BaseModel):
    """One event of an aggregate's history: the CloudEvent published to Kafka, as it is recorded."""

    model_config = ConfigDict(extra="allow")

    specversion: Literal["1.0"]
    id: str = Field(description="Unique; the key to de-duplicate by")
    source: str = Field(description="`/opp/<service>`")
    type: str = Field(description="`<service>.<aggregate>.<action>`, e.g. `partners.agreement.signed`")
    subject: str = Field(description="The aggregate's id")
    time: str = Field(description="RFC 3339, UTC, milliseconds")
    datacontenttype: str
    dataschema: str | None = None
    sequence: int = Field(ge=1, description="The aggregate's version after the change")
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    actor: str | None = Field(None, description="Who made the change (a token's `sub`, or the service)")
    data: EventData


class EventPage(BaseModel):
    items: list[RecordedEvent]
    next_cursor: str | None


def _typed_event_page(repository: Repository) -> type[BaseModel]:
    """The history page of one aggregate type, with `data.state` typed as its answer."""
    name = repository.kind.state.__name__
    # The state as recorded (an answer of the API may add to it: `opp_shared.web.names`).
    state = create_model(f"{name}State", __base__=repository.kind.response, __module__=__name__)
    data = create_model(f"{name}EventData", __base__=EventData, state=(state, ...))
    event = create_model(f"{name}Event", __base__=RecordedEvent, data=(data, ...))
    return create_model(f"{name}EventPage", __base__=EventPage, items=(list[event], ...))  # type: ignore[valid-type]


def _operation_name(noun: str) -> str:
    """`royalty report` -> `RoyaltyReport`."""
    return "".join(word.capitalize() for word in noun.replace("-", " ").replace("_", " ").split())


def history_router(repository: Repository) -> APIRouter:
    """`GET <prefix>/{id}/history`: the events recorded for one aggregate, oldest first.

    These are the event records (outbox) of the aggregate: every one of them
    is published, or about to be, exactly as shown here."""
    kind = repository.kind
    allowed = [Depends(requires(*(Role(role) for role in kind.history_roles)))]
    router = APIRouter(tags=[kind.route.rsplit("/", 1)[1]], dependencies=allowed)

    @router.get(
        kind.route + "/{id}/history",
        operation_id=f"get{_operation_name(repository.noun)}History",
        summary=f"Events of one {repository.noun}, oldest first",
        description="The CloudEvents recorded for it, exactly as they are published to Kafka.",
        response_model=_typed_event_page(repository),
    )
    async def history(id: str, page: PageQuery, _: Reader) -> JSONResponse:
        await repository.get(id)  # 404 for an unknown id rather than an empty list
        after = _sequence_cursor(page.cursor, repository.aggregate_type) if page.cursor else 0
        events, last = await repository.events.history(repository.aggregate_type, id, after=after, limit=page.limit)
        # Answered as recorded (no field added or dropped by a response model).
        return JSONResponse(
            {
                "items": [e.model_dump(mode="json", exclude_none=True) for e in events],
                "next_cursor": encode_cursor([last], list_name=f"history:{repository.aggregate_type}")
                if last is not None
                else None,
            }
        )

    return router


def _sequence_cursor(cursor: str, aggregate_type: str) -> int:
    value = decode_cursor(cursor, 1, list_name=f"history:{aggregate_type}")[0]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**53:
        raise InvalidInput(
            "the cursor is not one this list gave out",
            errors=[{"in": "query", "parameter": "cursor", "detail": "unknown cursor"}],
        )
    return value
