"""`python -m opp_devstack.contracts [NAME ...]`: write the committed event contracts, from the code.

* services/<name>/asyncapi.json: each service's AsyncAPI document (opp_shared.asyncapi),
  which tests/test_event_contract.py compares the code against;
* docs/events/: for every version of every event type, its JSON Schema
  (`<type>.schema.json`, `<type>.v<n>.schema.json`) and an example event
  (`.example.json`), with an index (README.md);
* shared/src/opp_shared/schemas/: the same schemas, shipped in the shared package for
  the consumers' checks (opp_shared.event_schemas).

Naming services writes only their AsyncAPI documents; the event files always cover every
service. Run with the project's virtualenv (`make asyncapi`, `make generate`): it imports
the services.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from opp_devstack import manifest
from opp_devstack.common import REPO_ROOT

EVENTS_DOCS = REPO_ROOT / "docs" / "events"
SHIPPED_SCHEMAS = REPO_ROOT / "shared" / "src" / "opp_shared" / "schemas"


def render(doc: Any) -> str:
    """The committed form: sorted keys, so that a diff shows only real changes."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def runtime(name: str) -> Any:
    """The service's runtime as its code wires it (aggregate types registered, nothing started)."""
    return importlib.import_module(f"{name}.main").create_app().state.runtime


def generated(name: str) -> dict[str, Any]:
    """The document the service's code describes (as its /asyncapi.json answers it)."""
    return runtime(name).asyncapi()  # type: ignore[no-any-return]


def event_files() -> dict[Path, str]:
    """Every file of docs/events/ and of the shipped schemas, with its content."""
    from opp_shared.event_schemas import EXAMPLE_SUFFIX, SCHEMA_SUFFIX, example, json_schema, schemas_of

    kinds = [kind for name in manifest.services() for kind in runtime(name).kinds.values()]
    id_prefixes = {kind.topic.split(".", 1)[1]: kind.id_prefix for kind in kinds}
    files: dict[Path, str] = {}
    rows = []
    for kind in sorted(kinds, key=lambda k: k.topic):
        for schema in schemas_of(kind):
            document = json_schema(schema)
            files[EVENTS_DOCS / f"{schema.name}{SCHEMA_SUFFIX}"] = render(document)
            files[SHIPPED_SCHEMAS / f"{schema.name}{SCHEMA_SUFFIX}"] = render(document)
            files[EVENTS_DOCS / f"{schema.name}{EXAMPLE_SUFFIX}"] = render(example(schema, document, id_prefixes))
            until = schema.published_until.isoformat() if schema.published_until else ""
            rows.append(
                f"| `{schema.event_type}` | {schema.version} | {until or 'current'} "
                f"| [schema]({schema.name}{SCHEMA_SUFFIX}) | [example]({schema.name}{EXAMPLE_SUFFIX}) |"
            )
    files[EVENTS_DOCS / "README.md"] = INDEX.format(rows="\n".join(rows))
    return files


INDEX = """# Event types: schemas and examples

Generated from the code by `make generate` (`python -m opp_devstack.contracts`); do not edit.
A test fails when a file here differs from what the code generates.

One JSON Schema (2020-12) per version of every event type: the whole
CloudEvents envelope, with `data.state` (the aggregate's public state, the
API's own answer) and `data.change` (what is particular to the type)
resolved in `$defs`. Its `$id` is the event's `dataschema`. And one example
event per version, made from the schema (valid against it, plausible, not real).
How to subscribe: [docs/subscribing.md](../subscribing.md).

Fields may be added to any object, and values to any enum: ignore what you do not
know. A schema never validates `additionalProperties` for that reason.

| type | version | published | schema | example |
| --- | --- | --- | --- | --- |
{rows}
"""


def stale(folder: Path, wanted: dict[Path, str]) -> list[Path]:
    """Files of a generated folder the code no longer generates."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name != "__init__.py" and p not in wanted)


def main(argv: list[str] | None = None) -> int:
    names = argv if argv is not None else sys.argv[1:]
    for name in names or manifest.services():
        target = manifest.services()[name].folder / "asyncapi.json"
        target.write_text(render(generated(name)))
        print(f"wrote {target.relative_to(REPO_ROOT)}")
    files = event_files()
    for folder in (EVENTS_DOCS, SHIPPED_SCHEMAS):
        folder.mkdir(parents=True, exist_ok=True)
        for old in stale(folder, files):
            old.unlink()
    for path, content in files.items():
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
    where = f"{EVENTS_DOCS.relative_to(REPO_ROOT)} and {SHIPPED_SCHEMAS.relative_to(REPO_ROOT)}"
    print(f"wrote {len(files)} files into {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
