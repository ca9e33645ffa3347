"""Calls and proposals (pure): the call's window and frozen rules, eligibility, conflicts of
interest, reviews and decisions, and the proposal's life cycle."""

from datetime import UTC, datetime, timedelta

import pytest

from funding.domain import call as calls
from funding.domain import proposal as rules
from funding.domain.call import Call
from funding.domain.common import Person
from funding.domain.proposal import Proposal
from opp_shared.errors import IllegalTransition, InvalidInput, NotFound, RuleViolation
from opp_shared.money import Money

NOW = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)
BUDGET = Money.of("100000.00", "EUR")
SPONSORS = ["ptn_sponsor"]


def new_call(**extra) -> Call:
    fields = {
        "title": "Seed call",
        "opens_at": NOW - timedelta(days=1),
        "closes_at": NOW + timedelta(days=30),
        "max_award": Money.of("20000.00", "EUR"),
        **extra,
    }
    return Call.from_state(calls.schedule(fund_id="fnd_1", fund_budget=BUDGET, now=NOW, **fields).state)


def new_proposal(call: Call | None = None, *, co_partners=("ptn_sponsor",), unit="Physics", **extra) -> Proposal:
    fields = {
        "title": "Quantum sensing",
        "requested": {"amount": "10000.00", "currency": "EUR"},
        "pi": {"person_id": "pi-1", "name": "Prof. Li", "unit": unit},
        "co_pis": [{"person_id": f"co-{p}", "name": "Dr. X", "partner_id": p} for p in co_partners],
        **extra,
    }
    change = rules.draft(call=call or new_call(), call_id="cal_1", sponsor_ids=SPONSORS, **fields)
    return Proposal.from_state(change.state)


def step(change) -> Proposal:
    return Proposal.from_state(change.state)


def under_review(proposal: Proposal) -> Proposal:
    submitted = step(rules.submit(proposal, new_call(), SPONSORS, NOW))
    return step(rules.assign_reviewer(submitted, Person(person_id="rev-1", name="R", unit="Chemistry"), "o", NOW))


# -- calls ------------------------------------------------------------------------------


def test_a_calls_largest_award_is_within_its_funds_budget_and_currency():
    with pytest.raises(RuleViolation, match="above its fund's budget"):
        new_call(max_award=Money.of("100000.01", "EUR"))
    with pytest.raises(RuleViolation, match="EUR"):
        new_call(max_award=Money.of("100", "JPY"))
    assert new_call(max_award=BUDGET).max_award == BUDGET


def test_a_call_closes_after_it_opens_and_not_in_the_past():
    with pytest.raises(InvalidInput, match="after opens_at"):
        new_call(closes_at=NOW - timedelta(days=1))
    with pytest.raises(InvalidInput, match="closed already"):
        new_call(opens_at=NOW - timedelta(days=9), closes_at=NOW - timedelta(seconds=1))


def test_the_schedule_opens_then_closes_a_call_once_each():
    call = new_call(opens_at=NOW + timedelta(hours=1), closes_at=NOW + timedelta(hours=2))
    assert calls.open_if_due(call, NOW) is None
    assert calls.close_if_due(call, NOW + timedelta(hours=3)) is None  # never closed before it opened
    opened = Call.from_state(calls.open_if_due(call, NOW + timedelta(hours=1)).state)
    assert opened.status == "open" and calls.open_if_due(opened, NOW + timedelta(hours=1)) is None
    assert calls.close_if_due(opened, NOW + timedelta(minutes=119)) is None
    closed = calls.close_if_due(opened, NOW + timedelta(hours=2))
    assert closed.type == "funding.call.closed"


def test_proposals_are_accepted_between_the_two_instants_only():
    call = new_call(opens_at=NOW, closes_at=NOW + timedelta(days=1))
    assert not call.accepts_proposals_at(NOW - timedelta(microseconds=1))
    assert call.accepts_proposals_at(NOW)
    assert not call.accepts_proposals_at(NOW + timedelta(days=1))
    proposal = new_proposal(call)
    with pytest.raises(RuleViolation, match="does not accept proposals"):
        rules.submit(proposal, call, SPONSORS, NOW + timedelta(days=1))
    assert rules.submit(proposal, call, SPONSORS, NOW).state["status"] == "submitted"


def test_the_first_proposal_freezes_the_rules_and_only_title_and_description_change_after():
    call = new_call()
    frozen = Call.from_state(calls.freeze(call).state)
    assert calls.freeze(frozen) is None
    with pytest.raises(RuleViolation, match="frozen") as refused:
        calls.edit(frozen, {"max_award": {"amount": "5000.00", "currency": "EUR"}}, BUDGET)
    assert refused.value.extensions["fields"] == ["max_award"]
    assert calls.edit(frozen, {"title": "Seed call, second round"}, BUDGET).change == {"fields": ["title"]}
    assert calls.edit(call, {"max_award": {"amount": "5000.00", "currency": "EUR"}}, BUDGET) is not None


# -- eligibility ---------------------------------------------------------------------------


def test_a_co_investigator_from_a_sponsor_is_needed_unless_the_call_waives_it():
    with pytest.raises(RuleViolation, match="sponsor of the fund"):
        new_proposal(co_partners=("ptn_elsewhere",))
    with pytest.raises(RuleViolation, match="sponsor of the fund"):
        new_proposal(co_partners=())
    waived = new_call(sponsor_co_pi_required=False)
    assert new_proposal(waived, co_partners=()).partner_ids == []
    assert new_proposal(co_partners=("ptn_elsewhere", "ptn_sponsor")).partner_ids == ["ptn_elsewhere", "ptn_sponsor"]


def test_the_amount_and_the_area_follow_the_call():
    with pytest.raises(RuleViolation, match="largest award"):
        new_proposal(requested={"amount": "20000.01", "currency": "EUR"})
    with pytest.raises(RuleViolation, match="pays in EUR"):
        new_proposal(requested={"amount": "100", "currency": "JPY"})
    areas = new_call(research_areas=["energy", "climate"])
    with pytest.raises(RuleViolation, match="energy, climate"):
        new_proposal(areas, research_area="medicine")
    assert new_proposal(areas, research_area="energy").research_area == "energy"


def test_the_pi_needs_a_unit():
    with pytest.raises(InvalidInput, match="unit"):
        new_proposal(pi={"person_id": "pi-1", "name": "Prof. Li"})


# -- reviews ----------------------------------------------------------------------------------


def test_nobody_reviews_a_proposal_they_are_on_or_one_from_their_own_unit():
    submitted = step(rules.submit(new_proposal(), new_call(), SPONSORS, NOW))
    for person in (
        Person(person_id="pi-1", name="the PI", unit="Chemistry"),
        Person(person_id="co-ptn_sponsor", name="a co-investigator", unit="Elsewhere"),
    ):
        with pytest.raises(RuleViolation, match="is on this proposal") as refused:
            rules.assign_reviewer(submitted, person, "o", NOW)
        assert refused.value.extensions["conflict"] == "on-the-proposal"
    with pytest.raises(RuleViolation, match="unit") as refused:
        rules.assign_reviewer(submitted, Person(person_id="rev-9", name="R", unit="  physics "), "o", NOW)
    assert refused.value.extensions["conflict"] == "same-unit"
    assigned = rules.assign_reviewer(submitted, Person(person_id="rev-1", name="R", unit="Chemistry"), "o", NOW)
    assert assigned.state["status"] == "under_review" and assigned.state["reviewer_ids"] == ["rev-1"]
    assert (
        rules.assign_reviewer(step(assigned), Person(person_id="rev-1", name="R", unit="Chemistry"), "o", NOW) is None
    )


def test_reviewers_are_assigned_after_submission_only():
    with pytest.raises(IllegalTransition):
        rules.assign_reviewer(new_proposal(), Person(person_id="rev-1", name="R", unit="Chemistry"), "o", NOW)


def test_a_reviewer_scores_their_own_assignment_and_may_revise_it_until_the_decision():
    proposal = under_review(new_proposal())
    with pytest.raises(NotFound):
        rules.review(proposal, "rev-2", 7, None, NOW)
    reviewed = step(rules.review(proposal, "rev-1", 7, "solid", NOW))
    assert reviewed.review_of("rev-1").score == 7 and reviewed.review_of("rev-1").status == "submitted"
    assert rules.review(reviewed, "rev-1", 7, "solid", NOW) is None
    revised = rules.review(reviewed, "rev-1", 8, "better on reflection", NOW)
    assert revised.change == {"reviewer_id": "rev-1", "score": 8, "revised": True}
    rejected = step(rules.reject(step(revised), "officer-1", "out of scope", NOW))
    with pytest.raises(IllegalTransition):
        rules.review(rejected, "rev-1", 9, None, NOW)


# -- decisions and the life cycle --------------------------------------------------------------


def test_a_decision_records_who_decided_why_and_when():
    rejected = step(rules.reject(under_review(new_proposal()), "officer-1", "out of scope", NOW))
    assert rejected.decision.model_dump(mode="json") == {
        "outcome": "rejected",
        "decided_by": "officer-1",
        "reason": "out of scope",
        "decided_at": "2027-03-01T02:00:00.000Z",
        "award_id": None,
    }
    awarded = step(rules.record_award(under_review(new_proposal()), "awd_1", "officer-2", "ranked first", NOW))
    assert awarded.status == "awarded" and awarded.decision.decided_by == "officer-2" and awarded.award_id == "awd_1"
    assert rules.record_award(awarded, "awd_1", "officer-2", "ranked first", NOW) is None
    with pytest.raises(RuleViolation):
        rules.record_award(awarded, "awd_2", "officer-2", "again", NOW)


def test_an_award_is_at_most_what_was_requested_from_a_proposal_under_review():
    proposal = under_review(new_proposal())
    with pytest.raises(RuleViolation, match="above what the proposal requested"):
        rules.check_awardable(proposal, Money.of("10000.01", "EUR"))
    with pytest.raises(RuleViolation, match="EUR"):
        rules.check_awardable(proposal, Money.of("10", "USD"))
    rules.check_awardable(proposal, Money.of("9999.99", "EUR"))
    with pytest.raises(IllegalTransition) as refused:
        rules.check_awardable(new_proposal(), Money.of("1.00", "EUR"))
    assert refused.value.extensions == {"current_status": "draft", "allowed_from": ["under_review"]}


@pytest.mark.parametrize("stage", ["draft", "submitted", "under_review"])
def test_withdrawal_comes_before_a_decision(stage):
    proposal = new_proposal()
    if stage != "draft":
        proposal = step(rules.submit(proposal, new_call(), SPONSORS, NOW))
    if stage == "under_review":
        proposal = under_review(new_proposal())
    withdrawn = step(rules.withdraw(proposal, "PI moved", NOW))
    assert withdrawn.status == "withdrawn"
    for attempt in (
        lambda: rules.withdraw(withdrawn, None, NOW),
        lambda: rules.submit(withdrawn, new_call(), SPONSORS, NOW),
        lambda: rules.edit(withdrawn, {"title": "x"}, new_call(), SPONSORS),
    ):
        with pytest.raises(IllegalTransition):
            attempt()


def test_a_decided_proposal_cannot_be_withdrawn_and_only_a_draft_is_edited():
    rejected = step(rules.reject(under_review(new_proposal()), "o", "no", NOW))
    with pytest.raises(IllegalTransition):
        rules.withdraw(rejected, None, NOW)
    draft = new_proposal()
    edited = rules.edit(draft, {"title": "Quantum sensing at scale"}, new_call(), SPONSORS)
    assert edited.change == {"fields": ["title"]}
    with pytest.raises(RuleViolation, match="largest award"):
        rules.edit(draft, {"requested": {"amount": "50000.00", "currency": "EUR"}}, new_call(), SPONSORS)
