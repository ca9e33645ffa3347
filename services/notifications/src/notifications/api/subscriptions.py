"""`/api/v1/subscriptions`: each person subscribes to event types, optionally about one aggregate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from notifications.api.access import Reader
from notifications.api.schemas import EditSubscription, SubscriptionBody
from notifications.domain.subscriptions import SUBSCRIPTION
from notifications.handlers.subscriptions import SubscriptionCommands
from opp_shared.auth import Role
from opp_shared.errors import Forbidden
from opp_shared.web.http import (
    IdempotencyKeyHeader,
    IfMatchHeader,
    PageQuery,
    answer,
    create_request,
    created,
    edits_of,
    page_answer,
    parse_if_match,
)


def subscriptions_router(subscriptions: SubscriptionCommands) -> APIRouter:
    router = APIRouter(prefix=SUBSCRIPTION.route, tags=["subscriptions"])

    @router.post("", status_code=201, response_model=SUBSCRIPTION.response, summary="Subscribe to event types")
    async def subscribe(
        body: SubscriptionBody, principal: Reader, idempotency_key: IdempotencyKeyHeader = None
    ) -> JSONResponse:
        person_id = body.person_id or principal.sub
        if person_id != principal.sub and Role.ADMIN not in principal.roles:
            raise Forbidden("only admins subscribe other people", required_roles=[Role.ADMIN.value])
        fields = body.model_dump(mode="json", exclude={"person_id"})
        snapshot, replayed = await subscriptions.create(
            person_id, fields, create_request(principal, idempotency_key, {**fields, "person_id": person_id})
        )
        return created(snapshot, replayed, SUBSCRIPTION.route)

    @router.get("", response_model=SUBSCRIPTION.page, summary="Your subscriptions (admins: anyone's)")
    async def list_subscriptions(
        page: PageQuery, principal: Reader, person_id: str | None = None, active: bool | None = None
    ) -> dict[str, Any]:
        if Role.ADMIN not in principal.roles:
            person_id = principal.sub
        return page_answer(*await subscriptions.list(page, person_id=person_id, active=active))

    @router.get("/{subscription_id}", response_model=SUBSCRIPTION.response, summary="Read one of your subscriptions")
    async def get_subscription(subscription_id: str, principal: Reader) -> JSONResponse:
        return answer(await subscriptions.get(principal, subscription_id))

    @router.patch("/{subscription_id}", response_model=SUBSCRIPTION.response, summary="Change a subscription")
    async def edit(
        subscription_id: str, body: EditSubscription, principal: Reader, if_match: IfMatchHeader = None
    ) -> JSONResponse:
        edits = edits_of(body, not_null=("event_types", "channels"))
        return answer(await subscriptions.edit(principal, subscription_id, edits, if_match=parse_if_match(if_match)))

    @router.delete("/{subscription_id}", response_model=SUBSCRIPTION.response, summary="Cancel a subscription")
    async def cancel(subscription_id: str, principal: Reader, if_match: IfMatchHeader = None) -> JSONResponse:
        return answer(await subscriptions.cancel(principal, subscription_id, if_match=parse_if_match(if_match)))

    return router
