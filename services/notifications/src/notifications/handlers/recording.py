"""What the consumers do with an event: write down the notices and deliveries it calls for, nothing more.

Nothing is sent here: a consumer records inbox entries, email deliveries and
webhook deliveries, each under an id derived from the event id (and recipient,
channel and target), inserted once, so a redelivered or duplicated event adds
nothing. The senders (`sending.py`) drain the deliveries; a failing mail
server or endpoint never holds up a partition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from notifications.domain.deliveries import DeliveryStatus, delivery_id, notice_id
from notifications.domain.notices import audience, plan, texts
from notifications.domain.rules import Channel
from notifications.domain.templates import DEFAULT_LANGUAGE
from notifications.handlers.people import Directory
from notifications.handlers.rules import RuleBook
from notifications.handlers.subscriptions import SubscriptionCommands
from notifications.handlers.webhooks import WebhookCommands
from notifications.store.deliveries import Deliveries
from notifications.store.inbox import Inbox
from opp_shared.clock import Clock, rfc3339
from opp_shared.envelope import CloudEvent


def _nothing(*_: Any) -> None:
    return None


class NoticeRecorder:
    """Rules and subscriptions -> inbox entries and email deliveries."""

    def __init__(
        self,
        rules: RuleBook,
        subscriptions: SubscriptionCommands,
        directory: Directory,
        inbox: Inbox,
        deliveries: Deliveries,
        clock: Clock,
        *,
        on_entry: Callable[[dict[str, Any]], None] = _nothing,
        on_email: Callable[[], None] = _nothing,
    ) -> None:
        self.rules = rules
        self.subscriptions = subscriptions
        self.directory = directory
        self.inbox = inbox
        self.deliveries = deliveries
        self.clock = clock
        self.on_entry = on_entry  # the live streams of this process
        self.on_email = on_email  # wakes this process's email sender

    async def record(self, event: CloudEvent) -> tuple[int, int]:
        """Answers (inbox entries added, emails added)."""
        rules = await self.rules.enabled()
        audiences = audience(event, rules, await self.subscriptions.covering(event))
        if not audiences:
            return 0, 0
        email_roles = [a.role for a in audiences if a.role and Channel.EMAIL in a.channels]
        people, members = await self.directory.lookup([a.person_id for a in audiences if a.person_id], email_roles)
        decided = plan(audiences, people, members)
        rendered = texts(event, [rule for _, rule in rules])
        default = rendered[DEFAULT_LANGUAGE]
        now = rfc3339(self.clock.now())
        reasons = {a.address: a.reasons for a in audiences}
        entries = 0
        for address in decided.inbox:
            entry = {
                "_id": notice_id(event.id, address),
                "recipient": address,
                "event_id": event.id,
                "event_type": event.type,
                "subject": event.subject,
                "title": default.subject,
                "body": default.text,
                "texts": {lang: {"title": r.subject, "body": r.text} for lang, r in rendered.items()},
                "reasons": reasons.get(address, []),
                "event_time": rfc3339(event.time) if event.time else None,
                "created_at": now,
            }
            if await self.inbox.add(entry):
                entries += 1
                self.on_entry(entry)
        emails = 0
        for person_id in decided.email:
            person = people[person_id]
            message = rendered.get(person.language, default)
            emails += await self.deliveries.add(
                {
                    "_id": delivery_id(event.id, Channel.EMAIL.value, person_id),
                    "channel": Channel.EMAIL.value,
                    "target": person_id,
                    **_event_fields(event),
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "round_start": 0,
                    "due_at": now,
                    "created_at": now,
                    "message": {
                        "to": person.email,
                        "name": person.name,
                        "subject": message.subject,
                        "text": message.text,
                        "html": message.html,
                    },
                }
            )
        if emails:
            self.on_email()
        return entries, emails


class WebhookRecorder:
    """Endpoints' event filters -> webhook deliveries, each carrying the CloudEvent as its body."""

    def __init__(
        self,
        webhooks: WebhookCommands,
        deliveries: Deliveries,
        clock: Clock,
        *,
        on_delivery: Callable[[], None] = _nothing,
    ) -> None:
        self.webhooks = webhooks
        self.deliveries = deliveries
        self.clock = clock
        self.on_delivery = on_delivery

    async def record(self, event: CloudEvent) -> int:
        now = rfc3339(self.clock.now())
        body = event.to_json_bytes().decode()
        added = 0
        for endpoint_id, endpoint in await self.webhooks.enabled_endpoints():
            if not endpoint.wants(event.type):
                continue
            # A failure to deliver to an endpoint is not announced to that same endpoint (it would go round).
            if event.type == "notifications.delivery.failed" and event.state.get("target") == endpoint_id:
                continue
            added += await self.deliveries.add(
                {
                    "_id": delivery_id(event.id, "webhook", endpoint_id),
                    "channel": "webhook",
                    "target": endpoint_id,
                    **_event_fields(event),
                    "status": DeliveryStatus.PENDING.value,
                    "attempts": 0,
                    "round_start": 0,
                    "due_at": now,
                    "created_at": now,
                    "message": {"body": body},
                }
            )
        if added:
            self.on_delivery()
        return added


def _event_fields(event: CloudEvent) -> dict[str, Any]:
    return {"event_id": event.id, "event_type": event.type, "subject": event.subject}
