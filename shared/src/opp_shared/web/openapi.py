"""The OpenAPI document a service publishes, telling the truth about its error answers.

FastAPI documents a route's success answer and a 422 of its own shape
(`HTTPValidationError`, `application/json`), which is not what the services
send. Every error the platform answers is an RFC 9457 problem
(`application/problem+json`, `Problem` below), and which of them a route can
answer follows from what the route takes, so they are added here once, for
every route, from its own operation:

| the operation has                 | it can answer                          |
| --------------------------------- | -------------------------------------- |
| a path under `/api/`              | 503 the database cannot be reached     |
| ... and a method other than GET   | 503 also: the resource is busy         |
| a bearer token requirement        | 401, 403, 429                          |
| a path parameter                  | 404 unknown id                         |
| any parameter or a body           | 422 invalid input                      |
| a body                            | 400 not JSON, 413 too large            |
| a method other than GET           | 409 a rule or the life cycle refuses   |
| an `If-Match` header              | 412 stale version                      |

A route that answers something more (a ticket refused with a 401 on a route
without a bearer token) names it in its own `responses`, with a description
only; the content of every 4xx/5xx answer without one is the problem schema.
The schemathesis run in the test suite holds the services to this document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from opp_shared.web.problems import PROBLEM_JSON

PROBLEM_REF = "#/components/schemas/Problem"
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


class FieldError(BaseModel):
    """One field of the request that is wrong: a JSON pointer into the body, or a parameter."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    detail: str = Field(description="What is wrong, in the platform's words")
    pointer: str | None = Field(None, description="JSON pointer into the body, e.g. `#/parties/0/partner_id`")
    in_: str | None = Field(None, alias="in", description="`query`, `header` or `path` for a parameter")
    parameter: str | None = Field(None, description="The parameter's name, with `in`")
    type: str | None = Field(None, description="The kind of error, e.g. `missing`, `string_too_long`")


class Problem(BaseModel):
    """An RFC 9457 problem: every error answer of the platform. Switch on `type`; some problems
    add members (`conflicting_id`, `current_status`, `allowed_from`, `current_version`,
    `required_roles`, `retry_after`, or the ids the rule is about)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="`urn:opp:problem:<slug>`, a stable identifier", pattern=r"^urn:opp:problem:[a-z-]+$")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    request_id: str | None = Field(None, description="Quote it when reporting a problem")
    errors: list[FieldError] | None = Field(None, description="The first 20 field errors")
    error_count: int | None = Field(None, description="How many field errors there were in all")
    current_version: int | None = Field(None, description="412: the version the resource is at")
    current_status: str | None = Field(None, description="409: the status the resource is in")
    allowed_from: list[str] | None = Field(None, description="409: the statuses this transition starts from")
    conflicting_id: str | None = Field(None, description="409: the resource that already holds the value")
    required_roles: list[str] | None = Field(None, description="403: any of these roles may do this")
    retry_after: int | None = Field(
        None, description="429, 503 `contention`: seconds until the client may try again (as `Retry-After`)"
    )


@dataclass(frozen=True)
class KnownProblem:
    """A problem the table above names: one of the document's `components.responses`."""

    name: str  # of the shared response, e.g. `NotFound`
    description: str  # when it is answered
    slug: str  # and an example of it
    title: str
    detail: str
    members: dict[str, Any] = field(default_factory=dict)
    # Other problems answered with the same status: then the response shows one example of each.
    alternatives: tuple[KnownProblem, ...] = ()

    def example(self, status: int) -> dict[str, Any]:
        return {
            "type": f"urn:opp:problem:{self.slug}",
            "title": self.title,
            "status": status,
            "detail": self.detail,
            "request_id": "0f6d1c1e-8c55-4a53-9a0e-2f1b7d1f4c1a",
            **self.members,
        }


PROBLEMS: dict[int, KnownProblem] = {
    400: KnownProblem(
        "MalformedJson",
        "The body is not JSON, or holds a number that is not finite",
        "malformed-json",
        "Body is not valid JSON",
        "the request body could not be parsed as JSON",
    ),
    401: KnownProblem(
        "Unauthenticated",
        "No bearer token, or one that is refused (`WWW-Authenticate: Bearer`)",
        "unauthenticated",
        "Missing or invalid credentials",
        "the bearer token has expired",
    ),
    403: KnownProblem(
        "Forbidden",
        "The caller's roles may not do this",
        "forbidden",
        "Not allowed for your roles",
        "this needs one of the roles ['admin', 'partnerships_officer']",
        {"required_roles": ["admin", "partnerships_officer"]},
    ),
    404: KnownProblem(
        "NotFound", "No resource with this id", "not-found", "Not found", "no partner with id 'ptn_01JD3W5V6Q8Z'"
    ),
    409: KnownProblem(
        "Conflict",
        "A business rule or the life cycle refuses the change",
        "illegal-transition",
        "Transition not allowed",
        "cannot sign an agreement that is draft",
        {"current_status": "draft", "allowed_from": ["under_review"]},
    ),
    412: KnownProblem(
        "StaleVersion",
        "`If-Match` names a version that is no longer current",
        "stale-version",
        "The resource has changed",
        "the agreement is at version 4, not 3",
        {"current_version": 4},
    ),
    413: KnownProblem(
        "PayloadTooLarge",
        "The body is over 1 MiB",
        "payload-too-large",
        "Request body too large",
        "the body is over the limit of 1048576 bytes",
    ),
    422: KnownProblem(
        "InvalidInput",
        "A field, parameter, header or cursor breaks its rule",
        "invalid-input",
        "Invalid input",
        "the request has invalid fields",
        {"errors": [{"pointer": "#/country", "detail": "not an ISO 3166-1 alpha-2 code"}], "error_count": 1},
    ),
    429: KnownProblem(
        "TooManyFailedAuthentications",
        "Too many refused credentials from this client (`Retry-After`)",
        "too-many-failed-authentications",
        "Too many failed authentications",
        "this client sent too many refused credentials; try again in 42 s",
        {"retry_after": 42},
    ),
    503: KnownProblem(
        "Unavailable",
        "The database cannot be reached (`Retry-After`)",
        "unavailable",
        "Service unavailable",
        "the database cannot be reached; try again shortly",
    ),
}


# A write can also lose every race for its resource's next version (`errors.Contention`).
CONTENTION = KnownProblem(
    "Contention",
    "The resource is busy: the change lost every race for its next version (`Retry-After`)",
    "contention",
    "The resource is busy",
    "the fund is changing too often right now; try again shortly",
    {"retry_after": 1},
)
WRITE_PROBLEMS: dict[int, KnownProblem] = {
    **PROBLEMS,
    503: KnownProblem(
        "UnavailableOrContention",
        "The database cannot be reached (`unavailable`), or the resource is busy: the change lost every "
        "race for its next version (`contention`); both with `Retry-After`",
        "unavailable",
        "Service unavailable",
        "the database cannot be reached; try again shortly",
        alternatives=(CONTENTION,),
    ),
}


def known_problem(status: int, method: str) -> KnownProblem:
    """The shared response documenting a status of an operation (writes can answer more 503s)."""
    return (PROBLEMS if method == "get" else WRITE_PROBLEMS)[status]


def _problem_content(status: int, known: KnownProblem | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": {"$ref": PROBLEM_REF}}
    known = known or PROBLEMS.get(status)
    if known and known.alternatives:
        content["examples"] = {
            problem.slug: {"summary": problem.title, "value": problem.example(status)}
            for problem in (known, *known.alternatives)
        }
    elif known:
        content["example"] = known.example(status)
    return {PROBLEM_JSON: content}


def problem_statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The problems an operation can answer, from what it takes (the module's table)."""
    parameters = operation.get("parameters", [])
    body = "requestBody" in operation
    statuses: set[int] = set()
    if operation.get("security"):
        statuses |= {401, 403, 429}
    if not path.startswith("/api/"):
        return statuses
    statuses.add(503)
    if any(p["in"] == "path" for p in parameters):
        statuses.add(404)
    if parameters or body:
        statuses.add(422)
    if body:
        statuses |= {400, 413}
    if method != "get":
        statuses.add(409)
    if any(p["in"] == "header" and p["name"].lower() == "if-match" for p in parameters):
        statuses.add(412)
    return statuses


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add the problem answers to every operation of a FastAPI document, and the problem schemas."""
    _, problem_schemas = models_json_schema(
        [(Problem, "serialization"), (FieldError, "serialization")], ref_template="#/components/schemas/{model}"
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(problem_schemas["$defs"])
    for name in FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    shared = document["components"].setdefault("responses", {})
    for status, known in [*PROBLEMS.items(), *WRITE_PROBLEMS.items()]:
        shared[known.name] = {"description": known.description, "content": _problem_content(status, known)}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            if FASTAPI_VALIDATION_SCHEMAS[0] in json.dumps(responses.get("422", {})):
                del responses["422"]  # FastAPI's own, of a shape the services never send
            for status in sorted(problem_statuses(path, method, operation)):
                name = known_problem(status, method).name
                responses.setdefault(str(status), {"$ref": f"#/components/responses/{name}"})
            for response in responses.values():
                for content in response.get("content", {}).values():
                    if EXAMPLE_KEY in content:
                        content["example"] = _EXAMPLES[content.pop(EXAMPLE_KEY)]
            for code, response in responses.items():
                # A route's own addition (a description of why it answers this) gets the problem's content.
                if code[0] in "45" and "content" not in response and "$ref" not in response:
                    response["content"] = _problem_content(int(code))
            operation["responses"] = dict(sorted(responses.items()))
    return document


def install_openapi(app: FastAPI, tags: list[dict[str, str]]) -> None:
    """Serve the completed document at `/openapi.json` (built once, on the first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=tags or None,
            )
            app.openapi_schema = complete(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


EXAMPLE_TIME = "2027-03-01T09:30:00.000Z"


def example_answer(state: dict[str, Any], resource_id: str, *, partners: dict[str, dict[str, Any]] | None = None):
    """An example answer of one resource, from a state its domain made (so that it cannot drift from the
    model): the state, the write model's fields and, when it names partners, their names."""
    answer = {**state, "id": resource_id, "version": 1, "created_at": EXAMPLE_TIME, "updated_at": EXAMPLE_TIME}
    if partners is not None:
        answer["partners"] = [
            {"id": i, **partners.get(i, {"name": None, "name_local": None})} for i in state["partner_ids"]
        ]
    return answer


# Examples of answers, put into the document by `complete`: FastAPI drops every null from what it
# documents, and an example answer without its null fields would not be one.
_EXAMPLES: dict[str, Any] = {}
EXAMPLE_KEY = "x-opp-example"


def example_of(*statuses: int, example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """A route's `responses` showing `example` as its JSON answer for these statuses."""
    key = f"example-{len(_EXAMPLES)}"
    _EXAMPLES[key] = example
    return {status: {"content": {"application/json": {EXAMPLE_KEY: key}}} for status in statuses}
