"""Funding and partners together, in one process each, through the real Kafka and database:
partners' agreements drive a fund's flag, and partners' portfolio shows what funding announces."""

from contextlib import AsyncExitStack
from datetime import UTC, datetime

from funding.main import create_app as create_funding
from funding.settings import FundingSettings
from opp_shared.clock import ManualClock
from opp_shared.testing.helpers import assert_problem, auth, eventually, running, settings_for
from partners.main import create_app as create_partners
from partners.settings import PartnersSettings

PARTNERS_OFFICER = auth("partnerships_officer", sub="officer-p")
FUNDING_OFFICER = auth("funding_officer", sub="officer-f")
READER = auth("viewer")


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def ok(answer, status=200):
    assert answer.status_code == status, answer.text
    return answer.json()


async def test_agreements_drive_the_flag_and_the_portfolio_shows_the_fund(servers, namespace):
    clock = ManualClock(datetime(2027, 3, 1, 2, 0, tzinfo=UTC))
    partners_app = create_partners(settings_for(PartnersSettings, servers, namespace), clock=clock)
    funding_app = create_funding(settings_for(FundingSettings, servers, namespace), clock=clock)
    async with AsyncExitStack() as stack:
        partners = await stack.enter_async_context(running(partners_app))
        funding = await stack.enter_async_context(running(funding_app))

        async def register(name, kind, country):
            body = {"name": name, "kind": kind, "country": country, "status": "active"}
            return (await ok(await partners.post("/api/v1/partners", json=body, headers=PARTNERS_OFFICER), 201))["id"]

        async def agreement_in_force(partner_id):
            body = {
                "type": "strategic",
                "title": "Strategic research cooperation",
                "parties": [{"partner_id": partner_id}],
                "effective_from": "2026-01-01",
                "expires_on": "2031-12-31",
            }
            agreement = await ok(await partners.post("/api/v1/agreements", json=body, headers=PARTNERS_OFFICER), 201)
            for action, payload in (("submit", None), ("sign", {"signed_on": "2025-12-01"}), ("activate", None)):
                path = f"/api/v1/agreements/{agreement['id']}/{action}"
                await ok(await partners.post(path, json=payload, headers=PARTNERS_OFFICER))
            return agreement["id"]

        async def fund_state(fund_id):
            return await ok(await funding.get(f"/api/v1/funds/{fund_id}", headers=READER))

        cambridge = await register("University of Cambridge", "university", "GB")
        chunfeng = await register("Chunfeng Foundation", "foundation", "CN")
        directory = funding_app.state.partner_directory
        await eventually(lambda: directory.get(chunfeng))

        body = {
            "name": "Cambridge-Tsinghua Joint Research Fund",
            "partner_ids": [cambridge, chunfeng],
            "budget": eur("300000.00"),
            "agreement_required": True,
        }
        fund = await ok(await funding.post("/api/v1/funds", json=body, headers=FUNDING_OFFICER), 201)
        assert fund["flagged"] and cambridge in fund["flag_reason"] and chunfeng in fund["flag_reason"]

        await agreement_in_force(cambridge)

        async def reason_names_only_chunfeng():
            state = await fund_state(fund["id"])
            return state["flagged"] and cambridge not in state["flag_reason"] and chunfeng in state["flag_reason"]

        await eventually(reason_names_only_chunfeng)

        # While flagged, the fund takes no award: 409 naming why.
        call_body = {
            "fund_id": fund["id"],
            "title": "Seed call",
            "opens_at": "2027-02-01T00:00:00Z",
            "closes_at": "2027-06-01T00:00:00Z",
            "max_award": eur("50000.00"),
        }
        call = await ok(await funding.post("/api/v1/calls", json=call_body, headers=FUNDING_OFFICER), 201)
        proposal_body = {
            "call_id": call["id"],
            "title": "Low-carbon cement",
            "requested": eur("40000.00"),
            "pi": {"person_id": "pi-1", "name": "Prof. Zhang", "unit": "Civil Engineering"},
            "co_pis": [{"name": "Dr. Smith", "partner_id": cambridge}],
        }
        proposal = await ok(await funding.post("/api/v1/proposals", json=proposal_body, headers=FUNDING_OFFICER), 201)
        path = f"/api/v1/proposals/{proposal['id']}"
        await ok(await funding.post(f"{path}/submit", headers=FUNDING_OFFICER))
        reviewer = {"reviewer": {"person_id": "rev-1", "name": "Prof. Li", "unit": "Architecture"}}
        await ok(await funding.post(f"{path}/reviews", json=reviewer, headers=FUNDING_OFFICER))
        award_body = {"amount": eur("40000.00"), "reason": "ranked first"}
        refused = await funding.post(f"{path}/award", json=award_body, headers=FUNDING_OFFICER)
        assert assert_problem(refused, 409, "rule-violation")["reason"] == "no-active-agreement"

        chunfeng_agreement = await agreement_in_force(chunfeng)

        async def unflagged():
            return not (await fund_state(fund["id"]))["flagged"]

        await eventually(unflagged)
        award = await ok(await funding.post(f"{path}/award", json=award_body, headers=FUNDING_OFFICER), 201)

        # The foundation's agreement is terminated: flagged again.
        terminate = {"reason": "foundation programme ended", "terminated_on": "2027-03-01"}
        await ok(
            await partners.post(
                f"/api/v1/agreements/{chunfeng_agreement}/terminate", json=terminate, headers=PARTNERS_OFFICER
            )
        )

        async def flagged_again():
            state = await fund_state(fund["id"])
            return state["flagged"] and chunfeng in state["flag_reason"]

        await eventually(flagged_again)
        history = await ok(await funding.get(f"/api/v1/funds/{fund['id']}/history", headers=READER))
        assert [e["type"].rsplit(".", 1)[1] for e in history["items"]] == [
            "created",
            "flagged",  # the reason changed: only the foundation lacks an agreement now
            "unflagged",
            "committed",
            "flagged",
        ]

        # Partners' portfolio of Cambridge shows the fund and the award, from funding's own events.
        async def portfolio_shows_them():
            portfolio = await ok(await partners.get(f"/api/v1/partners/{cambridge}/portfolio", headers=READER))
            funds = {f["id"]: f for f in portfolio["funds"]}
            awards = {a["id"]: a for a in portfolio["awards"]}
            return (
                fund["id"] in funds
                and funds[fund["id"]]["budget"] == eur("300000.00")
                and funds[fund["id"]]["name"] == "Cambridge-Tsinghua Joint Research Fund"
                and award["id"] in awards
                and awards[award["id"]]["amount"] == eur("40000.00")
                and awards[award["id"]]["fund_id"] == fund["id"]
            )

        await eventually(portfolio_shows_them)
