"""The partner directory another service keeps: what it refuses and what it answers."""

import pytest

from opp_shared.envelope import CloudEvent
from opp_shared.errors import RuleViolation
from opp_shared.foreign_views import PARTNER_DIRECTORY, PartnerDirectory
from opp_shared.testing.fakes import InMemoryVersionedView


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
