"""The event contract as an AsyncAPI 3.0 document, generated from the code.

Each service describes what it publishes: one channel per topic, one message
per event type, whose payload is the CloudEvent envelope with `data.state`
being the aggregate's JSON Schema (from the same pydantic model the API
answers with). Each service serves its document at `/asyncapi.json`; a copy
is committed beside the service (`asyncapi.json`, written by the development
command `python -m opp_devstack.contracts`), and a test fails the build when
the code's document would break a subscriber of the committed one.

What breaks a subscriber (`breaking_changes`): a channel or message that
disappears; a property that disappears or stops being required; a property
whose type changes; an enum that loses a value. Adding channels, messages,
optional or required properties, or enum values does not: subscribers ignore
what they do not know.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from opp_shared.catalogue import EVENT_TYPES
from opp_shared.envelope import CONTENT_TYPE
from opp_shared.eventstore import schema_uri

REF = "#/components/schemas/{model}"


def _envelope(event_type: str, state_ref: str) -> dict[str, Any]:
    text = {"type": "string", "minLength": 1}
    return {
        "type": "object",
        "description": f"CloudEvents 1.0 envelope of `{event_type}` (structured mode).",
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
            "id": {**text, "description": "Unique; the key to de-duplicate by."},
            "source": text,
            "type": {"const": event_type},
            "subject": {**text, "description": "The aggregate's id (also the Kafka key)."},
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": schema_uri(event_type)},
            "sequence": {"type": "integer", "minimum": 1, "description": "The aggregate's version after the change."},
            "correlationid": {"type": "string"},
            "causationid": {"type": "string"},
            "traceparent": {"type": "string"},
            "actor": {"type": "string"},
            "data": {
                "type": "object",
                "required": ["state", "change"],
                "properties": {
                    "state": {"$ref": state_ref},
                    "change": {
                        "type": "object",
                        "description": "What is particular to this event (see the service's README).",
                    },
                },
            },
        },
    }


def document(service: str, title: str, states: dict[str, type[BaseModel]], *, version: str = "1.0.0") -> dict[str, Any]:
    """`states` maps each topic the service publishes to the model of its aggregate's state."""
    schemas: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic, model in sorted(states.items()):
        schema = model.model_json_schema(ref_template=REF, mode="serialization")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        refs = {}
        for action in EVENT_TYPES[topic]:
            event_type = f"{topic}.{action}"
            schemas[event_type] = _envelope(event_type, REF.format(model=model.__name__))
            messages[event_type] = {
                "name": event_type,
                "contentType": CONTENT_TYPE,
                "payload": {"$ref": REF.format(model=event_type)},
                "bindings": {"kafka": {"key": {"type": "string", "description": "the aggregate id"}}},
            }
            refs[event_type] = {"$ref": f"#/components/messages/{event_type}"}
        channels[topic] = {
            "address": topic,
            "description": f"Events of `{topic}` aggregates, keyed by id; dead letters go to `{topic}.dlq`.",
            "messages": refs,
        }
        operations[f"publish {topic}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
            "messages": [{"$ref": f"#/channels/{topic}/messages/{name}"} for name in refs],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": title, "version": version, "description": f"Events the {service} service publishes."},
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


# -- compatibility ---------------------------------------------------------------


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in `new` would break a subscriber built against `old`."""
    problems: list[str] = []
    for channel, spec in old.get("channels", {}).items():
        if channel not in new.get("channels", {}):
            problems.append(f"channel {channel} removed")
            continue
        for message in spec.get("messages", {}):
            if message not in new["channels"][channel].get("messages", {}):
                problems.append(f"message {message} removed from {channel}")
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    for name, schema in old_schemas.items():
        if name not in new_schemas:
            problems.append(f"schema {name} removed")
            continue
        problems += _compare(schema, new_schemas[name], name)
    return problems


def _types(schema: dict[str, Any]) -> set[str]:
    """The JSON types (and refs) a schema allows, looking through anyOf/oneOf."""
    found: set[str] = set()
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= _types(option)
    if "type" in schema:
        found |= set(schema["type"] if isinstance(schema["type"], list) else [schema["type"]])
    if "$ref" in schema:
        found.add(schema["$ref"])
    if "const" in schema:
        found.add(f"const:{json.dumps(schema['const'])}")
    return found


def _compare(old: dict[str, Any], new: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    if _types(old) and _types(new) and not _types(new) <= _types(old):
        problems.append(f"{where}: type {sorted(_types(old))} became {sorted(_types(new))}")
    if "enum" in old:
        lost = [v for v in old["enum"] if v not in new.get("enum", old["enum"])]
        if lost:
            problems.append(f"{where}: enum lost {lost}")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for prop in old.get("required", []):
        if prop not in new.get("required", []):
            problems.append(f"{where}.{prop}: no longer always present")
    for prop, schema in old_props.items():
        if prop not in new_props:
            problems.append(f"{where}.{prop}: removed")
        else:
            problems += _compare(schema, new_props[prop], f"{where}.{prop}")
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        problems += _compare(old["items"], new["items"], f"{where}[]")
    return problems
