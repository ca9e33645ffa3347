"""What nginx.conf, docker-compose.yml and the event catalogue say of each service, written from the manifest.

The first two files are hand-written but for one block between two marker comments,
which repeats services/manifest.toml line for line: in deploy/gateway/nginx.conf
a `location` per route prefix of each service and per document it serves; in
docker-compose.yml each service's definition and the gateway's wait for them.
The event catalogue (shared/src/opp_shared/catalogue.py) lists each service's
topics and event types from the manifest's `events` tables the same way, and
shared/src/opp_shared/consumption.py the topics each service consumes.
`make generate` (`stack.py generate`) writes those blocks, so that a new service
needs no line in any of them; tests/test_compose.py fails when one is not current.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from opp_devstack import gateway, manifest
from opp_devstack.common import REPO_ROOT, StackError, say

NGINX_CONF = REPO_ROOT / "deploy" / "gateway" / "nginx.conf"
COMPOSE = REPO_ROOT / "docker-compose.yml"
CATALOGUE = REPO_ROOT / "shared" / "src" / "opp_shared" / "catalogue.py"
CONSUMPTION = REPO_ROOT / "shared" / "src" / "opp_shared" / "consumption.py"
BEGIN = "# ---- generated from services/manifest.toml by `make generate`: edit the manifest, not the lines below ----"
END = "# ---- end of the generated lines ----"


def nginx_lines() -> list[str]:
    """Per service: a prefix location for each of its routes, then its three documents
    (the gateway's table, which the local gateway serves too)."""
    lines: list[str] = []
    for name in manifest.services():
        upstream = f"http://{name}:{manifest.CONTAINER_PORT}"
        lines += [f"# {name}"]
        for location in gateway.locations():
            if location.service != name:
                continue
            if not location.exact:
                lines.append(f"location {location.path} {{ proxy_pass {upstream}$request_uri; }}")
                continue
            args = "$is_args$args" if location.keeps_query else ""
            rewrite = f" sub_filter \"'/openapi.json'\" \"'/{name}/openapi.json'\";" if location.docs_page else ""
            lines.append(f"location = {location.path} {{ proxy_pass {upstream}{location.target}{args};{rewrite} }}")
        lines.append("")
    return lines[:-1]


def compose_lines() -> list[str]:
    """Each service (what they share is in x-service and x-service-env), then the gateway (x-gateway)."""
    lines: list[str] = []
    for name, service in manifest.services().items():
        lines += [
            f"{name}:",
            "  <<: *service",
            "  build:",
            "    context: .",
            "    dockerfile: deploy/Dockerfile",
            "    args:",
            f"      SERVICE: {name}",
            "  environment:",
            "    <<: *service-env",
            f"    OPP_MONGO_DATABASE: {service.database}",
            # Its own Kafka principal (the kafka service formats its credential from the same variable).
            f"    OPP_KAFKA_SASL_USERNAME: {name}",
            f"    OPP_KAFKA_SASL_PASSWORD: ${{OPP_KAFKA_PASSWORD_{name.upper()}:-local-only-{name}}}",
            *(f"    {key}: {json.dumps(value)}" for key, value in service.environment.items()),
            "  ports:",
            f'    - "127.0.0.1:{service.port}:{manifest.CONTAINER_PORT}"',
            "",
        ]
    lines += ["gateway:", "  <<: *gateway", "  depends_on:"]
    for name in manifest.services():
        lines += [f"    {name}:", "      condition: service_healthy"]
    return lines


def catalogue_lines() -> list[str]:
    """The event catalogue's entries: every topic of every service with its actions."""
    lines: list[str] = []
    for service in manifest.services().values():
        for topic, actions in service.events.items():
            names = ", ".join(f'"{action}"' for action in actions)
            lines.append(f'"{topic}": ({names}{"," if len(actions) == 1 else ""}),')
    return lines


def consumption_lines() -> list[str]:
    """Each service's consumed topics (its `consumes` list)."""
    lines: list[str] = []
    for name, service in manifest.services().items():
        topics = ", ".join(f'"{topic}"' for topic in service.consumes)
        lines.append(f'"{name}": ({topics}{"," if len(service.consumes) == 1 else ""}),')
    return lines


GENERATED: dict[Path, Callable[[], list[str]]] = {
    NGINX_CONF: nginx_lines,
    COMPOSE: compose_lines,
    CATALOGUE: catalogue_lines,
    CONSUMPTION: consumption_lines,
}


def render(path: Path) -> str:
    """The file at `path` with the lines between its markers written anew."""
    lines = path.read_text().splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() in (BEGIN, END)]
    if len(marks) != 2 or lines[marks[0]].strip() != BEGIN:
        raise StackError(f"{path} needs the two marker lines, once each and in order:\n{BEGIN}\n{END}")
    begin, end = marks
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    block = [indent + line if line else line for line in GENERATED[path]()]
    return "\n".join([*lines[: begin + 1], *block, *lines[end:]]) + "\n"


def write() -> None:
    for path in GENERATED:
        text = render(path)
        if text == path.read_text():
            say(f"{path.relative_to(REPO_ROOT)} is current")
        else:
            path.write_text(text)
            say(f"wrote {path.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    write()
