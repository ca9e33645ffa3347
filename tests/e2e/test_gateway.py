"""`make up`'s gateway as a real process in front of a real service: one origin for a browser frontend."""

import subprocess
import sys
import time

import httpx
import pytest

from opp_shared.testing.helpers import auth
from opp_shared.testing.processes import ServiceProcess, free_port

pytestmark = pytest.mark.e2e
FRONTEND = "http://localhost:5173"


@pytest.fixture
def stack(servers, namespace, tmp_path):
    env = {
        "OPP_MONGO_URL": servers.mongo_url,
        "OPP_MONGO_DATABASE": f"{namespace}_partners",
        "OPP_KAFKA_BOOTSTRAP_SERVERS": servers.kafka_bootstrap,
        "OPP_KAFKA_NAMESPACE": f"{namespace}.",
        "OPP_KAFKA_TOPIC_PARTITIONS": "1",
        "OPP_LOG_JSON": "false",
        "OPP_CORS_ORIGINS": FRONTEND,
    }
    partners = ServiceProcess("partners", env, tmp_path).start()
    port = free_port()
    log = open(tmp_path / "gateway.log", "wb")  # noqa: SIM115 (the child writes it until the end)
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "opp_devstack.gateway_app",
            f"--port={port}",
            f"--upstream=partners={partners.port}",
            f"--upstream=funding={free_port()}",
        ],  # funding is not running: 502
        env={"OPP_CORS_ORIGINS": FRONTEND, "PATH": "/usr/bin:/bin"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        partners.wait_until()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and gateway.poll() is None, (tmp_path / "gateway.log").read_text()
                time.sleep(0.1)
        yield url
    finally:
        gateway.terminate()
        gateway.wait(10)
        log.close()
        partners.stop()


def test_one_origin_for_a_browser_frontend(stack):
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = httpx.options(f"{stack}/api/v1/partners", headers={"Origin": FRONTEND, **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == FRONTEND
    refused = httpx.options(f"{stack}/api/v1/partners", headers={"Origin": "http://localhost:1234", **preflight})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers

    created = httpx.post(
        f"{stack}/api/v1/partners",
        json={"name": "Tsinghua University", "name_local": "清华大学", "kind": "university", "country": "CN"},
        headers={**auth("partnerships_officer"), "Origin": FRONTEND},
    )
    assert created.status_code == 201, created.text
    assert created.headers["access-control-allow-origin"] == FRONTEND
    assert created.headers["location"] == f"/api/v1/partners/{created.json()['id']}"
    found = httpx.get(f"{stack}/api/v1/partners", params={"q": "清华"}, headers=auth("viewer"))
    assert [p["id"] for p in found.json()["items"]] == [created.json()["id"]]

    assert httpx.get(f"{stack}/partners/openapi.json").json()["info"]["title"].endswith("partners")
    assert "'/partners/openapi.json'" in httpx.get(f"{stack}/partners/docs").text
    assert httpx.get(f"{stack}/api/v1/nowhere").status_code == 404
    down = httpx.get(f"{stack}/api/v1/funds", headers=auth("viewer"))
    assert down.status_code == 502 and down.json()["type"] == "urn:opp:problem:bad-gateway"
