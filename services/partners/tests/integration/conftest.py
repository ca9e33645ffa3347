from datetime import UTC, datetime

import pytest

from opp_shared.clock import ManualClock
from opp_shared.testing.helpers import ServiceApi, auth, running, settings_for
from partners.main import create_app
from partners.settings import PartnersSettings

WRITER = auth("partnerships_officer", sub="officer-1")
READER = auth("viewer", sub="viewer-1")


class PartnersApi(ServiceApi):
    """The partners HTTP API as a test drives it: an httpx client plus shortcuts."""

    def __init__(self, client, app) -> None:
        super().__init__(client, app, writer=WRITER, reader=READER)

    async def register(self, name="University of Tokyo", country="JP", kind="university", **extra):
        answer = await self.client.post(
            "/api/v1/partners", json={"name": name, "kind": kind, "country": country, **extra}, headers=WRITER
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def draft(self, parties, **extra):
        body = {"type": "strategic", "title": "Strategic research cooperation", "parties": parties, **extra}
        answer = await self.client.post("/api/v1/agreements", json=body, headers=WRITER)
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def act(self, agreement_id, action, body=None, expect=200):
        answer = await self.client.post(f"/api/v1/agreements/{agreement_id}/{action}", json=body, headers=WRITER)
        assert answer.status_code == expect, answer.text
        return answer.json()


@pytest.fixture
def clock():
    return ManualClock(datetime(2027, 3, 1, 0, 0, tzinfo=UTC))  # 08:00 in Beijing on 1 March 2027


@pytest.fixture
def settings(servers, namespace):
    return settings_for(PartnersSettings, servers, namespace)


@pytest.fixture
async def api(settings, clock):
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        yield PartnersApi(client, app)


@pytest.fixture
def partners_api():
    """Wraps a client of an app the test started itself (for restarts and second copies)."""
    return PartnersApi
