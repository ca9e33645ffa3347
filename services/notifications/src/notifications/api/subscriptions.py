"""`/api/v1/subscriptions`: each person subscribes to event types, optionally about one aggregate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from notifications.api.access import Creating, Reader
from notifications.api.schemas import EditSubscription, SubscriptionBody
from notifications.domain.subscriptions import SUBSCRIPTION
from notifications.handlers.subscriptions import SubscriptionCommands
from opp_shared.auth import Role
from opp_shared.errors import Forbidden
from opp_shared.web.http import (
    PageQuery,
    answer,
    created,
    edits_of,
    page_answer,
)
from opp_shared.web.routing import IfMatch


def subscriptions_router(subscriptions: SubscriptionCommands) -> APIRouter:
    router = APIRouter(prefix=SUBSCRIPTION.route, tags=["subscriptions"])

    @router.post(
        "",
        operation_id="subscribe",
        status_code=201,
        response_model=SUBSCRIPTION.response,
        summary="Subscribe to event types",
    )
    async def subscribe(body: SubscriptionBody, by: Creating) -> JSONResponse:
        person_id = body.person_id or by.principal.sub
        if person_id != by.principal.sub and Role.ADMIN not in by.principal.roles:
            raise Forbidden("only admins subscribe other people", required_roles=[Role.ADMIN.value])
        fields = body.model_dump(mode="json", exclude={"person_id"})
        snapshot, replayed = await subscriptions.create(
            person_id, fields, by.request({**fields, "person_id": person_id})
        )
        return created(snapshot, replayed, SUBSCRIPTION.route)

    @router.get(
        "",
        operation_id="listSubscriptions",
        response_model=SUBSCRIPTION.page,
        summary="Your subscriptions (admins: anyone's)",
    )
    async def list_subscriptions(
        page: PageQuery, principal: Reader, person_id: str | None = None, active: bool | None = None
    ) -> dict[str, Any]:
        if Role.ADMIN not in principal.roles:
            person_id = principal.sub
        return page_answer(*await subscriptions.list(page, person_id=person_id, active=active))

    @router.get(
        "/{subscription_id}",
        operation_id="getSubscription",
        response_model=SUBSCRIPTION.response,
        summary="Read one of your subscriptions",
    )
    async def get_subscription(subscription_id: str, principal: Reader) -> JSONResponse:
        return answer(await subscriptions.get(principal, subscription_id))

    @router.patch(
        "/{subscription_id}",
        operation_id="editSubscription",
        response_model=SUBSCRIPTION.response,
        summary="Change a subscription",
    )
    async def edit(subscription_id: str, body: EditSubscription, principal: Reader, version: IfMatch) -> JSONResponse:
        edits = edits_of(body, not_null=("event_types", "channels"))
        return answer(await subscriptions.edit(principal, subscription_id, edits, if_match=version))

    @router.delete(
        "/{subscription_id}",
        operation_id="cancelSubscription",
        response_model=SUBSCRIPTION.response,
        summary="Cancel a subscription",
    )
    async def cancel(subscription_id: str, principal: Reader, version: IfMatch) -> JSONResponse:
        return answer(await subscriptions.cancel(principal, subscription_id, if_match=version))

    return router
