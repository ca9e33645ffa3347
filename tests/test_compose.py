"""The container deployment checked against the manifest and the code, without Docker.

docker-compose.yml, deploy/Dockerfile, .dockerignore and the gateway's nginx.conf
repeat facts that live in services/manifest.toml (services, ports, databases,
route prefixes) and in the code (settings fields, module names, API paths).
Nothing here can run the containers, so these tests make sure the repetitions
agree; they read files and build the apps, nothing more.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from pydantic_settings import BaseSettings

from opp_devstack import gateway, generate
from opp_devstack.manifest import CONTAINER_PORT, services, under
from opp_shared.catalogue import all_topics
from opp_shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
NGINX_CONF = ROOT / "deploy" / "gateway" / "nginx.conf"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"

SERVICES = services()
INFRASTRUCTURE = ("mongo", "kafka", "topics", "gateway", "mailpit")
# Paths every service has that the gateway deliberately does not expose.
# Per-service documents the gateway serves under /<service>/... rather than by path alone.
NOT_ROUTED = re.compile(r"^/(health/|metrics$|asyncapi\.json$)")


def env_names(settings: type[BaseSettings]) -> set[str]:
    prefix = settings.model_config.get("env_prefix", "")
    return {(prefix + name).upper() for name in settings.model_fields}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def final_stage(text: str) -> str:
    """The instructions of the image's last stage (what runs)."""
    return re.split(r"^FROM\s", text, flags=re.M)[-1]


def instruction(text: str, name: str) -> str:
    """The argument of the last `name` instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    found = re.findall(rf"^{name}\s+(.+)$", joined, flags=re.M)
    assert found, f"no {name} instruction"
    return found[-1].strip()


def url_in(command: list[str] | str) -> tuple[int, str]:
    """(port, path) of the http://127.0.0.1:PORT/PATH URL inside a health check command."""
    text = command if isinstance(command, str) else " ".join(command)
    match = re.search(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/[\w/.-]*)", text)
    assert match, f"no local URL in {text!r}"
    return int(match.group(1)), match.group(2)


def nginx_locations() -> list[tuple[str, str, str | None, int | None, str | None]]:
    """(modifier, path, upstream host, upstream port, upstream path) of every
    `location` whose block has no braces inside (all the proxying ones)."""
    text = re.sub(r"#.*", "", NGINX_CONF.read_text())
    locations = []
    for modifier, path, body in re.findall(r"\blocation\s+(=|~\*?|\^~)?\s*([^\s{]+)\s*\{([^{}]*)\}", text):
        proxy = re.search(r"proxy_pass\s+http://([\w.-]+):(\d+)([^\s;$]*)", body)
        host, port, target = (proxy.group(1), int(proxy.group(2)), proxy.group(3)) if proxy else (None, None, None)
        locations.append((modifier, path, host, port, target))
    return locations


def route(path: str) -> tuple[str, str | None]:
    """nginx's choice for a request path among exact and prefix locations:
    an exact match, else the longest prefix. Returns (location, upstream host)."""
    locations = nginx_locations()
    for modifier, prefix, host, _, _ in locations:
        if modifier == "=" and prefix == path:
            return prefix, host
    prefixes = [
        (prefix, host) for modifier, prefix, host, _, _ in locations if not modifier and path.startswith(prefix)
    ]
    assert prefixes, f"no location matches {path}"
    return max(prefixes, key=lambda p: len(p[0]))


@pytest.mark.parametrize("path", generate.GENERATED, ids=lambda path: path.name)
def test_the_blocks_generated_from_the_manifest_are_current(path):
    assert generate.render(path) == path.read_text(), f"run `make generate` and commit {path.relative_to(ROOT)}"


# -- docker-compose.yml ----------------------------------------------------


def build_of(name: str) -> dict:
    """How compose must build a service's image: the one Dockerfile, the service as its argument."""
    return {"context": ".", "dockerfile": "deploy/Dockerfile", "args": {"SERVICE": name}}


def test_every_service_of_the_manifest_and_nothing_else_is_defined(compose):
    assert set(compose["services"]) == {*INFRASTRUCTURE, *SERVICES}
    for name in SERVICES:
        assert compose["services"][name]["build"] == build_of(name)


def test_images_are_the_real_servers(compose):
    from opp_devstack.install import MAILPIT_VERSION

    defined = compose["services"]
    assert defined["mailpit"]["image"] == f"axllent/mailpit:{MAILPIT_VERSION}", "the version make up builds"
    assert compose["services"]["notifications"]["environment"]["OPP_SMTP_HOST"] == "mailpit"
    assert re.fullmatch(r"mongo:8(\.\d+)*", defined["mongo"]["image"])
    assert re.fullmatch(r"apache/kafka:4(\.\d+)*", defined["kafka"]["image"])
    assert defined["gateway"]["image"].startswith("nginx:")


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_passed_is_a_setting(compose, service):
    env = compose["services"][service]["environment"]
    opp = {name for name in env if name.startswith("OPP_")}
    assert opp, "the service gets no OPP_* settings"
    unknown = opp - env_names(SERVICES[service].settings_class())
    assert not unknown, f"{service} has no settings for {sorted(unknown)}"
    assert env["OPP_MONGO_DATABASE"] == SERVICES[service].database, "each service owns its database"


def test_the_topics_job_gets_only_settings_and_runs_the_topics_module(compose):
    topics = compose["services"]["topics"]
    unknown = {n for n in topics["environment"] if n.startswith("OPP_")} - env_names(ServiceSettings)
    assert not unknown, sorted(unknown)
    assert topics["command"][:2] == ["python", "-m"]
    assert importlib.util.find_spec(topics["command"][2]) is not None
    assert topics["build"] in [build_of(name) for name in SERVICES], "one of the services' images, not one more"
    assert topics["restart"] == "no"
    assert topics["depends_on"] == {"kafka": {"condition": "service_healthy"}}


def test_compose_values_are_valid_settings(compose, monkeypatch):
    """The values themselves must pass the settings' validation (`${X:-d}` read as d)."""

    def interpolate(value: object) -> str:
        return re.sub(
            r"\$\{\w+(?::-([^}]*)|:\?[^}]*)\}", lambda m: m.group(1) if m.group(1) is not None else "x", str(value)
        )

    for service in SERVICES:
        with monkeypatch.context() as patch:
            for name, value in compose["services"][service]["environment"].items():
                patch.setenv(name, interpolate(value))
            settings = SERVICES[service].settings_class()()
            assert settings.database_name == SERVICES[service].database
            assert settings.kafka_bootstrap_servers == "kafka:9092"
            options = settings.kafka_client_options()
            assert options["security_protocol"] == "SASL_PLAINTEXT" and options["sasl_mechanism"] == "SCRAM-SHA-512"
            assert options["sasl_plain_username"] == service, "each service logs in as its own principal"
            assert options["sasl_plain_password"] == f"local-only-{service}"
            assert settings.kafka_create_topics is False, "the topics job creates them; its principal may not"


def test_kafka_requires_logins_and_authorizes_every_request(compose):
    env = compose["services"]["kafka"]["environment"]
    protocols = dict(pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    listeners = {listener.split(":")[0] for listener in env["KAFKA_LISTENERS"].split(",")}
    for listener in listeners - {env["KAFKA_CONTROLLER_LISTENER_NAMES"]}:
        assert protocols[listener] == "SASL_PLAINTEXT", f"{listener} takes clients without a login"
        assert f"KAFKA_LISTENER_NAME_{listener}_SCRAM___SHA___512_SASL_JAAS_CONFIG" in env
    assert "9093" not in str(compose["services"]["kafka"]["ports"]), "the plaintext controller listener stays inside"
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert env["KAFKA_SUPER_USERS"] == "User:admin;User:ANONYMOUS"
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"


def test_every_principal_s_credential_is_formatted_from_the_password_its_client_uses(compose):
    """deploy/kafka/start.sh formats one SCRAM credential per OPP_SCRAM_USER_<name>; each client
    must log in with the same variable's value."""
    defined = compose["services"]
    users = {
        name.removeprefix("OPP_SCRAM_USER_"): value
        for name, value in defined["kafka"]["environment"].items()
        if name.startswith("OPP_SCRAM_USER_")
    }
    assert set(users) == {"admin", "subscriber", *SERVICES}
    for service in SERVICES:
        assert defined[service]["environment"]["OPP_KAFKA_SASL_PASSWORD"] == users[service]
    assert defined["topics"]["environment"]["OPP_KAFKA_SASL_USERNAME"] == "admin"
    assert defined["topics"]["environment"]["OPP_KAFKA_SASL_PASSWORD"] == users["admin"]
    assert (
        f'password="{users["admin"]}"'
        in defined["kafka"]["environment"]["KAFKA_LISTENER_NAME_PLAINTEXT_SCRAM___SHA___512_SASL_JAAS_CONFIG"]
    )
    assert defined["kafka"]["command"] == ["/bin/bash", "/opt/opp/start.sh"]
    assert "./deploy/kafka/start.sh:/opt/opp/start.sh:ro" in defined["kafka"]["volumes"]
    assert subprocess.run(["bash", "-n", str(ROOT / "deploy" / "kafka" / "start.sh")]).returncode == 0
    assert "--command-config /tmp/opp-admin.properties" in defined["kafka"]["healthcheck"]["test"][1]


def test_the_topics_job_grants_the_acls(compose):
    assert compose["services"]["topics"]["command"] == ["python", "-m", "opp_shared.topics", "--grant-acls"]


@pytest.mark.parametrize("service", SERVICES)
def test_ports_and_health_checks_follow_the_manifest(compose, service):
    definition = compose["services"][service]
    assert definition["ports"] == [f"127.0.0.1:{SERVICES[service].port}:{CONTAINER_PORT}"], (
        "published on loopback only, at the manifest's port"
    )
    assert url_in(definition["healthcheck"]["test"]) == (CONTAINER_PORT, "/health/ready")


@pytest.mark.parametrize("service", SERVICES)
def test_services_start_after_their_servers_and_the_topics(compose, service):
    assert compose["services"][service]["depends_on"] == {
        "mongo": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
        "topics": {"condition": "service_completed_successfully"},
    }


def test_the_gateway_waits_for_every_service_and_mounts_its_config(compose):
    gateway = compose["services"]["gateway"]
    assert gateway["depends_on"] == {name: {"condition": "service_healthy"} for name in SERVICES}
    assert "./deploy/gateway/nginx.conf:/etc/nginx/nginx.conf:ro" in gateway["volumes"]
    published = int(gateway["ports"][0].split(":")[-1])
    assert re.search(rf"^\s*listen\s+{published};", NGINX_CONF.read_text(), flags=re.M)
    assert url_in(gateway["healthcheck"]["test"]) == (published, "/health")


def test_server_data_lives_in_named_volumes(compose):
    assert "mongo-data:/data/db" in compose["services"]["mongo"]["volumes"]
    assert "kafka-data:/var/lib/kafka/data" in compose["services"]["kafka"]["volumes"]
    assert compose["services"]["kafka"]["environment"]["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert {"mongo-data", "kafka-data"} <= set(compose["volumes"])


# -- the Dockerfile ----------------------------------------------------------


def test_one_dockerfile_for_every_service():
    assert DOCKERFILE.is_file()
    assert not list((ROOT / "services").glob("*/Dockerfile")), "services build from deploy/Dockerfile"


def test_the_image_installs_and_runs_the_service_named_by_its_build_argument():
    text = DOCKERFILE.read_text()
    build, runtime = re.split(r"^FROM\s", text, flags=re.M)[1:]
    assert re.search(r"^ARG SERVICE$", build, flags=re.M) and re.search(r"^ARG SERVICE$", runtime, flags=re.M)
    assert re.search(r'uv sync .*--no-editable.* --package "opp-\$\{SERVICE\}"', instruction(build, "RUN")), (
        "installs this service's package"
    )
    assert 'ln -s "opp-${SERVICE}" /app/.venv/bin/opp-service' in instruction(build, "RUN")
    # Exec form: python is PID 1 and gets SIGTERM itself.
    assert json.loads(instruction(runtime, "CMD")) == ["opp-service"]
    assert instruction(runtime, "STOPSIGNAL") == "SIGTERM"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_entry_point_the_image_runs(service):
    project = tomllib.loads((SERVICES[service].folder / "pyproject.toml").read_text())["project"]
    assert project["name"] == SERVICES[service].distribution
    assert project["scripts"][f"opp-{service}"] == f"{service}.__main__:main"
    assert importlib.util.find_spec(f"{service}.__main__") is not None


def test_every_service_listens_on_the_container_port_inside():
    runtime = final_stage(DOCKERFILE.read_text())
    env = dict(re.findall(r"(\w+)=(\S+)", instruction(runtime, "ENV")))
    assert env["OPP_HTTP_HOST"] == "0.0.0.0", "reachable from outside the container"
    assert env["OPP_HTTP_PORT"] == instruction(runtime, "EXPOSE") == str(CONTAINER_PORT)
    assert url_in(instruction(runtime, "HEALTHCHECK")) == (CONTAINER_PORT, "/health/live")
    unknown = {n for n in env if n.startswith("OPP_")} - env_names(ServiceSettings)
    assert not unknown, sorted(unknown)


def test_the_image_runs_as_a_non_root_user():
    user = instruction(final_stage(DOCKERFILE.read_text()), "USER")
    name = user.split(":")[0]
    assert name not in ("root", "0")
    assert name == "10001", "a fixed numeric uid, checkable without /etc/passwd"


def test_dockerignore_keeps_local_state_out():
    patterns = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".cache", ".data", ".venv", ".git"} <= patterns


# -- the gateway -------------------------------------------------------------


def test_one_location_per_route_of_the_manifest_to_its_service():
    assert not [m for m, *_ in nginx_locations() if m and m != "="], "regex locations would defeat route()"
    proxied = sorted(
        (prefix, host, port) for modifier, prefix, host, port, _ in nginx_locations() if host and not modifier
    )
    assert proxied == sorted(
        (prefix, name, CONTAINER_PORT) for name, service in SERVICES.items() for prefix in service.routes
    )


def test_every_api_path_falls_under_its_own_service_s_routes():
    """Services that have not built their routes yet have no paths; at least one has."""
    paths = 0
    for name, service in SERVICES.items():
        for path in importlib.import_module(f"{name}.main").create_app().openapi()["paths"]:
            if NOT_ROUTED.match(path):
                continue
            paths += 1
            assert any(under(path, prefix) for prefix in service.routes), (
                f"{path} of {name} is under none of its routes in services/manifest.toml"
            )
            location, host = route(path)
            assert host == name, f"{path} of {name} goes to {host} (location {location})"
            assert gateway.route(path).service == name, f"the local gateway sends {path} of {name} elsewhere"
    assert paths, "no API path at all: the apps did not build their routes"


def test_every_aggregate_of_the_catalogue_is_routed_to_its_owner():
    """Ahead of the routes: the event catalogue already says which service owns
    which aggregate (topic `<service>.<aggregate>`), and its resource is the plural."""

    def plural(aggregate: str) -> str:
        name = aggregate.replace("_", "-")
        if name == "person":
            return "people"
        return name[:-1] + "ies" if name.endswith("y") else name + "s"

    for topic in all_topics():
        owner, aggregate = topic.split(".", 1)
        path = f"/api/v1/{plural(aggregate)}"
        assert path in SERVICES[owner].routes, f"{path} is not a route of {owner} in services/manifest.toml"
        assert route(path) == (path, owner)


def test_no_prefix_of_one_service_covers_another_s():
    # nginx matches prefixes as strings, not path segments: /api/v1/call would take /api/v1/calls.
    proxied = [(prefix, host) for modifier, prefix, host, _, _ in nginx_locations() if host and not modifier]
    for prefix, host in proxied:
        for other, other_host in proxied:
            if host != other_host:
                assert not other.startswith(prefix), f"{prefix} ({host}) covers {other} ({other_host})"


def test_the_local_gateway_routes_every_location_of_nginx_as_nginx_does():
    """`make up`'s gateway and compose's nginx: the same table, so the same choice for every path."""
    for modifier, path, host, _, target in nginx_locations():
        if host is None:
            continue
        for probe in (path, path + "/x_1/history") if not modifier else (path,):
            location = gateway.route(probe)
            assert (location.service, location.target or None) == (host, target or None) or not modifier, probe
            assert location.service == route(probe)[1], probe


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_document_and_docs_are_reachable(service):
    for page in ("openapi.json", "asyncapi.json", "docs"):
        exact = [(h, t) for m, p, h, _, t in nginx_locations() if m == "=" and p == f"/{service}/{page}"]
        assert exact == [(service, f"/{page}")]


def test_the_gateway_answers_problems_itself():
    text = NGINX_CONF.read_text()
    assert "default_type application/problem+json;" in text
    for status in (413, 502, 503, 504):
        assert re.search(rf"^\s*error_page\s+{status}\s+@\w+;", text, flags=re.M), status
    assert re.search(r"location / \{[^}]*return 404 '\{\"type\":\"urn:opp:problem:not-found\"", text)
    assert re.search(r"^\s*client_max_body_size\s+1m;", text, flags=re.M)
