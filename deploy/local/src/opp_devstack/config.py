"""One stack's configuration: where it keeps its data and which ports it listens on (all on 127.0.0.1).

Each value has a default and an OPP_STACK_* variable (and for the servers a
command-line flag); a flag or an explicit argument wins over the variable:

    data_dir               OPP_STACK_DATA_DIR               <repo>/.data
    kafka_port             OPP_STACK_KAFKA_PORT             9092
    kafka_controller_port  OPP_STACK_KAFKA_CONTROLLER_PORT  9093
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
import os
import socket
from collections.abc import Callable, Mapping
from pathlib import Path

from opp_devstack import manifest
from opp_devstack.common import REPO_ROOT, StackError

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

    @classmethod
    def from_env(cls, **overrides: object) -> StackConfig:
        """Defaults, overridden by OPP_STACK_* variables, overridden by non-None arguments."""
        values: dict[str, object] = {}
        for name, convert in (
            ("data_dir", Path),
            ("timeout", float),
            ("kafka_auth", _boolean),
            *((port, int) for port in SERVER_PORTS),
        ):
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
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

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
        return self.data_dir / "kafka"

    @property
    def kafka_log_dirs(self) -> Path:
        return self.kafka_dir / "logs"

    @property
    def kafka_properties(self) -> Path:
        return self.kafka_dir / "server.properties"

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
