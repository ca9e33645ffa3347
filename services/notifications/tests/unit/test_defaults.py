"""The default rules and templates: every partners event a person acts on is covered, and everything renders."""

import pytest

from notifications.domain.defaults import DEFAULT_RULES, INFORMATIONAL, TEMPLATES
from notifications.domain.rules import Rule, event_matches
from notifications.domain.templates import Template, render
from opp_shared.catalogue import all_event_types

from .conftest import event


def test_every_event_type_a_person_acts_on_has_a_default_rule_and_the_rest_are_named():
    types = set(all_event_types())
    covered = {t for t in types for rule in DEFAULT_RULES if event_matches(rule.event_types, t)}
    assert types - covered == set(INFORMATIONAL)
    assert not set(INFORMATIONAL) & covered, "an informational type has a rule"


def test_every_rule_names_types_of_the_catalogue():
    for rule in DEFAULT_RULES:
        for pattern in rule.event_types:
            assert any(event_matches([pattern], t) for t in all_event_types()), (rule.id, pattern)


def test_money_reads_as_amount_and_currency():
    rendered = render(
        TEMPLATES["funding.award.granted"]["en"],
        event("funding.award.granted", {"title": "Seed grant", "amount": {"amount": "80000.00", "currency": "EUR"}}),
    )
    assert rendered.text == "An award of 80000.00 EUR was granted for Seed grant."


def test_a_patent_deadline_reads_the_day_from_the_change_techtransfer_sends():
    change = {"kind": "priority_year", "due_on": "2027-05-20", "lead_days": 30, "days_left": 18, "late": True}
    rendered = render(
        TEMPLATES["techtransfer.technology.deadline_approaching"]["en"],
        event("techtransfer.technology.deadline_approaching", {"title": "Solid-state separator"}, change),
    )
    assert rendered.subject == "Patent deadline on 2027-05-20: Solid-state separator"
    assert "falls on 2027-05-20 (18 days left, sent late)" in rendered.text


def test_phrases_that_do_not_apply_read_as_nothing():
    on_time = event(
        "partners.agreement.expiring",
        {"title": "Exchange MoU", "type": "mou"},
        {"days_left": 30, "expires_on": "2027-06-01", "days_before": 30, "late": False},
    )
    assert render(TEMPLATES["partners.agreement.expiring"]["en"], on_time).text == (
        "The mou agreement “Exchange MoU” expires on 2027-06-01 (30-day reminder). Renew it or let it end."
    )
    archived = event("partners.partner.archived", {"name": "Old College"}, {})
    assert render(TEMPLATES["partners.partner.archived"]["en"], archived).text == "Old College was archived."
    with_reason = event("partners.partner.archived", {"name": "Old College"}, {"reason": "closed"})
    assert render(TEMPLATES["partners.partner.archived"]["en"], with_reason).text == "Old College was archived: closed."


def test_a_fund_born_flagged_reaches_the_partnerships_office_with_its_reason():
    rules = {d.id: Rule.model_validate(d.fields()) for d in DEFAULT_RULES}
    fund = {"name": "Seed Fund", "budget": {"amount": "50000.00", "currency": "EUR"}}
    flagged = event("funding.fund.created", fund | {"flagged": True, "flag_reason": "no active agreement with X"})
    clear = event("funding.fund.created", fund | {"flagged": False, "flag_reason": None})
    rule = rules["funding-fund-created-flagged-partnerships"]
    assert rule.applies_to(flagged) and not rule.applies_to(clear)
    assert rule.addresses(flagged) == ["role:admin", "role:partnerships_officer"]
    template = TEMPLATES["funding.fund.created"]["en"]
    assert render(template, flagged).text == (
        "The fund Seed Fund was created with a budget of 50000.00 EUR: no active agreement with X."
    )
    assert render(template, clear).text == "The fund Seed Fund was created with a budget of 50000.00 EUR."


def test_every_default_rule_is_a_valid_rule_with_a_stable_id():
    ids = [d.id for d in DEFAULT_RULES]
    assert len(ids) == len(set(ids))
    for default in DEFAULT_RULES:
        Rule.model_validate(default.fields())  # raises if a default broke a rule's own checks


@pytest.mark.parametrize("event_type", sorted(TEMPLATES))
def test_every_template_renders_even_with_an_empty_state(event_type):
    assert event_type in all_event_types()
    for template in TEMPLATES[event_type].values():
        rendered = render(template, event(event_type))
        assert rendered.subject and rendered.text and "{" not in rendered.subject + rendered.text


def test_a_template_may_not_reach_beyond_the_event():
    for bad in ("{s.__class__}", "{s[x]!r}", "{name:>999999}", "{os}", "{"):
        with pytest.raises(ValueError):
            Template(subject=bad, text="x")
    html = Template(subject="{name}", text="{name}", html="<p>{name}</p>")
    rendered = render(html, event("partners.partner.registered", {"name": "<script>A & B\r\nBcc: x@y"}))
    assert rendered.html == "<p>&lt;script&gt;A &amp; B\r\nBcc: x@y</p>"
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
