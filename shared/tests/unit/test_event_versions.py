"""A new major version of an event type, with a toy type: published beside the old one until the old
one's deprecation period ends, both described by the contract, each taken by the consumers that know it."""

import json
from datetime import UTC, date, datetime

import pytest

from opp_shared import asyncapi
from opp_shared.aggregate import (
    AggregateState,
    AggregateType,
    Change,
    EventChange,
    OlderVersion,
)
from opp_shared.contract import EventContract, RejectedEvent, UnknownSchemaVersion
from opp_shared.envelope import CloudEvent
from opp_shared.event_schemas import SCHEMA_SUFFIX, ShippedSchemaChecks, json_schema, schemas_of
from opp_shared.eventstore import EventMeta, build_record
from opp_shared.state_topics import Outgoing
from opp_shared.testing.sample import toy_centers


class Toy(AggregateState):
    name: str


class ClosedV1(EventChange):
    reason: str  # free text


class ClosedV2(EventChange):
    """Version 2: the reason became a code and a note: a breaking change of `data.change`."""

    schema_version = 2
    older_versions = (
        OlderVersion(
            version=1,
            change=ClosedV1,
            downgrade=lambda change: {"reason": f"{change['code']}: {change['note']}"},
            published_until=date(2027, 6, 30),
        ),
    )

    code: str
    note: str


class ClosedInPlace(EventChange):
    code: str
    note: str


def toy(closed: type[EventChange]) -> AggregateType:
    return toy_centers(closed, Toy)


BEFORE, AFTER = toy(ClosedV1), toy(ClosedV2)


def record_of(kind: AggregateType, day: date) -> dict:
    change = Change(kind.event("closed"), {"name": "x"}, {"code": "moved", "note": "to Shenzhen"})
    record, _ = build_record(
        source="/opp/partners",
        aggregate_type=kind.topic,
        aggregate_id="toy_1",
        previous=None,
        change=change,
        meta=EventMeta(),
        now=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
    )
    return record


def published(record: dict, kind: AggregateType) -> list[tuple[str, dict]]:
    return [(m.topic, json.loads(m.value)) for m in Outgoing({kind.topic: kind}).messages(record)]


def test_during_the_deprecation_period_each_change_is_published_in_both_versions_then_only_in_the_new():
    record = record_of(AFTER, date(2027, 6, 30))  # the last day of version 1
    assert record["event"]["dataschema"] == "urn:opp:event-schema:partners.center.closed:2"
    (topic, current), (same_topic, older), (state_topic, state) = published(record, AFTER)
    assert topic == same_topic == "partners.center" and state_topic == "partners.center.state"
    assert current["data"]["change"] == {"code": "moved", "note": "to Shenzhen"}
    # The same change in version 1: same id, subject and sequence, so a subscriber sees it once.
    assert older["dataschema"] == "urn:opp:event-schema:partners.center.closed:1"
    assert older["data"]["change"] == {"reason": "moved: to Shenzhen"}
    assert (older["id"], older["subject"], older["sequence"]) == (current["id"], current["subject"], 1)
    assert state == current  # the state topic holds the event as recorded, in the current version

    retired = published(record_of(AFTER, date(2027, 7, 1)), AFTER)
    assert [(t, e["dataschema"][-1]) for t, e in retired] == [("partners.center", "2"), ("partners.center.state", "2")]


def test_the_contract_describes_both_versions_and_the_new_one_breaks_no_subscriber_of_the_old():
    names = [(s.name, s.version, s.published_until) for s in schemas_of(AFTER) if s.event_type.endswith("closed")]
    assert names == [
        ("partners.center.closed.v2", 2, None),
        ("partners.center.closed", 1, date(2027, 6, 30)),
    ]
    before = json.loads(json.dumps(asyncapi.document("toy", "Toy", [BEFORE])))
    after = json.loads(json.dumps(asyncapi.document("toy", "Toy", [AFTER])))
    messages = after["components"]["messages"]
    assert messages["partners.center.closed"]["x-opp-published-until"] == "2027-06-30"
    assert "x-opp-published-until" not in messages["partners.center.closed.v2"]
    # A state topic holds each aggregate's latest event in the version it was recorded in: either.
    assert set(after["channels"]["partners.center.state"]["messages"]) == set(
        after["channels"]["partners.center"]["messages"]
    )
    assert asyncapi.breaking_changes(before, after) == []
    # Changing version 1 in place instead breaks its subscribers.
    in_place = json.loads(json.dumps(asyncapi.document("toy", "Toy", [toy(ClosedInPlace)])))
    assert "partners.center.closed.data.change.reason: removed" in asyncapi.breaking_changes(before, in_place)


def test_consumers_take_the_versions_they_know_and_leave_the_others(tmp_path):
    record = record_of(AFTER, date(2027, 1, 15))
    current, older, _ = (CloudEvent.model_validate(e) for _, e in published(record, AFTER))

    def shipped(folder, kind, versions):
        folder.mkdir()
        for schema in schemas_of(kind):
            if schema.version in versions:
                (folder / f"{schema.name}{SCHEMA_SUFFIX}").write_text(json.dumps(json_schema(schema)))
        return EventContract(data_checks=ShippedSchemaChecks(folder))

    both = shipped(tmp_path / "new", AFTER, {1, 2})
    both.check(current, "partners.center", b"toy_1")
    both.check(older, "partners.center", b"toy_1")  # a subscriber of either version finds its copy
    only_v1 = shipped(tmp_path / "old", BEFORE, {1})  # a consumer deployed before version 2
    only_v1.check(older, "partners.center", b"toy_1")
    with pytest.raises(UnknownSchemaVersion):
        only_v1.check(current, "partners.center", b"toy_1")  # not refused: left for the copy it knows
    with pytest.raises(RejectedEvent, match="does not fit"):
        both.check(current.model_copy(update={"dataschema": older.dataschema}), "partners.center", b"toy_1")
    with pytest.raises(RejectedEvent, match="dataschema does not name a version"):
        both.check(current.model_copy(update={"dataschema": None}), "partners.center", b"toy_1")
