"""`python -m opp_devstack.contracts [NAME ...]`: write each service's committed event contract.

Each service generates its AsyncAPI document from its code (opp_shared.asyncapi);
the committed copy, services/<name>/asyncapi.json, is what tests/test_event_contract.py
compares the code against. This writes that copy for every service of the manifest
(or the ones named). Run with the project's virtualenv (`make asyncapi`): it imports
the services.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

from opp_devstack import manifest
from opp_devstack.common import REPO_ROOT


def render(doc: dict[str, Any]) -> str:
    """The committed form: sorted keys, so that a diff shows only real changes."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated(name: str) -> dict[str, Any]:
    """The document the service's code describes (as its /asyncapi.json answers it)."""
    app = importlib.import_module(f"{name}.main").create_app()
    return app.state.runtime.asyncapi()  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    names = argv if argv is not None else sys.argv[1:]
    for name in names or manifest.services():
        target = manifest.services()[name].folder / "asyncapi.json"
        target.write_text(render(generated(name)))
        print(f"wrote {target.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
