from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from opp_shared.catalogue import all_event_types, all_topics, dlq_topic, topic_of, topics_of
from opp_shared.envelope import CloudEvent, is_event_type, make_data

REQUIRED = ("specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data")
EXTENSIONS = ("sequence", "correlationid", "causationid", "traceparent", "actor")


def sample(**overrides):
    values = dict(
        id="e-1",
        source="/opp/partners",
        type="partners.partner.registered",
        subject="ptn_1",
        time=datetime(2026, 11, 25, 8, 30, tzinfo=UTC),
        dataschema="urn:opp:event-schema:partners.partner.registered:1",
        data=make_data({"name": "ETH Zürich"}, {"reason": None}),
        sequence=1,
        correlationid="c-1",
        causationid="r-1",
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
        actor="officer-7",
    )
    values.update(overrides)
    return CloudEvent(**values)


def test_round_trip_keeps_every_attribute_and_non_ascii_text():
    event = sample()
    again = CloudEvent.from_json_bytes(event.to_json_bytes())
    assert again == event
    assert again.state == {"name": "ETH Zürich"}


def test_json_has_all_required_attributes_and_extensions_and_utc_time():
    import json

    document = json.loads(sample().to_json_bytes())
    for name in REQUIRED + EXTENSIONS:
        assert name in document, name
    assert document["specversion"] == "1.0"
    assert document["time"] == "2026-11-25T08:30:00.000Z"


def test_time_is_normalised_to_utc_and_naive_time_is_refused():
    event = sample(time=datetime(2026, 11, 25, 16, 30, tzinfo=timezone(timedelta(hours=8))))
    assert event.time == datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    with pytest.raises(ValidationError):
        sample(time=datetime(2026, 11, 25, 8, 30))


def test_unknown_attributes_are_kept_not_refused():
    raw = sample().model_dump(mode="json") | {"newextension": "x"}
    event = CloudEvent.model_validate(raw)
    assert event.model_extra == {"newextension": "x"}


@pytest.mark.parametrize("missing", ["id", "source", "type"])
def test_missing_required_attribute_is_refused(missing):
    raw = sample().model_dump(mode="json")
    del raw[missing]
    with pytest.raises(ValidationError):
        CloudEvent.model_validate(raw)


def test_sequence_must_be_positive():
    with pytest.raises(ValidationError):
        sample(sequence=0)


def test_not_json_is_refused():
    with pytest.raises(ValidationError):
        CloudEvent.from_json_bytes(b"\xff not json")


def test_state_and_change_are_empty_for_foreign_data_shapes():
    event = sample(data=[1, 2])
    assert event.state == {} and event.change == {}
    assert event.topic == "partners.partner"


def test_catalogue_names_follow_the_convention():
    for name in all_event_types():
        assert is_event_type(name), name
        assert topic_of(name) in all_topics()
    assert "partners.agreement.signature_overdue" in all_event_types()
    assert topics_of("partners") == ["partners.partner", "partners.agreement", "partners.center"]
    assert dlq_topic("funding.award") == "funding.award.dlq"
    with pytest.raises(KeyError):
        topic_of("partners.partner.exploded")
