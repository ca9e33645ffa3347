"""Typed changes: every event type declares the model of its `data.change`, and a change that does
not fit it cannot be built, nor recorded; what is recorded is the change as the model publishes it."""

from datetime import date
from enum import StrEnum

import pytest
from pydantic import Field

from opp_shared.aggregate import (
    AggregateState,
    AggregateType,
    Change,
    EventChange,
    FieldsChanged,
    NoChange,
    UndescribedChange,
)
from opp_shared.repository import Repository
from opp_shared.testing.fakes import InMemoryClaims, InMemoryEventStore
from opp_shared.testing.sample import toy_centers


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Toy(AggregateState):
    name: str
    status: Status = Status.OPEN


class ToyClosed(EventChange):
    reason: str | None
    closed_on: date
    from_: Status = Field(alias="from")
    note: str | None = None  # only when the domain sets it


TOY = toy_centers(ToyClosed, Toy)


def closed(**change):
    return Change(TOY.event("closed"), Toy(name="x", status=Status.CLOSED).state(), change)


def test_a_change_is_published_as_its_model_says():
    change = closed(reason=None, closed_on=date(2027, 3, 1), **{"from": Status.OPEN})
    # JSON (a date as text, an enum as its value), the field by its alias, nothing the domain did not set.
    assert change.change == {"reason": None, "closed_on": "2027-03-01", "from": "open"}
    assert type(change.type) is str and change.type == "partners.center.closed" and change.schema_version == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            {"reason": "r", "closed_on": "2027-03-01", "from": "open", "why": "x"}, id="a field it does not name"
        ),
        pytest.param({"reason": "r", "closed_on": "soon", "from": "open"}, id="a field of another type"),
        pytest.param({"reason": "r", "from": "open"}, id="a field missing"),
        pytest.param({"reason": "r", "closed_on": "2027-03-01", "from": "ajar"}, id="a value outside the enum"),
    ],
)
def test_a_change_the_model_does_not_describe_cannot_be_built(change):
    with pytest.raises(UndescribedChange, match="partners.center.closed"):
        closed(**change)
    with pytest.raises(UndescribedChange):
        Change(TOY.event("established"), {"name": "x"}, {"anything": 1})  # NoChange: nothing at all


async def test_the_repository_records_only_changes_the_contract_describes():
    repository = Repository(InMemoryEventStore({TOY.topic: TOY.collection}), TOY, InMemoryClaims())
    # A change built from a plain name (no model attached) is checked when it is recorded.
    with pytest.raises(UndescribedChange):
        await repository.create("toy_1", Change("partners.center.established", {"name": "x"}, {"extra": True}))
    with pytest.raises(UndescribedChange, match="not an event type of partners.center"):
        await repository.create("toy_1", Change("partners.partner.registered", {"name": "x"}))
    created = await repository.create("toy_1", Change("partners.center.established", {"name": "x"}))
    changed = await repository.change(
        created.id, lambda toy: Change("partners.center.updated", toy.evolve(name="y").state(), {"fields": ("name",)})
    )
    history, _ = await repository.events.history(TOY.topic, "toy_1")
    assert [e.change for e in history] == [{}, {"fields": ["name"]}] and changed.version == 2
    assert history[1].dataschema == "urn:opp:event-schema:partners.center.updated:1"


def test_an_aggregate_type_declares_the_change_model_of_every_action_and_no_other():
    base = dict(topic="partners.center", state=Toy, noun="toy", id_prefix="toy", collection="toys", route="/api/v1/t")
    with pytest.raises(ValueError, match=r"missing \['closed'\]"):
        AggregateType(**base, changes={"established": NoChange, "updated": FieldsChanged})
    with pytest.raises(ValueError, match=r"unknown \['reopened'\]"):
        AggregateType(**base, changes={**TOY.changes, "reopened": NoChange})
    with pytest.raises(ValueError, match="must be an EventChange"):
        AggregateType(**base, changes={**TOY.changes, "closed": dict})
