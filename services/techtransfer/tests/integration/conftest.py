from datetime import UTC, datetime

import pytest

from opp_shared.clock import ManualClock
from opp_shared.testing.helpers import ServiceApi, auth, eventually, running, settings_for
from techtransfer.main import create_app
from techtransfer.settings import TechtransferSettings

WRITER = auth("techtransfer_officer", sub="officer-1")
READER = auth("viewer", sub="viewer-1")
INVENTORS = [
    {"person_id": "li.wei", "name": "Li Wei", "unit": "Department of Materials Science", "share": "60"},
    {"person_id": "zhang.min", "name": "Zhang Min", "unit": "Department of Materials Science", "share": "40"},
]


class TechtransferApi(ServiceApi):
    """The techtransfer HTTP API as a test drives it: an httpx client plus shortcuts."""

    def __init__(self, client, app) -> None:
        super().__init__(client, app, writer=WRITER, reader=READER)

    async def technology(self, offered=True, **extra):
        body = {
            "title": "Solid-state battery separator",
            "department": "Department of Materials Science",
            "readiness_level": 5,
            "inventors": INVENTORS,
            **extra,
        }
        technology = await self.ok("POST", "/api/v1/technologies", body, 201)
        if offered:
            await self.ok("POST", f"/api/v1/technologies/{technology['id']}/evaluate")
            technology = await self.ok("POST", f"/api/v1/technologies/{technology['id']}/offer")
        return technology

    async def license(self, technology_ids, licensee_id, classify="free", **extra):
        body = {
            "title": "Separator licence",
            "licensee_id": licensee_id,
            "technology_ids": technology_ids,
            "kind": "exclusive",
            "territory": ["DE"],
            "field_of_use": "industrial batteries",
            "currency": "EUR",
            "upfront_fee": {"amount": "50000.00", "currency": "EUR"},
            "royalty_rate": "3.5",
            "minimum_annual_royalty": {"amount": "10000.00", "currency": "EUR"},
            **extra,
        }
        license = await self.ok("POST", "/api/v1/licenses", body, 201)
        if classify:
            license = await self.ok(
                "POST", f"/api/v1/licenses/{license['id']}/export-classification", {"classification": classify}
            )
        return license


@pytest.fixture
def clock():
    return ManualClock(datetime(2027, 3, 1, 0, 0, tzinfo=UTC))  # 08:00 in Beijing on 1 March 2027


@pytest.fixture
def settings(servers, namespace):
    return settings_for(TechtransferSettings, servers, namespace)


@pytest.fixture
async def api(settings, clock):
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        yield TechtransferApi(client, app)


@pytest.fixture
def techtransfer_api():
    """Wraps a client of an app the test started itself (for restarts and second copies)."""
    return TechtransferApi


@pytest.fixture
def partner(publish):
    """Announce a partner as the partners service would, and wait until the apps know it."""
    sequences: dict[str, int] = {}

    async def announce(apps, partner_id, name, country, status="active"):
        sequences[partner_id] = sequences.get(partner_id, 0) + 1
        sequence = sequences[partner_id]
        state = {"name": name, "country": country, "status": status, "kind": "enterprise"}
        await publish("partners.partner", partner_id, sequence, state, "partners.partner.registered")

        async def known():
            for app in apps if isinstance(apps, list) else [apps]:
                held = await app.state.partner_directory.get(partner_id)
                if held is None or held["_sequence"] < sequence:
                    return False
            return True

        await eventually(known, timeout=30)
        return partner_id

    return announce
