"""The HTTP side every service shares, on a small app of the test's own against the real servers."""

import json

import pytest
from fastapi import APIRouter
from pymongo.errors import ServerSelectionTimeoutError

from opp_shared.runtime import ServiceRuntime
from opp_shared.settings import ServiceSettings
from opp_shared.testing.helpers import assert_problem, auth, running, settings_for
from opp_shared.web.app import create_app
from opp_shared.web.security import Reader


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


def probe_app(settings):
    router = APIRouter()

    @router.get("/api/v1/probes/boom")
    async def boom(_: Reader):
        raise RuntimeError("secret internal detail")

    @router.get("/api/v1/probes/db-down")
    async def db_down(_: Reader):
        raise ServerSelectionTimeoutError("no servers")

    @router.post("/api/v1/probes")
    async def create(body: dict, _: Reader):
        return {"size": len(json.dumps(body))}

    runtime = ServiceRuntime(settings)
    return create_app(runtime, title="probe", description="probe", routers=[router])


@pytest.fixture
async def client(servers, namespace):
    async with running(probe_app(settings_for(ProbeSettings, servers, namespace, max_body_bytes=4096))) as client:
        yield client


async def test_health_and_metrics(client):
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    # The public answer says ready or not; which check, and why, only to an admin token.
    assert (await client.get("/health/ready")).json() == {"status": "ok"}
    assert (await client.get("/health/ready", headers=auth("viewer"))).json() == {"status": "ok"}
    ready = await client.get("/health/ready", headers=auth("admin"))
    assert ready.status_code == 200
    assert ready.json()["checks"]["mongodb"]["ok"] and ready.json()["checks"]["kafka"]["ok"]
    await client.get("/api/v1/probes/boom", headers=auth("viewer"))
    assert_problem(await client.get("/metrics"), 401)
    assert_problem(await client.get("/metrics", headers=auth("viewer")), 403)
    metrics = await client.get("/metrics", headers=auth("admin"))
    assert metrics.status_code == 200
    assert 'opp_http_requests_total{method="GET",route="/api/v1/probes/boom",status="500"}' in metrics.text


async def test_not_ready_when_kafka_is_unreachable(servers, namespace):
    settings = settings_for(ProbeSettings, servers, namespace, kafka_bootstrap_servers="127.0.0.1:9")
    app = probe_app(settings)
    async with app.router.lifespan_context(app):
        import httpx

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            ready = await client.get("/health/ready")
            assert ready.status_code == 503 and ready.json() == {"status": "unavailable"}
            assert "127.0.0.1" not in ready.text
            detail = await client.get("/health/ready", headers=auth("admin"))
            assert detail.status_code == 503 and detail.json()["checks"]["kafka"]["ok"] is False
            assert (await client.get("/health/live")).status_code == 200


async def test_an_unexpected_error_is_a_500_problem_without_a_trace(client):
    body = assert_problem(await client.get("/api/v1/probes/boom", headers=auth("viewer")), 500)
    assert "secret internal detail" not in json.dumps(body) and body["request_id"]


async def test_the_database_being_down_is_a_503_with_retry_after(client):
    answer = await client.get("/api/v1/probes/db-down", headers=auth("viewer"))
    assert_problem(answer, 503)
    assert answer.headers["retry-after"] == "5"


async def test_bad_json_is_400_and_a_large_body_413(client):
    headers = auth("viewer") | {"content-type": "application/json"}
    assert_problem(await client.post("/api/v1/probes", content=b"{not json", headers=headers), 400)
    assert_problem(
        await client.post("/api/v1/probes", content=json.dumps({"x": "y" * 5000}).encode(), headers=headers), 413
    )
    assert (await client.post("/api/v1/probes", json={"x": "y" * 100}, headers=auth("viewer"))).status_code == 200


async def test_unknown_routes_and_methods_are_problems(client):
    assert_problem(await client.get("/nowhere"), 404)
    assert_problem(await client.delete("/health/live"), 405)


async def test_ids_are_taken_from_the_caller_when_plain_and_made_otherwise(client):
    answer = await client.get("/health/live", headers={"X-Request-ID": "req-123", "X-Correlation-ID": "corr-9"})
    assert answer.headers["x-request-id"] == "req-123" and answer.headers["x-correlation-id"] == "corr-9"
    answer = await client.get("/health/live", headers={"X-Request-ID": "bad id\nwith newline"})
    assert answer.headers["x-request-id"] != "bad id\nwith newline" and len(answer.headers["x-request-id"]) == 36


async def test_authentication_and_the_openapi_and_asyncapi_documents(client):
    answer = await client.get("/api/v1/probes/boom")
    assert_problem(answer, 401)
    assert answer.headers["www-authenticate"] == "Bearer"
    assert_problem(await client.get("/api/v1/probes/boom", headers={"Authorization": "Bearer nonsense"}), 401)
    assert (await client.get("/openapi.json")).json()["openapi"].startswith("3.1")
    assert (await client.get("/asyncapi.json")).json()["asyncapi"] == "3.0.0"
