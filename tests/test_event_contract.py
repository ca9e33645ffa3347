"""The event contract: each service's AsyncAPI document, generated from the code, against
the committed copy (`services/<name>/asyncapi.json`), for every service of the manifest;
and the per-type JSON Schemas and examples (docs/events/, and the copies the consumers
check with, opp_shared/schemas/). A change that would break a subscriber fails here, in
`data.state` or `data.change`; any other change only needs the copies regenerated
(`make generate`) so that the committed contract says what the code does."""

import copy
import json
from datetime import date
from enum import StrEnum

import pytest
from jsonschema import Draft202012Validator
from pydantic import ConfigDict

from opp_devstack import contracts
from opp_devstack.manifest import services
from opp_shared import asyncapi
from opp_shared.aggregate import AggregateState, EventChange
from opp_shared.asyncapi import breaking_changes
from opp_shared.contract import EventContract, RejectedEvent
from opp_shared.envelope import CloudEvent
from opp_shared.event_schemas import ShippedSchemaChecks
from opp_shared.testing.sample import toy_centers

SERVICES = list(services())


def generated(service):
    # Through JSON, as the committed copy went: tuples become lists, keys strings.
    return json.loads(contracts.render(contracts.generated(service)))


def committed(service):
    return json.loads((services()[service].folder / "asyncapi.json").read_text())


@pytest.mark.parametrize("service", SERVICES)
def test_the_code_does_not_break_the_committed_contract(service):
    assert breaking_changes(committed(service), generated(service)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_contract_is_current(service):
    assert generated(service) == committed(service), "run `make asyncapi` and commit the result"


def test_the_partners_contract_names_every_event_of_the_catalogue():
    doc = generated("partners")
    topics = {"partners.partner", "partners.agreement", "partners.center"}
    assert set(doc["channels"]) == topics | {f"{topic}.state" for topic in topics}
    assert "partners.agreement.signature_overdue" in doc["components"]["messages"]
    state = doc["components"]["schemas"]["PartnerOut"]
    assert {"id", "version", "name", "country", "status", "merged_into"} <= set(state["required"])


def test_breaking_changes_are_recognised():
    old = generated("partners")
    cases = {
        "a removed property": lambda d: d["components"]["schemas"]["PartnerOut"]["properties"].pop("country"),
        "a changed type": lambda d: d["components"]["schemas"]["PartnerOut"]["properties"]["version"].update(
            type="string"
        ),
        "an optional property that was always there": lambda d: d["components"]["schemas"]["PartnerOut"][
            "required"
        ].remove("name"),
        "a lost enum value": lambda d: d["components"]["schemas"]["PartnerStatus"]["enum"].remove("dormant"),
        "a removed message": lambda d: d["channels"]["partners.agreement"]["messages"].pop(
            "partners.agreement.expired"
        ),
        "a removed channel": lambda d: d["channels"].pop("partners.center"),
        "null allowed where it was not": lambda d: d["components"]["schemas"]["PartnerOut"]["properties"].update(
            name={"anyOf": [{"type": "string"}, {"type": "null"}]}
        ),
    }
    for what, mutate in cases.items():
        new = copy.deepcopy(old)
        mutate(new)
        assert breaking_changes(old, new), what


def test_additions_are_not_breaking():
    old = generated("partners")
    new = copy.deepcopy(old)
    partner = new["components"]["schemas"]["PartnerOut"]
    partner["properties"]["nickname"] = {"type": "string"}
    partner["required"].append("nickname")
    new["components"]["schemas"]["PartnerStatus"]["enum"].append("suspended")
    new["channels"]["partners.partner"]["messages"]["partners.partner.renamed"] = {"$ref": "#/components/messages/x"}
    assert breaking_changes(old, new) == []


def test_a_broken_change_model_of_a_service_is_recognised():
    old = generated("partners")
    new = copy.deepcopy(old)
    new["components"]["schemas"]["PartnerArchived"]["properties"].pop("reason")
    assert "partners.partner.archived.data.change.reason: removed" in breaking_changes(old, new)


# -- the guard fed broken change models -------------------------------------------------------


class Stage(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Toy(AggregateState):
    name: str


class Closed(EventChange):
    reason: str
    closed_on: date
    stage: Stage
    days_open: int


class Removed(EventChange):  # `days_open` gone
    reason: str
    closed_on: date
    stage: Stage


class Retyped(EventChange):  # `days_open` now a text
    reason: str
    closed_on: date
    stage: Stage
    days_open: str


class NoLongerRequired(EventChange):  # `reason` only sometimes there
    reason: str = "unknown"
    closed_on: date
    stage: Stage
    days_open: int


class NowNullable(EventChange):  # `reason` may be null
    reason: str | None
    closed_on: date
    stage: Stage
    days_open: int


class SmallerStage(StrEnum):  # `draft` gone
    OPEN = "open"
    CLOSED = "closed"


class LostEnumValue(EventChange):
    reason: str
    closed_on: date
    stage: SmallerStage
    days_open: int


class Grown(EventChange):  # a new optional field, a new enum value: no break
    model_config = ConfigDict(title="Closed")

    reason: str
    closed_on: date
    stage: Stage | None
    days_open: int
    reopened_by: str | None = None


def toy_contract(closed: type[EventChange]) -> dict:
    return json.loads(contracts.render(asyncapi.document("toy", "Toy", [toy_centers(closed, Toy)])))


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        (Removed, "partners.center.closed.data.change.days_open: removed"),
        (Retyped, "partners.center.closed.data.change.days_open: type ['integer'] became ['string']"),
        (NoLongerRequired, "partners.center.closed.data.change.reason: no longer always present"),
        (NowNullable, "partners.center.closed.data.change.reason: type ['string'] became ['null', 'string']"),
        (LostEnumValue, "partners.center.closed.data.change.stage: enum lost ['draft']"),
    ],
)
def test_the_guard_catches_every_kind_of_breaking_change_of_a_change_model(model, problem):
    found = breaking_changes(toy_contract(Closed), toy_contract(model))
    assert problem in found and all(p.startswith("partners.center.closed.data.change.") for p in found), found


def test_the_guard_lets_a_change_model_grow():
    assert breaking_changes(toy_contract(Closed), toy_contract(Closed)) == []
    grown = toy_contract(Grown)
    grown["components"]["schemas"]["Stage"]["enum"].append("archived")
    assert [p for p in breaking_changes(toy_contract(Closed), grown) if "null" not in p] == []


# -- per-type schemas and examples ----------------------------------------------------------------


def test_the_event_schemas_and_examples_are_current():
    files = contracts.event_files()
    for folder in (contracts.EVENTS_DOCS, contracts.SHIPPED_SCHEMAS):
        assert contracts.stale(folder, files) == [], "run `make generate` and commit the result"
    changed = [str(p) for p, content in files.items() if not p.is_file() or p.read_text() != content]
    assert changed == [], "run `make generate` and commit the result"


EXAMPLES = sorted(contracts.EVENTS_DOCS.glob("*.example.json"))


def test_there_is_a_schema_and_an_example_for_every_event_type_of_every_service():
    from opp_shared.catalogue import all_event_types

    assert {p.name.removesuffix(".example.json") for p in EXAMPLES} >= set(all_event_types())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name.removesuffix(".example.json"))
def test_each_example_is_valid_and_passes_what_our_consumers_check(example):
    document = json.loads(example.with_name(example.name.replace(".example.", ".schema.")).read_text())
    Draft202012Validator.check_schema(document)
    event = json.loads(example.read_text())
    Draft202012Validator(document).validate(event)
    contract = EventContract(data_checks=ShippedSchemaChecks())
    cloud_event = CloudEvent.model_validate(event)
    contract.check(cloud_event, cloud_event.topic, cloud_event.subject.encode())


def test_our_consumers_refuse_data_that_does_not_fit_its_schema():
    event = CloudEvent.model_validate(
        json.loads((contracts.EVENTS_DOCS / "partners.partner.archived.example.json").read_text())
    )
    contract = EventContract(data_checks=ShippedSchemaChecks())
    broken = {
        "data.state.country": {**event.data, "state": {**event.data["state"], "country": 44}},
        "data.change": {**event.data, "change": {"reason": "merged"}},  # `from` missing
        "data.state.status": {**event.data, "state": {**event.data["state"], "status": "vanished"}},
    }
    for where, data in broken.items():
        with pytest.raises(
            RejectedEvent, match=f"{where}.* does not fit urn:opp:event-schema:partners.partner.archived:1"
        ):
            contract.check(event.model_copy(update={"data": data}), "partners.partner", event.subject.encode())
    grown = {
        **event.data,
        "state": {**event.data["state"], "nickname": "IC"},
        "change": {**event.data["change"], "by": "x"},
    }
    contract.check(
        event.model_copy(update={"data": grown}), "partners.partner", event.subject.encode()
    )  # growth is fine
