"""`/api/v1/webhooks` (endpoints of other university systems) and `/api/v1/deliveries` (the delivery log, replay)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, create_model

from notifications.api.access import Admin, AdminCreating
from notifications.api.schemas import DisableWebhook, EditWebhook, RotateSecret, WebhookBody
from notifications.domain.webhooks import WEBHOOK
from notifications.handlers.sending import replay
from notifications.handlers.webhooks import WebhookCommands
from notifications.store.deliveries import Deliveries
from opp_shared.clock import Clock
from opp_shared.errors import NotFound
from opp_shared.web.http import (
    PageQuery,
    answer,
    edits_of,
)
from opp_shared.web.routing import IfMatch

DELIVERIES = "/api/v1/deliveries"


class DeliveryOut(BaseModel):
    id: str
    channel: str
    target: str
    event_id: str
    event_type: str
    subject: str | None
    status: str
    attempts: int
    replays: int = 0
    due_at: str | None = None
    last_error: str | None = None
    created_at: str
    sent_at: str | None = None
    failed_at: str | None = None
    log: list[dict[str, Any]] | None = None


WebhookWithSecret = create_model(
    "WebhookWithSecret",
    __base__=WEBHOOK.response,
    secret=(str, Field(description="The signing secret: shown in this answer only, keep it")),
)


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


def delivery_out(delivery: dict[str, Any], log: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    shown = {k: v for k, v in delivery.items() if k not in ("_id", "message", "round_start")}
    if log is not None:
        shown["log"] = [
            {k: v for k, v in a.items() if k not in ("_id", "delivery_id", "channel", "target")} for a in log
        ]
    return {**shown, "id": delivery["_id"]}


def with_secret(snapshot, secret: str, status: int = 200, replayed: bool = False) -> JSONResponse:
    response = answer(snapshot, status=status, replayed=replayed, location=f"{WEBHOOK.route}/{snapshot.id}")
    response.body = response.render({**snapshot.state, "secret": secret})
    response.headers["content-length"] = str(len(response.body))
    return response


def webhooks_router(webhooks: WebhookCommands, deliveries: Deliveries) -> APIRouter:
    router = APIRouter(prefix=WEBHOOK.route, tags=["webhooks"])

    @router.post(
        "",
        operation_id="registerWebhook",
        response_model=WebhookWithSecret,
        status_code=201,
        summary="Register an endpoint; the answer shows its signing secret, once",
    )
    async def register(body: WebhookBody, by: AdminCreating) -> JSONResponse:
        fields = body.model_dump(mode="json", exclude_none=True)
        snapshot, replayed, secret = await webhooks.register(fields, by.request(fields))
        return with_secret(snapshot, secret, status=201, replayed=replayed)

    @router.get("", operation_id="listWebhooks", response_model=WEBHOOK.page, summary="List the endpoints")
    async def list_endpoints(page: PageQuery, _: Admin, enabled: bool | None = None) -> dict[str, Any]:
        items, cursor = await webhooks.list(page, enabled=enabled)
        return {"items": [{k: v for k, v in d.items() if k != "_id"} for d in items], "next_cursor": cursor}

    @router.get(
        "/{endpoint_id}", operation_id="getWebhook", response_model=WEBHOOK.response, summary="Read one endpoint"
    )
    async def get_endpoint(endpoint_id: str, _: Admin) -> JSONResponse:
        return answer(await webhooks.repository.get(endpoint_id))

    @router.patch(
        "/{endpoint_id}",
        operation_id="editWebhook",
        response_model=WEBHOOK.response,
        summary="Change an endpoint (send If-Match)",
    )
    async def edit(endpoint_id: str, body: EditWebhook, _: Admin, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=("url", "event_types"))
        return answer(await webhooks.edit(endpoint_id, edits, if_match=version))

    @router.post(
        "/{endpoint_id}/rotate-secret",
        operation_id="rotateWebhookSecret",
        response_model=WebhookWithSecret,
        summary="A new signing secret; the old one still signs for a while (both signatures are sent)",
    )
    async def rotate(endpoint_id: str, _: Admin, version: IfMatch, body: RotateSecret | None = None) -> JSONResponse:
        seconds = body.old_secret_valid_for_seconds if body else None
        overlap = timedelta(seconds=seconds) if seconds is not None else None
        snapshot, secret = await webhooks.rotate_secret(endpoint_id, overlap, if_match=version)
        return with_secret(snapshot, secret)

    @router.post(
        "/{endpoint_id}/disable",
        operation_id="disableWebhook",
        response_model=WEBHOOK.response,
        summary="Stop delivering to an endpoint",
    )
    async def disable(endpoint_id: str, body: DisableWebhook, _: Admin, version: IfMatch) -> JSONResponse:
        return answer(await webhooks.disable(endpoint_id, body.reason, if_match=version))

    @router.post(
        "/{endpoint_id}/enable",
        operation_id="enableWebhook",
        response_model=WEBHOOK.response,
        summary="Deliver to an endpoint again",
    )
    async def enable(endpoint_id: str, _: Admin, version: IfMatch) -> JSONResponse:
        return answer(await webhooks.enable(endpoint_id, if_match=version))

    @router.get(
        "/{endpoint_id}/deliveries",
        operation_id="listWebhookDeliveries",
        response_model=DeliveryPage,
        summary="An endpoint's delivery log",
    )
    async def endpoint_log(
        endpoint_id: str, page: PageQuery, _: Admin, status: Literal["pending", "sent", "failed"] | None = None
    ) -> dict[str, Any]:
        await webhooks.repository.get(endpoint_id)
        items, cursor = await deliveries.log(page, target=endpoint_id, channel="webhook", status=status)
        return {"items": [delivery_out(d) for d in items], "next_cursor": cursor}

    return router


def deliveries_router(deliveries: Deliveries, clock: Clock, wake) -> APIRouter:
    router = APIRouter(prefix=DELIVERIES, tags=["deliveries"])

    @router.get("", operation_id="listDeliveries", response_model=DeliveryPage, summary="Every delivery, newest first")
    async def list_deliveries(
        page: PageQuery,
        _: Admin,
        channel: Literal["email", "webhook"] | None = None,
        status: Literal["pending", "sent", "failed"] | None = None,
    ) -> dict[str, Any]:
        items, cursor = await deliveries.log(page, channel=channel, status=status)
        return {"items": [delivery_out(d) for d in items], "next_cursor": cursor}

    @router.get(
        "/{delivery_id}",
        operation_id="getDelivery",
        response_model=DeliveryOut,
        summary="One delivery with its attempts",
    )
    async def get_delivery(delivery_id: str, _: Admin) -> dict[str, Any]:
        delivery = await deliveries.get(delivery_id)
        if delivery is None:
            raise NotFound(f"no delivery with id {delivery_id!r}")
        return delivery_out(delivery, await deliveries.attempts_of(delivery_id))

    @router.post(
        "/{delivery_id}/replay",
        operation_id="replayDelivery",
        response_model=DeliveryOut,
        summary="Send a delivery again (same key)",
    )
    async def replay_delivery(delivery_id: str, _: Admin) -> dict[str, Any]:
        replayed = await replay(deliveries, delivery_id, clock.now())
        wake(replayed["channel"])
        return delivery_out(replayed)

    return router
