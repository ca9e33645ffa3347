"""`/api/v1/notifications`: the caller's inbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from notifications.store.inbox import Inbox
from opp_shared.web.http import PageQuery
from opp_shared.web.security import Reader


class NotificationOut(BaseModel):
    id: str
    recipient: str
    title: str
    body: str
    event_id: str
    event_type: str
    subject: str | None
    created_at: str | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None


def notifications_router(inbox: Inbox) -> APIRouter:
    router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])

    @router.get(
        "", response_model=NotificationPage, summary="Your inbox: what is addressed to you or to one of your roles"
    )
    async def my_inbox(principal: Reader, page: PageQuery) -> dict[str, Any]:
        items, cursor = await inbox.list_for(principal.addresses, page)
        return {
            "items": [{**{k: v for k, v in d.items() if k != "_id"}, "id": d["_id"]} for d in items],
            "next_cursor": cursor,
        }

    return router
