"""Agreement commands on in-memory ports: families, renewals, the schedule and the portfolio feed."""

from datetime import timedelta

import pytest

from opp_shared.envelope import CloudEvent
from opp_shared.errors import RuleViolation
from opp_shared.repository import CreateRequest
from partners.domain.agreement import mark_renewed


async def test_an_amendment_is_linked_to_its_parent_by_the_follow_up(office):
    partner = await office.register()
    draft = await office.draft(partner.id)
    with pytest.raises(RuleViolation):
        await office.draft(partner.id, amends=draft.id)  # only a signed or active agreement is amended
    parent = await office.in_force(partner.id)
    seen = len(office.ports.events())
    amendment = await office.draft(partner.id, amends=parent.id, title="Amendment 1")
    await office.deliver_new_events(seen)
    family = await office.families.family(parent.id)
    assert (
        family["amendments"] == [amendment.id] and (await office.families.family(amendment.id))["amends"] == parent.id
    )


async def test_a_renewal_drafts_one_successor_and_the_follow_up_completes_a_broken_one(office):
    partner = await office.register()
    agreement = await office.in_force(partner.id)
    terms = {"expires_on": "2034-01-01"}
    successor, _ = await office.agreements.renew(
        agreement.id, terms, CreateRequest("officer", "r1", terms), if_match=None
    )
    assert successor.state["renewal_of"] == agreement.id and successor.state["status"] == "draft"
    again, replayed = await office.agreements.renew(
        agreement.id, terms, CreateRequest("officer", "r1", terms), if_match=None
    )
    assert again.id == successor.id and replayed
    with pytest.raises(RuleViolation):  # a second renewal (another key) is refused
        await office.agreements.renew(agreement.id, terms, CreateRequest("officer", "r2", terms), if_match=None)
    assert (await office.families.family(successor.id))["renewal_chain"] == [agreement.id, successor.id]

    # The process dies after the predecessor recorded its successor, before drafting it:
    other = await office.in_force(partner.id)
    seen = len(office.ports.events())
    await office.agreements.repository.change(other.id, lambda a: mark_renewed(a, "agr_lost", terms))
    assert await office.agreements.repository.find("agr_lost") is None
    await office.deliver_new_events(seen)  # the `renewed` event's follow-up drafts it
    assert (await office.agreements.repository.read("agr_lost")).renewal_of == other.id


async def test_reminders_fire_once_each_and_the_agreement_expires_on_the_day(office, clock):
    partner = await office.register()
    agreement = await office.in_force(partner.id, expires_on="2027-05-01")  # today is 1 March: within 90 days
    assert await office.ports.run_jobs() == {"agreement-expiry": 1, "signature-overdue": 0}
    assert await office.ports.run_jobs() == {"agreement-expiry": 0, "signature-overdue": 0}
    for days, fired in ((40, 1), (1, 0), (15, 1), (6, 1), (1, 0)):  # 10 Apr: 30-day; 25 Apr: 7-day; 1 May: expired
        clock.advance(timedelta(days=days))
        assert (await office.ports.run_jobs())["agreement-expiry"] == fired, clock.now()
    assert office.event_types(agreement.id)[-4:] == ["expiring", "expiring", "expiring", "expired"]
    assert (await office.agreements.repository.read(agreement.id)).status == "expired"


async def test_the_portfolio_reads_the_partners_other_services_name(office):
    partner = await office.register()
    await office.draft(partner.id)

    def event(topic, subject, sequence, state, action):
        return CloudEvent(
            id=f"{subject}:{sequence}",
            source="/opp/funding",
            type=f"{topic}.{action}",
            subject=subject,
            sequence=sequence,
            data={"state": {"id": subject, **state}, "change": {}},
        )

    budget = {"amount": "100000.00", "currency": "EUR"}
    await office.ports.deliver(
        event(
            "funding.fund", "fnd_1", 1, {"name": "Seed fund", "partner_ids": [partner.id], "budget": budget}, "created"
        )
    )
    await office.ports.deliver(
        event("funding.fund", "fnd_2", 1, {"name": "Not theirs", "partner_ids": ["ptn_x"]}, "created")
    )
    report = {"partner_ids": [partner.id], "royalty_due": {"amount": "10.50", "currency": "EUR"}}
    await office.ports.deliver(event("techtransfer.royalty_report", "rr_1", 1, report, "received"))
    portfolio = await office.portfolios.portfolio(partner.id)
    assert [f["id"] for f in portfolio["funds"]] == ["fnd_1"] and portfolio["funds"][0]["budget"] == budget
    assert len(portfolio["agreements"]) == 1
    assert portfolio["royalties"]["totals"] == [
        {"currency": "EUR", "royalty_due": "10.50", "royalty_paid": "0.00", "reports": 1}
    ]
