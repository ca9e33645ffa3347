"""Amendments taking effect, withdrawal and people, through the service's own wiring on in-memory ports."""

from datetime import timedelta

import pytest

from opp_shared.errors import IllegalTransition, RuleViolation
from opp_shared.pagination import PageParams
from opp_shared.repository import CreateRequest
from partners.domain import agreement as rules
from partners.domain.agreement import AmendmentChanges


async def amended_in_force(office, partner_id, parent_id, changes):
    """An amendment of `parent_id` stating `changes`, taken to active through the commands."""
    return await office.in_force(partner_id, expires_on=None, amends=parent_id, changes=changes, title="Amendment")


async def signed_amendment(office, partner_id, parent_id, changes):
    amendment = await office.draft(partner_id, effective_from="2027-01-01", amends=parent_id, changes=changes)
    await office.agreements.submit(amendment.id, if_match=None)
    return await office.agreements.sign(amendment.id, office.today(), None, if_match=None)


def applied_events(office, amendment_id):
    return [e for e in office.ports.events() if e.change.get("applied_amendment_id") == amendment_id]


async def test_an_active_amendment_extends_its_parent_once_and_the_schedule_follows(office, clock):
    partner = await office.register()
    parent = await office.in_force(partner.id, expires_on="2027-05-01")
    assert (await office.ports.run_jobs())["agreement-expiry"] == 1  # 1 March: the 90-day reminder for 1 May
    amendment = await signed_amendment(office, partner.id, parent.id, {"expires_on": "2029-05-01"})
    assert (await office.agreements.repository.read(parent.id)).expires_on.isoformat() == "2027-05-01"

    await office.agreements.activate(amendment.id, None, if_match=None)  # the parent changes with it
    amended = await office.agreements.repository.read(parent.id)
    assert amended.expires_on.isoformat() == "2029-05-01" and amended.applied_amendments == [amendment.id]
    [event] = applied_events(office, amendment.id)
    assert event.subject == parent.id and event.type == "partners.agreement.amended"
    assert event.change["fields"] == ["expires_on"] and event.state["expires_on"] == "2029-05-01"

    await office.deliver_new_events()  # the follow-ups, then everything again as a redelivery would
    await office.deliver_new_events()
    assert len(applied_events(office, amendment.id)) == 1
    assert (await office.agreements.repository.read(parent.id)).amendments == [amendment.id]

    clock.advance(timedelta(days=61))  # 1 May 2027, the old date: no reminder, no expiry
    assert (await office.ports.run_jobs())["agreement-expiry"] == 0
    clock.advance(timedelta(days=641))  # 1 February 2029: 90 days before the new date
    assert (await office.ports.run_jobs())["agreement-expiry"] == 1
    assert (await office.agreements.repository.read(parent.id)).reminders_sent == [
        "expiring:90:2027-05-01",
        "expiring:90:2029-05-01",
    ]


async def test_an_amendment_to_a_date_already_past_ends_its_parent_on_activation(office, clock):
    partner = await office.register()
    parent = await office.in_force(partner.id)  # signed 1 March 2027, runs to 2029
    clock.advance(timedelta(days=30))  # 31 March
    await amended_in_force(office, partner.id, parent.id, {"expires_on": "2027-03-15"})
    ended = await office.agreements.repository.read(parent.id)
    assert ended.status == "expired" and ended.expires_on.isoformat() == "2027-03-15"
    assert office.event_types(parent.id)[-2:] == ["amended", "expired"]
    before = len(office.ports.events())
    await office.deliver_new_events()
    assert office.event_types(parent.id)[-3:] == ["amended", "expired", "amended"]  # only the family link follows
    assert len(office.ports.events()) == before + 1


async def test_a_crash_after_the_activation_is_completed_by_the_follow_up(office, clock):
    partner = await office.register()
    parent = await office.in_force(partner.id)
    clock.advance(timedelta(days=30))
    amendment = await signed_amendment(office, partner.id, parent.id, {"expires_on": "2027-03-15"})
    seen = len(office.ports.events())
    # The amendment's activation is recorded, and the process dies before its parent changes:
    await office.agreements.repository.change(amendment.id, lambda a: rules.activate(a, office.today()))
    assert (await office.agreements.repository.read(parent.id)).status == "active"
    await office.deliver_new_events(seen)  # the `activated` event reaches the follow-up
    assert (await office.agreements.repository.read(parent.id)).status == "expired"
    assert len(applied_events(office, amendment.id)) == 1


async def test_a_crash_between_the_amendment_and_the_expiry_is_completed_by_the_redelivery(office, clock):
    partner = await office.register()
    parent = await office.in_force(partner.id)
    clock.advance(timedelta(days=30))
    amendment = await signed_amendment(office, partner.id, parent.id, {"expires_on": "2027-03-15"})
    seen = len(office.ports.events())
    await office.agreements.repository.change(amendment.id, lambda a: rules.activate(a, office.today()))
    # The parent took the amendment, and the process died before expiring it:
    changes = AmendmentChanges(expires_on="2027-03-15")
    await office.agreements.repository.change(
        parent.id, lambda a: rules.apply_amendment(a, amendment.id, changes, office.today())
    )
    assert (await office.agreements.repository.read(parent.id)).status == "active"
    await office.deliver_new_events(seen)  # the `activated` event comes (again)
    assert (await office.agreements.repository.read(parent.id)).status == "expired"
    assert office.event_types(parent.id)[-2:] == ["amended", "expired"]
    assert len(applied_events(office, amendment.id)) == 1


async def test_an_amendment_is_checked_against_its_parent_when_drafted_and_when_activated(office):
    partner = await office.register()
    newcomer = await office.register("Kyoto University")
    parent = await office.in_force(partner.id)
    with pytest.raises(RuleViolation) as caught:  # not a party to remove
        await office.draft(partner.id, amends=parent.id, changes={"remove_parties": [newcomer.id]})
    assert caught.value.extensions["not_parties"] == [newcomer.id]
    with pytest.raises(RuleViolation):  # a date the parent cannot take
        await office.draft(partner.id, amends=parent.id, changes={"expires_on": "2026-12-31"})

    # Drafted, submitted and signed while all was well; then the partner it adds is archived.
    amendment = await office.draft(partner.id, amends=parent.id, changes={"add_parties": [{"partner_id": newcomer.id}]})
    await office.agreements.submit(amendment.id, if_match=None)
    await office.agreements.sign(amendment.id, office.today(), None, if_match=None)
    await office.partners.archive(newcomer.id, "closed", if_match=None)
    with pytest.raises(RuleViolation) as caught:
        await office.agreements.activate(amendment.id, office.today(), if_match=None)
    assert caught.value.extensions["partner_id"] == newcomer.id
    assert (await office.agreements.repository.read(amendment.id)).status == "signed"

    # And an amendment of an agreement terminated meanwhile cannot take effect either.
    other = await office.draft(partner.id, amends=parent.id, changes={"scope": "wider"})
    await office.agreements.submit(other.id, if_match=None)
    await office.agreements.sign(other.id, office.today(), None, if_match=None)
    await office.agreements.terminate(parent.id, "ended by both", None, if_match=None)
    with pytest.raises(RuleViolation) as caught:
        await office.agreements.activate(other.id, office.today(), if_match=None)
    assert caught.value.extensions["current_status"] == "terminated"


async def test_changes_edited_in_draft_are_checked_too(office):
    partner = await office.register()
    parent = await office.in_force(partner.id)
    amendment = await office.draft(partner.id, amends=parent.id, changes={"scope": "wider"})
    with pytest.raises(RuleViolation):
        await office.agreements.edit(
            amendment.id, {"changes": {"add_parties": [{"partner_id": partner.id}]}}, if_match=1
        )
    edited = await office.agreements.edit(amendment.id, {"changes": {"expires_on": "2030-01-01"}}, if_match=1)
    assert edited.state["changes"]["expires_on"] == "2030-01-01"


# -- withdrawal --------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["draft", "under_review"])
async def test_a_draft_or_one_under_review_is_withdrawn_and_leaves_the_open_counts(office, stage):
    partner = await office.register()
    agreement = await office.draft(partner.id)
    await office.in_force(partner.id)
    if stage == "under_review":
        await office.agreements.submit(agreement.id, if_match=None)
    before = await office.portfolios.portfolio(partner.id)
    assert before["counts"]["agreements"]["open"] == 2
    withdrawn = await office.agreements.withdraw(agreement.id, "the partner chose another route", if_match=None)
    assert withdrawn.state["status"] == "withdrawn" and withdrawn.state["withdrawal_reason"]
    event = office.ports.events()[-1]
    assert event.type == "partners.agreement.withdrawn" and event.change["from"] == stage
    again = await office.agreements.withdraw(agreement.id, "again", if_match=None)
    assert again.version == withdrawn.version  # a repeat changes nothing
    counts = (await office.portfolios.portfolio(partner.id))["counts"]["agreements"]
    assert counts["open"] == 1
    assert counts["by_status"]["withdrawn"] == 1 and counts["by_status"]["active"] == 1
    assert counts["by_status"][stage] == 0


@pytest.mark.parametrize("stage", ["signed", "active"])
async def test_a_signed_agreement_cannot_be_withdrawn(office, stage):
    partner = await office.register()
    agreement = await office.in_force(partner.id)
    if stage == "signed":
        agreement = await office.draft(partner.id)
        await office.agreements.submit(agreement.id, if_match=None)
        await office.agreements.sign(agreement.id, office.today(), None, if_match=None)
    with pytest.raises(IllegalTransition) as caught:
        await office.agreements.withdraw(agreement.id, "r", if_match=None)
    assert caught.value.extensions["current_status"] == stage


async def test_a_withdrawn_renewal_lets_its_predecessor_be_renewed_again(office):
    partner = await office.register()
    agreement = await office.in_force(partner.id)
    terms = {"expires_on": "2034-01-01"}
    first, _ = await office.agreements.renew(agreement.id, terms, CreateRequest("officer", "r1", terms), if_match=None)
    seen = len(office.ports.events())
    await office.agreements.withdraw(first.id, "terms renegotiated", if_match=None)
    await office.deliver_new_events(seen)
    assert (await office.agreements.repository.read(agreement.id)).renewed_by is None
    terms = {"expires_on": "2035-01-01"}
    second, _ = await office.agreements.renew(agreement.id, terms, CreateRequest("officer", "r2", terms), if_match=None)
    assert second.id != first.id and second.state["expires_on"] == "2035-01-01"
    await office.deliver_new_events()  # the first renewal's `renewed` event again: it drafts nothing over the second
    assert (await office.agreements.repository.read(agreement.id)).renewed_by == second.id
    assert (await office.families.family(agreement.id))["successors"] == [second.id]


# -- people -----------------------------------------------------------------------------------


async def test_owners_are_person_ids_that_lists_filter_by(office):
    mine = await office.register("Imperial College London", "GB", relationship_owner="Ada", relationship_owner_id="ada")
    await office.register("University of Cambridge", "GB", relationship_owner="Ben", relationship_owner_id="ben")
    page = PageParams()
    found, _ = await office.partner_queries.list(page, relationship_owner_id="ada")
    assert [d["_id"] for d in found] == [mine.id]

    owned = await office.draft(mine.id, owner="Ada", owner_id="ada")
    await office.draft(mine.id, owner="Ben", owner_id="ben")
    found, _ = await office.agreement_queries.list(page, owner_id="ada")
    assert [d["_id"] for d in found] == [owned.id]
    assert len((await office.agreement_queries.list(page))[0]) == 2

    # After signature the owner may still change hands, and a renewal keeps its owner.
    agreement = await office.in_force(mine.id, owner="Ada", owner_id="ada")
    handed = await office.agreements.edit(agreement.id, {"owner": "Ben", "owner_id": "ben"}, if_match=None)
    assert handed.state["owner_id"] == "ben"
    terms = {"expires_on": "2034-01-01"}
    request = CreateRequest("officer", "k", terms)
    successor, _ = await office.agreements.renew(agreement.id, terms, request, if_match=None)
    assert successor.state["owner_id"] == "ben"


async def test_a_parent_that_ends_between_the_check_and_the_change_leaves_the_activation_recorded(office, monkeypatch):
    partner = await office.register()
    parent = await office.in_force(partner.id)
    amendment = await signed_amendment(office, partner.id, parent.id, {"expires_on": "2030-01-01"})
    checked = office.agreements._check_amendment

    async def check_then_lose_the_race(parent_id, changes):
        await checked(parent_id, changes)
        await office.agreements.terminate(parent_id, "ended by both sides", None, if_match=None)

    monkeypatch.setattr(office.agreements, "_check_amendment", check_then_lose_the_race)
    activated = await office.agreements.activate(amendment.id, None, if_match=None)
    assert activated.state["status"] == "active"  # recorded, and answered as such
    ended = await office.agreements.repository.read(parent.id)
    assert ended.status == "terminated" and ended.applied_amendments == []
    activated_event = next(
        e for e in office.ports.events() if e.type.endswith(".activated") and e.subject == amendment.id
    )
    with pytest.raises(RuleViolation):  # the follow-up refuses too: its record goes to the dead letters
        await office.ports.deliver(activated_event)
