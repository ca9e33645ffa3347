"""What checking an event against its type's JSON Schema costs a consumer: jsonschema against fastjsonschema.

    .venv/bin/python bench/event_checks.py [--rounds 20]

Checks every example event of docs/events/ against its schema (the consumers' check of
`data`, opp_shared.event_schemas), and prints per event: the time to decode the record
(for scale), jsonschema's check (Draft 2020-12, validator built once) and
fastjsonschema's (compiled once), and the one-off cost of building each.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import fastjsonschema
from jsonschema import Draft202012Validator

from opp_shared.envelope import CloudEvent

EVENTS = Path(__file__).resolve().parents[1] / "docs" / "events"


def per_event_us(check, items, rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for item in items:
            check(item)
    return (time.perf_counter() - started) / rounds / len(items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    cases = []
    for example in sorted(EVENTS.glob("*.example.json")):
        document = json.loads(example.with_name(example.name.replace(".example.", ".schema.")).read_text())
        cases.append(({"$defs": document["$defs"], **document["properties"]["data"]}, example.read_bytes()))

    started = time.perf_counter()
    slow = [(Draft202012Validator(schema), json.loads(raw)["data"]) for schema, raw in cases]
    slow_build = (time.perf_counter() - started) / len(cases) * 1e3
    started = time.perf_counter()
    fast = [
        (fastjsonschema.compile(schema, use_default=False, use_formats=False), json.loads(raw)["data"])
        for schema, raw in cases
    ]
    fast_build = (time.perf_counter() - started) / len(cases) * 1e3

    decode = per_event_us(CloudEvent.from_json_bytes, [raw for _, raw in cases], rounds)
    jsonschema_check = per_event_us(lambda pair: pair[0].validate(pair[1]), slow, rounds)
    fast_check = per_event_us(lambda pair: pair[0](pair[1]), fast, rounds)
    print(f"{len(cases)} event types, {rounds} rounds")
    print(f"decode a record (CloudEvent)  {decode:8.0f} us per event")
    print(f"jsonschema check              {jsonschema_check:8.0f} us per event, build {slow_build:6.1f} ms per type")
    print(f"fastjsonschema check          {fast_check:8.0f} us per event, build {fast_build:6.1f} ms per type")


if __name__ == "__main__":
    main()
