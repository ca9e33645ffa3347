"""The local gateway routes as compose's nginx does: every documented path of every service to that service.

The gateway runs in process here, in front of stand-in services that answer
who they are and what they were asked; tests/e2e/test_gateway.py puts it in
front of the real services."""

from __future__ import annotations

import importlib
import json
import re

import httpx
import pytest

from opp_devstack import gateway
from opp_devstack.gateway_app import Gateway
from opp_devstack.manifest import services

SERVICES = services()
ORIGIN = "http://localhost:5173"


class Streamed(httpx.AsyncByteStream):
    """An answer's body as a service streams it, in two pieces."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __aiter__(self):
        yield self.body[:5]
        yield self.body[5:]


def stand_in(request: httpx.Request) -> httpx.Response:
    """A service that says who it is and what it was asked (a docs page that names its document)."""
    service = request.url.host.split(".")[0]
    if request.url.path == "/docs":
        page = b"<script>url: '/openapi.json'</script>"
        return httpx.Response(200, stream=Streamed(page), headers={"content-type": "text/html"})
    asked = {"service": service, "method": request.method, "target": request.url.raw_path.decode()}
    asked["forwarded_for"] = request.headers.get("x-forwarded-for")
    return httpx.Response(
        200, stream=Streamed(json.dumps(asked).encode()), headers={"content-type": "application/json"}
    )


@pytest.fixture
async def client():
    app = Gateway(
        {name: f"http://{name}.stand-in" for name in SERVICES}, [ORIGIN], transport=httpx.MockTransport(stand_in)
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


def documented_paths() -> list[tuple[str, str, str]]:
    """(service, method, path with its parameters filled) of every operation of every service's document."""
    found = []
    for name in SERVICES:
        document = importlib.import_module(f"{name}.main").create_app().openapi()
        for path, item in document["paths"].items():
            for method in item:
                found.append((name, method.upper(), re.sub(r"\{(\w+)\}", r"x_\1", path)))
    return found


async def test_every_documented_api_path_of_every_service_reaches_that_service_as_sent(client):
    checked = 0
    for service, method, path in documented_paths():
        if not path.startswith("/api/"):
            continue  # health, metrics, documents: reached on the service's own port, as with nginx
        answer = await client.request(method, path + "?limit=5&x=%C3%A9", json={} if method != "GET" else None)
        assert answer.status_code == 200, (path, answer.text)
        seen = answer.json()
        assert seen["service"] == service, f"{method} {path} went to {seen['service']}"
        assert (seen["method"], seen["target"]) == (method, path + "?limit=5&x=%C3%A9"), "path and query as sent"
        checked += 1
    assert checked > 100, "every service's API is documented"


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_s_documents_and_docs_page(client, service):
    openapi = await client.get(f"/{service}/openapi.json?x=1")
    assert (openapi.json()["service"], openapi.json()["target"]) == (service, "/openapi.json?x=1")
    asyncapi = await client.get(f"/{service}/asyncapi.json?x=1")
    assert (asyncapi.json()["service"], asyncapi.json()["target"]) == (service, "/asyncapi.json")
    docs = await client.get(f"/{service}/docs")
    assert docs.text == f"<script>url: '/{service}/openapi.json'</script>"
    assert docs.headers["content-length"] == str(len(docs.content))


async def test_what_the_gateway_answers_itself(client):
    assert (await client.get("/health")).json() == {"status": "ok"}
    unknown = await client.get("/api/v1/nothing", headers={"Origin": ORIGIN, "X-Request-ID": "abc-1"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert json.loads(unknown.text)["request_id"] == unknown.headers["x-request-id"] == "abc-1"
    assert unknown.headers["access-control-allow-origin"] == ORIGIN, "a browser may read the gateway's own answers"
    other = await client.get("/api/v1/nothing", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    too_large = await client.post("/api/v1/partners", content=b"x" * (1_048_576 + 1))
    assert too_large.status_code == 413 and too_large.json()["type"] == "urn:opp:problem:payload-too-large"
    # nginx's string prefixes: /api/v1/partnersx is under /api/v1/partners (no prefix starts another's).
    assert gateway.route("/api/v1/partners-x").service == "partners"


async def test_an_unreachable_service_is_a_502_problem():
    app = Gateway({name: "http://127.0.0.1:9" for name in SERVICES}, [])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        answer = await client.get("/api/v1/partners")
    assert answer.status_code == 502
    assert answer.json()["type"] == "urn:opp:problem:bad-gateway"
    assert answer.headers["retry-after"] == "5"
