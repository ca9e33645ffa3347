from datetime import UTC, datetime

import pytest

from opp_shared.clock import ManualClock
from opp_shared.repository import CreateRequest
from opp_shared.testing.fakes import InMemoryPorts
from partners.main import wire
from partners.settings import PartnersSettings


class Office:
    """The partners service wired on in-memory ports, as the handler tests drive it."""

    def __init__(self, ports: InMemoryPorts) -> None:
        self.ports = ports
        self.service = wire(ports, PartnersSettings())

    def __getattr__(self, name):  # partners, agreements, centers, portfolios, ...
        return getattr(self.service, name)

    async def register(self, name="University of Tokyo", country="JP", kind="university", key=None, **extra):
        fields = {"name": name, "kind": kind, "country": country, **extra}
        snapshot, _ = await self.partners.register(fields, CreateRequest("officer", key, fields))
        return snapshot

    async def draft(self, *partner_ids, key=None, **extra):
        fields = {
            "type": "strategic",
            "title": "Research cooperation",
            "parties": [{"partner_id": p} for p in partner_ids],
            **extra,
        }
        snapshot, _ = await self.agreements.draft(fields, CreateRequest("officer", key, fields))
        return snapshot

    async def in_force(self, *partner_ids, expires_on="2029-01-01", **extra):
        """An agreement drafted, submitted, signed (today) and active."""
        agreement = await self.draft(*partner_ids, effective_from="2027-01-01", expires_on=expires_on, **extra)
        await self.agreements.submit(agreement.id, if_match=None)
        await self.agreements.sign(agreement.id, self.today(), None, if_match=None)
        return await self.agreements.activate(agreement.id, None, if_match=None)

    def today(self):
        return PartnersSettings().local_date(self.ports.clock.now())

    async def deliver_new_events(self, since: int = 0) -> int:
        """Hand the events recorded after the first `since` to the consumers, as Kafka would; answer the count."""
        events = self.ports.events()[since:]
        for event in events:
            await self.ports.deliver(event)
        return len(events)

    def event_types(self, aggregate_id):
        return [e.type.rsplit(".", 1)[1] for e in self.ports.events() if e.subject == aggregate_id]


@pytest.fixture
def clock():
    return ManualClock(datetime(2027, 3, 1, 0, 0, tzinfo=UTC))


@pytest.fixture
def office(clock):
    return Office(InMemoryPorts("partners", clock))
