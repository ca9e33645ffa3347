from datetime import UTC, datetime

import pytest

from opp_shared.clock import ManualClock
from opp_shared.envelope import CloudEvent, make_data
from opp_shared.repository import CreateRequest
from opp_shared.testing.fakes import InMemoryPorts
from techtransfer.domain import license as license_rules
from techtransfer.main import wire
from techtransfer.settings import TechtransferSettings


class Office:
    """The techtransfer service wired on in-memory ports, as the handler tests drive it."""

    def __init__(self, ports: InMemoryPorts) -> None:
        self.ports = ports
        self.settings = TechtransferSettings()
        self.service = wire(ports, self.settings)
        self.sequences: dict[str, int] = {}

    def __getattr__(self, name):  # technologies, licenses, royalties, distributions, ...
        return getattr(self.service, name)

    async def foreign(self, topic: str, state: dict) -> None:
        """Another service's event, delivered as Kafka would."""
        subject = state["id"]
        self.sequences[subject] = self.sequences.get(subject, 0) + 1
        await self.ports.deliver(
            CloudEvent(
                id=f"{subject}:{self.sequences[subject]}",
                source=f"/opp/{topic.split('.')[0]}",
                type=f"{topic}.updated",
                subject=subject,
                sequence=self.sequences[subject],
                data=make_data({**state, "version": self.sequences[subject]}),
            )
        )

    async def partner(self, partner_id="ptn_siemens", country="DE", status="active", name="Siemens AG"):
        await self.foreign("partners.partner", {"id": partner_id, "name": name, "country": country, "status": status})
        return partner_id

    async def technology(self, key=None, offered=True, **extra):
        fields = {
            "title": "Solid-state battery separator",
            "department": "Department of Materials Science",
            "readiness_level": 5,
            "inventors": [
                {"person_id": "li.wei", "name": "Li Wei", "unit": "Materials", "share": "60"},
                {"person_id": "zhang.min", "name": "Zhang Min", "unit": "Materials", "share": "40"},
            ],
            **extra,
        }
        snapshot, _ = await self.technologies.disclose(fields, CreateRequest("officer", key, fields))
        if offered:
            await self.technologies.evaluate(snapshot.id, if_match=None)
            snapshot = await self.technologies.offer(snapshot.id, if_match=None)
        return snapshot

    async def draft(self, technology_ids, licensee="ptn_siemens", key=None, classify="free", **extra):
        fields = {
            "title": "Separator licence",
            "licensee_id": licensee,
            "technology_ids": list(technology_ids),
            "kind": "exclusive",
            "territory": ["DE"],
            "field_of_use": "industrial batteries",
            "currency": "EUR",
            "royalty_rate": "3.5",
            "minimum_annual_royalty": {"amount": "10000.00", "currency": "EUR"},
            **extra,
        }
        snapshot, _ = await self.licenses.draft(fields, CreateRequest("officer", key, fields))
        if classify:
            snapshot = await self.licenses.classify_export(snapshot.id, classify, None, None, if_match=None)
        return snapshot

    async def execute(self, license_id):
        return await self.licenses.execute(license_id, "officer", if_match=None)

    async def request_only(self, license_id, attempt):
        """Record an execution's request, as a process would that then dies."""
        country = (await self.licenses.repository.read(license_id)).licensee_country
        return await self.licenses.repository.change(
            license_id,
            lambda lic: license_rules.request_execution(
                lic, attempt, self.today(), "officer", licensee_country=country, university_country="CN"
            ),
        )

    async def deliver_new_events(self, since: int = 0) -> int:
        events = self.ports.events()[since:]
        for event in events:
            await self.ports.deliver(event)
        return len(events)

    def event_types(self, aggregate_id):
        return [e.type.rsplit(".", 1)[1] for e in self.ports.events() if e.subject == aggregate_id]

    def today(self):
        return self.settings.local_date(self.ports.clock.now())


@pytest.fixture
def clock():
    return ManualClock(datetime(2027, 3, 1, 0, 0, tzinfo=UTC))  # 08:00 in Beijing on 1 March 2027


@pytest.fixture
def office(clock):
    return Office(InMemoryPorts("techtransfer", clock))
