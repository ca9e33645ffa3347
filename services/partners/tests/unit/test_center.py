"""Joint research centers: establish, update, close, a merged partner's place (pure domain)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from opp_shared.aggregate import Change, Snapshot
from opp_shared.errors import IllegalTransition, InvalidInput
from partners.domain import center as cd
from partners.domain.center import CENTER, Center, CenterStatus, Director

ESTABLISHED = date(2016, 5, 10)


def apply(change: Change) -> Center:
    return Center.model_validate(change.state)


def fields(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "Tsinghua-Toyota Joint Research Center",
        "partner_ids": ["p-toyota", "p-jhu"],
        "disciplines": ["mobility", "energy"],
        "directors": [
            Director(name="Prof. Li", side="university"),
            Director(name="Dr. Sato", side="partner", partner_id="p-toyota"),
        ],
        "established_on": ESTABLISHED,
    }
    values.update(overrides)
    return values


def established(**overrides: Any) -> Center:
    return apply(cd.establish(**fields(**overrides)))


def closed() -> Center:
    return apply(cd.close(established(), today=date(2024, 1, 1), reason="programme ended"))


def test_establish() -> None:
    change = cd.establish(**fields())
    assert change.type == "partners.center.established"
    assert change.state["status"] == "active"
    assert change.state["partner_ids"] == ["p-toyota", "p-jhu"]
    assert change.state["established_on"] == "2016-05-10"
    assert change.state["directors"][1]["partner_id"] == "p-toyota"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"partner_ids": []}, "at least one partner"),
        ({"partner_ids": ["p-toyota", "p-toyota"]}, "listed once"),
        ({"directors": [Director(name="X", side="partner", partner_id="p-elsewhere")]}, "partner-side director"),
        ({"directors": [Director(name="X", side="partner")]}, "partner-side director"),
        ({"closed_on": date(2016, 5, 9)}, "before established_on"),
    ],
)
def test_establish_keeps_the_rules(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        cd.establish(**fields(**overrides))
    assert message in caught.value.detail
    assert caught.value.status == 422


def test_center_of_snapshot() -> None:
    change = cd.establish(**fields())
    snapshot = Snapshot("c-1", 1, {**change.state, "id": "c-1", "version": 1})
    assert CENTER.read(snapshot) == apply(change)


def test_update() -> None:
    change = cd.update(
        established(), {"disciplines": ["mobility"], "website": "https://example.org", "name": fields()["name"]}
    )
    assert change is not None
    assert change.type == "partners.center.updated"
    assert change.state["disciplines"] == ["mobility"]
    assert change.change == {"fields": ["disciplines", "website"]}


def test_update_that_changes_nothing_returns_none() -> None:
    assert cd.update(established(), {"partner_ids": ["p-toyota", "p-jhu"], "website": None}) is None


def test_update_keeps_the_rules() -> None:
    with pytest.raises(InvalidInput) as caught:
        cd.update(established(), {"partner_ids": ["p-jhu"]})  # Dr. Sato's partner would be gone
    assert "partner-side director" in caught.value.detail


def test_update_of_a_field_that_is_not_editable() -> None:
    with pytest.raises(InvalidInput):
        cd.update(established(), {"status": "closed"})


def test_a_closed_center_cannot_be_updated() -> None:
    result: Change | None = None
    with pytest.raises(IllegalTransition) as caught:
        result = cd.update(closed(), {"description": "x"})
    assert result is None
    assert caught.value.extensions == {"current_status": "closed"}


def test_close() -> None:
    change = cd.close(established(), today=date(2024, 1, 10), reason="programme ended", closed_on=date(2023, 12, 31))
    assert change.type == "partners.center.closed"
    assert change.state["status"] == "closed"
    assert change.state["closed_on"] == "2023-12-31"
    assert change.state["closure_reason"] == "programme ended"
    assert change.change == {"reason": "programme ended", "closed_on": "2023-12-31"}


def test_close_defaults_to_today() -> None:
    assert cd.close(established(), today=date(2024, 1, 10), reason=None).state["closed_on"] == "2024-01-10"


def test_close_not_in_the_future() -> None:
    with pytest.raises(InvalidInput):
        cd.close(established(), today=date(2024, 1, 10), reason=None, closed_on=date(2024, 1, 11))


def test_close_not_before_establishment() -> None:
    with pytest.raises(InvalidInput):
        cd.close(established(), today=date(2024, 1, 10), reason=None, closed_on=date(2015, 1, 1))


def test_close_twice_is_refused() -> None:
    current = closed()
    assert current.status == CenterStatus.CLOSED
    result: Change | None = None
    with pytest.raises(IllegalTransition) as caught:
        result = cd.close(current, today=date(2024, 2, 1), reason="again")
    assert result is None
    assert caught.value.status == 409
    assert caught.value.extensions == {"current_status": "closed"}


def test_replace_partner_moves_partner_and_directors_to_the_successor() -> None:
    change = cd.replace_partner(established(), "p-toyota", "p-toyota-new")
    assert change is not None
    assert change.type == "partners.center.updated"
    assert change.state["partner_ids"] == ["p-toyota-new", "p-jhu"]
    assert [d["partner_id"] for d in change.state["directors"]] == [None, "p-toyota-new"]
    assert change.change == {"fields": ["partner_ids"], "merged_partner": "p-toyota", "successor_id": "p-toyota-new"}


def test_replace_partner_when_the_successor_is_already_there() -> None:
    change = cd.replace_partner(established(), "p-toyota", "p-jhu")
    assert change is not None
    assert change.state["partner_ids"] == ["p-jhu"]
    assert change.state["directors"][1]["partner_id"] == "p-jhu"


def test_replace_partner_leaves_closed_centers_and_strangers_alone() -> None:
    assert cd.replace_partner(closed(), "p-toyota", "p-new") is None
    assert cd.replace_partner(established(), "p-other", "p-new") is None
