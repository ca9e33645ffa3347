import uuid
from datetime import UTC, datetime

import pytest

from notifications.domain.deliveries import Outcome
from notifications.main import wire
from notifications.settings import NotificationsSettings
from opp_shared.auth import Principal, Role
from opp_shared.clock import ManualClock
from opp_shared.envelope import CloudEvent, make_data
from opp_shared.pagination import PageParams
from opp_shared.repository import CreateRequest
from opp_shared.testing.fakes import InMemoryPorts


def event(event_type, state=None, change=None, subject="ptn_1", event_id=None):
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source="/opp/" + event_type.split(".")[0],
        type=event_type,
        subject=subject,
        sequence=1,
        time=datetime(2027, 3, 1, tzinfo=UTC),
        data=make_data({"id": subject, **(state or {})}, change),
    )


def principal(sub, *roles):
    return Principal(sub=sub, roles=frozenset(Role(r) for r in roles))


class FakeWay:
    """A way out (SMTP or HTTP) that fails `fail` times, then succeeds; records each call."""

    def __init__(self, fail=0, permanent=False):
        self.fail = fail
        self.permanent = permanent
        self.calls = []

    async def __call__(self, delivery, attempt):
        self.calls.append((delivery["_id"], attempt))
        if len(self.calls) <= self.fail:
            return Outcome(sent=False, error="refused", permanent=self.permanent)
        return Outcome(sent=True)


class Office:
    def __init__(self, clock, email=None, webhook=None, **settings):
        self.ports = InMemoryPorts("notifications", clock)
        self.email = email or FakeWay()
        self.webhook = webhook or FakeWay()
        values = {"rules_cache_seconds": 0, "webhook_allow_private_urls": True, **settings}
        self.settings = NotificationsSettings(**values)
        self.service = wire(self.ports, self.settings, send_email=self.email, send_webhook=self.webhook)

    def __getattr__(self, name):
        return getattr(self.service, name)

    async def person(self, sub, roles=(), email=None, **extra):
        fields = {"name": sub.title(), "email": email or f"{sub}@example.edu", "roles": list(roles), **extra}
        return await self.people.register(sub, fields)

    async def inbox_of(self, sub, *roles, **filters):
        items, _ = await self.inbox.list_for(principal(sub, *roles), PageParams(limit=200), **filters)
        return items

    async def endpoint(self, event_types=("*",), url="https://hooks.example.edu/opp"):
        fields = {"url": url, "event_types": list(event_types)}
        snapshot, _, secret = await self.webhooks.register(fields, CreateRequest("admin", None, fields))
        return snapshot, secret

    async def drain(self, channel):
        sender = self.email_sender if channel == "email" else self.webhook_sender
        return await sender.drain_once()


@pytest.fixture
def clock():
    return ManualClock(datetime(2027, 3, 1, 8, 0, tzinfo=UTC))


@pytest.fixture
def office(clock):
    return Office(clock)
