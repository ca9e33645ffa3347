"""CORS from one setting, `OPP_CORS_ORIGINS`: a browser page of an allowed origin may call every service;
any other origin's preflight is refused, and with no origins set (the default) there is no CORS at all."""

from __future__ import annotations

import importlib

import httpx
import pytest

from opp_devstack.config import StackConfig
from opp_devstack.manifest import services
from opp_devstack.servers import LOCAL_CORS_ORIGINS, _gateway_env, _service_env

SERVICES = services()
ALLOWED = "http://localhost:5173"
PREFLIGHT = {
    "Access-Control-Request-Method": "PATCH",
    "Access-Control-Request-Headers": "authorization, content-type, if-match, idempotency-key",
}


def client_for(service: str, **settings) -> httpx.AsyncClient:
    """The service's app, built but not started: CORS answers before any route (no database needed)."""
    module = importlib.import_module(f"{service}.main")
    app = module.create_app(SERVICES[service].settings_class()(**settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.mark.parametrize("service", SERVICES)
async def test_a_preflight_from_an_allowed_origin_succeeds_and_another_is_refused(service):
    async with client_for(service, cors_origins=[ALLOWED, "http://localhost:3000"]) as client:
        path = f"{SERVICES[service].routes[0]}/x_1"
        allowed = await client.options(path, headers={"Origin": ALLOWED, **PREFLIGHT})
        assert allowed.status_code == 200, allowed.text
        assert allowed.headers["access-control-allow-origin"] == ALLOWED
        assert "PATCH" in allowed.headers["access-control-allow-methods"]
        assert "if-match" in allowed.headers["access-control-allow-headers"].lower()

        refused = await client.options(path, headers={"Origin": "http://localhost:9999", **PREFLIGHT})
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:opp:problem:cors-refused"
        assert "access-control-allow-origin" not in refused.headers

        answer = await client.get("/health/live", headers={"Origin": ALLOWED})
        assert answer.headers["access-control-allow-origin"] == ALLOWED
        exposed = answer.headers["access-control-expose-headers"].lower()
        assert {"etag", "location", "idempotent-replayed", "x-request-id"} <= set(exposed.replace(" ", "").split(","))


@pytest.mark.parametrize("service", SERVICES)
async def test_no_origin_is_allowed_by_default(service):
    async with client_for(service) as client:
        answer = await client.options(f"{SERVICES[service].routes[0]}", headers={"Origin": ALLOWED, **PREFLIGHT})
        assert answer.status_code == 405
        assert "access-control-allow-origin" not in answer.headers
        assert (
            "access-control-allow-origin" not in (await client.get("/health/live", headers={"Origin": ALLOWED})).headers
        )


def test_make_up_allows_the_usual_local_dev_servers_unless_told_otherwise(monkeypatch, tmp_path):
    monkeypatch.delenv("OPP_CORS_ORIGINS", raising=False)
    cfg = StackConfig(data_dir=tmp_path)  # a service's env holds its Kafka password, kept in the data dir
    for env in (_service_env(cfg, "partners"), _gateway_env(cfg)):
        assert env["OPP_CORS_ORIGINS"] == LOCAL_CORS_ORIGINS
    assert {"http://localhost:5173", "http://localhost:3000"} <= set(LOCAL_CORS_ORIGINS.split(","))
    monkeypatch.setenv("OPP_CORS_ORIGINS", "https://office.example")
    assert _service_env(cfg, "partners")["OPP_CORS_ORIGINS"] == "https://office.example"
    assert _gateway_env(cfg)["OPP_CORS_ORIGINS"] == "https://office.example"
