"""Partners: registering, editing, statuses, archiving and merging (pure domain)."""

from __future__ import annotations

from typing import Any

import pytest

from opp_shared.aggregate import Change, Snapshot
from opp_shared.errors import IllegalTransition, InvalidInput, RuleViolation
from partners.domain import partner as pd
from partners.domain.partner import PARTNER, STATUS_MOVES, Contact, Partner, PartnerKind, PartnerStatus, PartnerTier

ALL = [s.value for s in PartnerStatus]
# Moves allowed through /status (archiving is its own, final action).
LEGAL_MOVES = {("prospect", "active"), ("prospect", "dormant"), ("active", "dormant"), ("dormant", "active")}


def apply(change: Change) -> Partner:
    return Partner.model_validate(change.state)


def registered(**fields: Any) -> Partner:
    values: dict[str, Any] = {"name": "Universität Zürich", "kind": PartnerKind.UNIVERSITY, "country": "CH"}
    values.update(fields)
    return apply(pd.register(**values))


def in_status(status: str) -> Partner:
    if status == "archived":
        return apply(pd.archive(registered(status=PartnerStatus.ACTIVE), reason="no longer active"))  # type: ignore[arg-type]
    return registered(status=PartnerStatus(status))


# -- registering ----------------------------------------------------------------------------


def test_register_records_the_partner_and_its_name_key() -> None:
    change = pd.register(
        name="Universität  Zürich",
        kind=PartnerKind.UNIVERSITY,
        country="CH",
        tier=PartnerTier.STRATEGIC,
        contacts=[Contact(name="Anna Muster", email="anna@uzh.ch")],
    )
    assert change.type == "partners.partner.registered"
    assert change.change == {}
    assert change.state["name"] == "Universität  Zürich"
    assert change.state["name_key"] == "universitat zurich"
    assert change.state["status"] == "prospect"
    assert change.state["tier"] == "strategic"
    assert change.state["contacts"] == [{"name": "Anna Muster", "role": None, "email": "anna@uzh.ch", "phone": None}]
    assert change.state["merged_into"] is None
    assert change.state["merged_from"] == []


@pytest.mark.parametrize("status", ["prospect", "active", "dormant"])
def test_register_in_a_live_status(status: str) -> None:
    assert (
        pd.register(name="NUS", kind=PartnerKind.UNIVERSITY, country="SG", status=PartnerStatus(status)).state["status"]
        == status
    )


def test_register_refuses_archived() -> None:
    with pytest.raises(RuleViolation) as caught:
        pd.register(name="NUS", kind=PartnerKind.UNIVERSITY, country="SG", status=PartnerStatus.ARCHIVED)
    assert caught.value.status == 409
    assert "archived" in caught.value.detail


def test_partner_of_snapshot_ignores_meta_fields() -> None:
    change = pd.register(name="Toyota", kind=PartnerKind.ENTERPRISE, country="JP")
    snapshot = Snapshot("pt-1", 2, {**change.state, "id": "pt-1", "version": 2, "created_at": "a", "updated_at": "b"})
    assert PARTNER.read(snapshot) == apply(change)


# -- editing ---------------------------------------------------------------------------------


def test_edit_of_the_name_recomputes_its_key() -> None:
    change = pd.edit(registered(), {"name": "University of Zurich", "website": "https://www.uzh.ch"})
    assert change is not None
    assert change.type == "partners.partner.updated"
    assert change.state["name"] == "University of Zurich"
    assert change.state["name_key"] == "university of zurich"
    assert change.change == {"fields": ["name", "website"]}


def test_edit_of_the_name_spelling_keeps_the_key() -> None:
    change = pd.edit(registered(), {"name": "UNIVERSITÄT ZÜRICH"})
    assert change is not None
    assert change.state["name_key"] == "universitat zurich"
    assert change.change == {"fields": ["name"]}


@pytest.mark.parametrize(
    "edits",
    [
        {"name": "Universität Zürich"},
        {"country": "CH", "tier": PartnerTier.STANDARD},
        {"contacts": []},
        {"website": None},
    ],
)
def test_edit_that_changes_nothing_returns_none(edits: dict[str, Any]) -> None:
    assert pd.edit(registered(), edits) is None


def test_edit_of_contacts() -> None:
    change = pd.edit(registered(), {"contacts": [Contact(name="Liaison", role="international office")]})
    assert change is not None
    assert change.state["contacts"][0]["role"] == "international office"
    assert change.change == {"fields": ["contacts"]}


def test_edit_of_a_field_that_is_not_editable() -> None:
    with pytest.raises(InvalidInput):
        pd.edit(registered(), {"status": "active"})


def test_an_archived_partner_cannot_be_edited() -> None:
    with pytest.raises(RuleViolation) as caught:
        pd.edit(in_status("archived"), {"description": "x"})
    assert "archived" in caught.value.detail


# -- statuses ---------------------------------------------------------------------------------


def test_status_moves_are_the_documented_ones() -> None:
    moves = {(a.value, b.value) for a, targets in STATUS_MOVES.items() for b in targets}
    assert moves == LEGAL_MOVES
    assert set(STATUS_MOVES) == set(PartnerStatus)


@pytest.mark.parametrize(("start", "to"), sorted(LEGAL_MOVES))
def test_legal_status_change(start: str, to: str) -> None:
    change = pd.change_status(in_status(start), PartnerStatus(to), reason="annual review")
    assert change is not None
    assert change.type == "partners.partner.status_changed"
    assert change.state["status"] == to
    assert change.change == {"from": start, "to": to, "reason": "annual review"}


@pytest.mark.parametrize("status", ALL)
def test_status_change_to_the_same_status_is_a_no_op(status: str) -> None:
    assert pd.change_status(in_status(status), PartnerStatus(status)) is None


ILLEGAL_MOVES = [(a, b) for a in ALL for b in ALL if a != b and (a, b) not in LEGAL_MOVES]


@pytest.mark.parametrize(("start", "to"), ILLEGAL_MOVES)
def test_illegal_status_change_is_refused(start: str, to: str) -> None:
    assert len(ILLEGAL_MOVES) == 8
    result: Change | None = None
    with pytest.raises(IllegalTransition) as caught:
        result = pd.change_status(in_status(start), PartnerStatus(to))
    assert result is None
    assert caught.value.status == 409
    if to == "archived":
        assert "/archive" in caught.value.detail
    else:
        assert caught.value.extensions == {"current_status": start}


@pytest.mark.parametrize("status", ["prospect", "active", "dormant"])
def test_archive_from_a_live_status(status: str) -> None:
    change = pd.archive(in_status(status), reason="no joint activity since 2019")
    assert change is not None
    assert change.type == "partners.partner.archived"
    assert change.state["status"] == "archived"
    assert change.state["archived_reason"] == "no joint activity since 2019"
    assert change.change == {"from": status, "reason": "no joint activity since 2019"}


def test_archive_is_final_and_idempotent() -> None:
    archived = in_status("archived")
    assert pd.archive(archived, reason="again") is None


# -- merging ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["prospect", "active", "dormant"])
def test_merge_archives_and_points_to_the_successor(status: str) -> None:
    successor = registered(name="University of Zurich", status=PartnerStatus.ACTIVE)
    change = pd.merge_into(in_status(status), "pt-old", "pt-new", successor)
    assert change is not None
    assert change.type == "partners.partner.merged"
    assert change.state["status"] == "archived"
    assert change.state["merged_into"] == "pt-new"
    assert change.state["archived_reason"] == "merged into pt-new"
    assert change.change == {"successor_id": "pt-new", "from": status}


def test_merge_into_the_same_successor_again_is_a_no_op() -> None:
    successor = registered(name="University of Zurich")
    merged = apply(pd.merge_into(registered(), "pt-old", "pt-new", successor))  # type: ignore[arg-type]
    assert pd.merge_into(merged, "pt-old", "pt-new", successor) is None
    # also when the successor has been archived since
    assert pd.merge_into(merged, "pt-old", "pt-new", in_status("archived")) is None


def test_merge_twice_into_different_successors_is_refused() -> None:
    merged = apply(pd.merge_into(registered(), "pt-old", "pt-new", registered(name="A")))  # type: ignore[arg-type]
    with pytest.raises(RuleViolation) as caught:
        pd.merge_into(merged, "pt-old", "pt-other", registered(name="B"))
    assert caught.value.extensions == {"successor_id": "pt-new"}


def test_merge_into_itself_is_refused() -> None:
    current = registered()
    with pytest.raises(RuleViolation) as caught:
        pd.merge_into(current, "pt-1", "pt-1", current)
    assert "itself" in caught.value.detail


def test_merge_into_an_archived_partner_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        pd.merge_into(registered(), "pt-old", "pt-new", in_status("archived"))
    assert caught.value.extensions == {"successor_id": "pt-new"}


def test_merge_into_an_unknown_partner_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        pd.merge_into(registered(), "pt-old", "pt-missing", None)
    assert "pt-missing" in caught.value.detail


def test_record_merged_from_is_idempotent() -> None:
    successor = registered(name="University of Zurich")
    change = pd.record_merged_from(successor, "pt-old")
    assert change is not None
    assert change.type == "partners.partner.updated"
    assert change.state["merged_from"] == ["pt-old"]
    assert change.change == {"fields": ["merged_from"], "merged_from": "pt-old"}
    recorded = apply(change)
    assert pd.record_merged_from(recorded, "pt-old") is None
    second = pd.record_merged_from(recorded, "pt-older")
    assert second is not None and second.state["merged_from"] == ["pt-old", "pt-older"]
