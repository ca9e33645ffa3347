"""The gateway's routes: every service of the manifest behind one origin, routed by path alone.

One table, from services/manifest.toml, serves both gateways: compose's nginx
(its `location` lines are written from it by `make generate`) and the local
one that `make up` runs on port 8000 (`gateway_app`, in the .venv). Per
service, in the manifest's order:

    /api/v1/<resource>...      prefix: the service that owns <resource>, path and query as sent
    /<service>/openapi.json    exact: its /openapi.json (query kept)
    /<service>/asyncapi.json   exact: its /asyncapi.json
    /<service>/docs            exact: its /docs, the page's '/openapi.json' made '/<service>/openapi.json'

Matching is nginx's for these two kinds: an exact location wins, else the
longest prefix, compared as strings (so no service's prefix may start
another's: tests/test_compose.py checks that).
"""

from __future__ import annotations

import dataclasses
import functools

from opp_devstack import manifest

DOCUMENTS = ("openapi.json", "asyncapi.json", "docs")


@dataclasses.dataclass(frozen=True)
class Location:
    exact: bool  # `location = path` (else a prefix: `location path`)
    path: str
    service: str
    # The path asked of the service; None: the request's own path and query, as sent.
    target: str | None = None
    keeps_query: bool = True  # only for a target: whether the request's query follows it

    @property
    def docs_page(self) -> bool:
        """Swagger UI asks for '/openapi.json', which behind the gateway is the service's own."""
        return self.target == "/docs"


@functools.cache
def locations() -> tuple[Location, ...]:
    found: list[Location] = []
    for name, service in manifest.services().items():
        found += [Location(False, prefix, name) for prefix in service.routes]
        found += [
            Location(True, f"/{name}/openapi.json", name, "/openapi.json"),
            Location(True, f"/{name}/asyncapi.json", name, "/asyncapi.json", keeps_query=False),
            Location(True, f"/{name}/docs", name, "/docs"),
        ]
    return tuple(found)


def route(path: str) -> Location | None:
    """The location a request path goes to: an exact one, else the longest prefix; None for none."""
    for location in locations():
        if location.exact and location.path == path:
            return location
    prefixes = [loc for loc in locations() if not loc.exact and path.startswith(loc.path)]
    return max(prefixes, key=lambda loc: len(loc.path), default=None)
