"""The view of funding's projects, fed by `funding.project` events the test publishes to Kafka
as the funding service would: a technology's origin project must be known, the view keeps
the newest version of each project, and ignores repeats and late arrivals."""

from opp_shared.testing.helpers import assert_problem, eventually
from techtransfer.store.projects import PROJECT_FIELDS

UIU = {
    "title": "Green Online Experimental Platform",
    "kind": "multi_party",
    "status": "planned",
    "partner_ids": ["ptn_berkeley", "ptn_siemens"],
    "lead_partner_id": "ptn_berkeley",
}


async def test_the_origin_project_comes_from_fundings_events(api, publish):
    body = {
        "title": "Grid-scale battery management",
        "department": "Department of Electrical Engineering",
        "readiness_level": 3,
        "inventors": [{"person_id": "wang.fang", "name": "Wang Fang", "unit": "EE", "share": "100"}],
        "origin_project_id": "prj_uiu",
    }
    unknown = await api.post("/api/v1/technologies", json=body, headers=api.writer)
    assert assert_problem(unknown, 409, "rule-violation")["project_id"] == "prj_uiu"
    assert await api.event_count() == 0

    first = await publish("funding.project", "prj_uiu", 1, UIU, "funding.project.started")
    await publish("funding.project", "prj_uiu", 3, {**UIU, "status": "completed"}, "funding.project.completed")
    await publish(
        "funding.project", "prj_uiu", 2, {**UIU, "status": "active"}, "funding.project.milestone_reached"
    )  # late
    await publish("funding.project", "prj_uiu", 1, UIU, "funding.project.started", event_id=first.id)  # repeated
    await publish("funding.project", "prj_other", 1, {**UIU, "title": "Another", "extra": {"unknown": "field"}})
    projects = api.app.state.service.projects

    async def settled():
        project = await projects.get("prj_uiu")
        return project if project and project["_sequence"] == 3 and await projects.get("prj_other") else None

    project = await eventually(settled)
    assert project["status"] == "completed"  # the late version 2 did not overwrite version 3
    assert await projects.require_known("prj_uiu") == {"id": "prj_uiu", **UIU, "status": "completed"}
    assert set(await projects.require_known("prj_other")) == set(PROJECT_FIELDS)

    technology = await api.ok("POST", "/api/v1/technologies", body, 201)
    assert technology["origin_project_id"] == "prj_uiu"
    assert [t["id"] for t in (await api.read("/api/v1/technologies", origin_project_id="prj_uiu"))["items"]] == [
        technology["id"]
    ]
