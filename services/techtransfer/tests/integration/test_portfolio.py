"""A licensee's portfolio end to end: the real partners service registers the partner, its
event reaches techtransfer's directory through Kafka, the license and royalty report
techtransfer records reach the partner's portfolio through Kafka, with totals per currency."""

from datetime import timedelta

from opp_shared.testing.helpers import auth, eventually, running, settings_for
from partners.main import create_app as create_partners
from partners.settings import PartnersSettings
from techtransfer.main import create_app as create_techtransfer

PARTNERS_WRITER = auth("partnerships_officer", sub="officer-2")


async def test_a_licensees_portfolio_shows_its_licenses_and_royalty_totals(
    servers, namespace, settings, clock, techtransfer_api
):
    partners_app = create_partners(settings_for(PartnersSettings, servers, namespace), clock=clock)
    techtransfer_app = create_techtransfer(settings, clock=clock)
    async with running(partners_app) as partners, running(techtransfer_app) as client:
        api = techtransfer_api(client, techtransfer_app)
        answer = await partners.post(
            "/api/v1/partners",
            json={"name": "Samsung Electronics", "kind": "enterprise", "country": "KR", "status": "active"},
            headers=PARTNERS_WRITER,
        )
        assert answer.status_code == 201, answer.text
        samsung = answer.json()["id"]

        async def known():
            return await techtransfer_app.state.partner_directory.get(samsung)

        await eventually(known, timeout=30)
        first, second = (await api.technology())["id"], (await api.technology())["id"]
        exclusive = await api.license([first], samsung, territory=["KR"], title="Display separator licence, Korea")
        worldwide = await api.license(
            [second],
            samsung,
            kind="non_exclusive",
            territory=["worldwide"],
            field_of_use="all",
            currency="USD",
            upfront_fee={"amount": "0.00", "currency": "USD"},
            minimum_annual_royalty={"amount": "0.00", "currency": "USD"},
            royalty_rate="2",
            title="Sensor licence, worldwide",
        )
        for license in (exclusive, worldwide):
            await api.ok("POST", f"/api/v1/licenses/{license['id']}/execute")
        clock.advance(timedelta(days=31))  # 1 April: the first quarter's reports open
        assert (await techtransfer_app.state.scheduler.tick())["royalty-reports"] == 2
        for license, revenue in ((exclusive, ("100000.00", "EUR")), (worldwide, ("5000.00", "USD"))):
            [report] = (await api.read("/api/v1/royalty-reports", license_id=license["id"]))["items"]
            await api.ok(
                "POST",
                f"/api/v1/royalty-reports/{report['id']}/receive",
                {"revenue": {"amount": revenue[0], "currency": revenue[1]}},
            )
        [eur_report] = (await api.read("/api/v1/royalty-reports", license_id=exclusive["id"]))["items"]
        await api.ok(
            "POST",
            f"/api/v1/royalty-reports/{eur_report['id']}/payments",
            {"amount": {"amount": "1000.00", "currency": "EUR"}},
            201,
        )

        async def portfolio():
            answer = await partners.get(f"/api/v1/partners/{samsung}/portfolio", headers=auth("viewer"))
            assert answer.status_code == 200, answer.text
            found = answer.json()
            paid = [r for r in found["royalties"]["reports"] if r.get("royalty_paid", {}).get("amount") == "1000.00"]
            active = [item for item in found["licenses"] if item["status"] == "active"]  # the tick activated both
            return found if len(active) == 2 and len(found["royalties"]["reports"]) == 2 and paid else None

        found = await eventually(portfolio, timeout=30)
        licenses = {item["id"]: item for item in found["licenses"]}
        assert licenses[exclusive["id"]]["kind"] == "exclusive" and licenses[exclusive["id"]]["territory"] == ["KR"]
        assert (
            licenses[worldwide["id"]]["territory"] == ["worldwide"] and licenses[worldwide["id"]]["currency"] == "USD"
        )
        assert all(item["partner_ids"] == [samsung] for item in found["licenses"])
        assert found["royalties"]["totals"] == [
            {"currency": "EUR", "royalty_due": "3500.00", "royalty_paid": "1000.00", "reports": 1},
            {"currency": "USD", "royalty_due": "100.00", "royalty_paid": "0.00", "reports": 1},
        ]
        # The same figures as techtransfer's own totals.
        totals = (await api.read("/api/v1/royalty-reports/totals", licensee_id=samsung))["totals"]
        assert [(t["currency"], t["royalty_due"]["amount"], t["royalty_paid"]["amount"]) for t in totals] == [
            ("EUR", "3500.00", "1000.00"),
            ("USD", "100.00", "0.00"),
        ]
