"""Each event type's contract as a JSON Schema, generated from the code, and the check our consumers make with it.

An event type's contract is its envelope with `data.state` (the aggregate's
public state: the API's own answer model) and `data.change` (the model the
type declares, `AggregateType.changes`). A type may have several major
versions (`dataschema` `urn:opp:event-schema:<type>:<version>`): the current
one and older ones still described (`EventChange.older_versions`).

`python -m opp_devstack.contracts` (`make generate`) writes, for every version
of every type, a standalone JSON Schema (2020-12) and an example event into
docs/events/ and the same schemas into this package (`opp_shared/schemas/`),
because a consumer checks an incoming event against the schema of the
service that published it, whose code it does not import
(`ShippedSchemaChecks`, plugged into `contract.EventContract` by the runtime).
A test keeps both copies equal to what the code generates.

File names: `<type>.schema.json` for version 1, `<type>.v<version>.schema.json`
for later ones (`.example.json` likewise).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from importlib import resources
from typing import Any

import fastjsonschema
from fastjsonschema import JsonSchemaValueException
from pydantic import BaseModel

from opp_shared.aggregate import AggregateType, EventChange
from opp_shared.catalogue import EVENT_TYPES
from opp_shared.contract import RejectedEvent, UnknownSchemaVersion
from opp_shared.envelope import CloudEvent, schema_uri, schema_version

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_SUFFIX = ".schema.json"
EXAMPLE_SUFFIX = ".example.json"


@dataclass(frozen=True)
class EventSchema:
    """One major version of one event type's contract."""

    event_type: str
    version: int
    state: type[BaseModel]  # the model of `data.state`
    change: type[EventChange]  # the model of `data.change`
    published_until: date | None = None  # an older version: the last day it is published beside the current one
    downgrade: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # the current change -> this version's

    @property
    def uri(self) -> str:
        return schema_uri(self.event_type, self.version)

    @property
    def name(self) -> str:
        """`partners.partner.registered` for version 1, `partners.partner.registered.v2` after."""
        return self.event_type if self.version == 1 else f"{self.event_type}.v{self.version}"

    @property
    def current(self) -> bool:
        return self.published_until is None


def schemas_of(kind: AggregateType) -> Iterator[EventSchema]:
    """Every version of every event type of an aggregate type, the current one of each type first."""
    for action in EVENT_TYPES[kind.topic]:
        model = kind.changes[action]
        event_type = f"{kind.topic}.{action}"
        yield EventSchema(event_type, model.schema_version, kind.response, model)
        for older in model.older_versions:
            yield EventSchema(
                event_type, older.version, kind.response, older.change, older.published_until, older.downgrade
            )


def name_of(event_type: str, version: int) -> str:
    return event_type if version == 1 else f"{event_type}.v{version}"


# -- JSON Schema --------------------------------------------------------------------------


def envelope(schema: EventSchema, state_ref: str, change_ref: str) -> dict[str, Any]:
    """The CloudEvents envelope of one version of an event type, its data's parts referenced."""
    text = {"type": "string", "minLength": 1}
    until = f" Published until {schema.published_until.isoformat()}." if schema.published_until else ""
    return {
        "type": "object",
        "description": f"CloudEvents 1.0 envelope of `{schema.event_type}`, version {schema.version} "
        f"(structured mode).{until}",
        "required": [
            "specversion",
            "id",
            "source",
            "type",
            "subject",
            "time",
            "datacontenttype",
            "dataschema",
            "data",
            "sequence",
        ],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {**text, "description": "Unique per change; the key to de-duplicate by."},
            "source": text,
            "type": {"const": schema.event_type},
            "subject": {**text, "description": "The aggregate's id (also the Kafka key)."},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": schema.uri},
            "sequence": {"type": "integer", "minimum": 1, "description": "The aggregate's version after the change."},
            "correlationid": {"type": "string"},
            "causationid": {"type": "string"},
            "traceparent": {"type": "string"},
            "actor": {"type": "string"},
            "data": {
                "type": "object",
                "required": ["state", "change"],
                "properties": {
                    "state": {"$ref": state_ref, "description": "The aggregate's whole public state after the change."},
                    "change": {"$ref": change_ref, "description": "What is particular to this event."},
                },
            },
        },
    }


def add_model(schemas: dict[str, Any], model: type[BaseModel], ref_template: str) -> str:
    """Put a model's JSON Schema (serialization mode) and those it uses into `schemas`; answer its ref.
    Two different models of one name would overwrite each other: refused."""
    found = open_to_growth(model.model_json_schema(ref_template=ref_template, mode="serialization"))
    named = {**found.pop("$defs", {}), model.__name__: found}
    for name, schema in named.items():
        if schemas.get(name, schema) != schema:
            raise ValueError(f"two different models are named {name}: rename one")
        schemas[name] = schema
    return ref_template.format(model=model.__name__)


def open_to_growth(schema: Any) -> Any:
    """Without `additionalProperties: false`: a subscriber ignores fields it does not know, so a
    field added later must not fail an older check (a change model refuses unknown fields only
    when the change is built)."""
    if isinstance(schema, dict):
        return {k: open_to_growth(v) for k, v in schema.items() if not (k == "additionalProperties" and v is False)}
    if isinstance(schema, list):
        return [open_to_growth(v) for v in schema]
    return schema


def json_schema(schema: EventSchema) -> dict[str, Any]:
    """The standalone JSON Schema of one version of an event type: the whole envelope, its models in `$defs`."""
    defs: dict[str, Any] = {}
    template = "#/$defs/{model}"
    state_ref = add_model(defs, schema.state, template)
    change_ref = add_model(defs, schema.change, template)
    return {
        "$schema": DIALECT,
        "$id": schema.uri,
        "title": schema.name,
        **envelope(schema, state_ref, change_ref),
        "$defs": dict(sorted(defs.items())),
    }


# -- examples -------------------------------------------------------------------------------

EXAMPLE_TIME = "2026-11-25T13:10:01.217Z"
EXAMPLE_DAY = "2026-11-25"
# Values by field name, where a type alone would say too little (a country, a currency).
EXAMPLE_VALUES: dict[str, Any] = {
    "country": "GB",
    "licensee_country": "DE",
    "jurisdiction": "CN",
    "currency": "EUR",
    "email": "someone@example.org",
    "website": "https://www.example.org",
    "url": "https://partner.example.org/hooks/opp",
    "amount": "1234.50",
    "share": "50",
}
# Strings of a pattern, where the pattern is more than a type (the generator refuses one it does not know).
PATTERN_VALUES: dict[str, str] = {
    r"^[A-Z]{3}$": "EUR",
    r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$": "1234.50",
}


class Examples:
    """Makes a plausible event from a JSON Schema, deterministically: the same code gives the same example.
    `minimal`: null where null is allowed, lists as short as allowed (a base for tests to fill in)."""

    def __init__(self, schema: dict[str, Any], id_prefixes: Mapping[str, str], *, minimal: bool = False) -> None:
        self.defs = schema.get("$defs", {})
        self.id_prefixes = id_prefixes  # `partner` -> `ptn`: ids in examples look like the real ones
        self.minimal = minimal

    def value(self, schema: dict[str, Any], name: str = "") -> Any:
        if "$ref" in schema:
            return self.value(self.defs[schema["$ref"].rsplit("/", 1)[1]], name)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        options = schema.get("anyOf") or schema.get("oneOf")
        if options:
            nullable = any(o.get("type") == "null" for o in options)
            if nullable and self.minimal:
                return None
            chosen = next((o for o in options if o.get("type") != "null"), options[0])
            return self.value(chosen, name)
        kind = schema.get("type")
        if kind == "object":
            properties = schema.get("properties", {})
            return {key: self.value(properties[key], key) for key in schema.get("required", []) if key in properties}
        if kind == "array":
            item = self.value(schema.get("items", {}), name.removesuffix("s"))
            return [item] * (schema.get("minItems", 0) if self.minimal else max(1, schema.get("minItems", 1)))
        if kind == "integer":
            return max(schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
        if kind == "number":
            return schema.get("minimum", 1)
        if kind == "boolean":
            return False
        if kind == "null":
            return None
        return self.text(schema, name)

    def text(self, schema: dict[str, Any], name: str) -> str:
        if self.minimal and name == "amount":
            return "0.00"  # a base for tests: no money where the test names none
        if name in EXAMPLE_VALUES:
            return str(EXAMPLE_VALUES[name])
        if schema.get("examples"):
            return str(schema["examples"][0])
        pattern = schema.get("pattern")
        if pattern is not None:
            if pattern not in PATTERN_VALUES:
                raise ValueError(f"no example for the pattern {pattern!r} ({name}): add one to PATTERN_VALUES")
            return PATTERN_VALUES[pattern]
        fmt = schema.get("format")
        if fmt == "date-time" or name.endswith("_at") or name.endswith("_until"):
            return EXAMPLE_TIME
        if fmt == "date" or name.endswith("_on") or name.endswith("_date"):
            return EXAMPLE_DAY
        if fmt == "email":
            return EXAMPLE_VALUES["email"]
        if fmt == "uri":
            return EXAMPLE_VALUES["website"]
        stem = name.removesuffix("_ids").removesuffix("_id")
        if stem != name or name == "id":
            return example_id(self.id_prefixes.get(stem, "id"), name)
        return name.replace("_", " ") or "text"


def example_id(prefix: str, seed: str) -> str:
    """An id of the platform's form (a prefix and 26 characters), the same for the same seed."""
    digits = uuid.uuid5(uuid.NAMESPACE_URL, f"opp:{prefix}:{seed}").hex.upper()
    crockford = digits.translate(str.maketrans("", "", "ILOU"))[:26].ljust(26, "0")
    return f"{prefix}_01J{crockford[3:]}"


def example(schema: EventSchema, document: dict[str, Any], id_prefixes: Mapping[str, str]) -> dict[str, Any]:
    """An example event of one version of a type, valid against `document` (its JSON Schema)."""
    made = Examples(document, id_prefixes)
    topic = schema.event_type.rsplit(".", 1)[0]
    subject = example_id(id_prefixes.get(topic.split(".", 1)[1], "id"), topic)
    event = made.value(document)
    state = {**event["data"]["state"], "id": subject, "version": 3}
    return {
        **event,
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"opp:example:{schema.name}")),
        "source": f"/opp/{topic.split('.', 1)[0]}",
        "subject": subject,
        "time": EXAMPLE_TIME,
        "sequence": 3,
        "correlationid": "b7c1f3a2-5d4e-4f60-9a1b-2c3d4e5f6a70",
        "causationid": "b7c1f3a2-5d4e-4f60-9a1b-2c3d4e5f6a70",
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "actor": "alice",
        "data": {"state": state, "change": event["data"]["change"]},
    }


# -- the consumers' check ---------------------------------------------------------------------

_FILE = re.compile(r"^(?P<type>[a-z][a-z_]*\.[a-z][a-z_]*\.[a-z][a-z_]*)(\.v(?P<version>[0-9]+))?\.schema\.json$")


class ShippedSchemaChecks(Mapping[str, Callable[[CloudEvent], None]]):
    """`contract.EventContract.data_checks` from the schemas shipped in this package: an event's `data`
    must fit the schema of the version its `dataschema` names. One that names no version of its type
    is refused; one that names a version with no shipped schema is left alone (UnknownSchemaVersion):
    a subscriber takes the versions it knows and ignores the others."""

    def __init__(self, folder: Any = None) -> None:
        self.folder = folder if folder is not None else resources.files("opp_shared") / "schemas"

    @cached_property
    def versions(self) -> dict[str, dict[int, str]]:
        """Event type -> version -> file name."""
        found: dict[str, dict[int, str]] = {}
        for entry in self.folder.iterdir():
            matched = _FILE.match(entry.name)
            if matched:
                found.setdefault(matched["type"], {})[int(matched["version"] or 1)] = entry.name
        return found

    def __getitem__(self, event_type: str) -> Callable[[CloudEvent], None]:
        if event_type not in self.versions:
            raise KeyError(event_type)
        return self.check

    def __iter__(self) -> Iterator[str]:
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)

    def check(self, event: CloudEvent) -> None:
        version = schema_version(event)
        if version is None:
            raise RejectedEvent(f"dataschema does not name a version of {event.type}")
        file = self.versions.get(event.type, {}).get(version)
        if file is None:
            raise UnknownSchemaVersion(f"{event.type} version {version}")
        try:
            _validator(self.folder, file)(event.data)
        except JsonSchemaValueException as exc:
            rule = f"{exc.rule}: {exc.rule_definition!r}"
            raise RejectedEvent(f"{exc.name} does not fit {schema_uri(event.type, version)} ({rule})"[:300]) from None


@cache
def _validator(folder: Any, file: str) -> Callable[[Any], Any]:
    """The compiled check of a schema file's `data`, built once per file when first needed.

    fastjsonschema, not jsonschema: it compiles a schema into Python, and checks an event
    about ten times faster (measured on the examples of docs/events: bench/event_checks.py).
    Formats are not checked (the schema's types are the contract, and a stricter reading of
    an email than the publisher's must not dead-letter its events); defaults are not filled in."""
    document = json.loads((folder / file).read_text())
    schema = {"$defs": document.get("$defs", {}), **document["properties"]["data"]}
    return fastjsonschema.compile(schema, use_default=False, use_formats=False)
