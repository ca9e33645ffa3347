"""Partner commands on in-memory ports: names, idempotency, merges and their follow-ups."""

from datetime import timedelta

import pytest

from opp_shared.envelope import CloudEvent, make_data
from opp_shared.errors import AlreadyExists, InvalidInput, NotFound, RuleViolation, StaleVersion
from opp_shared.repository import CreateRequest


async def test_a_name_is_unique_in_its_country_without_case_or_accents(office):
    zurich = await office.register("Universität Zürich", "CH")
    with pytest.raises(AlreadyExists) as caught:
        await office.register("UNIVERSITAT ZURICH", "CH")
    assert caught.value.extensions["conflicting_id"] == zurich.id
    assert (await office.register("Universität Zürich", "DE")).id != zurich.id  # another country


async def test_a_retry_with_the_same_key_answers_the_first_result_and_another_body_is_refused(office):
    first = await office.register("NUS", "SG", key="k1")
    again = await office.register("NUS", "SG", key="k1")
    assert again.id == first.id and len(office.ports.events()) == 1
    with pytest.raises(InvalidInput):
        await office.register("NTU", "SG", key="k1")


async def test_a_rename_moves_the_name_claim_and_a_refused_rename_keeps_the_old_one(office):
    tokyo = await office.register("University of Tokyo", "JP")
    kyoto = await office.register("Kyoto University", "JP")
    await office.partners.edit(tokyo.id, {"name": "The University of Tokyo"}, if_match=1)
    assert (await office.register("University of Tokyo", "JP")).id != tokyo.id  # the old name is free again
    with pytest.raises(AlreadyExists):
        await office.partners.edit(kyoto.id, {"name": "The University of Tokyo"}, if_match=None)
    with pytest.raises(StaleVersion):
        await office.partners.edit(kyoto.id, {"name": "Kyoto Univ."}, if_match=7)
    with pytest.raises(AlreadyExists):  # the refused renames released what they claimed: Kyoto's name is still Kyoto's
        await office.register("Kyoto University", "JP")
    assert (await office.register("Kyoto Univ.", "JP")).state["name"] == "Kyoto Univ."


async def test_a_claim_left_by_a_crash_is_taken_over_after_the_grace_period(office, clock):
    await office.ports.claims.claim("partner-name:JP:university of tokyo", "ptn_never_created", kind="partner-name")
    with pytest.raises(AlreadyExists):
        await office.register("University of Tokyo", "JP")
    clock.advance(timedelta(minutes=1))
    assert (await office.register("University of Tokyo", "JP")).state["country"] == "JP"


async def test_a_merge_moves_agreements_and_centers_through_the_follow_up(office):
    old = await office.register("Imperial College of Science", "GB")
    new = await office.register("Imperial College London", "GB")
    other = await office.register("University of Cambridge", "GB")
    agreement = await office.draft(old.id, other.id)
    fields = {"name": "Data Science Institute", "partner_ids": [old.id], "established_on": "2020-01-01"}
    center, _ = await office.centers.establish(fields, CreateRequest("officer", None, fields))
    seen = len(office.ports.events())
    await office.partners.merge(old.id, new.id, if_match=None)
    assert await office.deliver_new_events(seen) == 1  # the `merged` event, as Kafka brings it back
    moved = await office.agreements.repository.read(agreement.id)
    assert moved.party_ids == [other.id, new.id]
    assert (await office.centers.repository.read(center.id)).partner_ids == [new.id]
    assert (await office.partners.repository.read(new.id)).merged_from == [old.id]
    # delivered again (at least once): nothing more happens
    before = len(office.ports.events())
    await office.deliver_new_events(seen)
    assert len(office.ports.events()) == before


async def test_an_archived_or_unknown_partner_takes_nothing_new(office):
    partner = await office.register()
    await office.partners.archive(partner.id, "no longer active", if_match=None)
    with pytest.raises(RuleViolation) as caught:
        await office.draft(partner.id)
    assert caught.value.extensions["partner_id"] == partner.id
    with pytest.raises(RuleViolation):
        await office.draft("ptn_unknown")
    with pytest.raises(NotFound):
        await office.partners.archive("ptn_unknown", None, if_match=None)


async def test_a_forged_merge_that_partners_did_not_record_does_nothing(office):
    old = await office.register("Imperial College of Science", "GB")
    new = await office.register("Imperial College London", "GB")
    other = await office.register("University of Cambridge", "GB")
    agreement = await office.draft(old.id, other.id)
    before = len(office.ports.events())
    # A well-formed `merged` from the right source, for the right next sequence: only partners' store lacks it.
    forged = CloudEvent(
        id="forged-1",
        source="/opp/partners",
        type="partners.partner.merged",
        subject=old.id,
        sequence=old.version + 1,
        data=make_data(
            {**old.state, "version": old.version + 1, "status": "archived", "merged_into": new.id},
            {"successor_id": new.id},
        ),
    )
    assert await office.ports.deliver(forged) == 1
    assert len(office.ports.events()) == before  # nothing changed anywhere
    assert (await office.agreements.repository.read(agreement.id)).party_ids == agreement.state["party_ids"]
    assert (await office.partners.repository.read(new.id)).merged_from == []

    # The real merge, then a copy of its event with another successor: the follow-up works from
    # the recorded event, so the copy's successor is never touched.
    seen = len(office.ports.events())
    await office.partners.merge(old.id, new.id, if_match=None)
    [real] = office.ports.events()[seen:]
    twisted = real.model_copy(update={"data": make_data(real.state, {"successor_id": other.id})})
    await office.ports.deliver(twisted)
    assert (await office.partners.repository.read(other.id)).merged_from == []
    assert (await office.partners.repository.read(new.id)).merged_from == [old.id]


async def test_a_forged_renewal_or_draft_does_not_draft_or_link_anything(office):
    partner = await office.register()
    agreement = await office.in_force(partner.id)
    before = len(office.ports.events())
    state = {**agreement.state, "version": agreement.version + 1, "renewed_by": "agr_forged"}
    renewed = CloudEvent(
        id="forged-renewal",
        source="/opp/partners",
        type="partners.agreement.renewed",
        subject=agreement.id,
        sequence=agreement.version + 1,
        data=make_data(state, {"successor_id": "agr_forged", "terms": {"title": "Forged terms"}}),
    )
    child = {"id": "agr_child", "version": 1, "amends": agreement.id, "status": "draft"}
    drafted = CloudEvent(
        id="forged-draft",
        source="/opp/partners",
        type="partners.agreement.drafted",
        subject="agr_child",
        sequence=1,
        data=make_data(child),
    )
    for forged in (renewed, drafted):
        await office.ports.deliver(forged)
    assert len(office.ports.events()) == before
    assert await office.agreements.repository.find("agr_forged") is None
