"""Joint research centers over HTTP against the real servers: establishing, the
directors rule, usable partners, list filters, edits with If-Match, closing."""

from __future__ import annotations

from opp_shared.testing.helpers import assert_problem as problem
from opp_shared.testing.helpers import auth

WRITER = auth("partnerships_officer", sub="officer-1")
READER = auth("viewer", sub="viewer-1")
C = "/api/v1/centers"


async def establish(api, name, partner_ids, **extra) -> dict:
    answer = await api.post(
        C, json={"name": name, "partner_ids": partner_ids, "established_on": "2026-09-01", **extra}, headers=WRITER
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def center_ids(api, **params) -> list[str]:
    answer = await api.get(C, params=params, headers=READER)
    assert answer.status_code == 200, answer.text
    return [c["id"] for c in answer.json()["items"]]


async def test_establish_answers_201_and_the_center_reads_back(api):
    cambridge = await api.register("University of Cambridge", "GB")
    body = {
        "name": "Tsinghua-Cambridge Joint Research Center",
        "partner_ids": [cambridge["id"]],
        "disciplines": ["physics", "artificial intelligence"],
        "directors": [
            {"name": "Li Wei", "side": "university", "email": "li.wei@tsinghua.edu.cn"},
            {"name": "Jane Smith", "side": "partner", "partner_id": cambridge["id"]},
        ],
        "established_on": "2026-09-01",
        "description": "Long-lived and interdisciplinary.\nSecond line.",
        "website": "https://example.org/center",
    }
    answer = await api.post(C, json=body, headers=WRITER)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["ETag"] == '"1"' and answer.headers["Location"] == f"{C}/{created['id']}"
    assert created["id"].startswith("ctr_") and created["version"] == 1
    assert created["status"] == "active" and created["closed_on"] is None and created["closure_reason"] is None
    assert created["partner_ids"] == [cambridge["id"]] and created["disciplines"] == [
        "physics",
        "artificial intelligence",
    ]
    assert created["established_on"] == "2026-09-01"
    assert [d["name"] for d in created["directors"]] == ["Li Wei", "Jane Smith"]
    assert created["directors"][1] == {
        "name": "Jane Smith",
        "side": "partner",
        "partner_id": cambridge["id"],
        "email": None,
    }

    read = await api.get(answer.headers["Location"], headers=READER)
    assert read.status_code == 200 and read.headers["ETag"] == '"1"' and read.json() == created
    assert await api.history_types(f"{C}/{created['id']}") == ["established"]


async def test_a_partner_side_director_belongs_to_one_of_the_centers_partners(api):
    cambridge = await api.register("University of Cambridge", "GB")
    siemens = await api.register("Siemens AG", "DE", kind="enterprise")
    before = await api.event_count()
    for director in (
        {"name": "Hans Müller", "side": "partner", "partner_id": siemens["id"]},
        {"name": "Nobody", "side": "partner"},
        {"name": "Ghost", "side": "partner", "partner_id": "ptn_00000000000000000000000000"},
    ):
        body = {
            "name": "Joint Center",
            "partner_ids": [cambridge["id"]],
            "established_on": "2026-09-01",
            "directors": [director],
        }
        refused = problem(await api.post(C, json=body, headers=WRITER), 422, "invalid-input")
        assert "director" in refused["detail"], refused
    assert await center_ids(api) == [] and await api.event_count() == before

    # A university-side director needs no partner; a partner-side one of a listed partner is fine.
    center = await establish(
        api,
        "Tsinghua-Siemens CKI",
        [cambridge["id"], siemens["id"]],
        directors=[
            {"name": "Li Wei", "side": "university"},
            {"name": "Hans Müller", "side": "partner", "partner_id": siemens["id"]},
        ],
    )
    # Dropping the partner whose person directs the center breaks the rule: 422, nothing changes.
    dropped = await api.patch(
        f"{C}/{center['id']}", json={"partner_ids": [cambridge["id"]]}, headers=WRITER | {"If-Match": '"1"'}
    )
    problem(dropped, 422, "invalid-input")
    moved = await api.patch(
        f"{C}/{center['id']}",
        json={
            "directors": [{"name": "Hans Müller", "side": "partner", "partner_id": "ptn_00000000000000000000000000"}]
        },
        headers=WRITER | {"If-Match": '"1"'},
    )
    problem(moved, 422, "invalid-input")
    current = await api.read(f"{C}/{center['id']}")
    assert current["version"] == 1 and current["partner_ids"] == [cambridge["id"], siemens["id"]]


async def test_unknown_or_archived_partners_are_refused(api):
    cambridge = await api.register("University of Cambridge", "GB")
    archived = await api.register("Archived Institute", "GB")
    await api.post(f"/api/v1/partners/{archived['id']}/archive", json={}, headers=WRITER)
    before = await api.event_count()
    unknown = await api.post(
        C,
        json={
            "name": "X",
            "partner_ids": [cambridge["id"], "ptn_00000000000000000000000000"],
            "established_on": "2026-01-01",
        },
        headers=WRITER,
    )
    assert problem(unknown, 409, "rule-violation")["partner_id"] == "ptn_00000000000000000000000000"
    refused = await api.post(
        C, json={"name": "X", "partner_ids": [archived["id"]], "established_on": "2026-01-01"}, headers=WRITER
    )
    assert problem(refused, 409, "rule-violation")["partner_id"] == archived["id"]
    assert await center_ids(api) == [] and await api.event_count() == before

    center = await establish(api, "Joint Center", [cambridge["id"]])
    added = await api.patch(
        f"{C}/{center['id']}",
        json={"partner_ids": [cambridge["id"], archived["id"]]},
        headers=WRITER | {"If-Match": '"1"'},
    )
    assert problem(added, 409, "rule-violation")["partner_id"] == archived["id"]
    assert (await api.read(f"{C}/{center['id']}"))["partner_ids"] == [cambridge["id"]]


async def test_lists_filter_on_status_partner_and_discipline(api):
    cambridge = await api.register("University of Cambridge", "GB")
    siemens = await api.register("Siemens AG", "DE", kind="enterprise")
    toyota = await api.register("Toyota Motor Corporation", "JP", kind="enterprise")
    physics = await establish(api, "Center for Quantum Physics", [cambridge["id"]], disciplines=["physics"])
    both = await establish(
        api, "Center for Intelligent Systems", [cambridge["id"], siemens["id"]], disciplines=["ai", "physics"]
    )
    closed = await establish(api, "Center for Automation", [siemens["id"]], disciplines=["ai"])
    assert (
        await api.post(f"{C}/{closed['id']}/close", json={"reason": "programme ended"}, headers=WRITER)
    ).status_code == 200

    assert await center_ids(api) == [physics["id"], both["id"], closed["id"]]
    assert await center_ids(api, status="active") == [physics["id"], both["id"]]
    assert await center_ids(api, status="closed") == [closed["id"]]
    assert await center_ids(api, partner_id=cambridge["id"]) == [physics["id"], both["id"]]
    assert await center_ids(api, partner_id=siemens["id"]) == [both["id"], closed["id"]]
    assert await center_ids(api, partner_id=toyota["id"]) == []
    assert await center_ids(api, discipline="ai") == [both["id"], closed["id"]]
    assert await center_ids(api, discipline="physics", status="active") == [physics["id"], both["id"]]
    assert await center_ids(api, partner_id=siemens["id"], discipline="physics") == [both["id"]]
    assert await center_ids(api, discipline="$ne") == []  # a literal value, not an operator

    first = await api.get(C, params={"limit": 2}, headers=READER)
    assert [c["id"] for c in first.json()["items"]] == [physics["id"], both["id"]]
    second = await api.get(C, params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=READER)
    assert [c["id"] for c in second.json()["items"]] == [closed["id"]] and second.json()["next_cursor"] is None


async def test_edits_take_if_match_and_a_stale_one_is_412(api):
    cambridge = await api.register("University of Cambridge", "GB")
    siemens = await api.register("Siemens AG", "DE", kind="enterprise")
    center = await establish(api, "Joint Center", [cambridge["id"]], disciplines=["physics"])
    path = f"{C}/{center['id']}"

    edited = await api.patch(
        path,
        json={"name": "Joint Center for Energy", "partner_ids": [cambridge["id"], siemens["id"]]},
        headers=WRITER | {"If-Match": '"1"'},
    )
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'
    assert edited.json()["name"] == "Joint Center for Energy" and edited.json()["partner_ids"] == [
        cambridge["id"],
        siemens["id"],
    ]
    assert edited.json()["disciplines"] == ["physics"]  # what was not sent stays

    before = await api.event_count()
    stale = await api.patch(path, json={"name": "Stale Name"}, headers=WRITER | {"If-Match": '"1"'})
    problem(stale, 412, "stale-version")
    bad = await api.patch(path, json={"name": "Bad ETag"}, headers=WRITER | {"If-Match": "2"})
    problem(bad, 422, "invalid-input")
    same = await api.patch(path, json={"name": "Joint Center for Energy"}, headers=WRITER | {"If-Match": '"2"'})
    assert same.status_code == 200 and same.json()["version"] == 2  # nothing to change: nothing recorded
    assert await api.event_count() == before
    current = await api.read(path)
    assert current["version"] == 2 and current["name"] == "Joint Center for Energy"
    cleared = await api.patch(
        path, json={"description": "Energy research", "website": None}, headers=WRITER | {"If-Match": '"2"'}
    )
    assert (
        cleared.status_code == 200
        and cleared.json()["description"] == "Energy research"
        and cleared.json()["version"] == 3
    )


async def test_closing_a_center(api):
    cambridge = await api.register("University of Cambridge", "GB")
    center = await establish(api, "Joint Center", [cambridge["id"]])
    path = f"{C}/{center['id']}"
    updated = await api.patch(path, json={"disciplines": ["chemistry"]}, headers=WRITER | {"If-Match": '"1"'})
    assert updated.status_code == 200

    closed = await api.post(f"{path}/close", headers=WRITER)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["closed_on"] == "2027-03-01"  # today in Beijing
    assert closed.json()["version"] == 3 and closed.headers["ETag"] == '"3"'

    before = await api.event_count()
    again = await api.post(f"{path}/close", json={"reason": "twice"}, headers=WRITER)
    assert problem(again, 409, "illegal-transition")["current_status"] == "closed"
    edit = await api.patch(path, json={"name": "Reopened"}, headers=WRITER)
    assert problem(edit, 409, "illegal-transition")["current_status"] == "closed"
    assert await api.event_count() == before
    current = await api.read(path)
    assert current["version"] == 3 and current["name"] == "Joint Center" and current["closed_on"] == "2027-03-01"
    assert await api.history_types(path) == ["established", "updated", "closed"]


async def test_closing_on_a_given_day_with_a_reason(api):
    cambridge = await api.register("University of Cambridge", "GB")
    center = await establish(api, "Joint Center", [cambridge["id"]])
    path = f"{C}/{center['id']}"
    future = await api.post(f"{path}/close", json={"closed_on": "2027-03-02"}, headers=WRITER)
    problem(future, 422, "invalid-input")
    early = await api.post(f"{path}/close", json={"closed_on": "2026-08-31"}, headers=WRITER)
    problem(early, 422, "invalid-input")
    stale = await api.post(f"{path}/close", json={"closed_on": "2027-02-15"}, headers=WRITER | {"If-Match": '"2"'})
    problem(stale, 412, "stale-version")
    assert (await api.read(path))["status"] == "active"
    closed = await api.post(
        f"{path}/close",
        json={"closed_on": "2027-02-15", "reason": "funding ended"},
        headers=WRITER | {"If-Match": '"1"'},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["closed_on"] == "2027-02-15" and closed.json()["closure_reason"] == "funding ended"
    assert await api.history_types(path) == ["established", "closed"]
