"""Funds, calls, proposals and projects through the service's own wiring on in-memory ports:
partner references, the agreement flag driven by partners' events, the call schedule, frozen rules."""

from datetime import timedelta

import pytest

from opp_shared.errors import RuleViolation


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def test_every_partner_reference_must_exist_and_not_be_archived(desk):
    sponsor = await desk.partner()
    archived = await desk.partner("Closed Institute", status="archived")
    with pytest.raises(RuleViolation, match="no partner 'ptn_unknown'") as refused:
        await desk.fund(sponsor, "ptn_unknown")
    assert refused.value.extensions["partner_id"] == "ptn_unknown"
    with pytest.raises(RuleViolation, match="archived"):
        await desk.fund(archived)
    fund = await desk.fund(sponsor)
    call = await desk.call(fund.id)
    with pytest.raises(RuleViolation, match="archived"):
        await desk.proposal(call.id, sponsor, archived)
    with pytest.raises(RuleViolation, match="archived"):
        await desk.funds.edit(fund.id, {"partner_ids": [sponsor, archived]}, if_match=None)
    assert desk.ports.events("funding.proposal") == []


async def test_a_fund_requiring_an_agreement_follows_its_sponsors_agreements(desk):
    cambridge = await desk.partner()
    foundation = await desk.partner("Chunfeng Foundation", kind="foundation")
    await desk.agreement(cambridge)  # only Cambridge has an active agreement
    fund = await desk.fund(cambridge, foundation, agreement_required=True)
    assert fund.state["flagged"] and foundation in fund.state["flag_reason"]
    call = await desk.call(fund.id, max_award="10000.00")
    proposal = await desk.under_review(call.id, cambridge)
    with pytest.raises(RuleViolation, match="no active agreement") as refused:
        await desk.award(proposal.id)
    assert refused.value.extensions["reason"] == "no-active-agreement"

    agreement = await desk.agreement(foundation)  # partners announces the foundation's agreement active
    assert desk.event_types(fund.id)[-1] == "unflagged"
    await desk.award(proposal.id)  # now it takes awards

    # The agreement is terminated (a newer version of it): the fund is flagged again, once.
    await desk.agreement(foundation, status="terminated", agreement_id=agreement, sequence=2)
    await desk.agreement(foundation, status="terminated", agreement_id=agreement, sequence=2)  # delivered twice
    await desk.agreement(foundation, status="active", agreement_id=agreement, sequence=1)  # a late, older event
    assert desk.event_types(fund.id) == ["created", "unflagged", "committed", "flagged"]
    assert (await desk.funds.repository.read(fund.id)).flag_reason == f"no active agreement with sponsor {foundation}"


async def test_the_schedule_repairs_a_flag_the_consumer_could_not_see(desk):
    sponsor = await desk.partner()
    fund = await desk.fund(sponsor, agreement_required=True)
    assert fund.state["flagged"]
    # The agreement reaches the view without its consumer's follow-up (as if the fund were created meanwhile).
    await desk.agreement_view_only(sponsor)
    assert (await desk.funds.repository.read(fund.id)).flagged
    assert (await desk.ports.run_jobs())["fund-agreements"] == 1
    assert not (await desk.funds.repository.read(fund.id)).flagged
    assert (await desk.ports.run_jobs())["fund-agreements"] == 0


async def test_dropping_the_requirement_clears_the_flag(desk):
    sponsor = await desk.partner()
    fund = await desk.fund(sponsor, agreement_required=True)
    edited = await desk.funds.edit(fund.id, {"agreement_required": False}, if_match=None)
    assert not edited.state["flagged"] and edited.state["flag_reason"] is None
    again = await desk.funds.edit(fund.id, {"agreement_required": True}, if_match=None)
    assert again.state["flagged"]  # re-evaluated at once


async def test_the_budget_does_not_go_below_a_calls_largest_award(desk):
    sponsor = await desk.partner()
    fund = await desk.fund(sponsor, budget="50000.00")
    await desk.call(fund.id, max_award="20000.00")
    with pytest.raises(RuleViolation, match="largest award"):
        await desk.funds.edit(fund.id, {"budget": eur("19999.99")}, if_match=None)
    edited = await desk.funds.edit(fund.id, {"budget": eur("20000.00")}, if_match=None)
    assert edited.state["budget"] == eur("20000.00")


async def test_calls_open_and_close_on_schedule_once_each(desk, clock):
    sponsor = await desk.partner()
    fund = await desk.fund(sponsor)
    call = await desk.call(fund.id, opens_in=1, closes_in=3)
    assert call.state["status"] == "scheduled"
    assert (await desk.ports.run_jobs())["call-schedule"] == 0
    clock.advance(timedelta(days=1))
    assert (await desk.ports.run_jobs())["call-schedule"] == 1
    assert (await desk.ports.run_jobs())["call-schedule"] == 0
    clock.advance(timedelta(days=5))
    assert (await desk.ports.run_jobs())["call-schedule"] == 1
    assert desk.event_types(call.id) == ["scheduled", "opened", "closed"]


async def test_a_call_missed_entirely_while_down_opens_and_closes_at_the_next_tick(desk, clock):
    sponsor = await desk.partner()
    call = await desk.call((await desk.fund(sponsor)).id, opens_in=1, closes_in=2)
    clock.advance(timedelta(days=10))
    assert (await desk.ports.run_jobs())["call-schedule"] == 2
    assert desk.event_types(call.id) == ["scheduled", "opened", "closed"]


async def test_the_first_proposal_freezes_the_call_and_a_proposal_is_submitted_only_while_it_is_open(desk, clock):
    sponsor = await desk.partner()
    fund = await desk.fund(sponsor)
    call = await desk.call(fund.id, opens_in=1, closes_in=2)
    draft = await desk.proposal(call.id, sponsor)  # drafting before the opening is fine
    assert (await desk.calls.repository.read(call.id)).rules_frozen
    await desk.proposal(call.id, sponsor)
    assert desk.event_types(call.id) == ["scheduled", "frozen"]
    with pytest.raises(RuleViolation, match="frozen"):
        await desk.calls.edit(call.id, {"max_award": eur("1.00")}, if_match=None)
    with pytest.raises(RuleViolation, match="does not accept proposals"):
        await desk.proposals.submit(draft.id, if_match=None)
    clock.advance(timedelta(days=1))
    assert (await desk.proposals.submit(draft.id, if_match=None)).state["status"] == "submitted"


async def test_a_proposal_is_judged_by_the_call_as_it_is_when_it_freezes(desk):
    sponsor, other = await desk.partner(), await desk.partner("Other University")
    fund = await desk.fund(sponsor)
    call = await desk.call(fund.id, sponsor_co_pi_required=False)
    await desk.calls.edit(call.id, {"sponsor_co_pi_required": True}, if_match=None)
    with pytest.raises(RuleViolation, match="sponsor of the fund"):
        await desk.proposal(call.id, other)
    assert not (await desk.calls.repository.read(call.id)).rules_frozen


async def test_projects_check_their_partners_and_may_come_from_an_award(desk):
    toyota = await desk.partner("Toyota Motor Corporation", kind="enterprise")
    foundation = await desk.partner("Chunfeng Foundation", kind="foundation")
    contract = {"value": {"amount": "300000.00", "currency": "USD"}}

    async def plan(**body):
        body = {"title": "Commissioned study", "kind": "commissioned", **body}
        snapshot, _ = await desk.projects.plan(body, desk.request(body))
        return snapshot

    with pytest.raises(RuleViolation, match="enterprise"):
        await plan(partner_ids=[foundation], contract={**contract, "client_id": foundation})
    commissioned = await plan(partner_ids=[toyota], contract={**contract, "client_id": toyota})
    assert commissioned.state["contract"]["client_id"] == toyota

    fund = await desk.fund(toyota)
    call = await desk.call(fund.id)
    award = await desk.award((await desk.under_review(call.id, toyota)).id, "8000.00")
    from_award = await plan(kind="joint_research", partner_ids=[toyota], award_id=award.id)
    assert from_award.state["fund_id"] == fund.id and from_award.state["budget"] == eur("8000.00")
    with pytest.raises(RuleViolation, match="no award"):
        await plan(kind="joint_research", partner_ids=[toyota], award_id="awd_unknown")


async def test_an_agreement_naming_its_partners_oddly_covers_nobody(desk):
    sponsor = await desk.partner()
    fund = await desk.fund(sponsor, agreement_required=True)
    # `partner_ids` as a string, not a list: its letters are not partners.
    await desk.announce("partners.agreement.activated", "agr_odd", 1, {"status": "active", "partner_ids": sponsor})
    assert (await desk.funds.repository.read(fund.id)).flagged
    assert desk.event_types(fund.id) == ["created"]
