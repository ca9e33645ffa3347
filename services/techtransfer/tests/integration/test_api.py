"""The techtransfer API over HTTP against the real servers: a technology from disclosure to
license, royalties and the distribution of income; lists, history, ETags, Idempotency-Keys."""

from opp_shared.testing.helpers import assert_problem

T = "/api/v1/technologies"
L = "/api/v1/licenses"
R = "/api/v1/royalty-reports"
D = "/api/v1/distributions"
PATENT = {
    "jurisdiction": "CN",
    "application_number": "CN202610012345.6",
    "priority_date": "2026-06-15",
    "filing_date": "2026-06-15",
}


async def test_a_technology_from_disclosure_to_protection(api):
    technology = await api.technology(offered=False, keywords=["batteries", "separators"])
    tid = technology["id"]
    assert technology["status"] == "disclosed" and technology["version"] == 1
    answer = await api.post(f"{T}/{tid}/patents", json=PATENT, headers=api.writer | {"Idempotency-Key": "cn-1"})
    assert answer.status_code == 201, answer.text
    patent_id = answer.headers["Location"].rsplit("/", 1)[1]
    assert answer.json()["deadlines"][0]["due_on"] == "2027-06-15"
    again = await api.post(f"{T}/{tid}/patents", json=PATENT, headers=api.writer | {"Idempotency-Key": "cn-1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert len(again.json()["patents"]) == 1
    assert (await api.read(f"{T}/{tid}/patents/{patent_id}"))["application_number"] == "CN202610012345.6"
    await api.ok("POST", f"{T}/{tid}/evaluate")
    protected = await api.ok("POST", f"{T}/{tid}/protect")
    assert protected["status"] == "protected"
    # If-Match: a stale version is refused, the current one goes through.
    stale = await api.patch(f"{T}/{tid}", json={"readiness_level": 6}, headers=api.writer | {"If-Match": '"2"'})
    assert_problem(stale, 412, "stale-version")
    current = await api.get(f"{T}/{tid}", headers=api.reader)
    edited = await api.patch(
        f"{T}/{tid}", json={"readiness_level": 6}, headers=api.writer | {"If-Match": current.headers["ETag"]}
    )
    assert edited.status_code == 200 and edited.json()["readiness_level"] == 6
    assert await api.history_types(f"{T}/{tid}") == [
        "disclosed",
        "patent_recorded",
        "status_changed",
        "protected",
        "updated",
    ]
    # Lists filter on their main fields and page with a cursor.
    await api.technology(department="Department of Physics")
    assert [t["id"] for t in (await api.read(T, keyword="separators"))["items"]] == [tid]
    assert [t["id"] for t in (await api.read(T, inventor="li.wei", status="protected"))["items"]] == [tid]
    first = await api.read(T, limit=1)
    second = await api.read(T, limit=1, cursor=first["next_cursor"])
    assert first["items"][0]["id"] != second["items"][0]["id"] and second["next_cursor"] is None


async def test_a_license_from_draft_to_royalties_and_the_distribution_of_its_income(api, partner, clock):
    await partner(api.app, "ptn_siemens", "Siemens AG", "DE")
    technology = await api.technology()
    tid = technology["id"]
    license = await api.license([tid], "ptn_siemens", classify=None)
    lid = license["id"]
    assert license["export"] == {
        "required": True,
        "classification": None,
        "permit_reference": None,
        "classified_on": None,
        "note": None,
    }
    refused = await api.post(f"{L}/{lid}/execute", headers=api.writer)
    assert "export classification" in assert_problem(refused, 409, "rule-violation")["detail"]
    needed = await api.ok("POST", f"{L}/{lid}/export-classification", {"classification": "restricted"})
    assert needed["export"]["classification"] == "restricted"
    assert (await api.history_types(f"{L}/{lid}"))[-1] == "export_permit_required"
    await api.ok(
        "POST",
        f"{L}/{lid}/export-classification",
        {"classification": "restricted", "permit_reference": "MOFCOM-2027-0042"},
    )
    executed = await api.ok("POST", f"{L}/{lid}/execute")
    assert executed["status"] == "executed" and executed["partner_ids"] == ["ptn_siemens"]
    assert (await api.read(f"{T}/{tid}"))["status"] == "licensed"
    assert [x["id"] for x in (await api.read(L, licensee_id="ptn_siemens", country="DE"))["items"]] == [lid]
    assert (await api.read(L, country="FR"))["items"] == []

    # The first quarter ends on 31 March; on 1 April the schedule opens its report.
    clock.set(clock.now().replace(month=4, day=1))
    assert (await api.app.state.scheduler.tick())["royalty-reports"] == 1
    [report] = (await api.read(R, license_id=lid))["items"]
    assert report["status"] == "due" and report["period_minimum"] == {"amount": "861.11", "currency": "EUR"}
    received = await api.ok(
        "POST",
        f"{R}/{report['id']}/receive",
        {"revenue": {"amount": "100000.00", "currency": "EUR"}, "reference": "Q1"},
    )
    assert received["royalty_due"] == {"amount": "3500.00", "currency": "EUR"}
    payment = {"amount": {"amount": "3500.00", "currency": "EUR"}}
    paid = await api.post(
        f"{R}/{report['id']}/payments", json=payment, headers=api.writer | {"Idempotency-Key": "pay-1"}
    )
    assert paid.status_code == 201 and paid.json()["royalty_paid"] == payment["amount"]
    payment_id = paid.headers["Location"].rsplit("/", 1)[1]
    too_much = await api.post(
        f"{R}/{report['id']}/payments", json={"amount": {"amount": "0.01", "currency": "EUR"}}, headers=api.writer
    )
    assert_problem(too_much, 409, "rule-violation")
    totals = await api.read(f"{R}/totals", licensee_id="ptn_siemens")
    assert totals["totals"] == [
        {
            "currency": "EUR",
            "revenue": {"amount": "100000.00", "currency": "EUR"},
            "royalty_due": {"amount": "3500.00", "currency": "EUR"},
            "royalty_paid": {"amount": "3500.00", "currency": "EUR"},
            "outstanding": {"amount": "0.00", "currency": "EUR"},
            "reports": {"due": 0, "overdue": 0, "received": 1},
        }
    ]
    body = {
        "technology_id": tid,
        "royalty_report_id": report["id"],
        "payment_id": payment_id,
        "direct_costs": [{"kind": "patent_fee", "amount": {"amount": "499.99", "currency": "EUR"}}],
    }
    distribution = await api.ok("POST", D, body, 201)
    assert distribution["costs_recovered"]["amount"] == "499.99" and distribution["net"]["amount"] == "3000.01"
    # 3000.01 at 30/20/20/30: the cent left over ties between the first inventor and the
    # university (.3 each); the tie goes to the earlier.
    assert [p["amount"]["amount"] for p in distribution["parts"]] == ["900.01", "600.00", "600.00", "900.00"]
    twice = await api.post(D, json={**body, "direct_costs": []}, headers=api.writer)
    assert assert_problem(twice, 409, "already-exists")["conflicting_id"] == distribution["id"]
    assert [d["id"] for d in (await api.read(D, inventor="zhang.min"))["items"]] == [distribution["id"]]
