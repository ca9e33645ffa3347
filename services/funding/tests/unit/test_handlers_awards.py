"""Awards and disbursements through the service's own wiring on in-memory ports: the ledgers,
idempotency, and the follow-ups that complete a step a crash interrupted."""

import pytest

from funding.domain import award as award_rules
from funding.domain import disbursement as disbursement_rules
from funding.domain import fund as fund_rules
from opp_shared.errors import RuleViolation
from opp_shared.money import Money

OFFICER = "officer-1"


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def awardable(desk, **fund_extra):
    sponsor = await desk.partner()
    fund = await desk.fund(sponsor, **fund_extra)
    call = await desk.call(fund.id, max_award="10000.00")
    return sponsor, fund, call


async def test_an_award_commits_the_fund_creates_the_award_and_decides_the_proposal(desk):
    sponsor, fund, call = await awardable(desk, budget="25000.00")
    proposal = await desk.under_review(call.id, sponsor)
    award = await desk.award(proposal.id, "9000.50")
    assert award.state["amount"] == eur("9000.50") and award.state["partner_ids"] == [sponsor]
    assert award.state["fund_id"] == fund.id and award.state["proposal_id"] == proposal.id
    fund_now = (await desk.funds.repository.get(fund.id)).state
    assert fund_now["committed"] == eur("9000.50") and fund_now["available"] == eur("15999.50")
    decided = await desk.proposals.repository.read(proposal.id)
    assert decided.status == "awarded" and decided.award_id == award.id
    assert (decided.decision.decided_by, decided.decision.reason) == (OFFICER, "ranked first")
    assert desk.event_types(fund.id) == ["created", "committed"]


async def test_an_award_that_does_not_fit_records_nothing(desk):
    sponsor, fund, call = await awardable(desk, budget="15000.00")
    first = await desk.under_review(call.id, sponsor)
    second = await desk.under_review(call.id, sponsor)
    await desk.award(first.id, "10000.00")
    before = len(desk.ports.events())
    with pytest.raises(RuleViolation) as refused:
        await desk.award(second.id, "5000.01")
    assert refused.value.extensions["available"] == eur("5000.00")
    assert refused.value.extensions["requested"] == eur("5000.01")
    assert len(desk.ports.events()) == before
    assert (await desk.proposals.repository.read(second.id)).status == "under_review"
    await desk.award(second.id, "5000.00")  # what is left still fits exactly
    assert (await desk.funds.repository.get(fund.id)).state["available"] == eur("0.00")


async def test_a_retried_award_answers_the_first_and_a_second_award_of_a_proposal_is_refused(desk):
    sponsor, fund, call = await awardable(desk)
    proposal = await desk.under_review(call.id, sponsor)
    first = await desk.award(proposal.id, key="k1")
    body = {"amount": eur("10000.00"), "reason": "ranked first"}
    again, replayed = await desk.awards.award(
        proposal.id, body["amount"], "ranked first", OFFICER, desk.request(body, "k1")
    )
    assert again.id == first.id and replayed
    with pytest.raises(RuleViolation, match="already has award"):  # by the fund: the proposal has its award
        await desk.award(proposal.id, key="k2")
    assert (await desk.funds.repository.read(fund.id)).award_count == 1


async def test_a_crash_after_the_commitment_is_completed_by_the_follow_ups(desk):
    sponsor, fund, call = await awardable(desk)
    proposal = await desk.under_review(call.id, sponsor)
    state = await desk.proposals.repository.read(proposal.id)
    terms = award_rules.terms_of(
        fund_id=fund.id,
        proposal_id=proposal.id,
        proposal=state,
        amount=Money.of("7000.00", "EUR"),
        granted_by=OFFICER,
        granted_at="2027-03-01T02:00:00.000Z",
        reason="ranked first",
    )
    seen = len(desk.ports.events())
    # The process records the commitment, then dies before creating the award.
    await desk.funds.repository.change(
        fund.id, lambda f: fund_rules.commit(f, "awd_lost", proposal.id, Money.of("7000.00", "EUR"), terms)
    )
    assert await desk.awards.repository.find("awd_lost") is None
    await desk.follow_up(seen)  # committed -> the award; granted -> the proposal
    award = await desk.awards.repository.read("awd_lost")
    assert award.amount == Money.of("7000.00", "EUR") and award.proposal_id == proposal.id
    assert (await desk.proposals.repository.read(proposal.id)).award_id == "awd_lost"
    # Delivered again (at least once): nothing more is recorded.
    count = len(desk.ports.events())
    await desk.deliver_new_events(seen)
    assert len(desk.ports.events()) == count


async def test_disbursements_stay_within_their_award_and_the_fund_follows_what_is_paid(desk):
    sponsor, fund, call = await awardable(desk)
    award = await desk.award((await desk.under_review(call.id, sponsor)).id, "1000.00")

    async def schedule(amount, **extra):
        body = {"award_id": award.id, "amount": eur(amount), "scheduled_on": "2027-04-01", **extra}
        snapshot, _ = await desk.disbursements.schedule(body, desk.request(body))
        return snapshot

    first = await schedule("600.00", deliverable={"title": "Progress report 1"})
    second = await schedule("400.00")
    with pytest.raises(RuleViolation, match="left"):
        await schedule("0.01")
    assert (await desk.awards.repository.get(award.id)).state["remaining"] == eur("0.00")

    with pytest.raises(RuleViolation, match="Progress report 1"):
        await desk.disbursements.approve(first.id, OFFICER, if_match=None)
    await desk.disbursements.accept_deliverable(first.id, OFFICER, if_match=None)
    await desk.disbursements.approve(first.id, OFFICER, if_match=None)
    paid = await desk.disbursements.pay(first.id, OFFICER, None, "TX-42", if_match=None)
    assert paid.state["paid_on"] == "2027-03-01" and paid.state["scheduled_on"] == "2027-04-01"
    award_now = (await desk.awards.repository.get(award.id)).state
    assert award_now["paid"] == eur("600.00")
    assert (await desk.funds.repository.get(fund.id)).state["disbursed"] == eur("600.00")

    await desk.disbursements.cancel(second.id, "project paused", if_match=None)
    assert (await desk.awards.repository.get(award.id)).state["remaining"] == eur("400.00")
    assert (await schedule("400.00")).state["amount"] == eur("400.00")


async def test_a_crash_after_a_payment_or_a_plan_is_completed_by_the_follow_ups(desk):
    sponsor, fund, call = await awardable(desk)
    award = await desk.award((await desk.under_review(call.id, sponsor)).id, "1000.00")
    seen = len(desk.ports.events())
    terms = {
        "award_id": award.id,
        "fund_id": fund.id,
        "proposal_id": award.state["proposal_id"],
        "partner_ids": [sponsor],
        "amount": eur("250.00"),
        "scheduled_on": "2027-05-01",
        "deliverable": None,
        "note": None,
    }
    await desk.awards.repository.change(
        award.id, lambda a: award_rules.plan_disbursement(a, "dsb_lost", Money.of("250.00", "EUR"), terms)
    )
    await desk.follow_up(seen)
    disbursement = await desk.disbursements.repository.read("dsb_lost")
    assert disbursement.amount == Money.of("250.00", "EUR") and disbursement.status == "scheduled"

    await desk.disbursements.approve("dsb_lost", OFFICER, if_match=None)
    seen = len(desk.ports.events())
    # Paid, then the process dies before the award and the fund hear of it.
    await desk.disbursements.repository.change(
        "dsb_lost", lambda d: disbursement_rules.pay(d, OFFICER, desk.ports.clock.now().date(), None, None)
    )
    assert (await desk.awards.repository.get(award.id)).state["paid"] == eur("0.00")
    await desk.follow_up(seen)  # paid -> the award records it; disbursement_paid -> the fund's figure
    assert (await desk.awards.repository.get(award.id)).state["paid"] == eur("250.00")
    assert (await desk.funds.repository.get(fund.id)).state["disbursed"] == eur("250.00")
