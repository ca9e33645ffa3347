"""Where the tests' real servers come from, in this order:

1. `OPP_TEST_MONGO_URL` and `OPP_TEST_KAFKA_BOOTSTRAP`: servers someone already runs
   (the compose stack, a CI service);
2. a Docker engine: testcontainers' MongoDB (`mongo:8.0`) and Kafka modules;
3. otherwise (these machines): the project's local stack, FerretDB and Kafka
   started by the development package `opp_devstack` (deploy/local) on free ports
   in a temporary folder, and stopped at the end of the session.

That Kafka is plaintext, without logins or ACLs: each test isolates itself in a
namespace of its own, and its services create their namespaced topics as they
start, which a service's principal may not do on a secured broker. The tests of
the logins and ACLs themselves get a second, secured broker (`secured_kafka`):
the same opp_devstack code as `make up`'s, SASL/SCRAM and the standard authorizer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Servers:
    mongo_url: str
    kafka_bootstrap: str
    kind: str  # "external", "testcontainers" or "local"


def _docker_engine_available() -> bool:
    if os.environ.get("OPP_TEST_NO_DOCKER") or shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def local_stack_config(data_dir: Path, kafka_brokers: int = 1) -> Any:
    """An `opp_devstack.StackConfig` on free ports in `data_dir` (Kafka's nodes on consecutive ones)."""
    # Imported here: the development package is in the workspace's .venv, not in a
    # service's image, and opp_shared must import without it.
    import opp_devstack as stack
    from opp_devstack.config import free_port_block

    mongo_port, debug_port = stack.free_ports(2)
    kafka_port = free_port_block(2 * kafka_brokers)
    return stack.StackConfig(
        data_dir=data_dir,
        kafka_port=kafka_port,
        kafka_controller_port=kafka_port + 1,
        kafka_brokers=kafka_brokers,
        mongo_port=mongo_port,
        ferretdb_debug_port=debug_port,
        timeout=180.0,
        kafka_auth=False,  # see above
    )


@contextmanager
def local_stack(data_dir: Path, config: Any = None) -> Iterator[Servers]:
    """Kafka and FerretDB of the local stack, started in `data_dir` on free ports (or as `config`,
    from local_stack_config, says) and stopped at the end."""
    import opp_devstack as stack

    config = config or local_stack_config(data_dir)
    try:
        stack.start(config)
        yield Servers(config.mongo_url, config.kafka_bootstrap, "local")
    finally:
        stack.stop(config)


@contextmanager
def containers() -> Iterator[Servers]:  # pragma: no cover - needs a Docker engine, which these machines lack
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.mongodb import MongoDbContainer

    mongo_image = os.environ.get("OPP_TEST_MONGO_IMAGE", "mongo:8.0")
    kafka_image = os.environ.get("OPP_TEST_KAFKA_IMAGE", "confluentinc/cp-kafka:7.9.0")
    with MongoDbContainer(mongo_image) as mongo, KafkaContainer(kafka_image).with_kraft() as kafka:
        yield Servers(mongo.get_connection_url(), kafka.get_bootstrap_server(), "testcontainers")


@contextmanager
def test_servers(tmp_dir: Path) -> Iterator[Servers]:
    url, bootstrap = os.environ.get("OPP_TEST_MONGO_URL"), os.environ.get("OPP_TEST_KAFKA_BOOTSTRAP")
    if url and bootstrap:
        yield Servers(url, bootstrap, "external")
    elif _docker_engine_available():
        with containers() as servers:
            yield servers
    else:
        with local_stack(tmp_dir) as servers:
            yield servers


@dataclass(frozen=True)
class SecuredKafka:
    """A broker with SASL/SCRAM logins and the standard authorizer, and every principal's password."""

    bootstrap: str
    passwords: dict[str, str]  # admin, each service, subscriber

    def client_options(self, principal: str, password: str | None = None) -> dict[str, Any]:
        """aiokafka's arguments to log in as `principal` (with its password unless one is given)."""
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": principal,
            "sasl_plain_password": self.passwords[principal] if password is None else password,
        }

    def settings(self, principal: str) -> dict[str, Any]:
        """The Kafka settings (ServiceSettings fields) of a process that logs in as `principal`."""
        return {
            "kafka_bootstrap_servers": self.bootstrap,
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_sasl_username": principal,
            "kafka_sasl_password": self.passwords[principal],
        }


@contextmanager
def secured_kafka(data_dir: Path) -> Iterator[SecuredKafka]:
    """`make up`'s Kafka (opp_devstack, kafka_auth on) on free ports in `data_dir`."""
    import opp_devstack as stack
    from opp_devstack import kafka_security

    kafka_port, controller_port = stack.free_ports(2)
    config = stack.StackConfig(
        data_dir=data_dir, kafka_port=kafka_port, kafka_controller_port=controller_port, timeout=180.0
    )
    try:
        stack.start(config, "kafka")
        yield SecuredKafka(config.kafka_bootstrap, kafka_security.credentials(config))
    finally:
        stack.stop(config, "kafka")
