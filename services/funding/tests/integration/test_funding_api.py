"""The funding API over HTTP against the real FerretDB and Kafka: from a fund to a paid
disbursement, reviewers acting on their own assignments, idempotency, If-Match, lists and history."""

from opp_shared.testing.helpers import assert_problem, auth, events_of, read_topic

OFFICER = auth("funding_officer", sub="officer-1")
REVIEWER = auth(sub="rev-1")  # a member of the university with no office role
OTHER_REVIEWER = auth(sub="rev-2")


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def test_from_a_fund_to_a_paid_disbursement(api, servers, namespace):
    sponsor = await api.partner()
    fund = await api.fund(sponsor, budget="50000.00", research_areas=["energy"])
    assert fund["budget"] == eur("50000.00") and fund["available"] == eur("50000.00") and fund["status"] == "open"
    call = await api.call(fund["id"], max_award="20000.00")
    proposal = await api.under_review(call["id"], sponsor, requested="15000.00")
    assert proposal["status"] == "under_review" and proposal["reviewer_ids"] == ["rev-1"]

    # The reviewer gives their review with their own token; another person cannot.
    path = f"/api/v1/proposals/{proposal['id']}/reviews/rev-1"
    assert_problem(await api.put(path, json={"score": 8}, headers=OTHER_REVIEWER), 403, "forbidden")
    assert_problem(await api.put(path, json={"score": 8}, headers=OFFICER), 403, "forbidden")
    reviewed = await api.put(path, json={"score": 8, "comments": "convincing plan"}, headers=REVIEWER)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["reviews"][0]["score"] == 8
    mine = await api.get("/api/v1/reviews", headers=REVIEWER)
    assert [r["proposal_id"] for r in mine.json()["items"]] == [proposal["id"]]
    assert (await api.get(f"/api/v1/proposals/{proposal['id']}", headers=REVIEWER)).status_code == 200
    assert_problem(await api.get(f"/api/v1/proposals/{proposal['id']}", headers=OTHER_REVIEWER), 403)
    assert_problem(await api.get("/api/v1/reviews", params={"reviewer_id": "rev-1"}, headers=OTHER_REVIEWER), 403)
    assert_problem(await api.get("/api/v1/funds", headers=REVIEWER), 403)  # no role, no general reading

    award = await api.award(proposal["id"], "12000.00")
    assert award["amount"] == eur("12000.00") and award["status"] == "granted" and award["partner_ids"] == [sponsor]
    decided = await api.read(f"/api/v1/proposals/{proposal['id']}")
    assert decided["status"] == "awarded" and decided["decision"]["decided_by"] == "officer-1"
    fund_now = await api.read(f"/api/v1/funds/{fund['id']}")
    assert fund_now["committed"] == eur("12000.00") and fund_now["available"] == eur("38000.00")

    body = {
        "award_id": award["id"],
        "amount": eur("5000.00"),
        "scheduled_on": "2027-04-01",
        "deliverable": {"title": "Progress report, first half year"},
    }
    disbursement = await api.created("/api/v1/disbursements", body)
    assert disbursement["status"] == "scheduled" and disbursement["deliverable"]["status"] == "pending"
    refused = await api.post(f"/api/v1/disbursements/{disbursement['id']}/approve", headers=OFFICER)
    assert "Progress report" in assert_problem(refused, 409, "rule-violation")["detail"]
    await api.act(f"/api/v1/disbursements/{disbursement['id']}/deliverable/accept")
    await api.act(f"/api/v1/disbursements/{disbursement['id']}/approve")
    paid = await api.act(f"/api/v1/disbursements/{disbursement['id']}/pay", {"paid_on": "2027-02-28"}, expect=422)
    paid = await api.act(f"/api/v1/disbursements/{disbursement['id']}/pay", {"reference": "TX-2027-001"})
    assert paid["paid_on"] == "2027-03-01" and paid["scheduled_on"] == "2027-04-01"
    award_now = await api.read(f"/api/v1/awards/{award['id']}")
    assert award_now["paid"] == eur("5000.00") and award_now["remaining"] == eur("7000.00")
    assert (await api.read(f"/api/v1/funds/{fund['id']}"))["disbursed"] == eur("5000.00")

    # Lists filter on their main fields.
    assert [a["id"] for a in (await api.read("/api/v1/awards", fund_id=fund["id"]))["items"]] == [award["id"]]
    assert (await api.read("/api/v1/awards", partner_id="ptn_nobody"))["items"] == []
    assert [d["id"] for d in (await api.read("/api/v1/disbursements", status="paid"))["items"]] == [paid["id"]]
    assert [f["id"] for f in (await api.read("/api/v1/funds", partner_id=sponsor, research_area="energy"))["items"]]

    # The history is what Kafka carries, in order.
    history = await api.read(f"/api/v1/funds/{fund['id']}/history")
    assert [e["type"] for e in history["items"]] == [
        "funding.fund.created",
        "funding.fund.committed",
        "funding.fund.disbursed",
    ]
    records = await read_topic(
        servers.kafka_bootstrap, f"{namespace}.funding.fund", until=lambda r: len(events_of(r, fund["id"])) >= 3
    )
    assert [e.id for e in events_of(records, fund["id"])] == [e["id"] for e in history["items"]]


async def test_creates_are_idempotent_and_edits_take_if_match(api):
    sponsor = await api.partner()
    body = {"name": "Seed fund", "partner_ids": [sponsor], "budget": eur("1000.00")}
    key = {"Idempotency-Key": "fund-2027-1"}
    first = await api.post("/api/v1/funds", json=body, headers=OFFICER | key)
    again = await api.post("/api/v1/funds", json=body, headers=OFFICER | key)
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"] and first.headers["ETag"] == '"1"'
    assert len((await api.read("/api/v1/funds"))["items"]) == 1

    fund_id = first.json()["id"]
    edited = await api.patch(
        f"/api/v1/funds/{fund_id}", json={"name": "Seed fund 2027"}, headers=OFFICER | {"If-Match": '"1"'}
    )
    assert edited.status_code == 200 and edited.headers["ETag"] == '"2"'
    stale = await api.patch(f"/api/v1/funds/{fund_id}", json={"name": "x"}, headers=OFFICER | {"If-Match": '"1"'})
    assert assert_problem(stale, 412, "stale-version")["current_version"] == 2

    proposal = await api.under_review((await api.call(fund_id, max_award="1000.00"))["id"], sponsor, "1000.00")
    award_body = {"amount": eur("600.00"), "reason": "best"}
    key = {"Idempotency-Key": "award-1"}
    made = await api.post(f"/api/v1/proposals/{proposal['id']}/award", json=award_body, headers=OFFICER | key)
    replay = await api.post(f"/api/v1/proposals/{proposal['id']}/award", json=award_body, headers=OFFICER | key)
    assert made.status_code == replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert made.json()["id"] == replay.json()["id"]
    other = await api.post(f"/api/v1/proposals/{proposal['id']}/award", json=award_body, headers=OFFICER)
    assert_problem(other, 409, "illegal-transition")
    assert (await api.read(f"/api/v1/funds/{fund_id}"))["committed"] == eur("600.00")


async def test_a_call_and_its_proposals_keep_to_its_rules(api, clock):
    sponsor, outsider = await api.partner(), await api.partner("Elsewhere University")
    fund = await api.fund(sponsor, budget="30000.00")
    over = await api.post(
        "/api/v1/calls",
        json={
            "fund_id": fund["id"],
            "title": "Too generous",
            "opens_at": "2027-03-01T00:00:00Z",
            "closes_at": "2027-04-01T00:00:00Z",
            "max_award": eur("30000.01"),
        },
        headers=OFFICER,
    )
    assert_problem(over, 409, "rule-violation")
    call = await api.call(fund["id"], max_award="10000.00")
    draft = {
        "call_id": call["id"],
        "title": "Outsiders only",
        "requested": eur("5000.00"),
        "pi": {"person_id": "pi-9", "name": "Prof. Nine", "unit": "Physics"},
        "co_pis": [{"name": "Dr. Out", "partner_id": outsider}],
    }
    assert "sponsor" in assert_problem(await api.post("/api/v1/proposals", json=draft, headers=OFFICER), 409)["detail"]
    proposal = await api.under_review(call["id"], sponsor, requested="5000.00")
    frozen = await api.patch(f"/api/v1/calls/{call['id']}", json={"max_award": eur("1.00")}, headers=OFFICER)
    assert assert_problem(frozen, 409, "rule-violation")["rules_frozen"] is True
    retitled = await api.patch(f"/api/v1/calls/{call['id']}", json={"title": "Seed call, round 1"}, headers=OFFICER)
    assert retitled.status_code == 200

    # Conflicts of interest: the PI, and someone of the PI's unit.
    for reviewer in (
        {"person_id": "pi-1", "name": "The PI", "unit": "Elsewhere"},
        {"person_id": "rev-7", "name": "A colleague", "unit": "school of  PHYSICS"},
    ):
        answer = await api.post(
            f"/api/v1/proposals/{proposal['id']}/reviews", json={"reviewer": reviewer}, headers=OFFICER
        )
        assert_problem(answer, 409, "rule-violation")
    rejected = await api.act(f"/api/v1/proposals/{proposal['id']}/reject", {"reason": "outside the call's aims"})
    assert rejected["decision"]["outcome"] == "rejected" and rejected["decision"]["reason"] == "outside the call's aims"
    assert_problem(await api.post(f"/api/v1/proposals/{proposal['id']}/withdraw", headers=OFFICER), 409)


async def test_projects_of_each_kind(api):
    berkeley, siemens = (
        await api.partner("University of California, Berkeley"),
        await api.partner("Siemens AG", "enterprise"),
    )
    uiu = await api.created(
        "/api/v1/projects",
        {
            "title": "Green Online Experimental Platform",
            "kind": "multi_party",
            "partner_ids": [berkeley, siemens],
            "lead_partner_id": berkeley,
            "milestones": [{"key": "launch", "title": "Platform online"}],
        },
    )
    assert (uiu["kind"], uiu["status"], uiu["lead_partner_id"]) == ("multi_party", "planned", berkeley)
    await api.act(f"/api/v1/projects/{uiu['id']}/start")
    reached = await api.act(f"/api/v1/projects/{uiu['id']}/milestones/launch/reach")
    assert reached["milestones"][0]["status"] == "reached"
    commissioned = await api.created(
        "/api/v1/projects",
        {
            "title": "Grid stability study",
            "kind": "commissioned",
            "partner_ids": [siemens],
            "contract": {"client_id": siemens, "value": {"amount": "250000.00", "currency": "USD"}},
            "invoices": [
                {"number": "INV-1", "amount": {"amount": "100000.00", "currency": "USD"}, "due_on": "2027-06-30"}
            ],
        },
    )
    await api.act(f"/api/v1/projects/{commissioned['id']}/start")
    paid = await api.act(f"/api/v1/projects/{commissioned['id']}/invoices/INV-1/pay")
    assert paid["invoices"][0]["status"] == "paid"
    too_much = {
        "invoices": [
            *paid["invoices"],
            {"number": "INV-2", "amount": {"amount": "150000.01", "currency": "USD"}, "due_on": "2027-09-30"},
        ]
    }
    assert_problem(await api.patch(f"/api/v1/projects/{commissioned['id']}", json=too_much, headers=OFFICER), 422)
    client_not_enterprise = {
        "title": "x",
        "kind": "commissioned",
        "partner_ids": [berkeley],
        "contract": {"client_id": berkeley, "value": {"amount": "1.00", "currency": "USD"}},
    }
    assert_problem(await api.post("/api/v1/projects", json=client_not_enterprise, headers=OFFICER), 409)
    listed = await api.read("/api/v1/projects", partner_id=siemens, kind="commissioned")
    assert [p["id"] for p in listed["items"]] == [commissioned["id"]]


async def test_people_are_named_by_the_subject_of_their_token_whatever_its_form(api):
    sponsor = await api.partner()
    call = await api.call((await api.fund(sponsor))["id"])
    body = {
        "call_id": call["id"],
        "title": "Urban heat islands",
        "requested": eur("8000.00"),
        "pi": {"person_id": "li.wei@tsinghua.example", "name": "Prof. Li", "unit": "Architecture"},
        "co_pis": [{"person_id": "j.smith@partner.example", "name": "Dr. Smith", "partner_id": sponsor}],
    }
    proposal = await api.created("/api/v1/proposals", body)
    await api.act(f"/api/v1/proposals/{proposal['id']}/submit")
    reviewer = {"person_id": "wang.fang@tsinghua.example", "name": "Prof. Wang", "unit": "Physics"}
    await api.act(f"/api/v1/proposals/{proposal['id']}/reviews", {"reviewer": reviewer})
    token = auth(sub="wang.fang@tsinghua.example")
    answer = await api.put(
        f"/api/v1/proposals/{proposal['id']}/reviews/wang.fang@tsinghua.example", json={"score": 6}, headers=token
    )
    assert answer.status_code == 200, answer.text
    mine = await api.get("/api/v1/reviews", headers=token)
    assert [r["score"] for r in mine.json()["items"]] == [6]
    by_pi = await api.read("/api/v1/proposals", pi_id="li.wei@tsinghua.example")
    assert [p["id"] for p in by_pi["items"]] == [proposal["id"]]
