"""Agreements over HTTP against the real servers: life cycle, families, rules."""

from opp_shared.testing.helpers import auth, eventually

WRITER = auth("partnerships_officer", sub="officer-1")
READER = auth("viewer", sub="viewer-1")


async def test_the_whole_life_cycle(api):
    cambridge = await api.register("University of Cambridge", "GB")
    imperial = await api.register("Imperial College London", "GB")
    agreement = await api.draft(
        [{"partner_id": cambridge["id"], "lead": True}, {"partner_id": imperial["id"]}],
        effective_from="2027-03-01",
        expires_on="2032-02-29",
    )
    aid = agreement["id"]
    assert agreement["status"] == "draft" and agreement["party_ids"] == [cambridge["id"], imperial["id"]]
    assert (await api.act(aid, "submit"))["status"] == "under_review"
    signed = await api.act(aid, "sign", {"signed_on": "2027-02-20"})
    assert signed["status"] == "signed" and signed["signed_on"] == "2027-02-20"
    active = await api.act(aid, "activate")
    assert active["status"] == "active" and active["version"] == 4
    terminated = await api.act(aid, "terminate", {"reason": "partner withdrew"})
    assert terminated["status"] == "terminated" and terminated["terminated_on"] == "2027-03-01"
    assert await api.history_types(f"/api/v1/agreements/{aid}") == [
        "drafted",
        "submitted",
        "signed",
        "activated",
        "terminated",
    ]


async def test_an_agreement_names_its_parties_for_screens(api):
    tsinghua = await api.register("Tsinghua University", "CN", name_local="清华大学")
    siemens = await api.register("Siemens AG", "DE", kind="enterprise")
    agreement = await api.draft([{"partner_id": siemens["id"]}, {"partner_id": tsinghua["id"], "lead": True}])
    parties = [
        {"id": siemens["id"], "name": "Siemens AG", "name_local": None},
        {"id": tsinghua["id"], "name": "Tsinghua University", "name_local": "清华大学"},
    ]
    assert agreement["partners"] == parties, "in the order of partner_ids"
    assert (await api.read(f"/api/v1/agreements/{agreement['id']}"))["partners"] == parties
    listed = await api.read(f"/api/v1/agreements?partner_id={tsinghua['id']}")
    assert [a["partners"] for a in listed["items"]] == [parties]
    renamed = await api.patch(
        f"/api/v1/partners/{siemens['id']}", json={"name": "Siemens Aktiengesellschaft"}, headers=api.writer
    )
    assert renamed.status_code == 200, renamed.text
    read = await api.read(f"/api/v1/agreements/{agreement['id']}")
    assert read["partners"][0]["name"] == "Siemens Aktiengesellschaft", "the current name, not the one at drafting"
    history = await api.read(f"/api/v1/agreements/{agreement['id']}/history")
    assert "partners" not in history["items"][0]["data"]["state"], "events keep the state as recorded"


async def test_an_illegal_transition_is_409_and_changes_nothing(api):
    partner = await api.register()
    agreement = await api.draft([{"partner_id": partner["id"]}])
    for action, body in (("sign", {"signed_on": "2027-01-01"}), ("activate", None), ("terminate", {"reason": "x"})):
        answer = await api.post(f"/api/v1/agreements/{agreement['id']}/{action}", json=body, headers=WRITER)
        assert answer.status_code == 409, (action, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["current_status"] == "draft"
    after = await api.get(f"/api/v1/agreements/{agreement['id']}", headers=READER)
    assert after.json()["version"] == 1 and after.json()["status"] == "draft"
    assert await api.history_types(f"/api/v1/agreements/{agreement['id']}") == ["drafted"]


async def test_activation_needs_effective_from_and_signed_on(api):
    partner = await api.register()
    agreement = await api.draft([{"partner_id": partner["id"]}])
    await api.act(agreement["id"], "submit")
    await api.act(agreement["id"], "sign", {"signed_on": "2027-02-01"})
    refused = await api.act(agreement["id"], "activate", expect=409)
    assert refused["missing"] == ["effective_from"]
    assert (await api.act(agreement["id"], "activate", {"effective_from": "2027-02-15"}))["status"] == "active"


async def test_an_archived_partner_cannot_become_a_party(api):
    partner = await api.register()
    archived = await api.post(f"/api/v1/partners/{partner['id']}/archive", json={"reason": "closed"}, headers=WRITER)
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
    answer = await api.post(
        "/api/v1/agreements",
        json={"type": "mou", "title": "x", "parties": [{"partner_id": partner["id"]}]},
        headers=WRITER,
    )
    assert answer.status_code == 409 and answer.json()["partner_id"] == partner["id"]
    unknown = await api.post(
        "/api/v1/agreements",
        json={"type": "mou", "title": "x", "parties": [{"partner_id": "ptn_nope"}]},
        headers=WRITER,
    )
    assert unknown.status_code == 409


async def test_renewal_makes_a_linked_successor_once(api):
    partner = await api.register()
    agreement = await api.draft([{"partner_id": partner["id"]}], effective_from="2022-03-01", expires_on="2027-03-31")
    for action, body in (("submit", None), ("sign", {"signed_on": "2022-02-01"}), ("activate", None)):
        await api.act(agreement["id"], action, body)
    successor = await api.act(
        agreement["id"], "renew", {"expires_on": "2032-03-31", "effective_from": "2027-04-01"}, expect=201
    )
    assert successor["renewal_of"] == agreement["id"] and successor["status"] == "draft"
    assert successor["expires_on"] == "2032-03-31" and successor["party_ids"] == [partner["id"]]
    again = await api.act(agreement["id"], "renew", {"expires_on": "2033-03-31"}, expect=409)
    assert again["successor_id"] == successor["id"]
    family = (await api.get(f"/api/v1/agreements/{successor['id']}/family", headers=READER)).json()
    assert family["renewal_chain"] == [agreement["id"], successor["id"]]


async def test_amendments_and_framework_children_are_linked_on_the_parent(api):
    partner = await api.register()
    framework = await api.draft([{"partner_id": partner["id"]}], type="framework")
    for action, body in (("submit", None), ("sign", {"signed_on": "2027-01-10"})):
        await api.act(framework["id"], action, body)
    child = await api.draft([{"partner_id": partner["id"]}], type="mou", framework_id=framework["id"])
    amendment = await api.draft(
        [{"partner_id": partner["id"]}], type="framework", title="Amendment 1", amends=framework["id"]
    )

    async def linked():
        parent = (await api.get(f"/api/v1/agreements/{framework['id']}", headers=READER)).json()
        return (
            parent if parent["under_framework"] == [child["id"]] and parent["amendments"] == [amendment["id"]] else None
        )

    await eventually(linked)
    family = (await api.get(f"/api/v1/agreements/{framework['id']}/family", headers=READER)).json()
    assert family["under_framework"] == [child["id"]] and family["amendments"] == [amendment["id"]]
    not_framework = await api.post(
        "/api/v1/agreements",
        json={"type": "mou", "title": "x", "parties": [{"partner_id": partner["id"]}], "framework_id": child["id"]},
        headers=WRITER,
    )
    assert not_framework.status_code == 409


async def test_terms_are_locked_after_signature_but_documents_are_not(api):
    partner = await api.register()
    agreement = await api.draft([{"partner_id": partner["id"]}])
    await api.act(agreement["id"], "submit")
    signed = await api.act(agreement["id"], "sign", {"signed_on": "2027-02-01"})
    locked = await api.patch(
        f"/api/v1/agreements/{agreement['id']}", json={"title": "new"}, headers=WRITER | {"If-Match": '"3"'}
    )
    assert locked.status_code == 409 and locked.json()["fields"] == ["title"]
    document = {
        "name": "signed.pdf",
        "media_type": "application/pdf",
        "checksum": "sha256:" + "a" * 64,
        "location": "s3://agreements/x.pdf",
    }
    edited = await api.patch(
        f"/api/v1/agreements/{agreement['id']}",
        json={"documents": [document]},
        headers=WRITER | {"If-Match": f'"{signed["version"]}"'},
    )
    assert edited.status_code == 200 and edited.json()["documents"][0]["version"] == 1
    stale = await api.patch(
        f"/api/v1/agreements/{agreement['id']}",
        json={"notes": "x"},
        headers=WRITER | {"If-Match": f'"{signed["version"]}"'},
    )
    assert stale.status_code == 412
