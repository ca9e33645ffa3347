import pytest

from notifications.domain.rules import RULES, notices_for
from opp_shared.catalogue import all_event_types
from opp_shared.envelope import CloudEvent, make_data


def event(event_type, state=None, change=None):
    return CloudEvent(
        id="e-1",
        source="/opp/partners",
        type=event_type,
        subject="x_1",
        sequence=1,
        data=make_data(state or {}, change),
    )


def test_every_rule_is_for_an_event_of_the_catalogue():
    assert set(RULES) <= set(all_event_types())


@pytest.mark.parametrize("event_type", sorted(RULES))
def test_every_rule_renders_even_with_an_empty_state(event_type):
    notices = notices_for(event(event_type))
    assert [n.recipient for n in notices] == ["role:admin", "role:partnerships_officer"]
    assert all(n.title and n.body for n in notices)


def test_a_registration_names_the_partner_and_its_country():
    [admin, _] = notices_for(
        event(
            "partners.partner.registered",
            {"name": "ETH Zürich", "country": "CH", "kind": "university", "status": "active"},
        )
    )
    assert admin.title == "New partner: ETH Zürich (CH)"
    assert admin.body == "ETH Zürich, a university in CH, was registered with status active."


def test_an_expiry_reminder_says_how_long_is_left_and_whether_it_is_late():
    [notice, _] = notices_for(
        event(
            "partners.agreement.expiring",
            {"title": "Strategic cooperation", "type": "strategic"},
            {"days_left": 26, "days_before": 30, "expires_on": "2027-07-01", "late": True},
        )
    )
    assert notice.title == "Expires in 26 days: Strategic cooperation"
    assert "30-day reminder, sent late" in notice.body and "2027-07-01" in notice.body


def test_unknown_events_yield_nothing():
    assert notices_for(event("funding.fund.created", {"name": "x"})) == []
    assert notices_for(event("someone.elses.event")) == []
