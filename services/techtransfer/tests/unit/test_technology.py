"""Technologies: inventors' shares, the life cycle, patent records, deadlines and the rights granted in them."""

from datetime import date

import pytest

from opp_shared.errors import IllegalTransition, InvalidInput, NotFound, RuleViolation
from techtransfer.domain import technology as rules
from techtransfer.domain.rights import Grant, LicenseKind
from techtransfer.domain.technology import TECHNOLOGY, Technology

TODAY = date(2027, 3, 1)
LEADS = (90, 30, 7)


def inventors(*shares):
    return [
        {"person_id": f"u{i}", "name": f"Inventor {i}", "unit": "Department of Physics", "share": share}
        for i, share in enumerate(shares)
    ]


def disclosed(**extra) -> Technology:
    fields = {
        "title": "Solid-state battery separator",
        "department": "Department of Materials Science",
        "readiness_level": 4,
        "inventors": inventors("60", "40"),
        **extra,
    }
    return Technology.from_state(rules.disclose(today=TODAY, **fields).state)


def apply(change) -> Technology:
    return Technology.from_state(change.state)


def test_a_disclosure_names_inventors_whose_shares_make_exactly_100():
    technology = disclosed(inventors=inventors("33.3333", "33.3333", "33.3334"))
    assert technology.status == "disclosed" and technology.disclosed_on == TODAY
    assert technology.inventor_ids == ["u0", "u1", "u2"]
    for shares in (("50", "49.9999"), ("60", "60"), ("100", "0"), ("100.0001",)):
        with pytest.raises(InvalidInput):
            disclosed(inventors=inventors(*shares))
    with pytest.raises(InvalidInput):
        disclosed(inventors=[])
    with pytest.raises(InvalidInput):  # one person, named twice
        disclosed(inventors=[*inventors("50"), {**inventors("50")[0]}])
    with pytest.raises(InvalidInput):
        rules.disclose(
            today=TODAY,
            disclosed_on=date(2027, 3, 2),
            **{
                k: v
                for k, v in disclosed().state().items()
                if k in ("title", "department", "readiness_level", "inventors")
            },
        )


def test_the_life_cycle_moves_one_action_at_a_time():
    technology = disclosed()
    with pytest.raises(IllegalTransition):
        rules.offer(technology)
    technology = apply(rules.evaluate(technology))
    with pytest.raises(RuleViolation):  # protected needs a patent application on record
        rules.protect(technology)
    technology = apply(rules.record_patent(technology, patent("pat_1"), TODAY))
    change = rules.protect(technology)
    assert change.type == "techtransfer.technology.protected" and change.change["patent_ids"] == ["pat_1"]
    technology = apply(rules.offer(apply(change)))
    assert technology.status == "available"
    with pytest.raises(IllegalTransition):
        rules.evaluate(technology)
    abandoned = apply(rules.abandon(technology, "no market"))
    assert abandoned.status == "abandoned" and abandoned.abandoned_reason == "no market"
    with pytest.raises(IllegalTransition):  # a final status changes no more
        rules.edit(abandoned, {"title": "Another"})


def test_know_how_is_offered_without_a_patent():
    assert apply(rules.offer(apply(rules.evaluate(disclosed())))).status == "available"


def test_an_edit_changes_only_what_it_names_and_keeps_the_shares_rule():
    technology = disclosed()
    change = rules.edit(technology, {"title": "Separator", "readiness_level": 4})
    assert change.change == {"fields": ["title"]}
    assert rules.edit(technology, {"title": technology.title}) is None
    with pytest.raises(InvalidInput):
        rules.edit(technology, {"inventors": inventors("70", "40")})
    with pytest.raises(InvalidInput):
        rules.edit(technology, {"status": "available"})


def patent(pid, **extra):
    return {
        "id": pid,
        "jurisdiction": "CN",
        "application_number": f"CN2026{pid[-1]}",
        "priority_date": "2026-06-15",
        "filing_date": "2026-06-15",
        **extra,
    }


def test_patent_records_check_their_dates_status_and_numbers():
    technology = disclosed()
    technology = apply(rules.record_patent(technology, patent("pat_1"), TODAY))
    assert rules.record_patent(technology, patent("pat_1"), TODAY) is None  # the same record again
    with pytest.raises(InvalidInput):  # another record under the same id: a reused Idempotency-Key
        rules.record_patent(technology, patent("pat_1", application_number="CN999"), TODAY)
    bad = [
        {"filing_date": "2026-06-14"},  # before its priority
        {"priority_date": "2027-03-02", "filing_date": "2027-03-02"},  # in the future
        {"status": "granted"},  # without a grant date
        {"grant_date": "2027-01-01"},  # a grant date on a pending application
        {"status": "published"},  # without its publication number
        {"jurisdiction": "XX"},
        {"application_number": "CN20261"},  # pat_2 would repeat pat_1's number in CN
    ]
    for i, extra in enumerate(bad):
        with pytest.raises(InvalidInput):
            rules.record_patent(technology, patent(f"pat_{i + 2}", **{"application_number": f"N{i}", **extra}), TODAY)
    granted = rules.update_patent(technology, "pat_1", {"status": "granted", "grant_date": "2027-02-01"}, TODAY)
    assert granted.change == {"patent_id": "pat_1", "fields": ["grant_date", "status"], "from_status": "filed"}
    with pytest.raises(NotFound):
        rules.update_patent(technology, "pat_404", {"status": "lapsed"}, TODAY)
    assert rules.record_patent(
        technology, patent("pat_9", jurisdiction="ep", application_number="EP 3 456 789.1"), TODAY
    )


def test_deadlines_run_from_each_priority_date():
    technology = disclosed()
    for record in (
        patent("pat_1"),
        patent("pat_2", jurisdiction="WO", application_number="PCT/CN2026/1", filing_date="2026-12-01"),
        patent(
            "pat_3", jurisdiction="US", application_number="US1", priority_date="2026-09-30", filing_date="2026-09-30"
        ),
        patent(
            "pat_4",
            jurisdiction="JP",
            application_number="JP1",
            priority_date="2025-01-10",
            filing_date="2025-01-10",
            status="withdrawn",
        ),
    ):
        technology = apply(rules.record_patent(technology, record, TODAY))
    assert [
        (d.kind, d.priority_date.isoformat(), d.due_on.isoformat(), d.patent_ids) for d in technology.deadlines
    ] == [
        ("priority_year", "2026-06-15", "2027-06-15", ["pat_1", "pat_2"]),
        ("priority_year", "2026-09-30", "2027-09-30", ["pat_3"]),
        ("national_phase", "2026-06-15", "2028-12-15", ["pat_1", "pat_2"]),
    ]  # the withdrawn application's priority is watched no more
    assert technology.deadline_dates == ["2027-06-15", "2027-09-30", "2028-12-15"]
    assert "deadlines" in TECHNOLOGY.state.derived_fields


def remind(technology, day):
    return rules.remind_deadline(technology, day, LEADS)


def test_each_reminder_fires_once_and_a_late_start_sends_only_the_nearest():
    technology = apply(rules.record_patent(disclosed(), patent("pat_1"), TODAY))  # priority year ends 2027-06-15
    assert remind(technology, date(2027, 3, 16)) is None  # 91 days before
    first = remind(technology, date(2027, 3, 17))  # 90 days before
    assert first.change["lead_days"] == 90 and first.change["late"] is False and first.change["days_left"] == 90
    technology = apply(first)
    assert remind(technology, date(2027, 3, 18)) is None
    # Down from 18 March until 13 June: the 30 and 7-day reminders are due at once; one goes out, late.
    late = remind(technology, date(2027, 6, 13))
    assert late.change["lead_days"] == 7 and late.change["skipped_lead_days"] == [30]
    assert late.change["late"] is True and late.change["days_left"] == 2
    technology = apply(late)
    assert remind(technology, date(2027, 6, 14)) is None
    assert remind(technology, date(2027, 6, 15)) is None  # none on the day or after


def test_a_record_that_comes_late_gets_one_late_reminder():
    technology = apply(rules.record_patent(disclosed(), patent("pat_1"), TODAY))
    change = remind(technology, date(2027, 6, 1))  # 14 days left: the 30-day reminder is due (late); 90 passed
    assert (
        change.change["lead_days"] == 30
        and change.change["late"] is True
        and change.change["skipped_lead_days"] == [90]
    )
    assert remind(apply(change), date(2027, 6, 1)) is None


def test_abandoned_technologies_are_not_reminded():
    technology = apply(rules.record_patent(disclosed(), patent("pat_1"), TODAY))
    abandoned = apply(rules.abandon(technology, "dropped"))
    assert remind(abandoned, date(2027, 6, 1)) is None


def available() -> Technology:
    return apply(rules.offer(apply(rules.evaluate(disclosed()))))


def grant(license_id, kind="exclusive", territory=("DE",), field="batteries", attempt=None):
    return Grant(
        license_id=license_id,
        attempt=attempt or f"exe_{license_id}",
        licensee_id=f"ptn_{license_id}",
        kind=LicenseKind(kind),
        territory=list(territory),
        field_of_use=field,
    )


def test_a_reservation_is_refused_when_a_grant_that_counts_clashes_and_stale_ones_are_dropped():
    technology = apply(rules.reserve(available(), grant("lic_a"), frozenset()))
    assert technology.partner_ids == ["ptn_lic_a"]
    assert rules.reserve(technology, grant("lic_a"), frozenset()) is None  # the same attempt again
    with pytest.raises(RuleViolation) as refused:
        rules.reserve(technology, grant("lic_b", territory=("worldwide",)), frozenset())
    assert refused.value.extensions["conflicting_id"] == "lic_a"
    # The same, once lic_a's attempt is known to be over: its grant goes, lic_b's comes.
    change = rules.reserve(technology, grant("lic_b", territory=("worldwide",)), frozenset({"exe_lic_a"}))
    assert change.change["dropped"] == ["lic_a"] and [g.license_id for g in apply(change).grants] == ["lic_b"]
    # A new attempt of the same license replaces its old grant.
    renewed = apply(rules.reserve(technology, grant("lic_a", attempt="exe_again"), frozenset()))
    assert [(g.license_id, g.attempt) for g in renewed.grants] == [("lic_a", "exe_again")]


def test_only_an_available_or_licensed_technology_takes_rights():
    with pytest.raises(RuleViolation):
        rules.reserve(disclosed(), grant("lic_a"), frozenset())


def test_in_force_a_grant_licenses_or_transfers_and_release_gives_it_back():
    technology = apply(rules.reserve(available(), grant("lic_a", kind="non_exclusive"), frozenset()))
    licensed = apply(rules.put_in_force(technology, "lic_a", "exe_lic_a"))
    assert licensed.status == "licensed" and licensed.grants[0].in_force
    assert rules.put_in_force(licensed, "lic_a", "exe_lic_a") is None
    both = apply(rules.reserve(licensed, grant("lic_b", kind="non_exclusive"), frozenset()))
    both = apply(rules.put_in_force(both, "lic_b", "exe_lic_b"))
    one = apply(rules.release(both, "lic_a", "terminated"))
    assert one.status == "licensed" and [g.license_id for g in one.grants] == ["lic_b"]
    none = apply(rules.release(one, "lic_b", "expired"))
    assert none.status == "available" and none.grants == []
    assert rules.release(none, "lic_b", "expired") is None


def test_a_release_of_one_attempt_leaves_a_later_attempt_of_the_same_license():
    technology = apply(rules.reserve(available(), grant("lic_a", attempt="exe_2"), frozenset()))
    assert rules.release(technology, "lic_a", "refused", attempt="exe_1") is None
    assert apply(rules.release(technology, "lic_a", "refused", attempt="exe_2")).grants == []


def test_an_assignment_transfers_the_technology_for_good():
    technology = apply(
        rules.reserve(
            available(), grant("lic_a", kind="assignment", territory=("worldwide",), field="all"), frozenset()
        )
    )
    transferred = apply(rules.put_in_force(technology, "lic_a", "exe_lic_a"))
    assert transferred.status == "transferred"
    with pytest.raises(RuleViolation):  # nothing more can be granted
        rules.reserve(transferred, grant("lic_b", kind="non_exclusive", territory=("US",)), frozenset({"exe_lic_a"}))
    assert apply(rules.release(transferred, "lic_a", "x")).status == "transferred"
    # A patent record sent again with its Idempotency-Key is answered, even now; a new one is refused.
    recorded = apply(rules.record_patent(technology, patent("pat_1"), TODAY))
    gone = apply(rules.put_in_force(recorded, "lic_a", "exe_lic_a"))
    assert rules.record_patent(gone, patent("pat_1"), TODAY) is None
    with pytest.raises(IllegalTransition):
        rules.record_patent(gone, patent("pat_2", application_number="CN2"), TODAY)
