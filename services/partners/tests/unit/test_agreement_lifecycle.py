"""Agreements: the life cycle, its rules, editing, renewal and families (pure domain, no servers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from opp_shared.aggregate import Change, Snapshot
from opp_shared.errors import IllegalTransition, InvalidInput, RuleViolation
from partners.domain import agreement as ag
from partners.domain.agreement import (
    AGREEMENT,
    TRANSITIONS,
    Agreement,
    AgreementStatus,
    AgreementType,
    Document,
    Party,
    Signatory,
)

DRAFTED = date(2024, 1, 10)
SUBMITTED = date(2024, 1, 20)
SIGNED = date(2024, 2, 1)
EFFECTIVE = date(2024, 3, 1)
EXPIRES = date(2027, 2, 28)
TERMINATED = date(2025, 6, 30)

S = AgreementStatus
ALL_STATUSES = [s.value for s in AgreementStatus]
ACTIONS = ["submit", "sign", "activate", "terminate", "expire", "withdraw"]
USER_ACTIONS = ["submit", "sign", "activate", "terminate", "withdraw"]

# The documented life cycle: draft -> under_review -> signed -> active -> expired | terminated,
# and draft | under_review -> withdrawn.
LEGAL: dict[tuple[str, str], tuple[str, str]] = {
    ("draft", "withdraw"): ("partners.agreement.withdrawn", "withdrawn"),
    ("under_review", "withdraw"): ("partners.agreement.withdrawn", "withdrawn"),
    ("draft", "submit"): ("partners.agreement.submitted", "under_review"),
    ("under_review", "sign"): ("partners.agreement.signed", "signed"),
    ("signed", "activate"): ("partners.agreement.activated", "active"),
    ("signed", "terminate"): ("partners.agreement.terminated", "terminated"),
    ("active", "terminate"): ("partners.agreement.terminated", "terminated"),
    ("signed", "expire"): ("partners.agreement.expired", "expired"),
    ("active", "expire"): ("partners.agreement.expired", "expired"),
}


def apply(change: Change) -> Agreement:
    """What the write model does with a change: the new state becomes the agreement."""
    state = dict(change.state)
    assert state.pop("party_ids") == [p["partner_id"] for p in state["parties"]]
    return Agreement.model_validate(state)


def drafted(**overrides: Any) -> Agreement:
    fields: dict[str, Any] = {
        "today": DRAFTED,
        "type": AgreementType.STRATEGIC,
        "title": "Strategic cooperation with Cambridge and Imperial",
        "parties": [Party(partner_id="p-cam", lead=True), Party(partner_id="p-imp")],
        "effective_from": EFFECTIVE,
        "expires_on": EXPIRES,
        "owner": "alice",
        "scope": "research and exchanges",
    }
    fields.update(overrides)
    return apply(ag.draft(**fields))


def in_status(status: str) -> Agreement:
    """An agreement brought to `status` through the life cycle itself."""
    current = drafted()
    if status == "draft":
        return current
    current = apply(ag.submit(current, SUBMITTED))
    if status == "under_review":
        return current
    if status == "withdrawn":
        withdrawn = ag.withdraw(current, SUBMITTED, "the partner chose another route")
        assert withdrawn is not None
        return apply(withdrawn)
    current = apply(ag.sign(current, today=SIGNED, signed_on=SIGNED))
    if status == "signed":
        return current
    current = apply(ag.activate(current, today=EFFECTIVE))
    if status == "active":
        return current
    if status == "terminated":
        return apply(ag.terminate(current, today=TERMINATED, reason="partner withdrew"))
    if status == "expired":
        return apply(ag.expire(current, today=EXPIRES))
    raise AssertionError(status)


PERFORM: dict[str, Callable[[Agreement], Change | None]] = {
    "submit": lambda a: ag.submit(a, SUBMITTED),
    "sign": lambda a: ag.sign(a, today=SIGNED, signed_on=SIGNED),
    "activate": lambda a: ag.activate(a, today=EFFECTIVE),
    "terminate": lambda a: ag.terminate(a, today=TERMINATED, reason="partner withdrew"),
    "expire": lambda a: ag.expire(a, today=EXPIRES),
    "withdraw": lambda a: ag.withdraw(a, SUBMITTED, "not to be signed"),
}


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_builder_reaches_each_status(status: str) -> None:
    assert in_status(status).status == AgreementStatus(status)


def test_transition_table_is_the_documented_life_cycle() -> None:
    table = {
        (source.value, action): target.value for action, (sources, target) in TRANSITIONS.items() for source in sources
    }
    assert table == {pair: new_status for pair, (_, new_status) in LEGAL.items()}


@pytest.mark.parametrize(("status", "action"), sorted(LEGAL))
def test_legal_transition_produces_its_event_and_status(status: str, action: str) -> None:
    current = in_status(status)
    change = PERFORM[action](current)
    event, new_status = LEGAL[(status, action)]
    assert change is not None
    assert change.type == event
    assert change.state["status"] == new_status
    assert apply(change).status == AgreementStatus(new_status)
    # the input is not touched
    assert current.status == AgreementStatus(status)


# Withdrawing a withdrawn agreement is a repeat already satisfied: it changes nothing (see below).
ILLEGAL_USER_PAIRS = [
    (s, a) for s in ALL_STATUSES for a in USER_ACTIONS if (s, a) not in LEGAL and (s, a) != ("withdrawn", "withdraw")
]


def test_illegal_pairs_cover_every_other_combination() -> None:
    assert len(ILLEGAL_USER_PAIRS) == len(ALL_STATUSES) * len(USER_ACTIONS) - 7 - 1
    assert ("draft", "sign") in ILLEGAL_USER_PAIRS
    assert ("terminated", "terminate") in ILLEGAL_USER_PAIRS


@pytest.mark.parametrize(("status", "action"), ILLEGAL_USER_PAIRS)
def test_illegal_transition_is_refused(status: str, action: str) -> None:
    current = in_status(status)
    result: Change | None = None
    with pytest.raises(IllegalTransition) as caught:
        result = PERFORM[action](current)
    assert result is None
    assert caught.value.status == 409
    assert caught.value.extensions["current_status"] == status
    assert caught.value.extensions["allowed_from"] == sorted(s.value for s in TRANSITIONS[action][0])
    assert current.status == AgreementStatus(status)


@pytest.mark.parametrize("status", ["draft", "under_review", "expired", "terminated", "withdrawn"])
def test_expire_outside_signed_or_active_changes_nothing(status: str) -> None:
    # `expire` is a timed rule run by the scheduler: outside signed/active it is a no-op
    # (None) rather than a 409, so that a second run after expiry is harmless.
    current = in_status(status)
    assert ag.expire(current, today=date(2030, 1, 1)) is None
    assert current.status == AgreementStatus(status)


# -- drafting ---------------------------------------------------------------------------


def test_draft_records_parties_dates_and_family_links() -> None:
    change = ag.draft(
        today=DRAFTED,
        type=AgreementType.FRAMEWORK,
        title="Framework with Tokyo",
        parties=[Party(partner_id="p-tok", lead=True), Party(partner_id="p-toh")],
        effective_from=EFFECTIVE,
        expires_on=EXPIRES,
    )
    assert change.type == "partners.agreement.drafted"
    assert change.state["status"] == "draft"
    assert change.state["drafted_on"] == "2024-01-10"
    assert change.state["effective_from"] == "2024-03-01"
    assert change.state["expires_on"] == "2027-02-28"
    assert change.state["party_ids"] == ["p-tok", "p-toh"]
    assert change.change == {"renewal_of": None, "amends": None, "framework_id": None}
    assert apply(change).lead_id == "p-tok"


def test_amendment_draft_points_to_the_agreement_it_changes() -> None:
    change = ag.draft(
        today=DRAFTED, type=AgreementType.MOU, title="Amendment 1", parties=[Party(partner_id="p-1")], amends="ag-1"
    )
    assert change.state["amends"] == "ag-1"
    assert change.change["amends"] == "ag-1"


def test_an_amendment_cannot_also_be_under_a_framework() -> None:
    with pytest.raises(InvalidInput) as caught:
        ag.draft(
            today=DRAFTED,
            type=AgreementType.MOU,
            title="Both",
            parties=[Party(partner_id="p-1")],
            amends="ag-1",
            framework_id="ag-fw",
        )
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("parties", "message"),
    [
        ([], "at least one"),
        ([Party(partner_id="p-1"), Party(partner_id="p-1", lead=True)], "only once"),
        ([Party(partner_id="p-1", lead=True), Party(partner_id="p-2", lead=True)], "at most one"),
    ],
)
def test_parties_at_least_one_unique_at_most_one_lead(parties: list[Party], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ag.draft(today=DRAFTED, type=AgreementType.MOU, title="t", parties=parties)
    assert message in caught.value.detail


def test_multi_party_without_a_lead_is_fine() -> None:
    current = drafted(parties=[Party(partner_id="p-1"), Party(partner_id="p-2"), Party(partner_id="p-3")])
    assert current.party_ids == ["p-1", "p-2", "p-3"]
    assert current.lead_id is None


@pytest.mark.parametrize(
    ("effective_from", "expires_on", "message"),
    [
        (date(2025, 1, 1), date(2025, 1, 1), "after effective_from"),
        (date(2025, 1, 1), date(2024, 12, 31), "after effective_from"),
    ],
)
def test_expires_on_comes_after_effective_from(effective_from: date, expires_on: date, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        drafted(effective_from=effective_from, expires_on=expires_on)
    assert message in caught.value.detail


def test_agreement_of_snapshot_ignores_meta_fields_and_party_ids() -> None:
    change = ag.draft(today=DRAFTED, type=AgreementType.MOU, title="t", parties=[Party(partner_id="p-1")])
    snapshot = Snapshot("ag-1", 3, {**change.state, "id": "ag-1", "version": 3, "created_at": "x", "updated_at": "y"})
    assert AGREEMENT.read(snapshot) == apply(change)


# -- the rules of each move -------------------------------------------------------------


def test_submit_records_the_day() -> None:
    change = ag.submit(in_status("draft"), SUBMITTED)
    assert change.state["submitted_on"] == "2024-01-20"


def test_sign_records_signed_on_and_signatories() -> None:
    signatories = [
        Signatory(name="Vice-President", side="university", signed_on=date(2024, 1, 30)),
        Signatory(name="Pro-Vice-Chancellor", side="partner", partner_id="p-cam", signed_on=SIGNED),
    ]
    change = ag.sign(in_status("under_review"), today=date(2024, 2, 5), signed_on=SIGNED, signatories=signatories)
    assert change.type == "partners.agreement.signed"
    assert change.change == {"signed_on": "2024-02-01"}
    assert change.state["signed_on"] == "2024-02-01"
    assert [s["name"] for s in change.state["signatories"]] == ["Vice-President", "Pro-Vice-Chancellor"]


def test_sign_on_the_day_itself_is_fine() -> None:
    change = ag.sign(in_status("under_review"), today=SIGNED, signed_on=SIGNED)
    assert change.state["signed_on"] == SIGNED.isoformat()


def test_sign_date_cannot_be_in_the_future() -> None:
    with pytest.raises(InvalidInput) as caught:
        ag.sign(in_status("under_review"), today=SIGNED, signed_on=date(2024, 2, 2))
    assert "future" in caught.value.detail
    assert caught.value.errors[0]["pointer"] == "#/signed_on"


def test_an_agreement_signed_long_ago_can_be_recorded() -> None:
    # Agreements signed on paper years before the platform existed are entered later.
    signed = ag.sign(in_status("under_review"), today=SIGNED, signed_on=date(2010, 1, 1))
    assert signed.state["signed_on"] == "2010-01-01"


def test_expires_on_comes_after_signed_on() -> None:
    current = drafted(effective_from=None, expires_on=date(2024, 2, 1))
    current = apply(ag.submit(current, SUBMITTED))
    with pytest.raises(InvalidInput) as caught:
        ag.sign(current, today=date(2024, 2, 1), signed_on=date(2024, 2, 1))
    assert "after signed_on" in caught.value.detail


def test_activate_records_effective_from() -> None:
    change = ag.activate(in_status("signed"), today=date(2024, 4, 1))
    assert change.state["effective_from"] == "2024-03-01"
    assert change.state["status"] == "active"


def test_activate_takes_effective_from_when_the_agreement_has_none() -> None:
    current = apply(ag.sign(apply(ag.submit(drafted(effective_from=None), SUBMITTED)), today=SIGNED, signed_on=SIGNED))
    change = ag.activate(current, today=date(2024, 2, 10), effective_from=date(2024, 2, 5))
    assert change.state["effective_from"] == "2024-02-05"


def test_activation_needs_effective_from() -> None:
    current = apply(ag.sign(apply(ag.submit(drafted(effective_from=None), SUBMITTED)), today=SIGNED, signed_on=SIGNED))
    with pytest.raises(RuleViolation) as caught:
        ag.activate(current, today=date(2024, 6, 1))
    assert not isinstance(caught.value, IllegalTransition)
    assert caught.value.extensions["missing"] == ["effective_from"]


def _signed_without_signed_on(**fields: Any) -> Agreement:
    return Agreement(
        type=AgreementType.MOU,
        title="t",
        status=S.SIGNED,
        parties=[Party(partner_id="p-1")],
        drafted_on=DRAFTED,
        **fields,
    )


def test_activation_needs_signed_on() -> None:
    with pytest.raises(RuleViolation) as caught:
        ag.activate(_signed_without_signed_on(effective_from=EFFECTIVE), today=date(2024, 6, 1))
    assert caught.value.extensions["missing"] == ["signed_on"]


def test_activation_names_both_missing_dates() -> None:
    with pytest.raises(RuleViolation) as caught:
        ag.activate(_signed_without_signed_on(), today=date(2024, 6, 1))
    assert caught.value.extensions["missing"] == ["effective_from", "signed_on"]


def test_activation_not_before_effective_from() -> None:
    current = in_status("signed")
    with pytest.raises(RuleViolation) as caught:
        ag.activate(current, today=date(2024, 2, 29))
    assert caught.value.extensions == {"effective_from": "2024-03-01"}
    assert ag.activate(current, today=date(2024, 3, 1)).state["status"] == "active"


def test_activation_with_an_effective_from_after_expiry_is_invalid() -> None:
    current = apply(ag.sign(apply(ag.submit(drafted(effective_from=None), SUBMITTED)), today=SIGNED, signed_on=SIGNED))
    with pytest.raises(InvalidInput):
        ag.activate(current, today=date(2030, 1, 1), effective_from=date(2028, 1, 1))


@pytest.mark.parametrize("status", ["signed", "active"])
def test_terminate_records_reason_day_and_previous_status(status: str) -> None:
    change = ag.terminate(
        in_status(status), today=date(2025, 7, 10), reason="funding ended", terminated_on=date(2025, 7, 1)
    )
    assert change.type == "partners.agreement.terminated"
    assert change.change == {"reason": "funding ended", "terminated_on": "2025-07-01", "from": status}
    assert change.state["terminated_on"] == "2025-07-01"
    assert change.state["termination_reason"] == "funding ended"


def test_terminated_on_defaults_to_today() -> None:
    change = ag.terminate(in_status("active"), today=date(2025, 7, 10), reason="r")
    assert change.state["terminated_on"] == "2025-07-10"


def test_terminated_on_not_before_signed_on() -> None:
    current = in_status("signed")
    with pytest.raises(InvalidInput) as caught:
        ag.terminate(current, today=date(2025, 1, 1), reason="r", terminated_on=date(2024, 1, 31))
    assert "signed_on" in caught.value.detail
    assert (
        ag.terminate(current, today=date(2025, 1, 1), reason="r", terminated_on=SIGNED).state["terminated_on"]
        == "2024-02-01"
    )


def test_terminated_on_not_in_the_future() -> None:
    with pytest.raises(InvalidInput) as caught:
        ag.terminate(in_status("active"), today=date(2025, 1, 1), reason="r", terminated_on=date(2025, 1, 2))
    assert "future" in caught.value.detail


# -- withdrawal --------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "under_review"])
def test_withdrawal_before_signature_records_the_reason_the_day_and_where_from(status: str) -> None:
    change = ag.withdraw(in_status(status), date(2024, 1, 25), "the partner chose another route")
    assert change is not None
    assert change.type == "partners.agreement.withdrawn"
    assert change.change == {"reason": "the partner chose another route", "withdrawn_on": "2024-01-25", "from": status}
    withdrawn = apply(change)
    assert withdrawn.status == S.WITHDRAWN and withdrawn.withdrawal_reason == "the partner chose another route"
    assert withdrawn.withdrawn_on == date(2024, 1, 25)


@pytest.mark.parametrize("status", ["signed", "active", "expired", "terminated"])
def test_a_signed_agreement_is_not_withdrawn_but_terminated(status: str) -> None:
    with pytest.raises(IllegalTransition) as caught:
        ag.withdraw(in_status(status), date(2025, 1, 1), "r")
    assert caught.value.extensions["allowed_from"] == ["draft", "under_review"]


def test_withdrawn_is_final_and_withdrawing_again_changes_nothing() -> None:
    withdrawn = in_status("withdrawn")
    assert ag.withdraw(withdrawn, date(2025, 1, 1), "another reason") is None
    assert ag.flag_signature_overdue(withdrawn, date(2030, 1, 1), 30) is None
    assert ag.remind_expiry(withdrawn, date(2027, 2, 1)) is None
    with pytest.raises(IllegalTransition):
        ag.edit(withdrawn, {"notes": "x"})


def test_a_withdrawn_renewal_frees_its_predecessor_for_another() -> None:
    renewed = apply(ag.mark_renewed(in_status("active"), "ag-2", {}))
    assert ag.forget_withdrawn_renewal(renewed, "ag-other") is None
    change = ag.forget_withdrawn_renewal(renewed, "ag-2")
    assert change is not None and change.type == "partners.agreement.amended"
    assert change.change == {"fields": ["renewed_by"], "withdrawn_successor_id": "ag-2"}
    freed = apply(change)
    assert freed.renewed_by is None and ag.forget_withdrawn_renewal(freed, "ag-2") is None
    assert apply(ag.mark_renewed(freed, "ag-3", {})).renewed_by == "ag-3"


# -- editing ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "under_review"])
def test_terms_can_be_edited_before_signature(status: str) -> None:
    change = ag.edit(in_status(status), {"title": "New title", "expires_on": date(2028, 2, 28), "owner": "alice"})
    assert change is not None
    assert change.type == "partners.agreement.amended"
    assert change.change == {"fields": ["expires_on", "title"]}
    assert change.state["title"] == "New title"
    assert change.state["expires_on"] == "2028-02-28"


def test_edit_of_parties_before_signature() -> None:
    change = ag.edit(in_status("draft"), {"parties": [{"partner_id": "p-imp", "lead": True}]})
    assert change is not None
    assert change.state["party_ids"] == ["p-imp"]
    assert change.change == {"fields": ["parties"]}


@pytest.mark.parametrize(
    "edits",
    [
        {"title": "Strategic cooperation with Cambridge and Imperial"},
        {"owner": "alice", "expires_on": EXPIRES},
        {"parties": [Party(partner_id="p-cam", lead=True), Party(partner_id="p-imp")]},
        {"parties": [{"partner_id": "p-cam", "lead": True}, {"partner_id": "p-imp", "lead": False}]},
    ],
)
def test_edit_that_changes_nothing_returns_none(edits: dict[str, Any]) -> None:
    assert ag.edit(in_status("draft"), edits) is None


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ({"parties": []}, "at least one"),
        ({"parties": [{"partner_id": "p-1"}, {"partner_id": "p-1"}]}, "only once"),
        ({"parties": [{"partner_id": "p-1", "lead": True}, {"partner_id": "p-2", "lead": True}]}, "at most one"),
        ({"expires_on": EFFECTIVE}, "after effective_from"),
    ],
)
def test_edit_keeps_the_rules(edits: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ag.edit(in_status("draft"), edits)
    assert message in caught.value.detail


def test_edit_of_an_unknown_field_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        ag.edit(in_status("draft"), {"status": "active"})


@pytest.mark.parametrize("status", ["signed", "active"])
@pytest.mark.parametrize(
    ("edits", "locked"),
    [
        ({"title": "x"}, ["title"]),
        ({"expires_on": date(2030, 1, 1), "notes": "n", "parties": [{"partner_id": "p-x"}]}, ["expires_on", "parties"]),
        ({"effective_from": EFFECTIVE}, ["effective_from"]),
    ],
)
def test_terms_are_locked_after_signature(status: str, edits: dict[str, Any], locked: list[str]) -> None:
    result: Change | None = None
    with pytest.raises(RuleViolation) as caught:
        result = ag.edit(in_status(status), edits)
    assert result is None
    assert caught.value.extensions["fields"] == locked
    assert "amendment" in caught.value.detail


@pytest.mark.parametrize("status", ["signed", "active"])
def test_documents_notes_and_owner_can_change_after_signature(status: str) -> None:
    document = Document(
        name="signed.pdf", media_type="application/pdf", checksum="sha256:abc", location="s3://a/signed.pdf"
    )
    change = ag.edit(in_status(status), {"documents": [document], "notes": "countersigned copy filed", "owner": "bob"})
    assert change is not None
    assert change.change == {"fields": ["documents", "notes", "owner"]}
    assert change.state["status"] == status
    assert change.state["owner"] == "bob"
    assert change.state["documents"][0]["name"] == "signed.pdf"
    assert ag.edit(in_status(status), {"owner": "alice"}) is None


@pytest.mark.parametrize("status", ["expired", "terminated", "withdrawn"])
def test_nothing_is_edited_after_the_end(status: str) -> None:
    with pytest.raises(IllegalTransition) as caught:
        ag.edit(in_status(status), {"notes": "late note"})
    assert caught.value.extensions["current_status"] == status


# -- renewal ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["signed", "active", "expired"])
def test_renewal_is_recorded_on_the_predecessor(status: str) -> None:
    terms = {"effective_from": "2027-03-01", "expires_on": "2032-02-29"}
    change = ag.mark_renewed(in_status(status), "ag-2", terms)
    assert change.type == "partners.agreement.renewed"
    assert change.state["renewed_by"] == "ag-2"
    assert change.state["status"] == status
    assert change.change == {"successor_id": "ag-2", "terms": terms}


@pytest.mark.parametrize("status", ["draft", "under_review", "terminated", "withdrawn"])
def test_renewal_only_from_signed_active_or_expired(status: str) -> None:
    with pytest.raises(IllegalTransition) as caught:
        ag.mark_renewed(in_status(status), "ag-2", {})
    assert caught.value.extensions["current_status"] == status


@pytest.mark.parametrize("second_successor", ["ag-3", "ag-2"])
def test_an_agreement_is_renewed_only_once(second_successor: str) -> None:
    renewed = apply(ag.mark_renewed(in_status("active"), "ag-2", {}))
    with pytest.raises(RuleViolation) as caught:
        ag.mark_renewed(renewed, second_successor, {})
    assert caught.value.extensions == {"successor_id": "ag-2"}


def test_renewal_draft_copies_the_predecessor_with_new_dates() -> None:
    predecessor = in_status("active").model_copy(update={"framework_id": "ag-fw"})
    change = ag.renewal_draft(
        "ag-1", predecessor, date(2027, 1, 5), {"effective_from": "2027-03-01", "expires_on": "2032-02-29"}
    )
    assert change.type == "partners.agreement.drafted"
    state = change.state
    assert state["status"] == "draft"
    assert state["type"] == "strategic"
    assert state["title"] == "Strategic cooperation with Cambridge and Imperial"
    assert state["scope"] == "research and exchanges"
    assert state["parties"] == [{"partner_id": "p-cam", "lead": True}, {"partner_id": "p-imp", "lead": False}]
    assert state["owner"] == "alice"
    assert state["framework_id"] == "ag-fw"
    assert state["renewal_of"] == "ag-1"
    assert state["drafted_on"] == "2027-01-05"
    assert state["effective_from"] == "2027-03-01"
    assert state["expires_on"] == "2032-02-29"
    assert state["signed_on"] is None
    assert state["reminders_sent"] == []
    assert change.change == {"renewal_of": "ag-1", "amends": None, "framework_id": "ag-fw"}


def test_renewal_draft_takes_a_new_title_and_date_objects() -> None:
    change = ag.renewal_draft(
        "ag-1", in_status("expired"), date(2027, 3, 1), {"title": "Renewed", "expires_on": date(2030, 1, 1)}
    )
    assert change.state["title"] == "Renewed"
    assert change.state["effective_from"] is None
    assert change.state["expires_on"] == "2030-01-01"


def test_renewal_draft_keeps_the_date_rules() -> None:
    with pytest.raises(InvalidInput):
        ag.renewal_draft(
            "ag-1", in_status("active"), date(2027, 1, 5), {"effective_from": "2030-01-01", "expires_on": "2029-01-01"}
        )


# -- families -------------------------------------------------------------------------------


def test_link_amendment_is_idempotent() -> None:
    parent = in_status("active")
    change = ag.link_child(parent, "ag-a1", "amendment")
    assert change is not None
    assert change.type == "partners.agreement.amended"
    assert change.state["amendments"] == ["ag-a1"]
    assert change.change == {"amendment_id": "ag-a1"}
    linked = apply(change)
    assert ag.link_child(linked, "ag-a1", "amendment") is None
    again = ag.link_child(linked, "ag-a2", "amendment")
    assert again is not None and again.state["amendments"] == ["ag-a1", "ag-a2"]


def test_link_under_framework_is_idempotent() -> None:
    framework = drafted(type=AgreementType.FRAMEWORK)
    change = ag.link_child(framework, "ag-c1", "under_framework")
    assert change is not None
    assert change.state["under_framework"] == ["ag-c1"]
    assert change.state["amendments"] == []
    assert change.change == {"fields": ["under_framework"], "child_id": "ag-c1"}
    assert ag.link_child(apply(change), "ag-c1", "under_framework") is None


# -- a merged partner's place ----------------------------------------------------------------


def test_replace_party_gives_the_merged_partners_place_and_lead_to_its_successor() -> None:
    current = in_status("signed").model_copy(
        update={
            "signatories": [
                Signatory(name="Dean", side="partner", partner_id="p-cam"),
                Signatory(name="VP", side="university"),
            ]
        }
    )
    change = ag.replace_party(current, "p-cam", "p-new")
    assert change is not None
    assert change.type == "partners.agreement.amended"
    assert change.state["parties"] == [{"partner_id": "p-imp", "lead": False}, {"partner_id": "p-new", "lead": True}]
    assert change.state["party_ids"] == ["p-imp", "p-new"]
    assert [s["partner_id"] for s in change.state["signatories"]] == ["p-new", None]
    assert change.change == {"fields": ["parties"], "merged_partner": "p-cam", "successor_id": "p-new"}


def test_replace_party_of_a_non_lead_keeps_the_lead() -> None:
    change = ag.replace_party(in_status("active"), "p-imp", "p-new")
    assert change is not None
    assert change.state["parties"] == [{"partner_id": "p-cam", "lead": True}, {"partner_id": "p-new", "lead": False}]


def test_replace_party_when_the_successor_is_already_a_party() -> None:
    change = ag.replace_party(in_status("draft"), "p-cam", "p-imp")
    assert change is not None
    assert change.state["parties"] == [{"partner_id": "p-imp", "lead": True}]
    assert change.state["party_ids"] == ["p-imp"]


def test_replace_party_when_the_lead_successor_was_already_there() -> None:
    change = ag.replace_party(in_status("draft"), "p-imp", "p-cam")
    assert change is not None
    assert change.state["parties"] == [{"partner_id": "p-cam", "lead": True}]


@pytest.mark.parametrize("status", ["expired", "terminated", "withdrawn"])
def test_replace_party_leaves_ended_agreements_alone(status: str) -> None:
    assert ag.replace_party(in_status(status), "p-cam", "p-new") is None


def test_replace_party_of_a_partner_not_in_the_agreement() -> None:
    assert ag.replace_party(in_status("active"), "p-other", "p-new") is None
