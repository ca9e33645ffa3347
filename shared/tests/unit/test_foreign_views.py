"""The partner directory another service keeps: what it refuses and what it answers."""

import pytest

from opp_shared.envelope import CloudEvent
from opp_shared.errors import RuleViolation
from opp_shared.foreign_views import PARTNER_DIRECTORY, REFS_BY_ID, PartnerDirectory, partner_refs
from opp_shared.testing.fakes import InMemoryDocuments, InMemoryVersionedView
from opp_shared.web.names import name_partners


def partner_event(subject, sequence, **state):
    return CloudEvent(
        id=f"{subject}:{sequence}",
        source="/opp/partners",
        type="partners.partner.updated",
        subject=subject,
        sequence=sequence,
        data={"state": {"id": subject, **state}, "change": {}},
    )


@pytest.fixture
async def directory():
    directory = PartnerDirectory(PARTNER_DIRECTORY, InMemoryVersionedView())
    await directory.apply(partner_event("ptn_a", 1, name="Aalto University", status="active"))
    await directory.apply(partner_event("ptn_m", 2, name="Old name", status="archived", merged_into="ptn_a"))
    await directory.apply(partner_event("ptn_z", 3, name="Zhejiang", status="archived"))
    return directory


async def test_usable_partners_are_answered(directory):
    assert [p["name"] for p in await directory.require_usable(["ptn_a", "ptn_a"])] == ["Aalto University"]


@pytest.mark.parametrize(("partner_id", "successor"), [("ptn_unknown", None), ("ptn_m", "ptn_a"), ("ptn_z", None)])
async def test_an_unknown_or_archived_partner_is_a_rule_violation_naming_it(directory, partner_id, successor):
    with pytest.raises(RuleViolation) as caught:
        await directory.require_usable(["ptn_a", partner_id])
    assert caught.value.extensions["partner_id"] == partner_id
    assert caught.value.extensions.get("successor_id") == successor


async def test_an_older_event_does_not_undo_a_newer_one(directory):
    await directory.apply(partner_event("ptn_a", 1, name="Stale", status="archived"))
    assert await directory.names(["ptn_a"]) == {"ptn_a": "Aalto University"}


@pytest.mark.parametrize("count", [3, REFS_BY_ID + 5])
async def test_partner_refs_names_the_partners_it_holds_one_by_one_or_in_one_query(count):
    held = {f"ptn_{i}": {"_id": f"ptn_{i}", "name": f"Partner {i}", "name_local": None, "x": 1} for i in range(count)}
    held["ptn_0"]["name_local"] = "清华大学"
    documents = InMemoryDocuments("partners", held)
    asked = [*held, "ptn_unknown", "ptn_1"]
    refs = await partner_refs(documents, asked)
    assert set(refs) == set(held), "an unknown partner is left out; a repeated one named once"
    assert refs["ptn_0"] == {"name": "Partner 0", "name_local": "清华大学"}
    assert refs["ptn_2"] == {"name": "Partner 2", "name_local": None}


async def test_names_in_an_answer_follow_partner_ids_and_a_page_s_items():
    async def lookup(ids):
        return {"ptn_1": {"name": "Imperial College London", "name_local": None}}

    page = {"items": [{"partner_ids": ["ptn_1", "ptn_2"]}, {"title": "no partners"}], "next_cursor": None}
    assert await name_partners(page, lookup)
    assert page["items"][0]["partners"] == [
        {"id": "ptn_1", "name": "Imperial College London", "name_local": None},
        {"id": "ptn_2", "name": None, "name_local": None},
    ]
    assert "partners" not in page["items"][1]
    assert not await name_partners({"id": "x", "family": []}, lookup)
