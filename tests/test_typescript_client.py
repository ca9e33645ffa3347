"""The frontend's contract files are current: each service's committed OpenAPI document is the one its
code builds, the TypeScript types are openapi-typescript's of it, and the README's example compiles."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from opp_devstack import clients
from opp_devstack.manifest import services

ROOT = Path(__file__).resolve().parents[1]
SERVICES = list(services())
STALE = "run `make generate` and commit services/*/openapi.json and clients/ts/"


@pytest.fixture(scope="module")
def tools():
    if not clients.OPENAPI_TYPESCRIPT.exists() or not clients.TSC.exists():
        pytest.fail("the TypeScript tools are missing: run `make install` (npm ci in clients/ts)")


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_openapi_document_is_the_one_the_service_builds(service):
    assert clients.openapi_path(service).read_text() == clients.render_openapi(clients.document(service)), STALE


def test_the_typescript_types_are_those_of_the_committed_documents(tools):
    types = clients.render_types([clients.openapi_path(service) for service in SERVICES])
    for service, expected in zip(SERVICES, types, strict=True):
        assert clients.types_path(service).read_text() == expected, f"clients/ts/{service}.d.ts: {STALE}"
    assert (clients.TS_DIR / "index.d.ts").read_text() == clients.render_index(), STALE


def test_the_readme_s_typescript_example_compiles_against_the_types(tools, tmp_path):
    blocks = re.findall(r"```ts\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    assert blocks, "the README shows how to call the API from TypeScript"
    (tmp_path / "example.ts").write_text(blocks[0])
    config = {
        "compilerOptions": {
            "strict": True,
            "noEmit": True,
            "target": "es2022",
            "module": "esnext",
            "moduleResolution": "bundler",
            "lib": ["es2022", "dom"],
            "types": [],
            "paths": {"@opp/api-types/*": [str(clients.TS_DIR / "*")]},
        },
        "files": ["example.ts"],
    }
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    result = subprocess.run([str(clients.TSC), "-p", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_type_error_in_the_example_would_be_caught(tools, tmp_path):
    """The check above can fail: a field the document does not have is an error."""
    (tmp_path / "wrong.ts").write_text(
        'import type { components } from "@opp/api-types/partners";\n'
        'const p: components["schemas"]["PartnerOut"]["name"] = 42;\n'
    )
    config = {
        "compilerOptions": {"strict": True, "noEmit": True, "moduleResolution": "bundler", "module": "esnext",
                            "types": [], "paths": {"@opp/api-types/*": [str(clients.TS_DIR / "*")]}},
        "files": ["wrong.ts"],
    }  # fmt: skip
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    result = subprocess.run([str(clients.TSC), "-p", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "TS2322" in result.stdout
