"""Amendments that take effect, withdrawal and person ids, over HTTP and through the events,
against the real FerretDB and Kafka."""

import json

from opp_shared.testing.helpers import auth, eventually, read_topic

WRITER = auth("partnerships_officer", sub="officer-1")
ADA = auth("partnerships_officer", sub="ada")


async def in_force(api, parties, **terms):
    """An agreement drafted, submitted, signed and active (the test's today is 1 March 2027)."""
    agreement = await api.draft(parties, **terms)
    await api.act(agreement["id"], "submit")
    await api.act(agreement["id"], "sign", {"signed_on": terms.get("effective_from", "2027-02-01")})
    return await api.act(agreement["id"], "activate")


async def signed_amendment(api, partner_id, parent_id, changes, title="Amendment"):
    """An amendment of `parent_id` stating `changes`, in force from 1 February 2027, signed (not yet active)."""
    amendment = await api.draft(
        [{"partner_id": partner_id}], title=title, amends=parent_id, effective_from="2027-02-01", changes=changes
    )
    await api.act(amendment["id"], "submit")
    return await api.act(amendment["id"], "sign", {"signed_on": "2027-02-10"})


async def agreement_events(servers, namespace, until):
    records = await read_topic(
        servers.kafka_bootstrap,
        f"{namespace}.partners.agreement",
        until=lambda rs: until([json.loads(r.value) for r in rs]),
    )
    # Delivery is at least once: a record published twice is one event (same id).
    return list({event["id"]: event for event in map(json.loads, (r.value for r in records))}.values())


async def test_an_amendment_extends_its_parent_once_active_and_the_event_says_so(api, servers, namespace):
    toyota = await api.register("Toyota Motor Corporation", "JP", kind="enterprise")
    parent = await in_force(
        api, [{"partner_id": toyota["id"], "lead": True}], effective_from="2021-04-01", expires_on="2027-05-01"
    )
    amendment = await api.draft(
        [{"partner_id": toyota["id"]}],
        type="joint_center",
        title="Amendment No. 1",
        amends=parent["id"],
        effective_from="2027-02-15",
        changes={"expires_on": "2029-05-01", "scope": "adds hydrogen energy"},
    )
    assert amendment["changes"]["expires_on"] == "2029-05-01"
    await api.act(amendment["id"], "submit")
    await api.act(amendment["id"], "sign", {"signed_on": "2027-02-20"})
    # Signed is not enough: the parent changes when the amendment becomes active.
    assert (await api.read(f"/api/v1/agreements/{parent['id']}"))["expires_on"] == "2027-05-01"
    await api.act(amendment["id"], "activate")
    # Whoever activated it reads the parent changed at once.
    current = await api.read(f"/api/v1/agreements/{parent['id']}")
    assert current["expires_on"] == "2029-05-01" and current["status"] == "active"
    assert current["scope"] == "adds hydrogen energy" and current["applied_amendments"] == [amendment["id"]]

    async def linked():  # the family link comes with the `drafted` event's follow-up
        return (await api.read(f"/api/v1/agreements/{parent['id']}"))["amendments"] == [amendment["id"]]

    await eventually(linked)

    history = (await api.read(f"/api/v1/agreements/{parent['id']}/history"))["items"]
    applied = [e for e in history if e["data"]["change"].get("applied_amendment_id") == amendment["id"]]
    assert len(applied) == 1 and applied[0]["type"] == "partners.agreement.amended"
    assert applied[0]["data"]["change"]["previous"] == {"scope": None, "expires_on": "2027-05-01"}

    # On Kafka, as any subscriber sees it: the parent's own event, its new date in its state.
    events = await agreement_events(
        servers,
        namespace,
        lambda es: any(e["data"]["change"].get("applied_amendment_id") == amendment["id"] for e in es),
    )
    [event] = [e for e in events if e["data"]["change"].get("applied_amendment_id")]
    assert event["subject"] == parent["id"] and event["type"] == "partners.agreement.amended"
    assert event["data"]["state"]["expires_on"] == "2029-05-01"
    assert event["data"]["change"]["fields"] == ["scope", "expires_on"]
    [activated] = [e for e in events if e["type"] == "partners.agreement.activated" and e["subject"] == amendment["id"]]
    assert event["correlationid"] == activated["correlationid"] and event["actor"] == "officer-1"


async def test_an_amendment_to_a_date_already_past_ends_its_parent_on_activation(api):
    partner = await api.register()
    parent = await in_force(api, [{"partner_id": partner["id"]}], effective_from="2026-01-01", expires_on="2030-12-31")
    amendment = await signed_amendment(
        api, partner["id"], parent["id"], {"expires_on": "2027-02-28"}, title="Early end by mutual consent"
    )
    await api.act(amendment["id"], "activate")
    current = await api.read(f"/api/v1/agreements/{parent['id']}")
    assert current["status"] == "expired" and current["expires_on"] == "2027-02-28"
    history = (await api.read(f"/api/v1/agreements/{parent['id']}/history"))["items"]
    # The amendment taken, then the expiry (the family link, from a follow-up, may come before or after).
    taken = [e["type"].rsplit(".", 1)[1] for e in history if not e["data"]["change"].get("amendment_id")]
    assert taken[-2:] == ["amended", "expired"] and taken.count("expired") == 1


async def test_an_amendment_the_parent_can_no_longer_take_is_not_activated(api):
    partner = await api.register()
    parent = await in_force(api, [{"partner_id": partner["id"]}], effective_from="2026-01-01", expires_on="2030-12-31")
    amendment = await signed_amendment(api, partner["id"], parent["id"], {"expires_on": "2032-12-31"})
    await api.act(parent["id"], "terminate", {"reason": "ended by both sides"})
    refused = await api.act(amendment["id"], "activate", expect=409)
    assert refused["current_status"] == "terminated"
    assert (await api.read(f"/api/v1/agreements/{amendment['id']}"))["status"] == "signed"


async def test_withdrawal_before_signature_and_the_portfolio_counts(api, servers, namespace):
    partner = await api.register()
    draft = await api.draft([{"partner_id": partner["id"]}], title="Exchange that will not happen", type="exchange")
    reviewed = await api.draft([{"partner_id": partner["id"]}], title="MoU under review", type="mou")
    await api.act(reviewed["id"], "submit")
    active = await in_force(api, [{"partner_id": partner["id"]}], effective_from="2026-01-01", expires_on="2030-12-31")
    counts = (await api.read(f"/api/v1/partners/{partner['id']}/portfolio"))["counts"]["agreements"]
    assert counts["open"] == 3

    withdrawn = await api.act(draft["id"], "withdraw", {"reason": "the partner chose another programme"})
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdrawn_on"] == "2027-03-01"
    assert (await api.act(reviewed["id"], "withdraw", {"reason": "superseded"}))["status"] == "withdrawn"
    refused = await api.act(active["id"], "withdraw", {"reason": "x"}, expect=409)
    assert refused["allowed_from"] == ["draft", "under_review"]
    again = await api.act(draft["id"], "withdraw", {"reason": "again"})
    assert again["version"] == withdrawn["version"]  # a repeat changes nothing
    assert await api.history_types(f"/api/v1/agreements/{draft['id']}") == ["drafted", "withdrawn"]
    edit = await api.patch(f"/api/v1/agreements/{draft['id']}", json={"notes": "x"}, headers=WRITER)
    assert edit.status_code == 409

    counts = (await api.read(f"/api/v1/partners/{partner['id']}/portfolio"))["counts"]["agreements"]
    assert counts["open"] == 1 and counts["by_status"]["withdrawn"] == 2 and counts["by_status"]["active"] == 1
    listed = (await api.read("/api/v1/agreements?status=withdrawn"))["items"]
    assert {a["id"] for a in listed} == {draft["id"], reviewed["id"]}

    events = await agreement_events(
        servers, namespace, lambda es: sum(e["type"] == "partners.agreement.withdrawn" for e in es) >= 2
    )
    [event] = [e for e in events if e["type"] == "partners.agreement.withdrawn" and e["subject"] == draft["id"]]
    assert event["data"]["change"] == {
        "reason": "the partner chose another programme",
        "withdrawn_on": "2027-03-01",
        "from": "draft",
    }
    assert event["actor"] == "officer-1" and event["data"]["state"]["status"] == "withdrawn"


async def test_owners_are_person_ids_and_me_is_the_caller(api):
    mine = await api.post(
        "/api/v1/partners",
        json={"name": "Imperial College London", "kind": "university", "country": "GB", "relationship_owner_id": "ada"},
        headers=ADA,
    )
    assert mine.status_code == 201, mine.text
    theirs = await api.register("University of Cambridge", "GB", relationship_owner="Ben", relationship_owner_id="ben")
    assert theirs["relationship_owner_id"] == "ben"
    partners = await api.get("/api/v1/partners", params={"relationship_owner": "me"}, headers=ADA)
    assert [p["id"] for p in partners.json()["items"]] == [mine.json()["id"]]

    ada_owns = await api.draft(
        [{"partner_id": mine.json()["id"]}],
        owner="Ada Lovelace",
        owner_id="ada",
        signatories=[{"name": "Vice President for Research", "side": "university", "person_id": "vp-research"}],
    )
    assert ada_owns["signatories"][0]["person_id"] == "vp-research"
    await api.draft([{"partner_id": theirs["id"]}], owner="Ben", owner_id="ben")
    await api.draft([{"partner_id": theirs["id"]}])  # no owner yet
    for params, headers, expected in (
        ({"owner": "me"}, ADA, [ada_owns["id"]]),
        ({"owner": "ada"}, api.reader, [ada_owns["id"]]),
        ({"owner": "me"}, api.reader, []),  # the viewer owns nothing
    ):
        answer = await api.get("/api/v1/agreements", params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        assert [a["id"] for a in answer.json()["items"]] == expected, params
    assert len((await api.read("/api/v1/agreements"))["items"]) == 3
