"""Aggregate types for the shared library's own tests: free-form states on catalogue topics."""

from __future__ import annotations

from pydantic import ConfigDict

from opp_shared.aggregate import AggregateState, AggregateType


class Sample(AggregateState):
    """Any fields, read as attributes (`state.count`)."""

    model_config = ConfigDict(frozen=True, extra="allow")


def sample_kind(
    topic: str = "partners.partner", collection: str = "partners", noun: str = "partner"
) -> AggregateType[Sample]:
    return AggregateType(
        topic=topic, state=Sample, noun=noun, id_prefix="smp", collection=collection, route="/api/v1/samples"
    )


PARTNER_SAMPLE = sample_kind()
AGREEMENT_SAMPLE = sample_kind("partners.agreement", "agreements", "agreement")
