"""Partners over HTTP against the real servers: registration, lists and search, name
uniqueness (also under concurrency), renames, If-Match, Idempotency-Key, status,
archiving, merging and who may do what."""

from __future__ import annotations

import asyncio

import pytest

from opp_shared.testing.helpers import assert_problem as problem
from opp_shared.testing.helpers import auth, eventually

WRITER = auth("partnerships_officer", sub="officer-1")
READER = auth("viewer", sub="viewer-1")
ADMIN = auth("admin", sub="admin-1")
P = "/api/v1/partners"


async def ids_of(api, **params) -> list[str]:
    answer = await api.get(P, params={"limit": 200, **params}, headers=READER)
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_cursor"] is None
    return [p["id"] for p in answer.json()["items"]]


# -- registering and reading ----------------------------------------------------------------


async def test_register_answers_201_with_an_etag_and_a_location(api):
    body = {
        "name": "University of Cambridge",
        "kind": "university",
        "country": "gb",
        "tier": "strategic",
        "website": "https://www.cam.ac.uk",
        "contacts": [{"name": "Ada Lovelace", "email": "ada@cam.ac.uk", "phone": "+44 1223 337733"}],
    }
    answer = await api.post(P, json=body, headers=WRITER)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["ETag"] == '"1"'
    assert answer.headers["Location"] == f"{P}/{created['id']}"
    assert created["id"].startswith("ptn_") and created["version"] == 1
    assert created["country"] == "GB" and created["status"] == "prospect" and created["tier"] == "strategic"
    assert created["name"] == "University of Cambridge" and created["name_key"] == "university of cambridge"
    assert created["contacts"] == [
        {"name": "Ada Lovelace", "role": None, "email": "ada@cam.ac.uk", "phone": "+44 1223 337733"}
    ]
    assert created["created_at"] == created["updated_at"] == "2027-03-01T00:00:00.000Z"
    assert created["merged_into"] is None and created["merged_from"] == []

    read = await api.get(answer.headers["Location"], headers=READER)
    assert read.status_code == 200 and read.headers["ETag"] == '"1"'
    assert read.json() == created
    assert await api.history_types(f"{P}/{created['id']}") == ["registered"]
    assert await ids_of(api) == [created["id"]]


async def test_lists_filter_on_kind_country_status_and_tier(api):
    cam = await api.register("University of Cambridge", "GB", status="active", tier="strategic")
    imperial = await api.register("Imperial College London", "GB")
    siemens = await api.register("Siemens AG", "DE", kind="enterprise", status="active", tier="key")
    gates = await api.register("Gates Foundation", "US", kind="foundation", status="dormant")
    tokyo = await api.register("University of Tokyo", "JP", status="active", tier="strategic")

    assert await ids_of(api) == [cam["id"], imperial["id"], siemens["id"], gates["id"], tokyo["id"]]
    assert await ids_of(api, kind="university") == [cam["id"], imperial["id"], tokyo["id"]]
    assert await ids_of(api, kind="foundation") == [gates["id"]]
    assert await ids_of(api, country="GB") == [cam["id"], imperial["id"]]
    assert await ids_of(api, country="gb") == [cam["id"], imperial["id"]]
    assert await ids_of(api, status="active") == [cam["id"], siemens["id"], tokyo["id"]]
    assert await ids_of(api, status="dormant") == [gates["id"]]
    assert await ids_of(api, tier="strategic") == [cam["id"], tokyo["id"]]
    assert await ids_of(api, tier="key") == [siemens["id"]]
    assert await ids_of(api, kind="university", country="GB", status="active") == [cam["id"]]
    assert await ids_of(api, country="FR") == []
    assert await ids_of(api, status="archived") == []
    await api.post(f"{P}/{imperial['id']}/archive", json={"reason": "test"}, headers=WRITER)
    assert await ids_of(api, status="archived") == [imperial["id"]]
    assert await ids_of(api, country="GB", status="prospect") == []


async def test_q_is_a_name_prefix_compared_without_case_and_accents(api):
    zurich = await api.register("Universität Zürich", "CH")
    basel = await api.register("Universitätsspital Basel", "CH")
    eth = await api.register("ETH Zürich", "CH")
    saclay = await api.register("Université Paris-Saclay", "FR")

    assert await ids_of(api, q="universitat") == [zurich["id"], basel["id"]]
    assert await ids_of(api, q="UNIVERSITÄT ZÜ") == [zurich["id"]]
    assert await ids_of(api, q="universitat   zurich") == [zurich["id"]]
    assert await ids_of(api, q="université") == [saclay["id"]]
    assert await ids_of(api, q="Universite PARIS") == [saclay["id"]]
    assert await ids_of(api, q="eth z") == [eth["id"]]
    assert await ids_of(api, q="univ", country="FR") == [saclay["id"]]
    assert await ids_of(api, q="Sorbonne") == []


async def test_q_finds_a_word_of_the_name_ignoring_accents(api):
    zurich = await api.register("Universität Zürich", "CH")
    eth = await api.register("ETH Zürich", "CH")
    await api.register("Zurich Insurance Group", "CH", kind="enterprise")
    found = await ids_of(api, q="zurich")
    assert zurich["id"] in found and eth["id"] in found


async def test_q_finds_a_partner_by_a_word_of_its_name_its_local_name_and_an_alias(api):
    tsinghua = await api.register("Tsinghua University", "CN", name_local="清华大学", aliases=["THU"])
    unsw = await api.register(
        "University of New South Wales", "AU", name_local="University of New South Wales", aliases=["UNSW Sydney"]
    )
    await api.register("Peking University", "CN", name_local="北京大学", aliases=["PKU"])

    assert await ids_of(api, q="tsinghua") == [tsinghua["id"]]
    assert await ids_of(api, q="清华") == [tsinghua["id"]]
    assert await ids_of(api, q="清华大学") == [tsinghua["id"]]
    assert await ids_of(api, q="thu") == [tsinghua["id"]]
    assert await ids_of(api, q="unsw") == [unsw["id"]]
    assert await ids_of(api, q="south wales") == [unsw["id"]]
    assert len(await ids_of(api, q="大学")) == 2, "a word inside a name written without spaces"
    assert await ids_of(api, q="unsw tsinghua") == [], "every word of the query must match"

    renamed = await api.patch(
        f"{P}/{unsw['id']}", json={"aliases": ["UNSW"]}, headers={**WRITER, "If-Match": f'"{unsw["version"]}"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["aliases"] == ["UNSW"]
    assert await ids_of(api, q="sydney") == []
    assert await ids_of(api, q="unsw") == [unsw["id"]]


async def test_sort_by_name_orders_by_the_compared_name(api):
    zeta = await api.register("Zeta Institute", "GR")
    alpha = await api.register("alpha University", "GR")
    emile = await api.register("Émile Institute", "FR")
    beta = await api.register("Beta College", "GR")
    assert await ids_of(api) == [zeta["id"], alpha["id"], emile["id"], beta["id"]]
    assert await ids_of(api, sort="name") == [alpha["id"], beta["id"], emile["id"], zeta["id"]]
    assert await ids_of(api, sort="created") == [zeta["id"], alpha["id"], emile["id"], beta["id"]]


async def _pages(api, **params) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        answer = await api.get(P, params={**params, **({"cursor": cursor} if cursor else {})}, headers=READER)
        assert answer.status_code == 200, answer.text
        pages.append([p["id"] for p in answer.json()["items"]])
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 20, "the cursor never ends"


async def test_cursor_pagination_is_stable_without_duplicates_or_gaps(api):
    names = ["Kappa", "Gamma", "Alpha", "Epsilon", "Delta", "Beta", "Eta"]
    created = [(await api.register(f"{name} University", "IT"))["id"] for name in names]

    pages = await _pages(api, limit=3)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [pid for page in pages for pid in page] == created

    by_name = await _pages(api, limit=3, sort="name")
    expected = [pid for _, pid in sorted(zip(names, created, strict=True))]
    assert [len(page) for page in by_name] == [3, 3, 1]
    assert [pid for page in by_name for pid in page] == expected

    exact = await _pages(api, limit=7)
    assert exact == [created]

    # Keyset pagination: a partner registered between two pages neither shifts nor repeats items.
    first = await api.get(P, params={"limit": 3}, headers=READER)
    assert [p["id"] for p in first.json()["items"]] == created[:3]
    late = (await api.register("Zeta University", "IT"))["id"]
    rest, cursor = [], first.json()["next_cursor"]
    while cursor:
        answer = await api.get(P, params={"limit": 3, "cursor": cursor}, headers=READER)
        rest += [p["id"] for p in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
    assert rest == [*created[3:], late]


# -- names are unique per country -------------------------------------------------------------------


async def test_a_name_is_unique_per_country_without_case_and_accents(api):
    eth = await api.register("ETH Zürich", "CH")
    for variant in ("eth zurich", "ETH ZURICH", "  Eth   Zürich ", "ÉTH Zúrich"):
        answer = await api.post(P, json={"name": variant, "kind": "university", "country": "CH"}, headers=WRITER)
        refused = problem(answer, 409, "already-exists")
        assert refused["conflicting_id"] == eth["id"], variant
    elsewhere = await api.register("ETH Zürich", "DE")
    assert elsewhere["id"] != eth["id"] and elsewhere["country"] == "DE"
    assert await ids_of(api, country="CH") == [eth["id"]]
    assert await ids_of(api, q="eth zurich") == [eth["id"], elsewhere["id"]]


async def test_twenty_concurrent_registrations_of_one_name_make_one_partner(api):
    body = {"name": "Universidad de Chile", "kind": "university", "country": "CL"}
    before = await api.event_count()
    answers = await asyncio.gather(*(api.post(P, json=body, headers=WRITER) for _ in range(20)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 19, [a.text for a in answers if a.status_code not in (201, 409)]
    winner = next(a.json() for a in answers if a.status_code == 201)
    for answer in answers:
        if answer.status_code == 409:
            assert problem(answer, 409, "already-exists")["conflicting_id"] == winner["id"]
    assert await ids_of(api) == [winner["id"]]
    assert await api.event_count() == before + 1


async def test_a_rename_frees_the_old_name_and_claims_the_new_one(api):
    kyoto = await api.register("Kyoto University", "JP")
    osaka = await api.register("Osaka University", "JP")
    renamed = await api.patch(
        f"{P}/{kyoto['id']}",
        json={"name": "Kyoto University of Advanced Science"},
        headers=WRITER | {"If-Match": '"1"'},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.headers["ETag"] == '"2"'
    assert renamed.json()["name"] == "Kyoto University of Advanced Science" and renamed.json()["version"] == 2

    newcomer = await api.register("KYOTO UNIVERSITY", "JP")  # the old name is free again
    taken = await api.post(
        P, json={"name": "kyoto university of advanced science", "kind": "university", "country": "JP"}, headers=WRITER
    )
    assert problem(taken, 409, "already-exists")["conflicting_id"] == kyoto["id"]
    clash = await api.patch(
        f"{P}/{osaka['id']}",
        json={"name": "KYOTO UNIVERSITY OF ADVANCED SCIENCE"},
        headers=WRITER | {"If-Match": '"1"'},
    )
    assert problem(clash, 409, "already-exists")["conflicting_id"] == kyoto["id"]
    back = await api.patch(
        f"{P}/{kyoto['id']}", json={"name": "Kyoto University"}, headers=WRITER | {"If-Match": '"2"'}
    )
    assert problem(back, 409, "already-exists")["conflicting_id"] == newcomer["id"]

    assert (await api.read(f"{P}/{osaka['id']}"))["version"] == 1
    assert (await api.read(f"{P}/{kyoto['id']}"))["version"] == 2
    assert await api.history_types(f"{P}/{kyoto['id']}") == ["registered", "updated"]
    # a change of country is a new (country, name) claim too
    moved = await api.patch(f"{P}/{osaka['id']}", json={"country": "KR"}, headers=WRITER | {"If-Match": '"1"'})
    assert moved.status_code == 200 and moved.json()["country"] == "KR"
    assert (await api.register("Osaka University", "JP"))["country"] == "JP"


async def test_a_stale_if_match_is_412_and_changes_nothing(api):
    snu = await api.register("Seoul National University", "KR")
    first = await api.patch(f"{P}/{snu['id']}", json={"tier": "key"}, headers=WRITER | {"If-Match": '"1"'})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    before = await api.event_count()
    for edit in ({"tier": "strategic"}, {"name": "SNU"}, {"country": "KP"}):
        stale = await api.patch(f"{P}/{snu['id']}", json=edit, headers=WRITER | {"If-Match": '"1"'})
        problem(stale, 412, "stale-version")
    current = await api.read(f"{P}/{snu['id']}")
    assert (
        current["version"] == 2
        and current["tier"] == "key"
        and current["name"] == "Seoul National University"
        and current["country"] == "KR"
    )
    assert await api.event_count() == before
    assert (await api.register("SNU", "KR"))["name"] == "SNU"  # the refused rename left no claim behind
    assert await api.history_types(f"{P}/{snu['id']}") == ["registered", "updated"]


# -- Idempotency-Key ------------------------------------------------------------------------------------


async def test_the_same_idempotency_key_and_body_register_once(api):
    body = {"name": "National University of Singapore", "kind": "university", "country": "SG"}
    key = {"Idempotency-Key": "register-nus-1"}
    first = await api.post(P, json=body, headers=WRITER | key)
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    count = await api.event_count()
    again = await api.post(P, json=body, headers=WRITER | key)
    assert again.status_code == 201, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again.headers["ETag"] == '"1"'
    assert again.headers["Location"] == first.headers["Location"]
    assert await ids_of(api) == [first.json()["id"]]
    assert await api.event_count() == count

    other_body = await api.post(P, json=body | {"name": "Nanyang Technological University"}, headers=WRITER | key)
    assert problem(other_body, 422)["errors"][0]["parameter"] == "Idempotency-Key"
    assert await ids_of(api) == [first.json()["id"]]
    assert await api.event_count() == count
    # a key is the caller's own: someone else's same key is a new request (and the name is taken)
    someone_else = await api.post(P, json=body, headers=ADMIN | key)
    assert problem(someone_else, 409, "already-exists")["conflicting_id"] == first.json()["id"]


# -- status, archiving ----------------------------------------------------------------------------------


async def test_status_moves_between_prospect_active_and_dormant(api):
    partner = await api.register("University of Toronto", "CA")
    path = f"{P}/{partner['id']}/status"
    for to, version in (("active", 2), ("dormant", 3), ("active", 4)):
        answer = await api.post(path, json={"status": to, "reason": "review"}, headers=WRITER)
        assert answer.status_code == 200, answer.text
        assert (
            answer.json()["status"] == to
            and answer.json()["version"] == version
            and answer.headers["ETag"] == f'"{version}"'
        )
    same = await api.post(path, json={"status": "active"}, headers=WRITER)
    assert same.status_code == 200 and same.json()["version"] == 4  # already there: nothing recorded
    back = await api.post(path, json={"status": "prospect"}, headers=WRITER)
    assert problem(back, 409, "illegal-transition")["current_status"] == "active"
    stale = await api.post(path, json={"status": "dormant"}, headers=WRITER | {"If-Match": '"3"'})
    problem(stale, 412, "stale-version")
    assert (await api.read(f"{P}/{partner['id']}"))["status"] == "active"
    assert await api.history_types(f"{P}/{partner['id']}") == [
        "registered",
        "status_changed",
        "status_changed",
        "status_changed",
    ]


async def test_archiving_through_status_is_an_illegal_transition(api):
    partner = await api.register("University of Alberta", "CA", status="active")
    answer = await api.post(f"{P}/{partner['id']}/status", json={"status": "archived"}, headers=WRITER)
    problem(answer, 409, "illegal-transition")
    assert (await api.read(f"{P}/{partner['id']}"))["status"] == "active"


async def test_an_archived_partner_takes_no_edits_no_agreements_and_no_centers(api):
    partner = await api.register("Tohoku University", "JP", status="active")
    other = await api.register("University of New South Wales", "AU")
    archived = await api.post(f"{P}/{partner['id']}/archive", json={"reason": "no longer a partner"}, headers=WRITER)
    assert archived.status_code == 200, archived.text
    assert archived.json()["status"] == "archived" and archived.json()["archived_reason"] == "no longer a partner"
    assert archived.json()["version"] == 2
    before = await api.event_count()

    for edit in ({"tier": "key"}, {"name": "Tohoku Univ."}, {"description": "x"}):
        problem(await api.patch(f"{P}/{partner['id']}", json=edit, headers=WRITER), 409)
    problem(
        await api.post(f"{P}/{partner['id']}/status", json={"status": "active"}, headers=WRITER),
        409,
        "illegal-transition",
    )
    problem(
        await api.post(
            f"{P}/{partner['id']}/merge", json={"successor_id": other["id"]}, headers=WRITER | {"If-Match": '"1"'}
        ),
        412,
    )
    again = await api.post(f"{P}/{partner['id']}/archive", json={}, headers=WRITER)
    assert again.status_code == 200 and again.json()["version"] == 2

    draft = await api.post(
        "/api/v1/agreements",
        json={"type": "mou", "title": "x", "parties": [{"partner_id": other["id"]}, {"partner_id": partner["id"]}]},
        headers=WRITER,
    )
    assert problem(draft, 409)["partner_id"] == partner["id"]
    center = await api.post(
        "/api/v1/centers",
        json={"name": "Center", "partner_ids": [partner["id"]], "established_on": "2027-01-01"},
        headers=WRITER,
    )
    assert problem(center, 409)["partner_id"] == partner["id"]
    assert await api.event_count() == before
    assert (await api.read("/api/v1/agreements"))["items"] == [] and (await api.read("/api/v1/centers"))["items"] == []
    current = await api.read(f"{P}/{partner['id']}")
    assert current["version"] == 2 and current["name"] == "Tohoku University" and current["tier"] == "standard"
    # the Tohoku name stays taken by the archived partner
    assert (
        problem(
            await api.post(
                P, json={"name": "Tohoku University", "kind": "university", "country": "JP"}, headers=WRITER
            ),
            409,
        )["conflicting_id"]
        == partner["id"]
    )


async def test_an_archived_partner_is_not_a_party_to_a_renewal(api):
    partner = await api.register("RWTH Aachen University", "DE")
    agreement = await api.draft([{"partner_id": partner["id"]}], effective_from="2026-01-01", expires_on="2027-12-31")
    for action, body in (("submit", None), ("sign", {"signed_on": "2025-12-01"}), ("activate", None)):
        await api.act(agreement["id"], action, body)
    await api.post(f"{P}/{partner['id']}/archive", json={}, headers=WRITER)
    before = await api.event_count()
    answer = await api.post(
        f"/api/v1/agreements/{agreement['id']}/renew", json={"expires_on": "2032-12-31"}, headers=WRITER
    )
    assert problem(answer, 409)["partner_id"] == partner["id"]
    assert await api.event_count() == before
    assert [a["id"] for a in (await api.read("/api/v1/agreements"))["items"]] == [agreement["id"]]


# -- merging ------------------------------------------------------------------------------------------------


async def test_a_merged_partner_points_to_its_successor_and_what_referred_to_it_follows(api):
    old = await api.register("Imperial College of Science", "GB", status="active")
    new = await api.register("Imperial College London", "GB", status="active")
    cambridge = await api.register("University of Cambridge", "GB")
    active = await api.draft(
        [{"partner_id": old["id"], "lead": True}, {"partner_id": cambridge["id"]}],
        effective_from="2026-01-01",
        expires_on="2031-12-31",
    )
    for action, body in (("submit", None), ("sign", {"signed_on": "2025-12-01"}), ("activate", None)):
        await api.act(active["id"], action, body)
    ended = await api.draft([{"partner_id": old["id"]}], type="mou", effective_from="2026-01-01")
    for action, body in (
        ("submit", None),
        ("sign", {"signed_on": "2025-12-01"}),
        ("activate", None),
        ("terminate", {"reason": "superseded"}),
    ):
        await api.act(ended["id"], action, body)
    center = await api.post(
        "/api/v1/centers",
        json={
            "name": "Joint Center for Materials",
            "partner_ids": [old["id"], cambridge["id"]],
            "established_on": "2026-06-01",
            "directors": [
                {"name": "Prof. Old", "side": "partner", "partner_id": old["id"]},
                {"name": "Prof. Li", "side": "university"},
            ],
        },
        headers=WRITER,
    )
    assert center.status_code == 201, center.text
    center_id = center.json()["id"]

    merged = await api.post(
        f"{P}/{old['id']}/merge", json={"successor_id": new["id"]}, headers=WRITER | {"If-Match": '"1"'}
    )
    assert merged.status_code == 200, merged.text
    assert (
        merged.json()["status"] == "archived"
        and merged.json()["merged_into"] == new["id"]
        and merged.json()["version"] == 2
    )

    async def successor_knows():
        state = await api.read(f"{P}/{new['id']}")
        return state if state["merged_from"] == [old["id"]] else None

    async def agreement_follows():
        state = await api.read(f"/api/v1/agreements/{active['id']}")
        return state if old["id"] not in state["party_ids"] else None

    async def center_follows():
        state = await api.read(f"/api/v1/centers/{center_id}")
        return state if old["id"] not in state["partner_ids"] else None

    successor = await eventually(successor_knows)
    assert successor["status"] == "active" and successor["version"] == 2
    followed = await eventually(agreement_follows)
    assert sorted(followed["party_ids"]) == sorted([new["id"], cambridge["id"]])
    assert [p["partner_id"] for p in followed["parties"] if p["lead"]] == [new["id"]]
    assert followed["status"] == "active"
    moved_center = await eventually(center_follows)
    assert sorted(moved_center["partner_ids"]) == sorted([new["id"], cambridge["id"]])
    assert [d["partner_id"] for d in moved_center["directors"] if d["side"] == "partner"] == [new["id"]]
    # an agreement that had ended keeps its historical party
    assert (await api.read(f"/api/v1/agreements/{ended['id']}"))["party_ids"] == [old["id"]]
    assert [a["id"] for a in (await api.read(f"/api/v1/agreements?partner_id={new['id']}"))["items"]] == [active["id"]]
    assert [a["id"] for a in (await api.read(f"/api/v1/agreements?partner_id={old['id']}"))["items"]] == [ended["id"]]

    portfolio = await api.read(f"{P}/{new['id']}/portfolio")
    assert portfolio["partner"]["id"] == new["id"]
    assert portfolio["includes_partners"] == [new["id"], old["id"]]
    by_id = {a["id"]: a for a in portfolio["agreements"]}
    assert set(by_id) == {active["id"], ended["id"]}
    assert by_id[active["id"]]["via"] == [new["id"]] and by_id[ended["id"]]["via"] == [old["id"]]
    assert by_id[ended["id"]]["status"] == "terminated"
    assert [c["id"] for c in portfolio["centers"]] == [center_id]

    assert await api.history_types(f"{P}/{old['id']}") == ["registered", "merged"]
    assert await api.history_types(f"{P}/{new['id']}") == ["registered", "updated"]
    # the merged partner takes nothing new, and says where to go instead
    refused = await api.post(
        "/api/v1/agreements", json={"type": "mou", "title": "x", "parties": [{"partner_id": old["id"]}]}, headers=WRITER
    )
    assert problem(refused, 409)["successor_id"] == new["id"]


async def test_merges_that_cannot_be(api):
    a = await api.register("Partner A", "NL")
    b = await api.register("Partner B", "NL")
    c = await api.register("Partner C", "NL")
    gone = await api.register("Partner Gone", "NL")
    await api.post(f"{P}/{gone['id']}/archive", json={}, headers=WRITER)

    def merge(source, successor, headers=WRITER):
        return api.post(f"{P}/{source}/merge", json={"successor_id": successor}, headers=headers)

    before = await api.event_count()
    problem(await merge(a["id"], a["id"]), 409, "rule-violation")
    assert problem(await merge(a["id"], gone["id"]), 409, "rule-violation")["successor_id"] == gone["id"]
    problem(await merge(a["id"], "ptn_00000000000000000000000000"), 409, "rule-violation")
    problem(await merge("ptn_00000000000000000000000000", b["id"]), 404, "not-found")
    assert await api.event_count() == before
    assert (await api.read(f"{P}/{a['id']}"))["version"] == 1

    first = await merge(a["id"], b["id"])
    assert first.status_code == 200 and first.json()["merged_into"] == b["id"]
    repeat = await merge(a["id"], b["id"])
    assert (
        repeat.status_code == 200 and repeat.json()["version"] == first.json()["version"]
    )  # the same merge again changes nothing
    twice = await merge(a["id"], c["id"])
    assert problem(twice, 409, "rule-violation")["successor_id"] == b["id"]
    backwards = await merge(b["id"], a["id"])  # a is archived now
    assert problem(backwards, 409, "rule-violation")["successor_id"] == a["id"]
    assert (await api.read(f"{P}/{a['id']}"))["merged_into"] == b["id"]
    assert (await api.read(f"{P}/{c['id']}"))["version"] == 1
    assert (await api.read(f"{P}/{b['id']}"))["merged_into"] is None


# -- roles --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "funding_officer", "techtransfer_officer"])
async def test_other_roles_read_but_do_not_write(api, role):
    partner = await api.register("University of Melbourne", "AU")
    other = await api.register("Monash University", "AU")
    headers = auth(role, sub=f"{role}-1")
    for path in (P, f"{P}/{partner['id']}", f"{P}/{partner['id']}/history", f"{P}/{partner['id']}/portfolio"):
        answer = await api.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
    before = await api.event_count()
    writes = [
        ("POST", P, {"name": "University of Sydney", "kind": "university", "country": "AU"}),
        ("PATCH", f"{P}/{partner['id']}", {"tier": "key"}),
        ("POST", f"{P}/{partner['id']}/status", {"status": "active"}),
        ("POST", f"{P}/{partner['id']}/archive", {"reason": "x"}),
        ("POST", f"{P}/{partner['id']}/merge", {"successor_id": other["id"]}),
    ]
    for method, path, body in writes:
        answer = await api.request(method, path, json=body, headers=headers)
        refused = problem(answer, 403, "forbidden")
        assert refused["required_roles"] == ["admin", "partnerships_officer"], (method, path)
    assert await api.event_count() == before
    assert await ids_of(api) == [partner["id"], other["id"]]
    assert (await api.read(f"{P}/{partner['id']}"))["version"] == 1


async def test_an_admin_writes(api):
    created = await api.post(
        P, json={"name": "University of Sydney", "kind": "university", "country": "AU"}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    edited = await api.patch(
        f"{P}/{pid}",
        json={"tier": "key", "relationship_owner": "Office of Global Engagement"},
        headers=ADMIN | {"If-Match": '"1"'},
    )
    assert edited.status_code == 200 and edited.json()["tier"] == "key" and edited.json()["version"] == 2
    status = await api.post(f"{P}/{pid}/status", json={"status": "active"}, headers=ADMIN)
    assert status.status_code == 200 and status.json()["status"] == "active"
    archived = await api.post(f"{P}/{pid}/archive", json={}, headers=ADMIN)
    assert archived.status_code == 200 and archived.json()["status"] == "archived" and archived.json()["version"] == 4


async def test_null_clears_a_list_field(api):
    partner = await api.register(
        "Kyoto University", "JP", contacts=[{"name": "International office", "email": "intl@kyoto.example"}]
    )
    answer = await api.patch(f"{P}/{partner['id']}", json={"contacts": None}, headers=WRITER | {"If-Match": '"1"'})
    assert answer.status_code == 200, answer.text
    assert answer.json()["contacts"] == [] and answer.json()["version"] == 2
