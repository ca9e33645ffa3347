from datetime import UTC, datetime, timedelta

import pytest

from funding.main import wire
from funding.settings import FundingSettings
from opp_shared.clock import ManualClock, rfc3339
from opp_shared.envelope import CloudEvent
from opp_shared.repository import CreateRequest
from opp_shared.testing.fakes import InMemoryPorts

OFFICER = "officer-1"


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


class Desk:
    """The funding service wired on in-memory ports, as the handler tests drive it."""

    officer = OFFICER

    def __init__(self, ports: InMemoryPorts) -> None:
        self.ports = ports
        self.service = wire(ports, FundingSettings())
        self._partners = 0
        self._agreements = 0

    def __getattr__(self, name):  # funds, calls, proposals, awards, ...
        return getattr(self.service, name)

    def request(self, body, key=None):
        return CreateRequest(OFFICER, key, body)

    # -- what partners announces --------------------------------------------------------

    async def partner(self, name="University of Cambridge", kind="university", status="active") -> str:
        self._partners += 1
        partner_id = f"ptn_{self._partners}"
        await self.announce(
            "partners.partner.registered", partner_id, 1, {"name": name, "kind": kind, "status": status}
        )
        return partner_id

    async def agreement(self, *partner_ids, status="active", agreement_id=None, sequence=1) -> str:
        if agreement_id is None:
            self._agreements += 1
            agreement_id = f"agr_{self._agreements}"
        await self.announce(
            f"partners.agreement.{'activated' if status == 'active' else status}",
            agreement_id,
            sequence,
            {"type": "strategic", "status": status, "partner_ids": list(partner_ids), "party_ids": list(partner_ids)},
        )
        return agreement_id

    async def agreement_view_only(self, *partner_ids) -> None:
        """An active agreement put into the view directly, without the consumer's re-evaluation."""
        self._agreements += 1
        state = {"id": f"agr_{self._agreements}", "status": "active", "partner_ids": list(partner_ids)}
        event = CloudEvent(
            id=f"view-{self._agreements}",
            source="/opp/partners",
            type="partners.agreement.activated",
            subject=state["id"],
            sequence=1,
            data={"state": state, "change": {}},
        )
        await self.service.agreements.view.apply(event)

    async def announce(self, event_type, subject, sequence, state):
        event = CloudEvent(
            id=f"{subject}:{sequence}",
            source="/opp/partners",
            type=event_type,
            subject=subject,
            sequence=sequence,
            data={"state": {"id": subject, "version": sequence, **state}, "change": {}},
        )
        await self.ports.deliver(event)

    # -- funding's own steps -------------------------------------------------------------

    async def fund(self, *sponsors, budget="100000.00", currency="EUR", key=None, **extra):
        body = {"name": "Joint Research Fund", "partner_ids": list(sponsors), **extra}
        body["budget"] = {"amount": budget, "currency": currency}
        snapshot, _ = await self.funds.create(body, self.request(body, key))
        return snapshot

    async def call(self, fund_id, max_award="20000.00", currency="EUR", opens_in=-1, closes_in=30, **extra):
        now = self.ports.clock.now()
        body = {
            "fund_id": fund_id,
            "title": "Seed call 2027",
            "opens_at": rfc3339(now + timedelta(days=opens_in)),
            "closes_at": rfc3339(now + timedelta(days=closes_in)),
            "max_award": {"amount": max_award, "currency": currency},
            **extra,
        }
        snapshot, _ = await self.calls.schedule(body, self.request(body))
        return snapshot

    async def proposal(self, call_id, *co_partner_ids, requested="10000.00", currency="EUR", unit="Physics", **extra):
        body = {
            "call_id": call_id,
            "title": "Quantum sensing",
            "requested": {"amount": requested, "currency": currency},
            "pi": {"person_id": "pi-1", "name": "Prof. Li", "unit": unit},
            "co_pis": [{"name": f"Dr. Partner {p}", "partner_id": p} for p in co_partner_ids],
            **extra,
        }
        snapshot, _ = await self.proposals.draft(body, self.request(body))
        return snapshot

    async def under_review(self, call_id, *co_partner_ids, **extra):
        """A proposal drafted, submitted and with one reviewer assigned."""
        proposal = await self.proposal(call_id, *co_partner_ids, **extra)
        await self.proposals.submit(proposal.id, if_match=None)
        reviewer = {"person_id": "rev-1", "name": "Prof. Wang", "unit": "Chemistry"}
        return await self.proposals.assign_reviewer(proposal.id, reviewer, OFFICER, if_match=None)

    async def award(self, proposal_id, amount="10000.00", currency="EUR", key=None):
        body = {"amount": {"amount": amount, "currency": currency}, "reason": "ranked first"}
        snapshot, _ = await self.awards.award(
            proposal_id, body["amount"], "ranked first", OFFICER, self.request(body, key)
        )
        return snapshot

    async def deliver_new_events(self, since: int = 0) -> int:
        """Hand the events recorded after the first `since` to the consumers, as Kafka would."""
        events = self.ports.events()[since:]
        for event in events:
            await self.ports.deliver(event)
        return len(events)

    async def follow_up(self, since: int) -> None:
        """Deliver what was recorded after `since`, then what that caused, until nothing more follows."""
        while since < len(self.ports.events()):
            recorded = len(self.ports.events())
            await self.deliver_new_events(since)
            since = recorded

    def event_types(self, aggregate_id):
        return [e.type.rsplit(".", 1)[1] for e in self.ports.events() if e.subject == aggregate_id]


@pytest.fixture
def clock():
    return ManualClock(datetime(2027, 3, 1, 2, 0, tzinfo=UTC))  # 10:00 in Beijing


@pytest.fixture
def desk(clock):
    return Desk(InMemoryPorts("funding", clock))
