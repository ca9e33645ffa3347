"""The service manifest (`services/manifest.toml`): the one place that names every service.

The local stack, the generated gateway routes, the event contracts and the
compose and gateway checks all take the list of services from here, so adding
a service is its folder plus one entry in the manifest.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import re
import tomllib
from pathlib import Path

from opp_devstack.common import REPO_ROOT, StackError

MANIFEST = REPO_ROOT / "services" / "manifest.toml"
# Inside a container every service listens on this port (deploy/Dockerfile); the
# manifest's port is where the host reaches it (make up, compose's published port).
CONTAINER_PORT = 8000


@dataclasses.dataclass(frozen=True)
class Service:
    """One entry of the manifest; the Python package is `name`, the distribution `opp-<name>`."""

    name: str
    port: int  # on the host (make up, compose's published port); 8000 inside a container
    database: str
    settings: str  # "module:Class"
    routes: tuple[str, ...]  # path prefixes of its HTTP API
    events: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # topic -> its event actions
    # Variables only this service's container gets in compose (e.g. where its SMTP server is).
    environment: dict[str, str] = dataclasses.field(default_factory=dict)
    # The catalogue topics its consumers read: what its Kafka principal may read (opp_shared.kafka_acls).
    consumes: tuple[str, ...] = ()

    @property
    def distribution(self) -> str:
        return f"opp-{self.name}"

    @property
    def folder(self) -> Path:
        return REPO_ROOT / "services" / self.name

    def settings_class(self) -> type:
        """The settings class itself (imports the service: only with the project's .venv)."""
        module, _, name = self.settings.partition(":")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


@functools.cache
def services(path: Path = MANIFEST) -> dict[str, Service]:
    """Every service of the manifest by name, in the manifest's order (the order they start in)."""
    try:
        entries = tomllib.loads(path.read_text())["services"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as e:
        raise StackError(f"cannot read the services from {path}: {e}") from None
    found = {name: _service(name, entry, path) for name, entry in entries.items()}
    _check_unique(found, path)
    published = {topic for service in found.values() for topic in service.events}
    for service in found.values():
        unknown = sorted(set(service.consumes) - published)
        if unknown:
            raise StackError(f"{path}: {service.name} consumes {', '.join(unknown)}, which no service publishes")
    return found


def _service(name: str, entry: dict[str, object], path: Path) -> Service:
    if not name.isidentifier():
        raise StackError(f"{path}: [services.{name}]: a service's name must be its Python package's")
    expected = {"port": int, "database": str, "settings": str, "routes": list}
    wrong = [key for key, kind in expected.items() if not isinstance(entry.get(key), kind)]
    wrong += sorted(set(entry) - set(expected) - {"events", "environment", "consumes"})
    if wrong:
        raise StackError(
            f"{path}: [services.{name}] needs exactly port (a number), database, settings "
            f"(strings) and routes (a list), and may have events, environment and consumes; "
            f"look at {', '.join(wrong)}"
        )
    routes = tuple(str(r) for r in entry["routes"])  # type: ignore[union-attr]
    if not all(r.startswith("/") and not r.endswith("/") for r in routes):
        raise StackError(f"{path}: the routes of {name} must be paths without a trailing slash: {routes}")
    events = _events(name, entry.get("events", {}), path)
    environment = entry.get("environment", {})
    if not isinstance(environment, dict) or not all(
        re.fullmatch(r"OPP_[A-Z0-9_]+", k) and isinstance(v, str) for k, v in environment.items()
    ):
        raise StackError(f"{path}: [services.{name}.environment] maps OPP_* names to strings")
    consumes = entry.get("consumes", [])
    if not isinstance(consumes, list) or not all(isinstance(t, str) and t.count(".") == 1 for t in consumes):
        raise StackError(f"{path}: consumes of {name} must be a list of catalogue topics (<service>.<aggregate>)")
    return Service(
        name,
        int(entry["port"]),
        str(entry["database"]),
        str(entry["settings"]),
        routes,
        events,
        dict(environment),  # type: ignore[call-overload]
        tuple(sorted(set(consumes))),
    )


_NAME = re.compile(r"^[a-z][a-z_]*$")


def _events(name: str, table: object, path: Path) -> dict[str, tuple[str, ...]]:
    """`[services.<name>.events]`: each topic the service publishes (`<name>.<aggregate>`) and its actions."""
    if not isinstance(table, dict):
        raise StackError(f"{path}: [services.{name}.events] must be a table of topic = [actions]")
    events: dict[str, tuple[str, ...]] = {}
    for topic, actions in table.items():
        service, _, aggregate = topic.partition(".")
        if service != name or not _NAME.match(aggregate):
            raise StackError(f"{path}: {name} can only publish to topics named {name}.<aggregate>, not {topic!r}")
        if (
            not isinstance(actions, list)
            or not actions
            or not all(isinstance(a, str) and _NAME.match(a) for a in actions)
        ):
            raise StackError(f"{path}: the events of {topic} must be a list of lower-case action names")
        if len(set(actions)) != len(actions):
            raise StackError(f"{path}: {topic} names an action twice")
        events[topic] = tuple(actions)
    return events


def _check_unique(found: dict[str, Service], path: Path) -> None:
    # The gateway routes by path prefix alone and each service owns its database:
    # neither may be shared, and no prefix may cover another service's.
    for kind, values in (
        ("port", [s.port for s in found.values()]),
        ("database", [s.database for s in found.values()]),
    ):
        if len(set(values)) != len(values):
            raise StackError(f"{path}: two services have the same {kind}: {values}")
    owners = [(route, s.name) for s in found.values() for route in s.routes]
    for route, owner in owners:
        for other, other_owner in owners:
            if (route, owner) != (other, other_owner) and under(other, route):
                raise StackError(f"{path}: route {other} ({other_owner}) falls under {route} ({owner})")


def under(path: str, prefix: str) -> bool:
    """Whether `path` is `prefix` or below it, segment-wise (/api/v1/calls is not under /api/v1/call)."""
    return path == prefix or path.startswith(prefix + "/")
