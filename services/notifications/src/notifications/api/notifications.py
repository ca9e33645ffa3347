"""`/api/v1/notifications`: the caller's inbox, its read state, and a live stream of new notices.

The stream is Server-Sent Events for a browser's `EventSource`, which cannot
send an Authorization header. So the browser first asks, with its bearer
token, for a stream ticket (`POST /stream-tickets`): a random string good for
one stream, for `OPP_STREAM_TICKET_SECONDS` (60), bound to the caller; it then
opens `GET /stream?ticket=...`. The bearer token never goes into a URL (URLs
end up in logs and histories); a leaked ticket is worth at most one stream of
one person's notices within a minute. When a stream ends, the client asks for
a new ticket (EventSource's own reconnect would reuse the spent one and fail).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel

from notifications.api.access import Authenticated
from notifications.settings import NotificationsSettings
from notifications.store.inbox import Inbox
from notifications.store.tickets import StreamTickets
from notifications.stream import StreamHub
from opp_shared.auth import Principal
from opp_shared.clock import Clock, rfc3339
from opp_shared.web.http import PageQuery

ROUTE = "/api/v1/notifications"


class NotificationOut(BaseModel):
    id: str
    recipient: str
    title: str
    body: str
    event_id: str
    event_type: str
    subject: str | None
    event_time: str | None
    created_at: str
    read: bool


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None


class UnreadCount(BaseModel):
    unread: int


class ReadAll(BaseModel):
    read_until: str


class Ticket(BaseModel):
    ticket: str
    expires_at: str
    stream_url: str


def shown(entry: dict[str, Any], language: str | None = None) -> dict[str, Any]:
    text = (entry.get("texts") or {}).get(language or "", {})
    return {
        "id": entry["_id"],
        "recipient": entry["recipient"],
        "title": text.get("title", entry["title"]),
        "body": text.get("body", entry["body"]),
        "event_id": entry["event_id"],
        "event_type": entry["event_type"],
        "subject": entry.get("subject"),
        "event_time": entry.get("event_time"),
        "created_at": entry["created_at"],
        "read": bool(entry.get("read", False)),
    }


def notifications_router(
    inbox: Inbox, tickets: StreamTickets, hub: StreamHub, settings: NotificationsSettings, clock: Clock, language
) -> APIRouter:
    """`language(sub)` answers the caller's language from the directory (None when not in it)."""
    router = APIRouter(prefix=ROUTE, tags=["notifications"])

    @router.get(
        "",
        operation_id="listMyNotifications",
        response_model=NotificationPage,
        summary="Your inbox: addressed to you or one of your roles",
    )
    async def my_inbox(
        principal: Authenticated,
        page: PageQuery,
        unread: bool = False,
        type: Annotated[str | None, Query(max_length=120, pattern=r"^[a-z_.]+$", description="An event type")] = None,
        since: Annotated[AwareDatetime | None, Query(description="Recorded at or after this instant")] = None,
    ) -> dict[str, Any]:
        items, cursor = await inbox.list_for(
            principal, page, unread=unread, event_type=type, since=rfc3339(since) if since else None
        )
        preferred = await language(principal.sub)
        return {"items": [shown(item, preferred) for item in items], "next_cursor": cursor}

    @router.get(
        "/unread-count",
        operation_id="countUnreadNotifications",
        response_model=UnreadCount,
        summary="How many of your notices are unread",
    )
    async def unread_count(principal: Authenticated) -> dict[str, int]:
        return {"unread": await inbox.unread_count(principal)}

    @router.post(
        "/read-all",
        operation_id="markAllNotificationsRead",
        response_model=ReadAll,
        summary="Mark everything in your inbox read",
    )
    async def read_all(principal: Authenticated) -> dict[str, str]:
        return {"read_until": await inbox.read_all(principal, rfc3339(clock.now()))}

    @router.post(
        "/stream-tickets",
        operation_id="issueStreamTicket",
        status_code=201,
        response_model=Ticket,
        summary="A one-use ticket for the live stream",
    )
    async def stream_ticket(principal: Authenticated) -> dict[str, str]:
        ticket, expires_at = await tickets.issue(
            principal, clock.now(), timedelta(seconds=settings.stream_ticket_seconds)
        )
        return {"ticket": ticket, "expires_at": expires_at, "stream_url": f"{ROUTE}/stream?ticket={ticket}"}

    @router.get(
        "/stream",
        operation_id="streamNotifications",
        summary="Your new notices as they come (Server-Sent Events; open with ?ticket=)",
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
            401: {"description": "The ticket is unknown, spent or expired: ask for a new one"},
        },
    )
    async def stream(request: Request, ticket: Annotated[str, Query(max_length=200)] = "") -> StreamingResponse:
        principal = await tickets.redeem(ticket, clock.now())
        preferred = await language(principal.sub)
        return StreamingResponse(
            _events(request, hub, principal, preferred, settings),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @router.get(
        "/{notification_id}",
        operation_id="getNotification",
        response_model=NotificationOut,
        summary="One of your notices",
    )
    async def get_one(notification_id: str, principal: Authenticated) -> dict[str, Any]:
        entry = await inbox.get_for(principal, notification_id)
        return shown({**entry, "read": await inbox.is_read(principal.sub, entry)}, await language(principal.sub))

    @router.post(
        "/{notification_id}/read",
        operation_id="markNotificationRead",
        response_model=NotificationOut,
        summary="Mark one notice read",
    )
    async def read_one(notification_id: str, principal: Authenticated) -> dict[str, Any]:
        entry = await inbox.read_one(principal, notification_id, rfc3339(clock.now()))
        return shown(entry, await language(principal.sub))

    return router


async def _events(request: Request, hub: StreamHub, principal: Principal, language: str | None, settings) -> Any:
    started = last_sent = time.monotonic()
    async with hub.listen(principal.addresses) as listener:
        yield ": connected\n\n"
        while time.monotonic() - started < settings.stream_max_seconds and not listener.overflowed:
            try:
                entry = await asyncio.wait_for(listener.queue.get(), timeout=1.0)
            except TimeoutError:
                if await request.is_disconnected():
                    return
                if time.monotonic() - last_sent >= settings.stream_keepalive_seconds:
                    last_sent = time.monotonic()
                    yield ": keep-alive\n\n"
                continue
            last_sent = time.monotonic()
            data = json.dumps(shown(entry, language), ensure_ascii=False, separators=(",", ":"))
            yield f"id: {entry['_id']}\nevent: notification\ndata: {data}\n\n"


__all__ = ["datetime", "notifications_router"]
