"""Partners' real events, through Kafka, decide what funding and techtransfer accept: agreements
coming into force and ending flag and clear a fund that requires one, and a partner archived or
merged in partners is refused as a new reference by both (409 naming it) once their directories
hold the event."""

from __future__ import annotations

from opp_shared.testing.helpers import assert_problem, eventually

from .conftest import Platform, money


async def test_agreements_drive_a_funds_flag(platform: Platform):
    p = platform
    cambridge = await p.partner("University of Cambridge", "university", "GB")
    chunfeng = await p.partner("Chunfeng Foundation", "foundation", "CN")

    async def fund_state(fund_id):
        return await p.funding.read(f"/api/v1/funds/{fund_id}")

    body = {
        "name": "Cambridge-Tsinghua Joint Research Fund",
        "partner_ids": [cambridge, chunfeng],
        "budget": money("300000.00"),
        "agreement_required": True,
    }
    fund = await p.funding.create("/api/v1/funds", body)
    assert fund["flagged"] and cambridge in fund["flag_reason"] and chunfeng in fund["flag_reason"]
    # A screen shows the sponsors' names, from funding's own partner directory.
    sponsors = [
        {"id": cambridge, "name": "University of Cambridge", "name_local": None},
        {"id": chunfeng, "name": "Chunfeng Foundation", "name_local": None},
    ]
    assert fund["partners"] == sponsors

    await p.agreement_in_force(cambridge)

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
        "max_award": money("50000.00"),
    }
    call = await p.funding.create("/api/v1/calls", call_body)
    proposal_body = {
        "call_id": call["id"],
        "title": "Low-carbon cement",
        "requested": money("40000.00"),
        "pi": {"person_id": "pi-1", "name": "Prof. Zhang", "unit": "Civil Engineering"},
        "co_pis": [{"name": "Dr. Smith", "partner_id": cambridge}],
    }
    proposal = await p.funding.create("/api/v1/proposals", proposal_body)
    path = f"/api/v1/proposals/{proposal['id']}"
    await p.funding.act(f"{path}/submit")
    reviewer = {"reviewer": {"person_id": "rev-1", "name": "Prof. Li", "unit": "Architecture"}}
    await p.funding.act(f"{path}/reviews", reviewer)
    award_body = {"amount": money("40000.00"), "reason": "ranked first"}
    refused = await p.funding.attempt(f"{path}/award", award_body)
    assert assert_problem(refused, 409, "rule-violation")["reason"] == "no-active-agreement"

    chunfeng_agreement = await p.agreement_in_force(chunfeng)

    async def unflagged():
        return not (await fund_state(fund["id"]))["flagged"]

    await eventually(unflagged)
    await p.funding.create(f"{path}/award", award_body)

    # The foundation's agreement is terminated: flagged again.
    terminate = {"reason": "foundation programme ended", "terminated_on": "2027-03-01"}
    await p.partners.act(f"/api/v1/agreements/{chunfeng_agreement}/terminate", terminate)

    async def flagged_again():
        state = await fund_state(fund["id"])
        return state["flagged"] and chunfeng in state["flag_reason"]

    await eventually(flagged_again)
    history = await p.funding.read(f"/api/v1/funds/{fund['id']}/history")
    assert [e["type"].rsplit(".", 1)[1] for e in history["items"]] == [
        "created",
        "flagged",  # the reason changed: only the foundation lacks an agreement now
        "unflagged",
        "committed",
        "flagged",
    ]


async def test_an_archived_or_merged_partner_is_refused_as_a_new_reference(platform: Platform):
    p = platform
    closed = await p.partner("Old College", "enterprise", "GB")
    merged = await p.partner("Imperial College of Science", "enterprise", "GB")
    successor = await p.partner("Imperial College London", "enterprise", "GB")
    body = {
        "title": "Kiln sensor",
        "department": "Civil Engineering",
        "readiness_level": 6,
        "inventors": [{"person_id": "ivy.li", "name": "Li Ivy", "unit": "Civil Engineering", "share": "100"}],
    }
    technology = (await p.techtransfer.create("/api/v1/technologies", body))["id"]
    for action in ("evaluate", "offer"):
        await p.techtransfer.act(f"/api/v1/technologies/{technology}/{action}")

    def fund(partner_id):
        return {"name": "Fund", "partner_ids": [partner_id], "budget": money("1000.00")}

    def project(partner_id):
        return {"title": "Project", "kind": "joint_research", "partner_ids": [partner_id]}

    def license(partner_id):
        return {
            "title": "Kiln sensor licence",
            "licensee_id": partner_id,
            "technology_ids": [technology],
            "kind": "non_exclusive",
            "territory": ["GB"],
            "field_of_use": "cement",
            "currency": "EUR",
            "royalty_rate": "2",
        }

    # While they are active, both services take them.
    await p.funding.create("/api/v1/funds", fund(closed))
    await p.funding.create("/api/v1/projects", project(merged))
    drafted = await p.techtransfer.create("/api/v1/licenses", license(closed))
    await p.techtransfer.act(f"/api/v1/licenses/{drafted['id']}/export-classification", {"classification": "free"})

    await p.partners.act(f"/api/v1/partners/{closed}/archive", {"reason": "the college closed"})
    await p.partners.act(f"/api/v1/partners/{merged}/merge", {"successor_id": successor})
    for partner_id in (closed, merged):
        await p.directories_at(partner_id, 2)

    before = [await p.funding.event_count(), await p.techtransfer.event_count()]
    refusals = [
        (closed, None, await p.funding.attempt("/api/v1/funds", fund(closed))),
        (closed, None, await p.techtransfer.attempt("/api/v1/licenses", license(closed))),
        (closed, None, await p.techtransfer.attempt(f"/api/v1/licenses/{drafted['id']}/execute")),
        (merged, successor, await p.funding.attempt("/api/v1/projects", project(merged))),
        (merged, successor, await p.techtransfer.attempt("/api/v1/licenses", license(merged))),
    ]
    for partner_id, successor_id, answer in refusals:
        problem = assert_problem(answer, 409, "rule-violation")
        assert problem["partner_id"] == partner_id and "archived" in problem["detail"], problem
        assert problem.get("successor_id") == successor_id, problem
    assert [await p.funding.event_count(), await p.techtransfer.event_count()] == before  # nothing recorded

    # The successor is taken as usual.
    await p.funding.create("/api/v1/projects", project(successor))
    await p.techtransfer.create("/api/v1/licenses", license(successor))
