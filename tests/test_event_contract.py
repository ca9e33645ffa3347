"""The event contract: each service's AsyncAPI document, generated from the code, against
the committed copy (`services/<name>/asyncapi.json`), for every service of the manifest.
A change that would break a subscriber fails here; any other change only needs the copy
regenerated (`make asyncapi`) so that the committed contract says what the code does."""

import copy
import json

import pytest

from opp_devstack import contracts
from opp_devstack.manifest import services
from opp_shared.asyncapi import breaking_changes

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
    assert set(doc["channels"]) == {"partners.partner", "partners.agreement", "partners.center"}
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
