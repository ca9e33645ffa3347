"""The committed AsyncAPI documents pass the official AsyncAPI parser (`@asyncapi/parser`, run with
Node.js; installed from tools/asyncapi/package-lock.json into .cache/ by the dev stack)."""

import json
import os
import re
import subprocess

from opp_devstack.common import REPO_ROOT
from opp_devstack.install import asyncapi_parser_dir, install_asyncapi_parser
from opp_devstack.manifest import services


def test_every_service_contract_passes_the_official_parser_and_a_broken_one_does_not(tmp_path):
    install_asyncapi_parser()  # cached: a no-op after the first time
    documents = [str(spec.folder / "asyncapi.json") for spec in services().values()]
    broken = json.loads((services()["partners"].folder / "asyncapi.json").read_text())
    broken["operations"]["publish partners.partner"]["channel"] = {"$ref": "#/channels/nowhere"}
    broken["channels"]["partners.partner"]["address"] = 42
    (tmp_path / "broken.json").write_text(json.dumps(broken))

    run = subprocess.run(
        ["node", str(REPO_ROOT / "tools" / "asyncapi" / "validate.cjs"), *documents, str(tmp_path / "broken.json")],
        env={**os.environ, "NODE_PATH": str(asyncapi_parser_dir() / "node_modules")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = dict(re.findall(r"^(\S+): AsyncAPI (\S+, \d+ errors)", run.stdout, re.M))
    assert {path: summary.get(path) for path in documents} == dict.fromkeys(documents, "3.0.0, 0 errors"), run.stdout
    assert not summary.get(str(tmp_path / "broken.json"), "").endswith(" 0 errors"), run.stdout
    assert run.returncode == 1, run.stdout + run.stderr
