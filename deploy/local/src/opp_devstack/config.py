"""One stack's configuration: where it keeps its data and which ports it listens on (all on 127.0.0.1).

Each value has a default and an OPP_STACK_* variable (and for the servers a
command-line flag); a flag or an explicit argument wins over the variable:

    data_dir               OPP_STACK_DATA_DIR               <repo>/.data
    kafka_port             OPP_STACK_KAFKA_PORT             9092
    kafka_controller_port  OPP_STACK_KAFKA_CONTROLLER_PORT  9093
    kafka_brokers          OPP_STACK_KAFKA_BROKERS          1 (3: a KRaft cluster; node n listens on
                                                            kafka_port + 2(n-1), controller_port + 2(n-1))
    kafka_replication_factor  OPP_STACK_KAFKA_REPLICATION_FACTOR  the broker count, at most 3
    kafka_min_insync_replicas OPP_STACK_KAFKA_MIN_INSYNC_REPLICAS one less than the replication factor, at least 1
    mongo_port             OPP_STACK_MONGO_PORT             27017
    ferretdb_debug_port    OPP_STACK_FERRETDB_DEBUG_PORT    8088
    mailpit_smtp_port      OPP_STACK_MAILPIT_SMTP_PORT      1025
    mailpit_ui_port        OPP_STACK_MAILPIT_UI_PORT        8025 (Mailpit's web UI and API)
    gateway_port           OPP_STACK_GATEWAY_PORT           8000 (every service behind one origin)
    service_ports[<name>]  OPP_STACK_<NAME>_PORT            the service's port in services/manifest.toml
    timeout                OPP_STACK_TIMEOUT                90 (seconds to wait for readiness)
    kafka_auth             OPP_STACK_KAFKA_AUTH             1 (SASL/SCRAM logins and ACLs; 0: plaintext, no auth)
"""

from __future__ import annotations

import dataclasses
import errno
import os
import random
import socket
from collections.abc import Callable, Mapping
from pathlib import Path

from opp_devstack import manifest
from opp_devstack.common import REPO_ROOT, StackError

# Kafka nodes the stack knows how to run (kafka, kafka-2, ...); three is the cluster of `make up-cluster`.
MAX_KAFKA_BROKERS = 5

KAFKA_SETTINGS = ("kafka_brokers", "kafka_replication_factor", "kafka_min_insync_replicas")
SERVER_PORTS = (
    "kafka_port",
    "kafka_controller_port",
    "mongo_port",
    "ferretdb_debug_port",
    "mailpit_smtp_port",
    "mailpit_ui_port",
    "gateway_port",
)


def variable(name: str) -> str:
    """The OPP_STACK_* variable of a value or port: kafka_port -> OPP_STACK_KAFKA_PORT,
    partners_port -> OPP_STACK_PARTNERS_PORT."""
    return "OPP_STACK_" + name.upper()


def _boolean(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


def _from_env(name: str, convert: Callable[[str], object]) -> object | None:
    raw = os.environ.get(variable(name))
    if not raw:
        return None
    try:
        return convert(raw)
    except ValueError:
        raise StackError(f"{variable(name)}={raw!r} is not a valid value") from None


@dataclasses.dataclass(frozen=True)
class StackConfig:
    """Where one stack keeps its data and which ports it listens on."""

    data_dir: Path = REPO_ROOT / ".data"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    # Combined broker+controller nodes, all voters. Node n (from 1) listens on kafka_port + 2(n-1)
    # and kafka_controller_port + 2(n-1), so the defaults are 9092/9093, 9094/9095, 9096/9097.
    kafka_brokers: int = 1
    # None: the broker count (at most 3), and one less than that (at least 1), so that a
    # three-broker cluster keeps accepting writes with one broker down and never acknowledges
    # a write held by one broker only.
    kafka_replication_factor: int | None = None
    kafka_min_insync_replicas: int | None = None
    mongo_port: int = 27017
    ferretdb_debug_port: int = 8088
    mailpit_smtp_port: int = 1025
    mailpit_ui_port: int = 8025
    gateway_port: int = 8000
    # Service name -> its HTTP port. Only the ports to move need be given: every
    # other service of the manifest gets the manifest's port.
    service_ports: dict[str, int] = dataclasses.field(default_factory=dict)
    timeout: float = 90.0
    # Kafka with SASL/SCRAM logins and the standard authorizer (opp_devstack.kafka_security).
    kafka_auth: bool = True

    def __post_init__(self) -> None:
        # Absolute: the path goes into the servers' command lines and configs,
        # and the servers run with the data dir as working directory.
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser().resolve())
        defaults = {name: service.port for name, service in manifest.services().items()}
        unknown = sorted(set(self.service_ports) - set(defaults))
        if unknown:
            raise StackError(f"no service {', '.join(unknown)} in {manifest.MANIFEST}")
        object.__setattr__(self, "service_ports", {**defaults, **self.service_ports})
        if not 1 <= self.kafka_brokers <= MAX_KAFKA_BROKERS:
            brokers = variable("kafka_brokers")
            raise StackError(f"{brokers}: from 1 to {MAX_KAFKA_BROKERS} brokers, not {self.kafka_brokers}")
        replication = self.kafka_replication_factor or min(self.kafka_brokers, 3)
        min_insync = self.kafka_min_insync_replicas or max(replication - 1, 1)
        if not 1 <= min_insync <= replication <= self.kafka_brokers:
            raise StackError(
                f"Kafka: need 1 <= min.insync.replicas ({min_insync}) <= replication factor ({replication}) "
                f"<= brokers ({self.kafka_brokers})"
            )
        object.__setattr__(self, "kafka_replication_factor", replication)
        object.__setattr__(self, "kafka_min_insync_replicas", min_insync)

    @classmethod
    def from_env(cls, **overrides: object) -> StackConfig:
        """Defaults, overridden by OPP_STACK_* variables, overridden by non-None arguments."""
        values: dict[str, object] = {}
        settings = (
            ("data_dir", Path),
            ("timeout", float),
            ("kafka_auth", _boolean),
            *((name, int) for name in KAFKA_SETTINGS),
        )
        for name, convert in (*settings, *((port, int) for port in SERVER_PORTS)):
            value = _from_env(name, convert)
            if value is not None:
                values[name] = value
        service_ports = {}
        for service in manifest.services():
            port = _from_env(f"{service}_port", int)
            if port is not None:
                service_ports[service] = port
        given = {k: v for k, v in overrides.items() if v is not None}
        values["service_ports"] = {**service_ports, **given.pop("service_ports", {})}  # type: ignore[dict-item]
        return cls(**{**values, **given})  # type: ignore[arg-type]

    def ports(self) -> dict[str, int]:
        """Every port by name: the servers' (kafka_port, ...), then each service's (<name>_port).
        These names are the pid files' and, upper-cased, the OPP_STACK_* variables'."""
        return {
            **{name: getattr(self, name) for name in SERVER_PORTS},
            **{f"{service}_port": port for service, port in self.service_ports.items()},
        }

    def with_ports(self, ports: Mapping[str, int]) -> StackConfig:
        """This config with the given ports (named as ports() names them) changed."""
        servers = {name: port for name, port in ports.items() if name in SERVER_PORTS}
        services = {name.removesuffix("_port"): port for name, port in ports.items() if name not in SERVER_PORTS}
        return dataclasses.replace(self, **servers, service_ports={**self.service_ports, **services})  # type: ignore[arg-type]

    @property
    def kafka_nodes(self) -> range:
        """The Kafka node ids: 1, or 1, 2, 3 for a cluster."""
        return range(1, self.kafka_brokers + 1)

    def kafka_node_ports(self, node: int) -> tuple[int, int]:
        """Where Kafka node `node` listens: its client port and its controller port."""
        return self.kafka_port + 2 * (node - 1), self.kafka_controller_port + 2 * (node - 1)

    @property
    def kafka_bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.kafka_node_ports(node)[0]}" for node in self.kafka_nodes)

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/"

    # Layout of the data dir.
    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def kafka_dir(self) -> Path:
        return self.kafka_node_dir(1)

    @property
    def kafka_log_dirs(self) -> Path:
        return self.kafka_node_dir(1) / "logs"

    @property
    def kafka_properties(self) -> Path:
        return self.kafka_node_dir(1) / "server.properties"

    def kafka_node_dir(self, node: int) -> Path:
        """Node 1 keeps kafka/ (as a single node always has); node n of a cluster kafka-<n>/."""
        return self.data_dir / ("kafka" if node == 1 else f"kafka-{node}")

    @property
    def kafka_cluster_file(self) -> Path:
        """The cluster id every node was formatted with, and how many nodes there are."""
        return self.data_dir / "kafka-cluster.properties"

    @property
    def ferretdb_dir(self) -> Path:
        return self.data_dir / "ferretdb"

    @property
    def mailpit_database(self) -> Path:
        return self.data_dir / "mailpit.db"

    @property
    def ferretdb_state_dir(self) -> Path:
        return self.data_dir / "ferretdb-state"

    def pid_file(self, server: str) -> Path:
        return self.run_dir / f"{server}.pid"

    def log_file(self, server: str) -> Path:
        return self.logs_dir / f"{server}.log"


def free_ports(count: int) -> list[int]:
    """Ports that are free right now (for tests that run a stack on their own ports)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def port_free(port: int) -> bool:
    # SO_REUSEADDR as the servers use it: a socket in TIME_WAIT does not count
    # as taken, a listener (on 127.0.0.1 or 0.0.0.0) does.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port_block(count: int, attempts: int = 200) -> int:
    """The first of `count` consecutive ports that are free right now: a Kafka cluster's nodes
    listen on ports that follow from the first node's (StackConfig.kafka_node_ports)."""
    for _ in range(attempts):
        first = random.randrange(20000, 60000 - count)
        if all(port_free(port) for port in range(first, first + count)):
            return first
    raise StackError(f"found no {count} consecutive free ports")
