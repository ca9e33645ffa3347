"""Amendments that take effect (pure domain): what an amendment may change, how its parent
takes the changes, and how the expiry schedule follows a moved `expires_on`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from opp_shared.aggregate import Change
from opp_shared.errors import InvalidInput, RuleViolation
from partners.domain import agreement as ag
from partners.domain.agreement import Agreement, AgreementStatus, AgreementType, AmendmentChanges, Document, Party

EXPIRES = date(2027, 5, 1)
DOCUMENT = {
    "name": "annex-1.pdf",
    "media_type": "application/pdf",
    "checksum": "sha256:" + "a" * 64,
    "location": "s3://a",
}


def apply(change: Change | None) -> Agreement:
    assert change is not None
    state = dict(change.state)
    state.pop("party_ids")
    state.pop("partner_ids")
    return Agreement.model_validate(state)


def parent(status: str = "active", **fields: Any) -> Agreement:
    values: dict[str, Any] = {
        "type": AgreementType.JOINT_CENTER,
        "title": "Joint Research Center Agreement",
        "scope": "automotive technology",
        "status": AgreementStatus(status),
        "parties": [Party(partner_id="p-toyota", lead=True), Party(partner_id="p-denso")],
        "documents": [Document.model_validate(DOCUMENT)],
        "drafted_on": date(2021, 3, 1),
        "signed_on": date(2021, 3, 22),
        "effective_from": date(2021, 4, 1),
        "expires_on": EXPIRES,
    }
    values.update(fields)
    return Agreement(**values)


def amendment_draft() -> Change:
    return ag.draft(
        today=date(2027, 1, 1),
        type=AgreementType.MOU,
        title="Amendment No. 1",
        parties=[Party(partner_id="p-1")],
        amends="agr-1",
        changes={"expires_on": "2030-01-01"},
    )


def changes(**fields: Any) -> AmendmentChanges:
    return AmendmentChanges.model_validate(fields)


def run_schedule(current: Agreement, start: date, end: date) -> tuple[Agreement, list[tuple[date, str, Any]]]:
    """Run the expiry rules day by day, as the scheduler would, and note what fired."""
    fired: list[tuple[date, str, Any]] = []
    day = start
    while day <= end:
        while (change := ag.remind_expiry(current, day)) is not None:
            fired.append((day, "expiring", (change.change["days_before"], change.change["expires_on"])))
            current = apply(change)
        if (change := ag.expire(current, day)) is not None:
            fired.append((day, "expired", change.change["expires_on"]))
            current = apply(change)
        day += timedelta(days=1)
    return current, fired


# -- what an amendment states -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "must change something"),
        ({"add_parties": [{"partner_id": "p-1"}], "remove_parties": ["p-1"]}, "both added and removed"),
        ({"add_parties": [{"partner_id": "p-1"}, {"partner_id": "p-1"}]}, "named once"),
        ({"remove_parties": ["p-1", "p-1"]}, "named once"),
        ({"add_parties": [{"partner_id": "p-1", "lead": True}, {"partner_id": "p-2", "lead": True}]}, "at most one"),
        ({"documents": [DOCUMENT, DOCUMENT]}, "named once"),
    ],
)
def test_changes_must_say_something_coherent(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ag.amendment_changes(fields)
    assert message in caught.value.detail
    assert caught.value.errors[0]["pointer"].startswith("#/changes")


def test_a_badly_typed_change_points_into_changes() -> None:
    with pytest.raises(InvalidInput) as caught:
        ag.amendment_changes({"expires_on": "not a date"})
    assert caught.value.errors[0]["pointer"] == "#/changes/expires_on"


def test_only_an_amendment_states_changes() -> None:
    with pytest.raises(InvalidInput) as caught:
        ag.draft(
            today=date(2027, 1, 1),
            type=AgreementType.MOU,
            title="Not an amendment",
            parties=[Party(partner_id="p-1")],
            changes={"expires_on": "2030-01-01"},
        )
    assert "amends" in caught.value.detail
    assert amendment_draft().state["changes"]["expires_on"] == "2030-01-01"


def test_changes_are_a_term_edited_before_signature_only() -> None:
    amendment = apply(amendment_draft())
    edited = apply(ag.edit(amendment, {"changes": {"expires_on": "2031-01-01"}}))
    assert edited.changes == changes(expires_on="2031-01-01")
    submitted = apply(ag.submit(edited, date(2027, 1, 2)))
    signed = apply(ag.sign(submitted, today=date(2027, 1, 3), signed_on=date(2027, 1, 3)))
    with pytest.raises(RuleViolation):
        ag.edit(signed, {"changes": {"expires_on": "2032-01-01"}})


# -- checked against the parent as it stands ------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "under_review", "expired", "terminated", "withdrawn"])
def test_only_an_agreement_in_force_is_amended(status: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        ag.check_amendment(parent(status), changes(scope="x"), date(2027, 3, 1))
    assert caught.value.extensions["current_status"] == status


@pytest.mark.parametrize(
    ("fields", "extension"),
    [
        ({"remove_parties": ["p-stranger"]}, {"not_parties": ["p-stranger"], "already_parties": []}),
        ({"add_parties": [{"partner_id": "p-denso"}]}, {"not_parties": [], "already_parties": ["p-denso"]}),
    ],
)
def test_an_amendment_removes_parties_and_adds_new_ones(fields: dict[str, Any], extension: dict[str, Any]) -> None:
    with pytest.raises(RuleViolation) as caught:
        ag.check_amendment(parent(), changes(**fields), date(2027, 3, 1))
    assert caught.value.extensions == extension


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"expires_on": "2021-03-01"}, "after effective_from"),
        ({"remove_parties": ["p-toyota", "p-denso"]}, "at least one"),
        ({"add_parties": [{"partner_id": "p-new", "lead": True}]}, "at most one"),
    ],
)
def test_changes_the_parent_cannot_take_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        ag.check_amendment(parent(), changes(**fields), date(2027, 3, 1))
    assert message in caught.value.detail


def test_an_amendment_without_changes_needs_only_a_parent_in_force() -> None:
    assert ag.check_amendment(parent("signed"), None, date(2027, 3, 1)) is None


# -- the parent takes the changes --------------------------------------------------------------


def test_an_extension_becomes_the_parents_change_naming_the_amendment() -> None:
    current = parent()
    change = ag.apply_amendment(current, "agr-a1", changes(expires_on="2029-05-01"), date(2027, 3, 1))
    assert change is not None
    assert change.type == "partners.agreement.amended"
    assert change.change == {
        "fields": ["expires_on"],
        "applied_amendment_id": "agr-a1",
        "previous": {"expires_on": "2027-05-01"},
    }
    amended = apply(change)
    assert amended.expires_on == date(2029, 5, 1) and amended.status == AgreementStatus.ACTIVE
    assert amended.applied_amendments == ["agr-a1"] and amended.expiry_amended_on == date(2027, 3, 1)
    assert current.expires_on == EXPIRES  # the input is not touched


def test_applying_the_same_amendment_twice_changes_nothing() -> None:
    amended = apply(ag.apply_amendment(parent(), "agr-a1", changes(expires_on="2029-05-01"), date(2027, 3, 1)))
    assert ag.apply_amendment(amended, "agr-a1", changes(expires_on="2029-05-01"), date(2027, 3, 2)) is None
    second = apply(ag.apply_amendment(amended, "agr-a2", changes(expires_on="2030-05-01"), date(2027, 3, 2)))
    assert second.applied_amendments == ["agr-a1", "agr-a2"] and second.expires_on == date(2030, 5, 1)


def test_parties_scope_and_documents_change_together() -> None:
    annex = {**DOCUMENT, "checksum": "sha256:" + "b" * 64, "version": 2}
    minutes = {**DOCUMENT, "name": "minutes.pdf"}
    change = ag.apply_amendment(
        parent(),
        "agr-a1",
        changes(
            add_parties=[{"partner_id": "p-aisin"}],
            remove_parties=["p-denso"],
            scope="automotive technology and hydrogen energy",
            documents=[annex, minutes],
        ),
        date(2027, 3, 1),
    )
    assert change is not None
    assert change.change["fields"] == ["scope", "parties", "documents"]
    amended = apply(change)
    assert amended.party_ids == ["p-toyota", "p-aisin"] and amended.lead_id == "p-toyota"
    assert amended.scope == "automotive technology and hydrogen energy"
    assert [(d.name, d.version) for d in amended.documents] == [("annex-1.pdf", 2), ("minutes.pdf", 1)]
    assert amended.expires_on == EXPIRES and amended.expiry_amended_on is None
    assert change.change["previous"]["parties"] == [
        {"partner_id": "p-toyota", "lead": True},
        {"partner_id": "p-denso", "lead": False},
    ]


def test_parties_are_a_set_when_applied_a_merge_may_have_come_first() -> None:
    merged_already = parent(parties=[Party(partner_id="p-toyota", lead=True), Party(partner_id="p-aisin")])
    change = ag.apply_amendment(
        merged_already,
        "agr-a1",
        changes(add_parties=[{"partner_id": "p-aisin"}], remove_parties=["p-denso"]),
        date(2027, 3, 1),
    )
    assert change is not None and change.change["fields"] == []
    assert apply(change).applied_amendments == ["agr-a1"]


def test_an_amendment_that_states_no_changes_leaves_its_parent_alone() -> None:
    # As every amendment drafted before they could state changes; even if its parent has ended since.
    assert ag.apply_amendment(parent(), "agr-a1", None, date(2027, 3, 1)) is None
    assert ag.apply_amendment(parent("expired"), "agr-a1", None, date(2027, 3, 1)) is None


@pytest.mark.parametrize("status", ["expired", "terminated"])
def test_an_ended_parent_is_not_amended(status: str) -> None:
    with pytest.raises(RuleViolation):
        ag.apply_amendment(parent(status), "agr-a1", changes(expires_on="2029-05-01"), date(2027, 3, 1))


# -- the schedule follows the new date ------------------------------------------------------------


def test_an_extension_is_reminded_for_its_new_date_not_again_for_the_old() -> None:
    # The 90-day reminder for 1 May 2027 went out on 31 January; on 1 March the term is extended two years.
    reminded = apply(ag.remind_expiry(parent(), date(2027, 1, 31)))
    assert reminded.reminders_sent == ["expiring:90:2027-05-01"]
    extended = apply(ag.apply_amendment(reminded, "agr-a1", changes(expires_on="2029-05-01"), date(2027, 3, 1)))
    current, fired = run_schedule(extended, date(2027, 3, 1), date(2029, 5, 10))
    assert fired == [
        (date(2029, 1, 31), "expiring", (90, "2029-05-01")),
        (date(2029, 4, 1), "expiring", (30, "2029-05-01")),
        (date(2029, 4, 24), "expiring", (7, "2029-05-01")),
        (date(2029, 5, 1), "expired", "2029-05-01"),
    ]
    assert current.status == AgreementStatus.EXPIRED


def test_a_date_moved_away_and_back_is_not_reminded_twice() -> None:
    current, fired = run_schedule(parent(), date(2027, 1, 1), date(2027, 4, 10))  # 90 and 30 sent for 1 May
    assert [f[2] for f in fired] == [(90, "2027-05-01"), (30, "2027-05-01")]
    current = apply(ag.apply_amendment(current, "agr-a1", changes(expires_on="2027-06-01"), date(2027, 4, 10)))
    current = apply(ag.apply_amendment(current, "agr-a2", changes(expires_on="2027-05-01"), date(2027, 4, 12)))
    current, fired = run_schedule(current, date(2027, 4, 12), date(2027, 5, 1))
    assert fired == [(date(2027, 4, 24), "expiring", (7, "2027-05-01")), (date(2027, 5, 1), "expired", "2027-05-01")]


def test_a_term_shortened_to_near_dates_is_reminded_once_on_the_day_then_as_usual() -> None:
    # On 1 March 2027 the end moves from 2029 to 20 March 2027: the 90- and 30-day days have passed.
    current = parent(expires_on=date(2029, 5, 1))
    shortened = apply(ag.apply_amendment(current, "agr-a1", changes(expires_on="2027-03-20"), date(2027, 3, 1)))
    assert ag.reminder_days(shortened) == {30: date(2027, 3, 1), 7: date(2027, 3, 13)}
    change = ag.remind_expiry(shortened, date(2027, 3, 1))
    assert change is not None
    assert change.change == {
        "days_before": 30,
        "expires_on": "2027-03-20",
        "days_left": 19,
        "due_on": "2027-03-01",
        "late": False,
    }
    current, fired = run_schedule(apply(change), date(2027, 3, 1), date(2027, 3, 25))
    assert fired == [(date(2027, 3, 13), "expiring", (7, "2027-03-20")), (date(2027, 3, 20), "expired", "2027-03-20")]


def test_a_reminder_missed_after_the_amendment_still_goes_out_late() -> None:
    long_running = parent(expires_on=date(2029, 5, 1))
    shortened = apply(ag.apply_amendment(long_running, "agr-a1", changes(expires_on="2027-03-20"), date(2027, 3, 1)))
    change = ag.remind_expiry(shortened, date(2027, 3, 5))  # the service was down on the day of the amendment
    assert change is not None and change.change["late"] is True and change.change["days_left"] == 15
    assert ag.due_reminders(apply(change), date(2027, 3, 5)) == []


@pytest.mark.parametrize("new_end", ["2027-03-01", "2027-02-15"])
def test_an_amendment_to_a_date_already_past_ends_the_parent(new_end: str) -> None:
    today = date(2027, 3, 1)
    amended = apply(ag.apply_amendment(parent(), "agr-a1", changes(expires_on=new_end), today))
    assert ag.due_reminders(amended, today) == [] and ag.remind_expiry(amended, today) is None
    change = ag.expire(amended, today)
    assert change is not None
    assert change.type == "partners.agreement.expired"
    assert change.change == {"expires_on": new_end, "from": "active"}
    assert ag.expire(apply(change), today) is None


# -- people, and states written before these fields existed ------------------------------------------


def test_a_person_id_is_for_the_universitys_signatories_only() -> None:
    signatory = ag.Signatory(name="Vice President for Research", side="university", person_id="u-1024")
    assert signatory.person_id == "u-1024"
    with pytest.raises(ValueError, match="partner's signatory"):
        ag.Signatory(name="President", side="partner", partner_id="p-1", person_id="x")


def test_a_state_recorded_before_amendments_withdrawal_and_person_ids_still_loads() -> None:
    old = {
        "type": "strategic",
        "title": "Strategic cooperation",
        "status": "active",
        "parties": [{"partner_id": "p-1", "lead": True}],
        "signatories": [{"name": "VP", "side": "university"}],
        "owner": "Europe desk",
        "drafted_on": "2020-01-01",
        "signed_on": "2020-02-01",
        "effective_from": "2020-03-01",
        "expires_on": "2025-03-01",
        "reminders_sent": ["expiring:90:2025-03-01"],
        "party_ids": ["p-1"],
        "partner_ids": ["p-1"],
    }
    loaded = Agreement.from_state(old)
    assert loaded.owner_id is None and loaded.changes is None and loaded.applied_amendments == []
    assert loaded.signatories[0].person_id is None and loaded.expiry_amended_on is None
    assert ag.due_reminders(loaded, date(2025, 2, 1)) == [30]
