"""Techtransfer's view of funding's projects, fed by funding's real events: a project planned and
started through funding's API becomes known to techtransfer, a technology that names it as its origin
is accepted, an unknown project is refused, and a project terminated in funding shows as terminated."""

from __future__ import annotations

from opp_shared.testing.helpers import assert_problem, eventually

from .conftest import Platform

INVENTORS = [{"person_id": "wang.fang", "name": "Wang Fang", "unit": "Electrical Engineering", "share": "100"}]


def disclosure(title: str, origin_project_id: str) -> dict:
    return {
        "title": title,
        "department": "Electrical Engineering",
        "readiness_level": 3,
        "inventors": INVENTORS,
        "origin_project_id": origin_project_id,
    }


async def test_a_technology_names_a_project_funding_started_and_sees_it_end(platform: Platform):
    p = platform
    berkeley = await p.partner("University of California, Berkeley", "university", "US")
    siemens = await p.partner("Siemens AG", "enterprise", "DE")
    body = {
        "title": "Green Online Experimental Platform",
        "kind": "multi_party",
        "partner_ids": [berkeley, siemens],
        "lead_partner_id": berkeley,
    }
    project = await p.funding.create("/api/v1/projects", body)
    await p.funding.act(f"/api/v1/projects/{project['id']}/start")
    view = p.techtransfer.app.state.service.projects

    async def held_at(status: str):
        found = await view.get(project["id"])
        return found if found and found["status"] == status else None

    held = await eventually(lambda: held_at("active"))
    assert (held["title"], held["kind"], held["partner_ids"], held["lead_partner_id"]) == (
        body["title"],
        "multi_party",
        [berkeley, siemens],
        berkeley,
    )
    technology = await p.techtransfer.create(
        "/api/v1/technologies", disclosure("Grid-scale battery management", project["id"])
    )
    assert technology["origin_project_id"] == project["id"]

    before = await p.techtransfer.event_count()
    unknown = await p.techtransfer.attempt(
        "/api/v1/technologies", disclosure("From nowhere", "prj_00000000000000000000000000")
    )
    assert assert_problem(unknown, 409, "rule-violation")["project_id"] == "prj_00000000000000000000000000"
    assert await p.techtransfer.event_count() == before  # refused, nothing recorded

    await p.funding.act(f"/api/v1/projects/{project['id']}/terminate", {"reason": "the consortium dissolved"})
    ended = await eventually(lambda: held_at("terminated"))
    assert ended["_sequence"] == 3  # planned, started, terminated
    # What came out of it stays the university's: its technologies keep their origin, and a
    # disclosure made after the end may still name the project.
    later = await p.techtransfer.create("/api/v1/technologies", disclosure("Battery ageing model", project["id"]))
    listed = await p.techtransfer.read("/api/v1/technologies", origin_project_id=project["id"])
    assert {t["id"] for t in listed["items"]} == {technology["id"], later["id"]}
    assert (await view.require_known(project["id"]))["status"] == "terminated"
