"""Awards and disbursements racing on one ledger, over HTTP against the real FerretDB and Kafka.

Every race runs on two copies of the service sharing the database, the requests
spread over both: within a copy the ledger's changes queue per aggregate, so
it is the unique insert of the next event record that decides between the two
copies. Each test prints what it measured: the wall time of the race and how
many decisions each ledger change took (`opp_funding_ledger_attempts`).
"""

import asyncio
import time

from prometheus_client import REGISTRY

from funding.main import create_app
from opp_shared.testing.helpers import running

PROBLEM = "application/problem+json"


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def attempts_so_far(ledger: str) -> tuple[float, float]:
    """(sum, count) of the decisions per change of a ledger, as the metrics show them."""
    total = REGISTRY.get_sample_value("opp_funding_ledger_attempts_sum", {"ledger": ledger}) or 0.0
    count = REGISTRY.get_sample_value("opp_funding_ledger_attempts_count", {"ledger": ledger}) or 0.0
    return total, count


async def race(requests):
    started = time.monotonic()
    answers = await asyncio.gather(*requests)
    return answers, time.monotonic() - started


async def awards_race(settings, clock, funding_api, *, budget: str, n: int = 20):
    a, b = create_app(settings, clock=clock), create_app(settings, clock=clock)
    async with running(a) as client_a, running(b) as client_b:
        api, other = funding_api(client_a, a), funding_api(client_b, b)
        sponsor = await api.partner()
        await other.partner_known(sponsor)
        fund = await api.fund(sponsor, budget=budget)
        call = await api.call(fund["id"], max_award="1000.00")
        proposals = [await api.under_review(call["id"], sponsor, "1000.00", n=i) for i in range(n)]
        before = attempts_so_far("fund")
        body = {"amount": eur("1000.00"), "reason": "ranked"}
        answers, seconds = await race(
            (api if i % 2 else other).post(f"/api/v1/proposals/{p['id']}/award", json=body, headers=api.writer)
            for i, p in enumerate(proposals)
        )
        after = attempts_so_far("fund")
        fund_now = await api.read(f"/api/v1/funds/{fund['id']}")
        awards = (await api.read("/api/v1/awards", fund_id=fund["id"], limit=200))["items"]
        proposals_now = [await api.read(f"/api/v1/proposals/{p['id']}") for p in proposals]
        decisions = after[0] - before[0], after[1] - before[1]
        print(
            f"\n{n} awards racing on a fund of {budget} EUR over two copies: {seconds:.2f} s; "
            f"{decisions[0]:.0f} ledger decisions for {decisions[1]:.0f} award requests "
            f"({decisions[0] / max(decisions[1], 1):.2f} per award)"
        )
        return answers, fund_now, awards, proposals_now


async def test_twenty_awards_racing_on_a_fund_that_fits_ten(settings, clock, funding_api):
    answers, fund, awards, proposals = await awards_race(settings, clock, funding_api, budget="10000.00")
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 10 + [409] * 10, [a.text for a in answers if a.status_code not in (201, 409)]
    for refused in (a for a in answers if a.status_code == 409):
        problem = refused.json()
        assert refused.headers["content-type"] == PROBLEM and problem["type"] == "urn:opp:problem:rule-violation"
        assert problem["reason"] == "over-budget" and problem["requested"] == eur("1000.00")
        assert problem["available"] == eur("0.00") and not problem.get("retryable")
    granted = {a.json()["id"] for a in answers if a.status_code == 201}
    assert {a["id"] for a in awards} == granted and len(fund["commitments"]) == 10
    assert fund["committed"] == eur("10000.00") == fund["budget"] and fund["available"] == eur("0.00")
    assert sum(a["amount_minor"] for a in awards) == sum(c["amount_minor"] for c in fund["commitments"])
    assert sorted(p["status"] for p in proposals) == ["awarded"] * 10 + ["under_review"] * 10
    assert {p["award_id"] for p in proposals if p["award_id"]} == granted


async def test_twenty_awards_racing_on_a_fund_that_fits_them_all(settings, clock, funding_api):
    answers, fund, awards, proposals = await awards_race(settings, clock, funding_api, budget="20000.00")
    assert [a.status_code for a in answers] == [201] * 20, [a.text for a in answers if a.status_code != 201]
    assert len(awards) == 20 and fund["committed"] == eur("20000.00") and fund["available"] == eur("0.00")
    assert all(p["status"] == "awarded" for p in proposals)


async def test_disbursements_racing_on_one_award(settings, clock, funding_api):
    a, b = create_app(settings, clock=clock), create_app(settings, clock=clock)
    async with running(a) as client_a, running(b) as client_b:
        api, other = funding_api(client_a, a), funding_api(client_b, b)
        sponsor = await api.partner()
        fund = await api.fund(sponsor, budget="10000.00")
        call = await api.call(fund["id"], max_award="1000.00")
        award = await api.award((await api.under_review(call["id"], sponsor, "1000.00"))["id"], "1000.00")
        before = attempts_so_far("award")
        body = {"award_id": award["id"], "amount": eur("150.00"), "scheduled_on": "2027-05-01"}
        answers, seconds = await race(
            (api if i % 2 else other).post("/api/v1/disbursements", json=body, headers=api.writer) for i in range(12)
        )
        after = attempts_so_far("award")
        print(
            f"\n12 disbursements of 150.00 racing on an award of 1000.00 over two copies: {seconds:.2f} s; "
            f"{after[0] - before[0]:.0f} ledger decisions for {after[1] - before[1]:.0f} requests"
        )
        assert sorted(x.status_code for x in answers) == [201] * 6 + [409] * 6, [x.text for x in answers]
        refused = next(x.json() for x in answers if x.status_code == 409)
        assert refused["available"] == eur("100.00") and refused["requested"] == eur("150.00")
        award_now = await api.read(f"/api/v1/awards/{award['id']}")
        assert award_now["planned"] == eur("900.00") and award_now["remaining"] == eur("100.00")
        listed = (await api.read("/api/v1/disbursements", award_id=award["id"]))["items"]
        assert len(listed) == 6 and {d["id"] for d in listed} == {t["disbursement_id"] for t in award_now["tranches"]}
