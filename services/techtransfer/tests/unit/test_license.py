"""Licenses: terms, export control, the execution attempt and the term."""

from datetime import date

import pytest

from opp_shared.errors import IllegalTransition, InvalidInput, RuleViolation
from techtransfer.domain import license as rules
from techtransfer.domain.license import License

TODAY = date(2027, 3, 1)
CN, DE = "CN", "DE"


def terms(**extra):
    return {
        "title": "Separator licence, Germany",
        "licensee_id": "ptn_siemens",
        "technology_ids": ["tec_1"],
        "kind": "exclusive",
        "territory": ["DE"],
        "field_of_use": "industrial batteries",
        "currency": "EUR",
        "upfront_fee": {"amount": "50000.00", "currency": "EUR"},
        "royalty_rate": "3.5",
        "minimum_annual_royalty": {"amount": "20000.00", "currency": "EUR"},
        "report_grace_days": 30,
        **extra,
    }


def drafted(country=DE, **extra) -> License:
    return License.from_state(rules.draft(licensee_country=country, university_country=CN, **terms(**extra)).state)


def apply(change) -> License:
    return License.from_state(change.state)


def classified(license: License, classification="free", permit=None):
    return rules.classify_export(
        license, classification, permit, None, TODAY, licensee_country=DE, university_country=CN
    )


def requested(license: License, attempt="e", actor=None) -> License:
    return apply(rules.request_execution(license, attempt, TODAY, actor, licensee_country=DE, university_country=CN))


def executed(license: License) -> License:
    return apply(rules.complete_execution(requested(apply(classified(license))), "e", TODAY))


def test_a_draft_checks_its_terms():
    license = drafted()
    assert license.status == "negotiating" and license.partner_ids == ["ptn_siemens"] and license.export.required
    assert license.royalty_bearing and license.field_key == "industrial batteries"
    bad = [
        {"technology_ids": []},
        {"technology_ids": ["tec_1", "tec_1"]},
        {"upfront_fee": {"amount": "1.00", "currency": "USD"}},  # the license's amounts are in its currency
        {"milestones": [{"name": "first sale", "amount": {"amount": "10", "currency": "JPY"}}]},
        {"minimum_annual_royalty": {"amount": "-1.00", "currency": "EUR"}},
        {"effective_from": "2027-05-01", "expires_on": "2027-05-01"},
        {"kind": "assignment", "expires_on": "2030-01-01"},  # an assignment is for good
        {"territory": ["worldwide", "DE"]},
        {"royalty_rate": "101"},
        {"royalty_rate": 3.5},  # never a number
        {"field_of_use": "   "},
    ]
    for extra in bad:
        with pytest.raises(InvalidInput):
            drafted(**extra)
    assert not drafted(royalty_rate="0", minimum_annual_royalty={"amount": "0", "currency": "EUR"}).royalty_bearing
    assert not drafted(country=CN).export.required


def test_export_control_before_execution():
    license = drafted()
    with pytest.raises(RuleViolation, match="export classification"):
        rules.check_executable(license, TODAY, licensee_country=DE, university_country=CN)
    restricted = classified(license, "restricted")
    assert restricted.type == "techtransfer.license.export_permit_required"
    with pytest.raises(RuleViolation, match="permit"):
        rules.check_executable(apply(restricted), TODAY, licensee_country=DE, university_country=CN)
    permitted = classified(apply(restricted), "restricted", "MOFCOM-2027-0042")
    assert permitted.type == "techtransfer.license.export_classified"
    rules.check_executable(apply(permitted), TODAY, licensee_country=DE, university_country=CN)
    prohibited = apply(classified(license, "prohibited"))
    with pytest.raises(RuleViolation, match="never"):
        rules.check_executable(prohibited, TODAY, licensee_country=DE, university_country=CN)
    with pytest.raises(InvalidInput):  # a permit belongs to a restricted export only
        classified(license, "free", "X-1")
    # A licensee at home is no export.
    rules.check_executable(drafted(country=CN), TODAY, licensee_country=CN, university_country=CN)


def test_changing_what_was_classified_clears_the_classification():
    free = apply(classified(drafted()))
    kept = apply(rules.edit(free, {"notes": "called on Monday"}, licensee_country=DE, university_country=CN))
    assert kept.export.classification == "free"
    cleared = rules.edit(free, {"territory": ["worldwide"]}, licensee_country=DE, university_country=CN)
    assert cleared.change["export_classification_cleared"] and apply(cleared).export.classification is None


def test_an_execution_attempt_has_one_outcome():
    pending = requested(apply(classified(drafted())), "exe_1", "alice")
    assert pending.pending_attempt == "exe_1" and pending.counts("exe_1") and not pending.counts("exe_0")
    # A second request joins the pending attempt; edits wait.
    assert rules.request_execution(pending, "exe_2", TODAY, "bob", licensee_country=DE, university_country=CN) is None
    with pytest.raises(RuleViolation):
        rules.edit(pending, {"notes": "x"}, licensee_country=DE, university_country=CN)
    executed = apply(rules.complete_execution(pending, "exe_1", TODAY))
    assert executed.status == "executed" and executed.executed_on == TODAY and executed.effective_from == TODAY
    assert executed.counts("exe_1")
    assert rules.complete_execution(executed, "exe_1", TODAY) is None
    assert rules.refuse_execution(executed, "exe_1", "late", "lic_x") is None  # the outcome is already recorded

    refused = apply(rules.refuse_execution(pending, "exe_1", "held by lic_x", "lic_x"))
    assert refused.status == "negotiating" and not refused.counts("exe_1")
    with pytest.raises(RuleViolation) as error:
        rules.complete_execution(refused, "exe_1", TODAY)
    assert error.value.extensions["conflicting_id"] == "lic_x"
    # Refused, it can be tried again, as a new attempt.
    again = requested(refused, "exe_3", "alice")
    assert again.pending_attempt == "exe_3"


def test_the_term_activate_terminate_expire():
    license = executed(drafted(effective_from="2027-04-01", expires_on="2030-03-31"))
    assert license.effective_from == date(2027, 4, 1)
    with pytest.raises(RuleViolation):
        rules.activate(license, TODAY)
    assert rules.activate_due(license, TODAY) is None
    active = apply(rules.activate_due(license, date(2027, 4, 1)))
    assert active.status == "active" and rules.activate(active, TODAY) is None
    assert rules.expire(active, date(2030, 3, 30)) is None
    assert apply(rules.expire(active, date(2030, 3, 31))).status == "expired"
    with pytest.raises(InvalidInput):
        rules.terminate(active, TODAY, "breach", date(2027, 3, 2))
    ended = apply(rules.terminate(active, TODAY, "breach", None))
    assert ended.status == "terminated" and not ended.counts("e") and rules.reporting_ends_on(ended) == TODAY
    with pytest.raises(IllegalTransition):
        rules.terminate(ended, TODAY, "again", None)
    with pytest.raises(IllegalTransition):
        rules.edit(ended, {"notes": "x"}, licensee_country=DE, university_country=CN)


def test_an_assignment_is_not_terminated():
    assignment = executed(drafted(kind="assignment", territory=["worldwide"], field_of_use="all"))
    with pytest.raises(RuleViolation):
        rules.terminate(assignment, TODAY, "changed our mind", None)


def test_a_license_that_would_be_expired_is_not_executed():
    license = apply(classified(drafted(effective_from="2020-01-01", expires_on="2027-03-01")))
    with pytest.raises(RuleViolation):
        rules.check_executable(license, TODAY, licensee_country=DE, university_country=CN)


def test_a_license_reaches_back_at_most_three_years():
    rules.check_executable(
        apply(classified(drafted(effective_from="2024-03-01"))), TODAY, licensee_country=DE, university_country=CN
    )
    with pytest.raises(RuleViolation, match="3 years"):
        rules.check_executable(
            apply(classified(drafted(effective_from="2024-02-29"))), TODAY, licensee_country=DE, university_country=CN
        )
