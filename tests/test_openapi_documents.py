"""What a frontend developer reads in each service's OpenAPI document: stable operation ids, the
problem answers of every operation, examples that are valid, tags that say what they group.
(Whether the services answer as documented is schemathesis's to check: test_openapi_fuzzing.py.)"""

from __future__ import annotations

import importlib
import json
import re

import jsonschema_rs
import pytest

from opp_devstack.manifest import services
from opp_shared.fields import StrictBody

SERVICES = list(services())
DOCUMENTS = {name: importlib.import_module(f"{name}.main").create_app().openapi() for name in SERVICES}
PROBLEM_JSON = "application/problem+json"


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_has_a_meaningful_id_unique_across_the_platform():
    seen: dict[str, str] = {}
    for name, document in DOCUMENTS.items():
        for path, method, operation in operations(document):
            operation_id = operation.get("operationId", "")
            # FastAPI's generated ids look like `register_api_v1_partners_post`.
            assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]*)+|[a-z]+", operation_id), f"{method} {path}: {operation_id!r}"
            if not path.startswith(("/health", "/metrics", "/asyncapi")):
                assert operation_id not in seen, f"{operation_id} in {name} and {seen[operation_id]}"
                seen[operation_id] = name
    assert {"registerPartner", "signAgreement", "awardProposal", "executeLicense", "addRule"} <= set(seen)


@pytest.mark.parametrize("service", SERVICES)
def test_every_error_answer_is_documented_as_the_problem_the_service_sends(service):
    document = DOCUMENTS[service]
    text = json.dumps(document)
    assert "HTTPValidationError" not in text, "FastAPI's own 422, which the services never send"
    responses = document["components"]["responses"]
    for path, method, operation in operations(document):
        if not path.startswith("/api/"):
            continue
        codes = set(operation["responses"])
        assert {"503"} <= codes, f"{method} {path}"
        if operation.get("security"):
            assert {"401", "403", "429"} <= codes, f"{method} {path}"
        if "{" in path:
            assert "404" in codes, f"{method} {path}"
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= codes, f"{method} {path}"
        for code, answer in operation["responses"].items():
            if code[0] in "45":
                answer = responses[answer["$ref"].rsplit("/", 1)[1]] if "$ref" in answer else answer
                assert answer["content"][PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_writes_document_contention_beside_an_unreachable_database_and_reads_do_not():
    partners = DOCUMENTS["partners"]
    write = partners["paths"]["/api/v1/partners"]["post"]["responses"]["503"]
    read = partners["paths"]["/api/v1/partners"]["get"]["responses"]["503"]
    assert write == {"$ref": "#/components/responses/UnavailableOrContention"}
    assert read == {"$ref": "#/components/responses/Unavailable"}
    examples = partners["components"]["responses"]["UnavailableOrContention"]["content"][PROBLEM_JSON]["examples"]
    types = {example["value"]["type"] for example in examples.values()}
    assert types == {"urn:opp:problem:unavailable", "urn:opp:problem:contention"}
    assert examples["contention"]["value"]["retry_after"] == 1


def test_edits_and_actions_document_a_stale_version():
    agreements = DOCUMENTS["partners"]["paths"]["/api/v1/agreements/{agreement_id}/sign"]["post"]
    assert agreements["responses"]["412"] == {"$ref": "#/components/responses/StaleVersion"}
    assert "412" not in DOCUMENTS["partners"]["paths"]["/api/v1/agreements"]["post"]["responses"]


def test_request_examples_are_valid_bodies_and_every_create_has_one():
    examples = 0
    for model in _subclasses(StrictBody):
        for example in (model.model_config.get("json_schema_extra") or {}).get("examples", []):
            model.model_validate(example)  # a documented example the service would refuse is a lie
            examples += 1
    assert examples >= 25
    for name, document in DOCUMENTS.items():
        schemas = document["components"]["schemas"]
        for path, method, operation in operations(document):
            if method == "post" and "201" in operation["responses"] and "requestBody" in operation:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert schemas[ref.rsplit("/", 1)[1]].get("examples"), f"{name}: {method} {path} shows no example"


@pytest.mark.parametrize("service", SERVICES)
def test_every_tag_is_described(service):
    document = DOCUMENTS[service]
    described = {tag["name"]: tag.get("description") for tag in document.get("tags", [])}
    used = {tag for _, _, operation in operations(document) for tag in operation.get("tags", [])}
    assert used <= set(described), sorted(used - set(described))
    assert all(described[tag] for tag in used)


def test_answers_are_typed():
    for name, document in DOCUMENTS.items():
        for path, method, operation in operations(document):
            if path.startswith(("/asyncapi", "/metrics")):
                continue
            for code, answer in operation["responses"].items():
                for media, content in answer.get("content", {}).items() if code[0] == "2" else ():
                    schema = content.get("schema", {})
                    untyped = schema.get("type") == "object" and not schema.get("properties")
                    assert schema and not untyped, f"{name}: {method} {path} {code} {media} is untyped"


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_example_in_the_documents_is_valid_against_its_schema():
    """Request, answer and problem examples alike: a frontend developer copies them."""
    checked = 0
    for document in DOCUMENTS.values():
        components = document["components"]
        media = [
            content
            for _, _, operation in operations(document)
            for answer in [*operation["responses"].values(), operation.get("requestBody", {})]
            for content in answer.get("content", {}).values()
        ]
        media += [content for answer in components["responses"].values() for content in answer["content"].values()]
        for content in media:
            examples = [content["example"]] if "example" in content else []
            examples += [named["value"] for named in content.get("examples", {}).values()]
            schema = content.get("schema", {})
            if "$ref" in schema:
                examples += components["schemas"][schema["$ref"].rsplit("/", 1)[1]].get("examples", [])
            for example in examples:
                jsonschema_rs.Draft202012Validator({**schema, "components": components}).validate(example)
                checked += 1
    assert checked >= 60
    answers = DOCUMENTS["partners"]["paths"]["/api/v1/agreements/{agreement_id}"]["get"]["responses"]["200"]
    assert answers["content"]["application/json"]["example"]["partners"][0]["name_local"] == "清华大学"
