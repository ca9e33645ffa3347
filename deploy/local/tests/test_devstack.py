"""The local stack's configuration and manifest reading; no server is started here."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import opp_devstack
from opp_devstack import manifest, servers
from opp_devstack.common import REPO_ROOT, StackError
from opp_devstack.config import StackConfig

STACK_SCRIPT = REPO_ROOT / "deploy" / "local" / "stack.py"
PORTS = {name: service.port for name, service in manifest.services().items()}


@pytest.fixture
def no_stack_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean slate: OPP_STACK_* set by whoever runs the tests must not change the answers."""
    for name in [n for n in os.environ if n.startswith("OPP_STACK_")]:
        monkeypatch.delenv(name)
    return monkeypatch


def test_every_service_of_the_manifest_gets_its_port(no_stack_env):
    cfg = StackConfig.from_env()
    assert cfg.service_ports == PORTS
    assert list(cfg.service_ports) == list(manifest.services()), "the manifest's order is the start order"


def test_a_service_port_moves_with_its_variable_and_an_argument_wins(no_stack_env):
    first, second, *_ = PORTS
    no_stack_env.setenv(f"OPP_STACK_{first.upper()}_PORT", "19101")
    no_stack_env.setenv(f"OPP_STACK_{second.upper()}_PORT", "19102")
    cfg = StackConfig.from_env(service_ports={second: 29102}, kafka_port=None)
    assert cfg.service_ports == {**PORTS, first: 19101, second: 29102}
    assert cfg.kafka_port == 9092, "None means: not given"


def test_wrong_values_are_refused_with_their_name(no_stack_env):
    no_stack_env.setenv("OPP_STACK_MONGO_PORT", "many")
    with pytest.raises(StackError, match="OPP_STACK_MONGO_PORT='many'"):
        StackConfig.from_env()
    with pytest.raises(StackError, match="no service nosuch"):
        StackConfig(service_ports={"nosuch": 1})


def test_ports_are_named_as_the_pid_files_and_variables_name_them(tmp_path):
    cfg = StackConfig(data_dir=tmp_path)
    first = next(iter(PORTS))
    assert cfg.ports()["kafka_port"] == 9092
    assert cfg.ports()[f"{first}_port"] == PORTS[first]
    moved = cfg.with_ports({"mongo_port": 1, f"{first}_port": 2})
    assert (moved.mongo_port, moved.service_ports[first]) == (1, 2)
    assert moved.with_ports(cfg.ports()) == cfg


def test_the_groups_follow_the_manifest():
    assert servers.select("services") == list(PORTS)
    kafka = ["kafka", "kafka-2", "kafka-3", "kafka-4", "kafka-5"]  # those beyond the broker count stay stopped
    assert servers.select("all") == [*kafka, "ferretdb", "mailpit", *PORTS, "gateway"]
    assert servers.select("mail") == ["mailpit"]
    assert servers.select("gateway") == ["gateway"], "started after the services it routes to"
    assert list(servers.specs()) == [*kafka, "ferretdb", "mailpit", *PORTS, "gateway"]
    with pytest.raises(StackError, match="unknown name"):
        servers.select("nosuch")


def test_a_single_kafka_node_is_what_it_always_was(tmp_path):
    cfg = StackConfig(data_dir=tmp_path, kafka_port=9092, kafka_controller_port=9093)
    assert cfg.kafka_bootstrap == "127.0.0.1:9092"
    assert (cfg.kafka_replication_factor, cfg.kafka_min_insync_replicas) == (1, 1)
    properties = servers.kafka_properties(cfg)
    assert "node.id=1\n" in properties and "controller.quorum.voters=1@127.0.0.1:9093\n" in properties
    assert "default.replication.factor=1\n" in properties and "min.insync.replicas=1\n" in properties
    assert f"log.dirs={tmp_path / 'kafka' / 'logs'}\n" in properties
    assert not servers.kafka_node_in_use(cfg, "kafka-2") and servers.kafka_node_in_use(cfg, "ferretdb")


def test_three_brokers_are_three_voters_with_three_replicas_and_two_in_sync(no_stack_env, monkeypatch, tmp_path):
    monkeypatch.setenv("OPP_STACK_KAFKA_BROKERS", "3")
    cfg = StackConfig.from_env(data_dir=tmp_path, kafka_port=9092, kafka_controller_port=9093)
    assert cfg.kafka_bootstrap == "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"
    assert (cfg.kafka_replication_factor, cfg.kafka_min_insync_replicas) == (3, 2)
    assert servers.kafka_node_in_use(cfg, "kafka-3") and not servers.kafka_node_in_use(cfg, "kafka-4")
    properties = servers.kafka_properties(cfg, 3)
    voters = "1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097"
    assert "node.id=3\n" in properties and f"controller.quorum.voters={voters}\n" in properties
    assert "listeners=PLAINTEXT://127.0.0.1:9096,CONTROLLER://127.0.0.1:9097\n" in properties
    assert f"log.dirs={tmp_path / 'kafka-3' / 'logs'}\n" in properties
    for setting in ("default.replication.factor=3", "offsets.topic.replication.factor=3", "min.insync.replicas=2"):
        assert setting + "\n" in properties
    # The services create their topics with the cluster's replication factor.
    assert servers.specs()["partners"].env(cfg)["OPP_KAFKA_REPLICATION_FACTOR"] == "3"


def test_a_data_dir_keeps_the_kafka_node_count_it_was_formatted_with(tmp_path):
    single = StackConfig(data_dir=tmp_path)
    cluster = StackConfig(data_dir=tmp_path, kafka_brokers=3)
    single.kafka_log_dirs.mkdir(parents=True)
    (single.kafka_log_dirs / "meta.properties").write_text("cluster.id=x\n")  # a single node of before
    with pytest.raises(StackError, match="has 1 node\\(s\\), not 3"):
        servers._prepare_kafka(cluster, 2)
    single.kafka_cluster_file.write_text("cluster.id=x\nbrokers=3\n")
    with pytest.raises(StackError, match="has 3 node\\(s\\), not 1"):
        servers._prepare_kafka(single)
    assert not cluster.kafka_node_dir(2).exists(), "refused before writing anything"


@pytest.mark.parametrize(
    "values",
    [{"kafka_brokers": 0}, {"kafka_brokers": 9}, {"kafka_brokers": 1, "kafka_replication_factor": 3}],
)
def test_impossible_kafka_shapes_are_refused(tmp_path, values):
    with pytest.raises(StackError, match="Kafka|BROKERS"):
        StackConfig(data_dir=tmp_path, **values)


def write_manifest(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.toml"
    path.write_text(text)
    return path


ENTRY = '[services.{name}]\nport = {port}\ndatabase = "{name}"\nsettings = "{name}.settings:S"\nroutes = {routes}\n'


def test_the_manifest_reader_takes_a_well_formed_entry(tmp_path):
    path = write_manifest(tmp_path, ENTRY.format(name="alpha", port=1, routes='["/api/v1/alphas"]'))
    assert manifest.services(path) == {
        "alpha": manifest.Service("alpha", 1, "alpha", "alpha.settings:S", ("/api/v1/alphas",))
    }


@pytest.mark.parametrize(
    "text, problem",
    [
        (ENTRY.format(name="alpha", port='"1"', routes="[]"), "look at port"),
        (ENTRY.format(name="alpha", port=1, routes="[]") + "colour = 1\n", "look at colour"),
        ("[services.al-pha]\nport = 1\n", "Python package"),
        (ENTRY.format(name="alpha", port=1, routes="[]") + ENTRY.format(name="beta", port=1, routes="[]"), "same port"),
        (
            ENTRY.format(name="alpha", port=1, routes='["/api/v1/things"]')
            + ENTRY.format(name="beta", port=2, routes='["/api/v1/things/special"]'),
            "falls under",
        ),
        (ENTRY.format(name="alpha", port=1, routes='["/api/v1/things/"]'), "trailing slash"),
        ("[other]\n", "cannot read"),
    ],
)
def test_the_manifest_reader_refuses_what_the_stack_or_gateway_could_not_use(tmp_path, text, problem):
    with pytest.raises(StackError, match=problem):
        manifest.services(write_manifest(tmp_path, text))


def test_prefixes_match_whole_segments():
    assert manifest.under("/api/v1/calls/c1", "/api/v1/calls")
    assert manifest.under("/api/v1/calls", "/api/v1/calls")
    assert not manifest.under("/api/v1/callsigns", "/api/v1/calls")


def test_the_package_is_stdlib_only_and_the_shim_runs_without_a_virtualenv(tmp_path):
    # -I -S: no site-packages (so not this .venv) and no PYTHONPATH: only the standard library.
    # The local gateway is a process of its own that the stack starts with the .venv's Python,
    # like the services; stack.py never imports it.
    modules = [
        m.name
        for m in pkgutil.iter_modules(opp_devstack.__path__, "opp_devstack.")
        if m.name not in ("opp_devstack.__main__", "opp_devstack.gateway_app")
    ]
    src = Path(opp_devstack.__file__).parents[1]
    code = f"import sys; sys.path.insert(0, {str(src)!r}); import " + ", ".join(modules)
    subprocess.run([sys.executable, "-I", "-S", "-c", code], check=True, capture_output=True)
    answer = subprocess.run(
        [sys.executable, "-I", "-S", str(STACK_SCRIPT), "status", "--data-dir", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert [line.split()[:2] for line in answer.stdout.splitlines()] == [
        [name, "stopped"] for name in ("kafka", "ferretdb", "mailpit", *PORTS, "gateway")
    ]


def test_mailpit_listens_on_loopback_on_ports_the_variables_move(monkeypatch, tmp_path):
    monkeypatch.setenv("OPP_STACK_MAILPIT_SMTP_PORT", "21025")
    monkeypatch.setenv("OPP_STACK_MAILPIT_UI_PORT", "28025")
    cfg = StackConfig.from_env(data_dir=tmp_path)
    command = servers.specs()["mailpit"].command(cfg)
    assert "--smtp=127.0.0.1:21025" in command and "--listen=127.0.0.1:28025" in command
    assert f"--database={tmp_path.resolve() / 'mailpit.db'}" in command
    assert servers._service_env(cfg, "notifications")["OPP_SMTP_PORT"] == "21025"
