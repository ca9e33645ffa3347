"""Aggregate types for the shared library's own tests: free-form states on catalogue topics."""

from __future__ import annotations

from pydantic import ConfigDict

from opp_shared.aggregate import AggregateState, AggregateType, EventChange, FieldsChanged, NoChange
from opp_shared.catalogue import EVENT_TYPES


class Sample(AggregateState):
    """Any fields, read as attributes (`state.count`)."""

    model_config = ConfigDict(frozen=True, extra="allow")


class OpenChange(EventChange):
    """Any `data.change`: the library's own tests are about the write model, not a contract."""

    model_config = ConfigDict(frozen=True, extra="allow")


def open_changes(topic: str) -> dict[str, type[EventChange]]:
    return dict.fromkeys(EVENT_TYPES[topic], OpenChange)


def sample_kind(
    topic: str = "partners.partner", collection: str = "partners", noun: str = "partner"
) -> AggregateType[Sample]:
    return AggregateType(
        topic=topic,
        state=Sample,
        noun=noun,
        id_prefix="smp",
        collection=collection,
        route="/api/v1/samples",
        changes=open_changes(topic),
    )


PARTNER_SAMPLE = sample_kind()
AGREEMENT_SAMPLE = sample_kind("partners.agreement", "agreements", "agreement")


def toy_centers(closed: type[EventChange], state: type[AggregateState] = Sample) -> AggregateType:
    """A toy aggregate type on `partners.center` whose `closed` events have the change model `closed`
    (the contract's tests: a model changed, broken or given a new version)."""
    return AggregateType(
        topic="partners.center",
        state=state,
        noun="toy",
        id_prefix="toy",
        collection="toys",
        route="/api/v1/toys",
        changes={"established": NoChange, "updated": FieldsChanged, "closed": closed},
    )
