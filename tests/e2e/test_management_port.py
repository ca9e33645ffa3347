"""A service as a real process with a management port: readiness detail and metrics there without
credentials, and nothing else; on the public port, the short readiness answer and no metrics."""

import httpx
import pytest

from opp_shared.testing.helpers import auth
from opp_shared.testing.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def partners(servers, namespace, tmp_path):
    management_port = free_port()
    process = ServiceProcess(
        "partners",
        {
            "OPP_MONGO_URL": servers.mongo_url,
            "OPP_MONGO_DATABASE": f"{namespace}_partners",
            "OPP_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
            "OPP_KAFKA_NAMESPACE": f"{namespace}.",
            "OPP_KAFKA_TOPIC_PARTITIONS": "1",
            "OPP_LOG_JSON": "false",
            "OPP_MANAGEMENT_PORT": str(management_port),
        },
        tmp_path,
    ).start()
    try:
        process.wait_until()
        yield process, f"http://127.0.0.1:{management_port}"
    finally:
        process.stop()


def test_the_management_port_shows_operators_what_the_public_port_does_not(partners):
    process, management = partners
    public = httpx.get(process.url + "/health/ready", timeout=10)
    assert public.status_code == 200 and public.json() == {"status": "ok"}
    assert httpx.get(process.url + "/metrics", timeout=10).status_code == 401

    detail = httpx.get(management + "/health/ready", timeout=10)
    assert detail.status_code == 200
    workers = detail.json()["checks"]["workers"]
    assert {"relay", "consumer:follow-ups", "consumer:portfolio"} <= set(workers)
    assert all(w["ok"] and w["state"] == "running" for w in workers.values())
    metrics = httpx.get(management + "/metrics", timeout=10)
    assert metrics.status_code == 200 and "opp_worker_up" in metrics.text
    assert httpx.get(management + "/health/live", timeout=10).status_code == 200
    # Nothing else is served there, not even with credentials.
    refused = httpx.get(management + "/api/v1/partners", headers=auth("admin"), timeout=10)
    assert refused.status_code == 404 and refused.headers["content-type"] == "application/problem+json"
    assert httpx.get(management + "/docs", timeout=10).status_code == 404
