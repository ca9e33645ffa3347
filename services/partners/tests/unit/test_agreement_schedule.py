"""Agreements' timed rules with explicit dates (no clock): expiry reminders, expiry, signature overdue."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from opp_shared.aggregate import Change
from partners.domain import agreement as ag
from partners.domain.agreement import Agreement, AgreementStatus, AgreementType, Party

EXPIRES = date(2026, 12, 31)
DAY_90 = date(2026, 10, 2)  # 90 days before EXPIRES
DAY_30 = date(2026, 12, 1)
DAY_7 = date(2026, 12, 24)


def apply(change: Change) -> Agreement:
    state = dict(change.state)
    state.pop("party_ids")
    return Agreement.model_validate(state)


def agreement(status: str = "active", **fields: Any) -> Agreement:
    values: dict[str, Any] = {
        "type": AgreementType.MEMBERSHIP,
        "title": "Center of Knowledge Interchange",
        "status": AgreementStatus(status),
        "parties": [Party(partner_id="p-siemens", lead=True)],
        "drafted_on": date(2023, 11, 1),
        "submitted_on": date(2023, 11, 15),
        "signed_on": date(2024, 1, 2),
        "effective_from": date(2024, 1, 15),
        "expires_on": EXPIRES,
    }
    values.update(fields)
    return Agreement(**values)


def test_reminder_days_are_90_30_7() -> None:
    assert ag.REMINDER_DAYS == (90, 30, 7)
    assert EXPIRES - timedelta(days=90) == DAY_90
    assert EXPIRES - timedelta(days=30) == DAY_30
    assert EXPIRES - timedelta(days=7) == DAY_7


def test_nothing_is_due_before_90_days() -> None:
    current = agreement()
    assert ag.due_reminders(current, DAY_90 - timedelta(days=1)) == []
    assert ag.remind_expiry(current, DAY_90 - timedelta(days=1)) is None


@pytest.mark.parametrize(("day", "days"), [(DAY_90, 90), (DAY_30, 30), (DAY_7, 7)])
def test_reminder_on_its_day_then_never_again(day: date, days: int) -> None:
    sent_before = [ag.reminder_key(d, EXPIRES) for d in ag.REMINDER_DAYS if d > days]
    current = agreement(reminders_sent=sent_before)
    assert ag.due_reminders(current, day) == [days]
    change = ag.remind_expiry(current, day)
    assert change is not None
    assert change.type == "partners.agreement.expiring"
    assert change.change == {
        "days_before": days,
        "expires_on": "2026-12-31",
        "days_left": days,
        "due_on": day.isoformat(),
        "late": False,
    }
    assert change.state["reminders_sent"] == [*sent_before, f"expiring:{days}:2026-12-31"]
    assert change.state["status"] == "active"
    reminded = apply(change)
    assert ag.due_reminders(reminded, day) == []
    assert ag.remind_expiry(reminded, day) is None
    assert ag.remind_expiry(reminded, day + timedelta(days=1)) is None


def test_a_whole_run_day_by_day_sends_each_reminder_once_and_expires_once() -> None:
    current = agreement()
    fired: list[tuple[str, date, Any]] = []
    day = date(2026, 9, 1)
    while day <= date(2027, 1, 31):
        while (change := ag.remind_expiry(current, day)) is not None:
            fired.append((change.type, day, change.change["days_before"]))
            current = apply(change)
        change = ag.expire(current, day)
        if change is not None:
            fired.append((change.type, day, change.change["expires_on"]))
            current = apply(change)
        day += timedelta(days=1)
    assert fired == [
        ("partners.agreement.expiring", DAY_90, 90),
        ("partners.agreement.expiring", DAY_30, 30),
        ("partners.agreement.expiring", DAY_7, 7),
        ("partners.agreement.expired", EXPIRES, "2026-12-31"),
    ]
    assert current.status == AgreementStatus.EXPIRED


def test_a_long_missed_reminder_fires_late() -> None:
    current = agreement(reminders_sent=[ag.reminder_key(90, EXPIRES)])
    today = date(2026, 12, 20)  # the 30-day reminder was due on 1 December
    change = ag.remind_expiry(current, today)
    assert change is not None
    assert change.change == {
        "days_before": 30,
        "expires_on": "2026-12-31",
        "days_left": 11,
        "due_on": "2026-12-01",
        "late": True,
    }
    assert ag.remind_expiry(apply(change), today) is None


def test_missed_reminders_fire_one_per_call_earliest_threshold_first() -> None:
    current = agreement(status="signed")
    today = date(2026, 12, 28)
    assert ag.due_reminders(current, today) == [90, 30, 7]
    sent = []
    for _ in range(3):
        change = ag.remind_expiry(current, today)
        assert change is not None
        assert change.change["late"] is True
        assert change.change["days_left"] == 3
        sent.append((change.change["days_before"], change.change["due_on"]))
        current = apply(change)
    assert sent == [(90, "2026-10-02"), (30, "2026-12-01"), (7, "2026-12-24")]
    assert ag.remind_expiry(current, today) is None
    assert current.reminders_sent == ["expiring:90:2026-12-31", "expiring:30:2026-12-31", "expiring:7:2026-12-31"]


@pytest.mark.parametrize("status", ["draft", "under_review", "expired", "terminated"])
def test_no_reminders_before_signature_or_after_the_end(status: str) -> None:
    current = agreement(status=status)
    assert ag.due_reminders(current, DAY_7) == []
    assert ag.remind_expiry(current, DAY_7) is None


def test_no_reminders_without_an_expiry_date() -> None:
    current = agreement(expires_on=None)
    assert ag.remind_expiry(current, DAY_7) is None
    assert ag.expire(current, date(2040, 1, 1)) is None


@pytest.mark.parametrize("status", ["signed", "active"])
@pytest.mark.parametrize("today", [EXPIRES, EXPIRES + timedelta(days=40)])
def test_on_or_after_the_expiry_day_it_expires_instead_exactly_once(status: str, today: date) -> None:
    current = agreement(status=status)  # no reminder was ever sent
    assert ag.due_reminders(current, today) == []
    assert ag.remind_expiry(current, today) is None
    change = ag.expire(current, today)
    assert change is not None
    assert change.type == "partners.agreement.expired"
    assert change.state["status"] == "expired"
    assert change.change == {"expires_on": "2026-12-31", "from": status}
    expired = apply(change)
    assert ag.expire(expired, today) is None
    assert ag.expire(expired, today + timedelta(days=1)) is None
    assert ag.remind_expiry(expired, today) is None


def test_not_expired_the_day_before() -> None:
    assert ag.expire(agreement(), EXPIRES - timedelta(days=1)) is None


def test_a_new_expiry_date_gets_its_own_reminders() -> None:
    all_sent = [ag.reminder_key(d, EXPIRES) for d in ag.REMINDER_DAYS]
    extended = agreement(expires_on=date(2027, 6, 30), reminders_sent=all_sent)
    assert ag.remind_expiry(extended, date(2027, 3, 31)) is None
    change = ag.remind_expiry(extended, date(2027, 4, 1))  # 90 days before 30 June 2027
    assert change is not None
    assert change.change["expires_on"] == "2027-06-30"
    assert change.change["days_before"] == 90
    assert change.change["late"] is False
    assert change.state["reminders_sent"] == [*all_sent, "expiring:90:2027-06-30"]


def test_an_expiry_date_edited_in_draft_is_the_one_reminded() -> None:
    drafted = apply(
        ag.draft(
            today=date(2024, 1, 1),
            type=AgreementType.MOU,
            title="MoU",
            parties=[Party(partner_id="p-1")],
            effective_from=date(2024, 2, 1),
            expires_on=EXPIRES,
        )
    )
    edited = ag.edit(drafted, {"expires_on": date(2027, 6, 30)})
    assert edited is not None
    current = apply(edited)
    current = apply(ag.submit(current, date(2024, 1, 5)))
    current = apply(ag.sign(current, today=date(2024, 1, 20), signed_on=date(2024, 1, 20)))
    current = apply(ag.activate(current, today=date(2024, 2, 1)))
    assert ag.remind_expiry(current, DAY_90) is None
    assert ag.expire(current, EXPIRES) is None
    change = ag.remind_expiry(current, date(2027, 6, 23))
    assert change is not None
    assert change.change["expires_on"] == "2027-06-30"
    assert change.change["days_before"] == 90
    assert change.change["late"] is True


# -- signature overdue --------------------------------------------------------------------------


def waiting(status: str = "draft", **fields: Any) -> Agreement:
    values: dict[str, Any] = {
        "type": AgreementType.MOU,
        "title": "MoU",
        "status": AgreementStatus(status),
        "parties": [Party(partner_id="p-1")],
        "drafted_on": date(2025, 1, 1),
    }
    values.update(fields)
    return Agreement(**values)


def test_a_draft_is_overdue_once_from_its_drafting_day() -> None:
    current = waiting()
    assert ag.flag_signature_overdue(current, date(2025, 1, 30), 30) is None
    change = ag.flag_signature_overdue(current, date(2025, 1, 31), 30)
    assert change is not None
    assert change.type == "partners.agreement.signature_overdue"
    assert change.change == {"waiting_since": "2025-01-01", "days_waiting": 30, "stage": "draft"}
    assert change.state["reminders_sent"] == ["signature_overdue:2025-01-01"]
    assert change.state["status"] == "draft"
    flagged = apply(change)
    assert ag.flag_signature_overdue(flagged, date(2025, 1, 31), 30) is None
    assert ag.flag_signature_overdue(flagged, date(2025, 6, 1), 30) is None


def test_under_review_the_wait_counts_from_submission() -> None:
    current = waiting(
        status="under_review", submitted_on=date(2025, 2, 10), reminders_sent=["signature_overdue:2025-01-01"]
    )
    assert ag.flag_signature_overdue(current, date(2025, 3, 11), 30) is None  # 29 days after submission
    change = ag.flag_signature_overdue(current, date(2025, 3, 14), 30)
    assert change is not None
    assert change.change == {"waiting_since": "2025-02-10", "days_waiting": 32, "stage": "under_review"}
    assert change.state["reminders_sent"] == ["signature_overdue:2025-01-01", "signature_overdue:2025-02-10"]
    assert ag.flag_signature_overdue(apply(change), date(2025, 4, 1), 30) is None


def test_submitting_starts_a_new_wait() -> None:
    flagged = apply(ag.flag_signature_overdue(waiting(), date(2025, 2, 1), 30))  # type: ignore[arg-type]
    submitted = apply(ag.submit(flagged, date(2025, 2, 5)))
    assert ag.flag_signature_overdue(submitted, date(2025, 3, 6), 30) is None
    change = ag.flag_signature_overdue(submitted, date(2025, 3, 7), 30)
    assert change is not None and change.change["waiting_since"] == "2025-02-05"


@pytest.mark.parametrize(("overdue_after_days", "flagged"), [(7, True), (14, True), (15, False), (60, False)])
def test_the_wait_is_configurable(overdue_after_days: int, flagged: bool) -> None:
    change = ag.flag_signature_overdue(waiting(), date(2025, 1, 15), overdue_after_days)  # 14 days
    assert (change is not None) is flagged
    if change is not None:
        assert change.change["days_waiting"] == 14


@pytest.mark.parametrize("status", ["signed", "active", "expired", "terminated"])
def test_no_signature_overdue_once_signed(status: str) -> None:
    current = waiting(status=status, submitted_on=date(2025, 1, 2), signed_on=date(2025, 1, 3))
    assert ag.flag_signature_overdue(current, date(2026, 1, 1), 30) is None
