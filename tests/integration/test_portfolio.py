"""A partner's portfolio end to end: partners shows the fund, award and project funding announces and
the license and royalty reports techtransfer announces, from their real events through Kafka, for
the sponsors of the fund and for the licensee, with royalties totalled per currency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opp_shared.clock import rfc3339
from opp_shared.testing.helpers import eventually

from .conftest import Platform, money


async def test_the_sponsors_and_the_licensee_see_what_funding_and_techtransfer_did_with_them(platform: Platform):
    p = platform
    cambridge = await p.partner("University of Cambridge", "university", "GB")
    chunfeng = await p.partner("Chunfeng Foundation", "foundation", "CN")
    siemens = await p.partner("Siemens AG", "enterprise", "DE")

    # funding: a fund of the two sponsors, an award to a proposal with a co-PI from each, a project from it.
    fund = await p.funding.create(
        "/api/v1/funds",
        {"name": "Cambridge-Chunfeng Joint Fund", "partner_ids": [cambridge, chunfeng], "budget": money("300000.00")},
    )
    now = p.clock.now()
    call = await p.funding.create(
        "/api/v1/calls",
        {
            "fund_id": fund["id"],
            "title": "Seed call",
            "opens_at": rfc3339(now - timedelta(days=1)),
            "closes_at": rfc3339(now + timedelta(days=20)),
            "max_award": money("50000.00"),
        },
    )
    proposal = await p.funding.create(
        "/api/v1/proposals",
        {
            "call_id": call["id"],
            "title": "Low-carbon cement",
            "requested": money("40000.00"),
            "pi": {"person_id": "pi.zhang", "name": "Prof. Zhang", "unit": "Civil Engineering"},
            "co_pis": [{"name": "Dr. Smith", "partner_id": cambridge}, {"name": "Dr. Chen", "partner_id": chunfeng}],
        },
    )
    await p.funding.act(f"/api/v1/proposals/{proposal['id']}/submit")
    reviewer = {"reviewer": {"person_id": "rev.wang", "name": "Prof. Wang", "unit": "Architecture"}}
    await p.funding.act(f"/api/v1/proposals/{proposal['id']}/reviews", reviewer)
    award = await p.funding.create(
        f"/api/v1/proposals/{proposal['id']}/award", {"amount": money("40000.00"), "reason": "ranked first"}
    )
    project = await p.funding.create(
        "/api/v1/projects",
        {
            "title": "Cement kiln pilot",
            "kind": "multi_party",
            "partner_ids": [cambridge, siemens],
            "lead_partner_id": cambridge,
            "award_id": award["id"],
        },
    )
    await p.funding.act(f"/api/v1/projects/{project['id']}/start")

    # techtransfer: a license to Siemens, its first quarter reported in euros and in dollars, partly paid.
    t = p.techtransfer
    body = {
        "title": "Kiln sensor",
        "department": "Civil Engineering",
        "readiness_level": 6,
        "inventors": [{"person_id": "ivy.li", "name": "Li Ivy", "unit": "Civil Engineering", "share": "100"}],
    }
    technology = (await t.create("/api/v1/technologies", body))["id"]
    for action in ("evaluate", "offer"):
        await t.act(f"/api/v1/technologies/{technology}/{action}")
    license = await t.create(
        "/api/v1/licenses",
        {
            "title": "Kiln sensor licence, Germany",
            "licensee_id": siemens,
            "technology_ids": [technology],
            "kind": "exclusive",
            "territory": ["DE"],
            "field_of_use": "cement",
            "effective_from": "2027-01-01",
            "currency": "EUR",
            "royalty_rate": "3.5",
        },
    )
    await t.act(f"/api/v1/licenses/{license['id']}/export-classification", {"classification": "free"})
    await t.act(f"/api/v1/licenses/{license['id']}/execute")
    p.clock.set(datetime(2027, 4, 1, 2, 0, tzinfo=UTC))  # the first quarter is over
    assert (await p.tick())["techtransfer"]["royalty-reports"] == 1
    [euros] = (await t.read("/api/v1/royalty-reports", license_id=license["id"]))["items"]
    dollars = await t.create(
        "/api/v1/royalty-reports", {"license_id": license["id"], "period_start": "2027-01-01", "currency": "USD"}
    )
    await t.act(f"/api/v1/royalty-reports/{euros['id']}/receive", {"revenue": money("100000.00")})
    await t.act(f"/api/v1/royalty-reports/{dollars['id']}/receive", {"revenue": money("5000.00", "USD")})
    await t.create(f"/api/v1/royalty-reports/{euros['id']}/payments", {"amount": money("1000.00")})

    async def portfolio_of(partner_id: str) -> dict:
        return await p.partners.read(f"/api/v1/partners/{partner_id}/portfolio")

    def ids(items: list[dict]) -> set[str]:
        return {item["id"] for item in items}

    async def licensee_sees_it_all():
        found = await portfolio_of(siemens)
        licenses = {item["id"]: item for item in found["licenses"]}
        assert licenses.get(license["id"], {}).get("status") == "active", licenses  # activated by the tick
        assert ids(found["projects"]) == {project["id"]}
        assert found["royalties"]["totals"] == [
            {"currency": "EUR", "royalty_due": "3500.00", "royalty_paid": "1000.00", "reports": 1},
            {"currency": "USD", "royalty_due": "175.00", "royalty_paid": "0.00", "reports": 1},
        ]
        return found

    found = await eventually(licensee_sees_it_all)
    assert found["funds"] == [] and found["awards"] == []  # Siemens sponsors nothing
    assert found["licenses"][0]["territory"] == ["DE"] and found["licenses"][0]["technology_ids"] == [technology]
    assert ids(found["royalties"]["reports"]) == {euros["id"], dollars["id"]}
    # The same figures as techtransfer's own totals.
    totals = (await t.read("/api/v1/royalty-reports/totals", licensee_id=siemens))["totals"]
    assert [(x["currency"], x["royalty_due"]["amount"], x["royalty_paid"]["amount"]) for x in totals] == [
        ("EUR", "3500.00", "1000.00"),
        ("USD", "175.00", "0.00"),
    ]

    async def sponsors_see_the_fund_and_the_award():
        both = [await portfolio_of(cambridge), await portfolio_of(chunfeng)]
        for seen in both:
            assert ids(seen["funds"]) == {fund["id"]} and ids(seen["awards"]) == {award["id"]}, seen
        assert ids(both[0]["projects"]) == {project["id"]} and both[1]["projects"] == []
        return both

    cambridge_seen, chunfeng_seen = await eventually(sponsors_see_the_fund_and_the_award)
    [fund_seen], [award_seen] = cambridge_seen["funds"], cambridge_seen["awards"]
    assert (fund_seen["name"], fund_seen["budget"], fund_seen["status"]) == (fund["name"], money("300000.00"), "open")
    assert (award_seen["amount"], award_seen["fund_id"], award_seen["status"]) == (
        money("40000.00"),
        fund["id"],
        "granted",
    )
    [project_seen] = cambridge_seen["projects"]
    assert (project_seen["kind"], project_seen["status"]) == ("multi_party", "active")
    assert sorted(project_seen["partner_ids"]) == sorted([cambridge, siemens])
    for seen in (cambridge_seen, chunfeng_seen):
        assert seen["licenses"] == [] and seen["royalties"]["totals"] == []
