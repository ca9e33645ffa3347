"""Composition root of the notifications service.

`wire` builds the directory, the rule book, subscriptions, webhook endpoints,
the inbox, the two recording consumers, the two senders and the live streams
on a `ServicePorts`: the real runtime in `create_app`, `InMemoryPorts` in the
unit tests, so both run the very same handlers. The senders' ways out (SMTP,
HTTP) are passed in, so unit tests hand them fakes and integration tests
real servers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from notifications.api import TAGS
from notifications.api.notifications import notifications_router
from notifications.api.people import me_router, people_router
from notifications.api.rules import rules_router
from notifications.api.subscriptions import subscriptions_router
from notifications.api.webhooks import deliveries_router, webhooks_router
from notifications.domain.defaults import DEFAULT_RULES
from notifications.domain.deliveries import DELIVERY, Backoff
from notifications.domain.people import PERSON
from notifications.domain.rules import RULE
from notifications.domain.subscriptions import SUBSCRIPTION
from notifications.domain.webhooks import WEBHOOK
from notifications.handlers.people import Directory, PeopleCommands
from notifications.handlers.recording import NoticeRecorder, WebhookRecorder
from notifications.handlers.rules import RuleBook
from notifications.handlers.sending import DeliveryAttempts, Send
from notifications.handlers.subscriptions import SubscriptionCommands
from notifications.handlers.webhooks import WebhookCommands
from notifications.senders import HttpSender, SmtpSender
from notifications.settings import NotificationsSettings
from notifications.store.deliveries import ATTEMPT_INDEXES, DELIVERY_INDEXES, Deliveries
from notifications.store.inbox import INBOX_INDEXES, READ_INDEXES, Inbox
from notifications.store.secrets import WebhookSecrets
from notifications.store.tickets import TICKET_INDEXES, StreamTickets
from notifications.stream import StreamHub
from notifications.workers import (
    WATCHED_TOPICS,
    DeliveryWorker,
    EndpointWatch,
    TicketCleanup,
    every_event,
)
from opp_shared.clock import Clock
from opp_shared.ports import ServicePorts
from opp_shared.runtime import ServiceRuntime
from opp_shared.settings import ProcessPart
from opp_shared.web.app import create_app as create_service_app


@dataclass(frozen=True)
class Notifications:
    people: PeopleCommands
    rules: RuleBook
    subscriptions: SubscriptionCommands
    webhooks: WebhookCommands
    inbox: Inbox
    deliveries: Deliveries
    tickets: StreamTickets
    hub: StreamHub
    notices: NoticeRecorder
    webhook_deliveries: WebhookRecorder
    email_sender: DeliveryWorker
    webhook_sender: DeliveryWorker

    def wake(self, channel: str) -> None:
        (self.email_sender if channel == "email" else self.webhook_sender).wake()

    async def language(self, person_id: str) -> str | None:
        snapshot = await self.people.repository.find(person_id)
        return snapshot.state.get("language") if snapshot else None


def wire(
    ports: ServicePorts,
    settings: NotificationsSettings,
    *,
    send_email: Send | None = None,
    send_webhook: Send | None = None,
) -> Notifications:
    clock = ports.clock
    people = PeopleCommands(ports.register(PERSON))
    rules = RuleBook(ports.register(RULE), DEFAULT_RULES, cache_seconds=settings.rules_cache_seconds)
    subscriptions = SubscriptionCommands(ports.register(SUBSCRIPTION))
    failures = ports.register(DELIVERY)
    webhooks = WebhookCommands(
        ports.register(WEBHOOK),
        WebhookSecrets(ports.records("webhook_secrets")),
        clock,
        allow_private=settings.webhook_allow_private_urls,
        overlap=timedelta(seconds=settings.webhook_secret_overlap_seconds),
        cache_seconds=settings.rules_cache_seconds,
    )
    inbox = Inbox(
        ports.records("inbox", INBOX_INDEXES), ports.records("reads", READ_INDEXES), ports.records("read_marks")
    )
    deliveries = Deliveries(
        ports.records("deliveries", DELIVERY_INDEXES), ports.records("delivery_attempts", ATTEMPT_INDEXES)
    )
    tickets = StreamTickets(ports.records("stream_tickets", TICKET_INDEXES))
    hub = StreamHub(inbox, clock, poll_seconds=settings.stream_poll_seconds)
    stale = timedelta(seconds=settings.delivery_stale_attempt_seconds)

    def sender(channel: str, send: Send, backoff: Backoff, after=None) -> DeliveryWorker:
        attempts = DeliveryAttempts(
            deliveries, failures, clock, backoff, stale=stale, **({"after": after} if after else {})
        )
        return DeliveryWorker(
            channel,
            deliveries,
            attempts,
            send,
            clock,
            poll_seconds=settings.delivery_poll_seconds,
            batch_size=settings.delivery_batch_size,
            concurrency=settings.delivery_concurrency,
        )

    email_sender = sender(
        "email",
        send_email or SmtpSender(settings).send,
        Backoff(settings.email_backoff_seconds, settings.webhook_backoff_cap_seconds, settings.email_max_attempts),
    )
    webhook_sender = sender(
        "webhook",
        send_webhook or HttpSender(settings, webhooks, clock).send,
        Backoff(settings.webhook_backoff_seconds, settings.webhook_backoff_cap_seconds, settings.webhook_max_attempts),
        EndpointWatch(webhooks, deliveries, settings.webhook_disable_after_failures),
    )
    notices = NoticeRecorder(
        rules,
        subscriptions,
        Directory(people.repository),
        inbox,
        deliveries,
        clock,
        on_entry=hub.publish,
        on_email=email_sender.wake,
    )
    webhook_deliveries = WebhookRecorder(webhooks, deliveries, clock, on_delivery=webhook_sender.wake)
    ports.add_consumer("inbox", WATCHED_TOPICS, every_event(notices))
    ports.add_consumer("webhooks", WATCHED_TOPICS, every_event(webhook_deliveries))
    ports.add_worker(email_sender, ProcessPart.WORKERS)
    ports.add_worker(webhook_sender, ProcessPart.WORKERS)
    ports.add_job(TicketCleanup(tickets))
    return Notifications(
        people=people,
        rules=rules,
        subscriptions=subscriptions,
        webhooks=webhooks,
        inbox=inbox,
        deliveries=deliveries,
        tickets=tickets,
        hub=hub,
        notices=notices,
        webhook_deliveries=webhook_deliveries,
        email_sender=email_sender,
        webhook_sender=webhook_sender,
    )


def create_app(settings: NotificationsSettings | None = None, *, clock: Clock | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    runtime = ServiceRuntime(settings, clock=clock)
    service = wire(runtime, settings)
    app = create_service_app(
        runtime,
        title="Overseas Partnerships Platform: notifications",
        tags=TAGS,
        description="People and rules; each person's inbox with read state and a live stream; "
        "email through an SMTP server; signed webhooks for other university systems.",
        routers=[
            notifications_router(
                service.inbox, service.tickets, service.hub, settings, runtime.clock, service.language
            ),
            people_router(service.people),
            me_router(service.people),
            rules_router(service.rules),
            subscriptions_router(service.subscriptions),
            webhooks_router(service.webhooks, service.deliveries),
            deliveries_router(service.deliveries, runtime.clock, service.wake),
        ],
    )
    app.state.notifications = service
    return app
