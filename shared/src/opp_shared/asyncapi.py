"""The event contract as an AsyncAPI 3.0 document, generated from the code.

Each service describes what it publishes: one channel per topic, one message
per version of each event type (`partners.partner.registered`, and
`<type>.v2` once a second major version exists), whose payload is the
CloudEvent envelope with `data.state` typed by the API's own answer model
and `data.change` by the model the type declares (`AggregateType.changes`).
The state topics (`<topic>.state`) have a channel each too. Each service
serves its document at `/asyncapi.json`; a copy is committed beside the
service (`asyncapi.json`, written by `python -m opp_devstack.contracts`), and
a test fails the build when the code's document would break a subscriber of
the committed one. `@asyncapi/parser` (the official parser) validates every
committed document in `make test` (tools/asyncapi/).

What breaks a subscriber (`breaking_changes`), in `data.state` and
`data.change` alike: a channel or message that disappears; a property that
disappears or stops being always present; a property whose type changes
(`null` newly allowed included); an enum that loses a value. Adding channels,
messages, properties or enum values does not: subscribers ignore what they
do not know. Payloads are compared with their references resolved, so a
model renamed but unchanged is no break.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from opp_shared.aggregate import AggregateType
from opp_shared.envelope import CONTENT_TYPE
from opp_shared.event_schemas import add_model, envelope, schemas_of
from opp_shared.state_topics import state_topic

REF = "#/components/schemas/{model}"


def document(service: str, title: str, kinds: Iterable[AggregateType], *, version: str = "1.0.0") -> dict[str, Any]:
    """The AsyncAPI document of the aggregate types a service owns."""
    schemas: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    key = {"bindings": {"kafka": {"key": {"type": "string", "description": "the aggregate id"}}}}
    for kind in sorted(kinds, key=lambda k: k.topic):
        topic = kind.topic
        refs: dict[str, Any] = {}
        for schema in schemas_of(kind):
            state_ref = add_model(schemas, schema.state, REF)
            change_ref = add_model(schemas, schema.change, REF)
            schemas[schema.name] = envelope(schema, state_ref, change_ref)
            messages[schema.name] = {
                "name": schema.name,
                "contentType": CONTENT_TYPE,
                "payload": {"$ref": REF.format(model=schema.name)},
                **key,
            }
            if schema.published_until is not None:
                messages[schema.name]["x-opp-published-until"] = schema.published_until.isoformat()
            refs[schema.name] = {"$ref": f"#/components/messages/{schema.name}"}
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
        state = state_topic(topic)
        channels[state] = {
            "address": state,
            "description": f"Compacted: for each `{topic}` aggregate, keyed by id, its latest event as recorded "
            f"(any of the topic's types, in the version it was recorded in); its `data.state` is the aggregate's "
            "current state. A tombstone (null value) would mean the aggregate was deleted.",
            "messages": dict(refs),
        }
        operations[f"publish {state}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{state}"},
            "messages": [{"$ref": f"#/channels/{state}/messages/{name}"} for name in refs],
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
    new_messages = new.get("components", {}).get("messages", {})
    compare = _Comparison(old, new)
    for name, message in old.get("components", {}).get("messages", {}).items():
        if name not in new_messages:
            problems.append(f"message {name} removed")
            continue
        problems += compare(message.get("payload", {}), new_messages[name].get("payload", {}), name)
    return list(dict.fromkeys(problems))


def _types(schema: dict[str, Any]) -> set[str]:
    """The JSON types a (resolved) schema allows, looking through anyOf/oneOf."""
    found: set[str] = set()
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= _types(option)
    if "type" in schema:
        found |= set(schema["type"] if isinstance(schema["type"], list) else [schema["type"]])
    if "const" in schema:
        found.add(f"const:{json.dumps(schema['const'])}")
    return found


class _Comparison:
    """Compares two payloads property by property, each side's references resolved in its own document."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old_schemas = old.get("components", {}).get("schemas", {})
        self.new_schemas = new.get("components", {}).get("schemas", {})

    @staticmethod
    def _resolve(schema: dict[str, Any], schemas: dict[str, Any], seen: tuple[str, ...]) -> tuple[dict, tuple]:
        while isinstance(schema, dict) and "$ref" in schema and schema["$ref"] not in seen:
            ref = schema["$ref"]
            seen = (*seen, ref)
            schema = {**schemas.get(ref.rsplit("/", 1)[-1], {}), **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema, seen

    def __call__(self, old: dict[str, Any], new: dict[str, Any], where: str, seen: tuple[str, ...] = ()) -> list[str]:
        old, old_seen = self._resolve(old, self.old_schemas, seen)
        new, _ = self._resolve(new, self.new_schemas, seen)
        if any("$ref" in s for s in (old, new)):
            return []  # a recursive model: compared once already
        old_options = [self._resolve(o, self.old_schemas, old_seen)[0] for o in old.get("anyOf", [])]
        new_options = [self._resolve(o, self.new_schemas, old_seen)[0] for o in new.get("anyOf", [])]
        old_types = _types({**old, "anyOf": old_options})
        new_types = _types({**new, "anyOf": new_options})
        problems: list[str] = []
        if old_types and new_types and not new_types <= old_types:
            problems.append(f"{where}: type {sorted(old_types)} became {sorted(new_types)}")
        old_enum = old.get("enum") or [v for o in old_options for v in o.get("enum", [])]
        new_enum = new.get("enum") or [v for o in new_options for v in o.get("enum", [])]
        # An enum dropped altogether allows any value: looser, like an added value, so no break.
        lost = [v for v in old_enum if new_enum and v not in new_enum]
        if lost:
            problems.append(f"{where}: enum lost {lost}")
        old_object = next((o for o in [old, *old_options] if o.get("properties")), old)
        new_object = next((o for o in [new, *new_options] if o.get("properties")), new)
        for prop in old_object.get("required", []):
            if prop not in new_object.get("required", []):
                problems.append(f"{where}.{prop}: no longer always present")
        new_props = new_object.get("properties", {})
        for prop, schema in old_object.get("properties", {}).items():
            if prop not in new_props:
                problems.append(f"{where}.{prop}: removed")
            else:
                problems += self(schema, new_props[prop], f"{where}.{prop}", old_seen)
        old_items = next((o["items"] for o in [old, *old_options] if isinstance(o.get("items"), dict)), None)
        new_items = next((o["items"] for o in [new, *new_options] if isinstance(o.get("items"), dict)), None)
        if old_items is not None and new_items is not None:
            problems += self(old_items, new_items, f"{where}[]", old_seen)
        return problems
