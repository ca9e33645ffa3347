"""Projects (pure): the three kinds, the life cycle, milestones, and commissioned R&D's contract and invoices."""

from datetime import date

import pytest

from funding.domain import project as rules
from funding.domain.project import Project
from opp_shared.errors import IllegalTransition, InvalidInput, NotFound, RuleViolation

TODAY = date(2027, 3, 1)
CONTRACT = {"client_id": "ptn_toyota", "value": {"amount": "500000.00", "currency": "USD"}}


def invoice(number: str, amount: str, currency: str = "USD") -> dict:
    return {"number": number, "amount": {"amount": amount, "currency": currency}, "due_on": "2027-06-30"}


def planned(**fields) -> Project:
    body = {"title": "Battery ageing", "kind": "joint_research", "partner_ids": ["ptn_1"], **fields}
    return Project.from_state(rules.plan(**body).state)


def step(change) -> Project:
    return Project.from_state(change.state)


def test_the_state_carries_what_other_services_read():
    state = planned(lead_partner_id="ptn_1").state()
    assert {"title", "kind", "status", "partner_ids", "lead_partner_id"} <= set(state)
    assert (state["kind"], state["status"], state["lead_partner_id"]) == ("joint_research", "planned", "ptn_1")


def test_a_multi_party_project_has_several_partners_and_one_lead():
    with pytest.raises(InvalidInput, match="two partners at least"):
        planned(kind="multi_party", partner_ids=["ptn_berkeley", "ptn_siemens"])
    with pytest.raises(InvalidInput, match="two partners at least"):
        planned(kind="multi_party", partner_ids=["ptn_berkeley"], lead_partner_id="ptn_berkeley")
    with pytest.raises(InvalidInput, match="lead partner is one of"):
        planned(kind="multi_party", partner_ids=["ptn_berkeley", "ptn_siemens"], lead_partner_id="ptn_x")
    uiu = planned(kind="multi_party", partner_ids=["ptn_berkeley", "ptn_siemens"], lead_partner_id="ptn_berkeley")
    assert uiu.lead_partner_id == "ptn_berkeley"


def test_commissioned_rd_has_a_client_among_its_partners_and_invoices_within_the_contract():
    with pytest.raises(InvalidInput, match="needs its contract"):
        planned(kind="commissioned", partner_ids=["ptn_toyota"])
    with pytest.raises(InvalidInput, match="client"):
        planned(kind="commissioned", partner_ids=["ptn_1"], contract=CONTRACT)
    with pytest.raises(InvalidInput, match="more than the contract value"):
        planned(
            kind="commissioned",
            partner_ids=["ptn_toyota"],
            contract=CONTRACT,
            invoices=[invoice("INV-1", "300000.00"), invoice("INV-2", "200000.01")],
        )
    with pytest.raises(InvalidInput, match="contract's currency"):
        planned(kind="commissioned", partner_ids=["ptn_toyota"], contract=CONTRACT, invoices=[invoice("I", "1", "JPY")])
    with pytest.raises(InvalidInput, match="only commissioned"):
        planned(contract=CONTRACT, partner_ids=["ptn_toyota"])
    exact = planned(
        kind="commissioned",
        partner_ids=["ptn_toyota"],
        contract=CONTRACT,
        invoices=[invoice("INV-1", "300000.00"), invoice("INV-2", "200000.00")],
    )
    assert len(exact.invoices) == 2


def test_the_life_cycle():
    project = planned(milestones=[{"key": "m1", "title": "Prototype"}])
    with pytest.raises(IllegalTransition):
        rules.complete(project, TODAY)
    with pytest.raises(IllegalTransition):
        rules.reach_milestone(project, "m1", TODAY, None)
    active = step(rules.start(project, TODAY, date(2027, 2, 1)))
    assert active.started_on == date(2027, 2, 1)
    with pytest.raises(NotFound):
        rules.reach_milestone(active, "m9", TODAY, None)
    reached = step(rules.reach_milestone(active, "m1", TODAY, None))
    assert rules.reach_milestone(reached, "m1", TODAY, None) is None
    completed = step(rules.complete(reached, TODAY))
    for attempt in (lambda: rules.terminate(completed, TODAY, "x"), lambda: rules.edit(completed, {"title": "y"})):
        with pytest.raises(IllegalTransition):
            attempt()
    assert step(rules.terminate(planned(), TODAY, "called off")).status == "terminated"


def test_what_happened_stays_when_plans_are_edited():
    project = planned(
        kind="commissioned",
        partner_ids=["ptn_toyota"],
        contract=CONTRACT,
        milestones=[{"key": "m1", "title": "Prototype"}, {"key": "m2", "title": "Field test"}],
        invoices=[invoice("INV-1", "100000.00")],
    )
    active = step(rules.start(project, TODAY, None))
    active = step(rules.reach_milestone(active, "m1", TODAY, None))
    active = step(rules.pay_invoice(active, "INV-1", TODAY, None))
    with pytest.raises(RuleViolation, match="reached milestones stay"):
        rules.edit(active, {"milestones": [{"key": "m2", "title": "Field test"}]})
    with pytest.raises(RuleViolation, match="paid invoices"):
        rules.edit(active, {"invoices": [invoice("INV-1", "90000.00")]})
    edited = step(
        rules.edit(
            active,
            {
                "milestones": [{"key": "m1", "title": "Prototype v1"}, {"key": "m2", "title": "Field test"}],
                "invoices": [invoice("INV-1", "100000.00"), invoice("INV-2", "50000.00")],
            },
        )
    )
    assert edited.milestone("m1").status == "reached" and edited.milestone("m1").title == "Prototype v1"
    assert edited.invoice("INV-1").status == "paid" and edited.invoice("INV-2").status == "due"
