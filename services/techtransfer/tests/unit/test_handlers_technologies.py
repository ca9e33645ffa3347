"""Technology commands on in-memory ports: the origin project, patent records, the deadline schedule."""

from datetime import UTC, datetime, timedelta

import pytest

from opp_shared.errors import InvalidInput, RuleViolation
from opp_shared.repository import CreateRequest

PATENT = {
    "jurisdiction": "CN",
    "application_number": "CN202610012345.6",
    "priority_date": "2026-06-15",
    "filing_date": "2026-06-15",
}


async def test_the_origin_project_must_be_known_from_fundings_events(office):
    with pytest.raises(RuleViolation) as unknown:
        await office.technology(origin_project_id="prj_1")
    assert unknown.value.extensions["project_id"] == "prj_1"
    await office.foreign(
        "funding.project",
        {
            "id": "prj_1",
            "title": "Green Online Experimental Platform",
            "kind": "multi_party",
            "status": "active",
            "partner_ids": ["ptn_b"],
            "lead_partner_id": "ptn_b",
        },
    )
    technology = await office.technology(origin_project_id="prj_1")
    assert technology.state["origin_project_id"] == "prj_1"
    assert (await office.projects.require_known("prj_1"))["kind"] == "multi_party"
    with pytest.raises(RuleViolation):
        await office.technologies.edit(technology.id, {"origin_project_id": "prj_2"}, if_match=None)


async def test_a_patent_record_is_added_once_per_idempotency_key(office):
    technology = await office.technology(offered=False)
    request = CreateRequest("officer", "file-cn", PATENT)
    first, patent_id, replayed = await office.technologies.record_patent(technology.id, PATENT, request, if_match=None)
    assert not replayed and [p["id"] for p in first.state["patents"]] == [patent_id]
    again, same_id, replayed = await office.technologies.record_patent(technology.id, PATENT, request, if_match=None)
    assert replayed and same_id == patent_id and again.version == first.version
    other = {**PATENT, "application_number": "CN2"}
    with pytest.raises(InvalidInput):
        await office.technologies.record_patent(
            technology.id, other, CreateRequest("officer", "file-cn", other), if_match=None
        )
    # Another caller's identical key is another record (keys are per caller): the same number is refused.
    with pytest.raises(InvalidInput):
        await office.technologies.record_patent(
            technology.id, PATENT, CreateRequest("someone", "file-cn", PATENT), if_match=None
        )
    updated = await office.technologies.update_patent(
        technology.id, patent_id, {"status": "published", "publication_number": "CN117000001A"}, if_match=None
    )
    assert updated.state["patents"][0]["status"] == "published"
    assert updated.state["deadlines"][0] == {
        "kind": "priority_year",
        "priority_date": "2026-06-15",
        "due_on": "2027-06-15",
        "patent_ids": [patent_id],
    }


async def test_deadline_reminders_fire_once_each_on_schedule(office, clock):
    technology = await office.technology(offered=False)
    await office.technologies.record_patent(technology.id, PATENT, CreateRequest("o", None, PATENT), if_match=None)
    pct = {**PATENT, "jurisdiction": "WO", "application_number": "PCT/CN2026/070001", "filing_date": "2026-12-01"}
    await office.technologies.record_patent(technology.id, pct, CreateRequest("o", None, pct), if_match=None)
    assert (await office.ports.run_jobs())["patent-deadlines"] == 0  # 1 March: 106 days before 15 June
    clock.advance(timedelta(days=16))  # 17 March, 90 days before
    assert (await office.ports.run_jobs())["patent-deadlines"] == 1
    assert (await office.ports.run_jobs())["patent-deadlines"] == 0
    clock.advance(timedelta(days=60))  # 16 May, 30 days before
    assert (await office.ports.run_jobs())["patent-deadlines"] == 1
    clock.advance(timedelta(days=23))  # 8 June, 7 days before
    assert (await office.ports.run_jobs())["patent-deadlines"] == 1
    clock.advance(timedelta(days=7))  # 15 June: none on the day
    assert (await office.ports.run_jobs())["patent-deadlines"] == 0
    clock.set(datetime(2028, 9, 15, 4, tzinfo=UTC))  # 91 days before the national phase (15 December 2028)
    assert (await office.ports.run_jobs())["patent-deadlines"] == 0
    clock.set(datetime(2028, 9, 16, 4, tzinfo=UTC))
    assert (await office.ports.run_jobs())["patent-deadlines"] == 1
    approaching = [e for e in office.ports.events() if e.type.endswith("deadline_approaching")]
    assert [(e.change["kind"], e.change["lead_days"], e.change["late"]) for e in approaching] == [
        ("priority_year", 90, False),
        ("priority_year", 30, False),
        ("priority_year", 7, False),
        ("national_phase", 90, False),
    ]
    assert approaching[0].state["inventors"][0]["person_id"] == "li.wei"  # whom it concerns, by person id
