"""A partner's portfolio fed by events the test itself publishes to Kafka (the `publish`
fixture): repeats, late (out-of-order) arrivals and a partner dropped from a fund included."""

from opp_shared.testing.helpers import eventually
from partners.api.schemas import Portfolio


async def test_the_portfolio_follows_the_other_services_events(api, publish):
    tokyo = await api.register("University of Tokyo", "JP")
    toyota = await api.register("Toyota Motor Corporation", "JP", kind="enterprise")
    p, q = tokyo["id"], toyota["id"]
    agreement = await api.draft([{"partner_id": p, "lead": True}, {"partner_id": q}], type="mou")

    fund = {
        "name": "Tsinghua-Tokyo Joint Research Fund",
        "status": "open",
        "partner_ids": [p],
        "budget": {"amount": "500000.00", "currency": "JPY"},
    }
    await publish("funding.fund", "fnd_1", 1, fund, "funding.fund.created")
    await publish("funding.fund", "fnd_1", 3, {**fund, "status": "closed"}, "funding.fund.closed")
    late = await publish("funding.fund", "fnd_1", 2, {**fund, "name": "an older name"}, "funding.fund.updated")
    # A second fund drops Tokyo as a sponsor in its second version.
    await publish("funding.fund", "fnd_2", 1, {"name": "Seed fund", "partner_ids": [p, q]}, "funding.fund.created")
    await publish("funding.fund", "fnd_2", 2, {"name": "Seed fund", "partner_ids": [q]}, "funding.fund.updated")
    await publish(
        "funding.award",
        "awd_1",
        1,
        {
            "title": "Hydrogen storage",
            "status": "granted",
            "partner_ids": [p, q],
            "amount": {"amount": "80000.00", "currency": "EUR"},
        },
        "funding.award.granted",
    )
    await publish(
        "funding.project",
        "prj_1",
        1,
        {"title": "Green Online Experimental Platform", "status": "active", "partner_ids": [p, "ptn_other"]},
        "funding.project.started",
    )
    await publish(
        "techtransfer.license",
        "lic_1",
        1,
        {"title": "Battery separator", "status": "executed", "partner_ids": [p], "kind": "exclusive"},
        "techtransfer.license.executed",
    )
    report = {"license_id": "lic_1", "partner_ids": [p], "status": "received"}
    first = await publish(
        "techtransfer.royalty_report",
        "rr_1",
        1,
        {**report, "royalty_due": {"amount": "100.50", "currency": "EUR"}},
        "techtransfer.royalty_report.received",
    )
    await publish(
        "techtransfer.royalty_report",
        "rr_1",
        1,
        {**report, "royalty_due": {"amount": "100.50", "currency": "EUR"}},
        "techtransfer.royalty_report.received",
        event_id=first.id,
    )  # repeated
    await publish(
        "techtransfer.royalty_report",
        "rr_2",
        1,
        {**report, "royalty_due": {"amount": "20.25", "currency": "EUR"}},
        "techtransfer.royalty_report.received",
    )
    await publish(
        "techtransfer.royalty_report",
        "rr_3",
        1,
        {**report, "royalty_due": {"amount": "500", "currency": "JPY"}},
        "techtransfer.royalty_report.received",
    )
    # Something the partners service knows nothing about: ignored.
    await publish("funding.fund", "fnd_3", 1, {"name": "No partners here"}, "funding.fund.created")

    async def complete():
        portfolio = await api.read(f"/api/v1/partners/{p}/portfolio")
        ready = len(portfolio["royalties"]["reports"]) == 3 and portfolio["licenses"] and portfolio["projects"]
        items = api.app.state.runtime.db["portfolio_items"]
        fund_2_gone = await items.find_one({"_id": "funding.fund:fnd_2", "_sequence": 2})
        # fnd_1's events may sit on another partition than the others: wait for its last one too.
        fund_1_closed = await items.find_one({"_id": "funding.fund:fnd_1", "_sequence": 3})
        return portfolio if ready and fund_2_gone and fund_1_closed else None

    portfolio = await eventually(complete)
    Portfolio.model_validate(portfolio)  # the answer is the one the OpenAPI document describes
    assert [a["id"] for a in portfolio["agreements"]] == [agreement["id"]]
    assert [f["id"] for f in portfolio["funds"]] == ["fnd_1"]
    assert (
        portfolio["funds"][0]["status"] == "closed" and portfolio["funds"][0]["name"] == fund["name"]
    )  # the late version 2 lost
    assert portfolio["funds"][0]["as_of"]["sequence"] == 3
    assert [a["id"] for a in portfolio["awards"]] == ["awd_1"]
    assert [x["id"] for x in portfolio["projects"]] == ["prj_1"]
    assert [x["id"] for x in portfolio["licenses"]] == ["lic_1"]
    assert portfolio["royalties"]["totals"] == [
        {"currency": "EUR", "royalty_due": "120.75", "royalty_paid": "0.00", "reports": 2},
        {"currency": "JPY", "royalty_due": "500", "royalty_paid": "0", "reports": 1},
    ]
    toyota_portfolio = await api.read(f"/api/v1/partners/{q}/portfolio")
    assert sorted(f["id"] for f in toyota_portfolio["funds"]) == ["fnd_2"]
    assert toyota_portfolio["royalties"]["totals"] == []
    assert late.sequence == 2


async def test_the_portfolio_of_an_unknown_partner_is_404(api):
    answer = await api.get("/api/v1/partners/ptn_nobody/portfolio", headers=api.reader)
    assert answer.status_code == 404
