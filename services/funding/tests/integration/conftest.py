import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer

from funding.main import create_app
from funding.settings import FundingSettings
from opp_shared.clock import ManualClock, rfc3339
from opp_shared.testing.helpers import ServiceApi, auth, contract_event, eventually, running, settings_for

WRITER = auth("funding_officer", sub="officer-1")
READER = auth("viewer", sub="viewer-1")


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


class FundingApi(ServiceApi):
    """The funding HTTP API as a test drives it: an httpx client plus shortcuts. Partners are
    announced the way the partners service announces them: as events on its Kafka topic."""

    def __init__(self, client, app, announce) -> None:
        super().__init__(client, app, writer=WRITER, reader=READER)
        self.announce = announce

    @property
    def clock(self):
        return self.app.state.runtime.clock

    async def partner(self, name="University of Cambridge", kind="university", status="active") -> str:
        partner_id = f"ptn_{uuid.uuid4().hex[:12]}"
        await self.announce("partners.partner", partner_id, 1, {"name": name, "kind": kind, "status": status})
        await eventually(lambda: self.app.state.partner_directory.get(partner_id))
        return partner_id

    async def partner_known(self, partner_id: str) -> None:
        """Wait until this copy's directory has heard of a partner (another copy announced it)."""
        await eventually(lambda: self.app.state.partner_directory.get(partner_id))

    async def created(self, path, body, headers=None, expect=201):
        answer = await self.client.post(path, json=body, headers=headers or WRITER)
        assert answer.status_code == expect, answer.text
        return answer.json()

    async def act(self, path, body=None, headers=None, expect=200):
        answer = await self.client.post(path, json=body, headers=headers or WRITER)
        assert answer.status_code == expect, answer.text
        return answer.json()

    async def fund(self, *sponsors, budget="100000.00", currency="EUR", **extra):
        body = {"name": "Joint Research Fund", "partner_ids": list(sponsors), **extra}
        body["budget"] = {"amount": budget, "currency": currency}
        return await self.created("/api/v1/funds", body)

    async def call(self, fund_id, max_award="10000.00", currency="EUR", opens_in=timedelta(days=-1), **extra):
        now = self.clock.now()
        body = {
            "fund_id": fund_id,
            "title": "Seed call 2027",
            "opens_at": rfc3339(now + opens_in),
            "closes_at": rfc3339(now + timedelta(days=30)),
            "max_award": {"amount": max_award, "currency": currency},
            **extra,
        }
        return await self.created("/api/v1/calls", body)

    async def under_review(self, call_id, co_partner_id, requested="10000.00", currency="EUR", n=1):
        """A proposal drafted, submitted and with a reviewer assigned."""
        body = {
            "call_id": call_id,
            "title": f"Joint project {n}",
            "requested": {"amount": requested, "currency": currency},
            "pi": {"person_id": f"pi-{n}", "name": f"Prof. {n}", "unit": "School of Physics"},
            "co_pis": [{"name": "Dr. Partner", "partner_id": co_partner_id}],
        }
        proposal = await self.created("/api/v1/proposals", body)
        await self.act(f"/api/v1/proposals/{proposal['id']}/submit")
        reviewer = {"reviewer": {"person_id": "rev-1", "name": "Prof. Wang", "unit": "School of Chemistry"}}
        return await self.act(f"/api/v1/proposals/{proposal['id']}/reviews", reviewer)

    async def award(self, proposal_id, amount="10000.00", currency="EUR", expect=201):
        body = {"amount": {"amount": amount, "currency": currency}, "reason": "ranked in the top ten"}
        return await self.created(f"/api/v1/proposals/{proposal_id}/award", body, expect=expect)


@pytest.fixture
def clock():
    return ManualClock(datetime(2027, 3, 1, 2, 0, tzinfo=UTC))  # 10:00 in Beijing on 1 March 2027


@pytest.fixture
def settings(servers, namespace):
    return settings_for(FundingSettings, servers, namespace)


@pytest.fixture
async def announce(servers, namespace):
    """Publish an event on one of another service's topics, as that service's relay would."""
    producer = AIOKafkaProducer(bootstrap_servers=servers.kafka_bootstrap, enable_idempotence=True)
    await producer.start()

    async def send(topic, subject, sequence, state, action="registered"):
        event = contract_event(f"{topic}.{action}", subject, sequence, state)
        await producer.send_and_wait(f"{namespace}.{topic}", event.to_json_bytes(), key=subject.encode())

    yield send
    await producer.stop()


@pytest.fixture
async def api(settings, clock, announce):
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        yield FundingApi(client, app, announce)


@pytest.fixture
def funding_api(announce):
    """Wraps a client of an app the test started itself (for restarts and second copies)."""
    return lambda client, app: FundingApi(client, app, announce)
