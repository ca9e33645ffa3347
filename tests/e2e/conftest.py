"""The services as real processes, for the end-to-end tests."""

import pytest

from opp_shared.testing.processes import ServiceProcess, service_env


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
