"""`python -m opp_devstack.clients`: each service's OpenAPI document and the TypeScript types of it.

For frontend teams, committed so that nothing needs to run to read them:

    services/<name>/openapi.json   the document the service serves at /openapi.json
    clients/ts/<name>.d.ts         its types, written by openapi-typescript (clients/ts/package.json)
    clients/ts/index.d.ts          every service's types, one namespace each

`make generate` runs this (with the project's .venv: it imports the services,
and the TypeScript tools `make install` puts in clients/ts/node_modules);
tests/test_typescript_client.py fails when any of them is not current.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from opp_devstack import manifest
from opp_devstack.common import REPO_ROOT, StackError
from opp_devstack.install import TS_DIR

OPENAPI_TYPESCRIPT = TS_DIR / "node_modules" / ".bin" / "openapi-typescript"
TSC = TS_DIR / "node_modules" / ".bin" / "tsc"
# A field with a default is optional to send: the answers' schemas mark what is always present `required`.
OPTIONS = ("--default-non-nullable", "false")


def openapi_path(name: str) -> Path:
    return manifest.services()[name].folder / "openapi.json"


def types_path(name: str) -> Path:
    return TS_DIR / f"{name}.d.ts"


def document(name: str) -> dict[str, Any]:
    """The document the service's code builds (what its /openapi.json answers)."""
    return importlib.import_module(f"{name}.main").create_app().openapi()  # type: ignore[no-any-return]


def render_openapi(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_types(documents: list[Path]) -> list[str]:
    """openapi-typescript's types of each document file (one process each, side by side)."""
    if not OPENAPI_TYPESCRIPT.exists():
        raise StackError(f"{OPENAPI_TYPESCRIPT} is missing: run `make install` (npm ci in clients/ts)")
    runs = [
        subprocess.Popen(
            [str(OPENAPI_TYPESCRIPT), str(path), *OPTIONS],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=TS_DIR,
        )
        for path in documents
    ]
    types = []
    for path, run in zip(documents, runs, strict=True):
        out, err = run.communicate(timeout=300)
        if run.returncode != 0:
            raise StackError(f"openapi-typescript failed on {path}:\n{err}")
        types.append(out)
    return types


def render_index() -> str:
    lines = ["// Every service's types, one namespace each (written by `make generate`).", ""]
    lines += [f'export * as {name} from "./{name}";' for name in manifest.services()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(manifest.services())
    for name in names:
        openapi_path(name).write_text(render_openapi(document(name)))
    for name, types in zip(names, render_types([openapi_path(name) for name in names]), strict=True):
        types_path(name).write_text(types)
        print(f"wrote {openapi_path(name).relative_to(REPO_ROOT)} and {types_path(name).relative_to(REPO_ROOT)}")
    (TS_DIR / "index.d.ts").write_text(render_index())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
