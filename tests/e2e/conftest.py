"""The services as real processes, for the end-to-end tests."""

import pytest

from opp_shared.testing.processes import ServiceProcess


def service_env(servers, namespace, service, **env):
    """A service's settings against the test's servers, isolated by `namespace` (its database and topics)."""
    values = {
        "OPP_MONGO_URL": servers.mongo_url,
        "OPP_MONGO_DATABASE": f"{namespace}_{service}",
        "OPP_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
        "OPP_KAFKA_NAMESPACE": f"{namespace}.",
        "OPP_KAFKA_TOPIC_PARTITIONS": "2",
        "OPP_RELAY_POLL_SECONDS": "0.2",
        "OPP_LOG_JSON": "false",
    }
    values.update({k: str(v) for k, v in env.items()})
    return values


@pytest.fixture
def spawn(servers, namespace, tmp_path):
    started: list[ServiceProcess] = []

    def start(service, **env):
        process = ServiceProcess(service, service_env(servers, namespace, service, **env), tmp_path).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
