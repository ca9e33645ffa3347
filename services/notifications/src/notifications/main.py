"""Composition root of the notifications service."""

from __future__ import annotations

from fastapi import FastAPI

from notifications.api.notifications import notifications_router
from notifications.settings import NotificationsSettings
from notifications.store.inbox import Inbox
from opp_shared.catalogue import all_topics
from opp_shared.clock import Clock
from opp_shared.consumer import EventRouter
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.app import create_app as create_service_app

# Every other service's topics: notifications reacts to all of it.
WATCHED_TOPICS = [t for t in all_topics() if not t.startswith("notifications.")]


def create_app(settings: NotificationsSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime(settings, clock=clock)
    inbox = Inbox(runtime.db)
    runtime.add_index_setup(inbox.ensure_indexes)
    router = EventRouter()
    router.on("*", inbox.notify)
    runtime.add_consumer("inbox", WATCHED_TOPICS, router)
    return create_service_app(
        runtime,
        title="Overseas Partnerships Platform: notifications",
        description="Inbox, email and webhooks for every platform event.",
        routers=[notifications_router(inbox)],
    )
