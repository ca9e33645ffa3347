"""Answers that say enough and no more, on a small app of the test's own against the real servers:
capped validation errors, short echoes, the platform's own words, security headers on every answer,
slowed-down failed authentication, and no number that is not finite past the door."""

import re
import time

import httpx
import jwt
import pytest
from fastapi import APIRouter
from pydantic import EmailStr
from pymongo.errors import ServerSelectionTimeoutError

from opp_shared.errors import NotFound
from opp_shared.fields import CountryCode, Name, StrictBody
from opp_shared.runtime import ServiceRuntime
from opp_shared.settings import LOCAL_JWT_SECRET, ServiceSettings
from opp_shared.testing.helpers import assert_problem, auth, eventually, new_namespace, running, settings_for
from opp_shared.web.app import create_app
from opp_shared.web.security import Reader

VIEWER = auth("viewer")


class ProbeSettings(ServiceSettings):
    service_name: str = "probe"


class Place(StrictBody):
    name: Name
    country: CountryCode
    email: EmailStr | None = None


def probe_app(settings):
    router = APIRouter()

    @router.post("/api/v1/places")
    async def create(body: Place, _: Reader):
        return body.model_dump()

    @router.get("/api/v1/places/{place_id}")
    async def read(place_id: str, _: Reader):
        raise NotFound(f"no place with id {place_id!r}", place_id=place_id)

    @router.get("/api/v1/places/db/down")
    async def down(_: Reader):
        raise ServerSelectionTimeoutError("no servers at mongo.internal:27017")

    return create_app(ServiceRuntime(settings), title="probe", description="probe", routers=[router])


@pytest.fixture(scope="module")
async def client(servers):
    settings = settings_for(ProbeSettings, servers, new_namespace(), max_body_bytes=2_000_000)
    async with running(probe_app(settings)) as client:
        yield client


async def test_validation_errors_are_capped_at_twenty_with_a_count(client):
    body = {"name": "Kyoto", "country": "JP"} | {f"unknown_{n}": n for n in range(60_000)}
    answer = await client.post("/api/v1/places", json=body, headers=VIEWER)
    problem = assert_problem(answer, 422, "invalid-input")
    assert len(problem["errors"]) == 20 and problem["error_count"] == 60_000
    assert problem["errors"][0] == {
        "detail": "unknown field: this body takes no such field",
        "type": "extra_forbidden",
        "pointer": "#/unknown_0",
    }
    assert len(answer.content) < 5_000  # it was 5.4 MB


async def test_values_are_echoed_only_up_to_a_short_length(client):
    long_key = "k" * 10_000
    answer = await client.post("/api/v1/places", json={"name": "Kyoto", "country": "JP", long_key: 1}, headers=VIEWER)
    [error] = assert_problem(answer, 422)["errors"]
    assert error["pointer"] == "#/" + "k" * 40 + "…"

    long_id = "ptn_" + "9" * 5_000
    answer = await client.get(f"/api/v1/places/{long_id}", headers=VIEWER)
    problem = assert_problem(answer, 404, "not-found")
    assert problem["detail"] == "no place with id '" + ("ptn_" + "9" * 36) + "…'"
    assert problem["place_id"] == ("ptn_" + "9" * 76) + "…"
    assert len(answer.content) < 1_000


async def test_details_are_in_the_platforms_words_not_a_librarys_or_a_python_repr(client):
    answer = await client.post(
        "/api/v1/places", json={"name": "Kyoto", "country": "UK", "email": "<a@b"}, headers=VIEWER
    )
    errors = {e["pointer"]: e["detail"] for e in assert_problem(answer, 422)["errors"]}
    assert errors == {
        "#/country": "'UK' is not an ISO 3166-1 alpha-2 country code",
        "#/email": "not a valid email address",
    }

    def token(claims, secret=LOCAL_JWT_SECRET, algorithm="HS256"):
        now = int(time.time())
        return jwt.encode({"sub": "x", "roles": ["viewer"], "iat": now, "exp": now + 60} | claims, secret, algorithm)

    now = int(time.time())
    refusals = {
        token({"exp": now - 3600}): "the bearer token has expired",
        token({"iat": now, "nbf": now + 3600}): "the bearer token is not valid yet",
        token({}, secret="another-secret-of-sufficient-length-here"): "the bearer token's signature does not verify",
        "not.a.jwt": "the bearer token is malformed",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.": "the bearer token is signed with an algorithm this service does "
        "not accept",
    }
    for bad, detail in refusals.items():
        answer = await client.get("/api/v1/places/x", headers={"Authorization": f"Bearer {bad}"})
        assert assert_problem(answer, 401, "unauthenticated")["detail"] == detail
    missing = jwt.encode({"roles": ["viewer"], "exp": now + 60}, LOCAL_JWT_SECRET, "HS256")
    answer = await client.get("/api/v1/places/x", headers={"Authorization": f"Bearer {missing}"})
    assert "lacks a required claim" in assert_problem(answer, 401)["detail"]

    # The database being down says so, without its hosts or the driver's text.
    answer = await client.get("/api/v1/places/db/down", headers=VIEWER)
    assert "mongo.internal" not in assert_problem(answer, 503, "unavailable")["detail"]


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


@pytest.mark.parametrize(
    ("method", "path", "status", "options"),
    [
        ("GET", "/health/live", 200, {}),
        ("GET", "/health/ready", 200, {}),
        ("GET", "/openapi.json", 200, {}),
        ("GET", "/asyncapi.json", 200, {}),
        ("POST", "/api/v1/places", 200, {"json": {"name": "Kyoto", "country": "JP"}, "headers": VIEWER}),
        ("GET", "/api/v1/places/x", 401, {}),
        ("GET", "/api/v1/places/x", 404, {"headers": VIEWER}),
        ("GET", "/nowhere", 404, {}),
        ("DELETE", "/health/live", 405, {}),
        ("POST", "/api/v1/places", 413, {"content": b"x" * 2_100_000, "headers": VIEWER}),
        (
            "POST",
            "/api/v1/places",
            400,
            {"content": b"{nope", "headers": VIEWER | {"content-type": "application/json"}},
        ),
        ("GET", "/metrics", 403, {"headers": VIEWER}),
        ("GET", "/api/v1/places/db/down", 503, {"headers": VIEWER}),
    ],
)
async def test_every_answer_carries_the_security_headers(client, method, path, status, options):
    answer = await client.request(method, path, **options)
    assert answer.status_code == status, answer.text
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (name, answer.headers)
    assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


async def test_the_docs_page_admits_only_the_cdn_and_its_own_inline_script(client):
    first, second = await client.get("/docs"), await client.get("/docs")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/html")
    policy = dict(part.strip().split(" ", 1) for part in first.headers["content-security-policy"].split(";"))
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"]).group(1)
    assert policy["script-src"] == f"'nonce-{nonce}' https://cdn.jsdelivr.net"
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self'" and policy["base-uri"] == "'none'"
    # Every script is either from the admitted origin or carries this answer's nonce.
    scripts = re.findall(r"<script([^>]*)>", first.text)
    assert any(f'nonce="{nonce}"' in s for s in scripts)
    assert all(f'nonce="{nonce}"' in s or 'src="https://cdn.jsdelivr.net/' in s for s in scripts)
    assert all(src.startswith("https://cdn.jsdelivr.net/") for src in re.findall(r'src="([^"]+)"', first.text))
    assert all(
        h.startswith(("https://cdn.jsdelivr.net/", "https://fastapi.tiangolo.com/"))
        for h in re.findall(r'href="([^"]+)"', first.text)
    )
    assert "url: '/openapi.json'" in first.text  # what the gateway rewrites for its own path
    assert nonce not in second.headers["content-security-policy"]  # a nonce per answer
    assert first.headers["x-frame-options"] == "DENY" and first.headers["cache-control"] == "no-store"
    assert (await client.get("/redoc")).status_code == 404
    assert (await client.get("/docs/oauth2-redirect")).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "Kyoto", "country": "JP", "rate": NaN}',
        b'{"name": "Kyoto", "country": "JP", "rate": Infinity}',
        b'{"name": "Kyoto", "country": "JP", "rate": -Infinity}',
        b'{"name": "Kyoto", "country": "JP", "rate": 1e999}',
        b'{"name": "Kyoto", "country": "JP", "tags": [1, [2, {"deep": -1E400}]]}',
    ],
)
async def test_a_number_that_is_not_finite_is_refused_before_any_route(client, body):
    answer = await client.post("/api/v1/places", content=body, headers=VIEWER | {"content-type": "application/json"})
    assert "not finite" in assert_problem(answer, 400, "malformed-json")["detail"]


async def test_finite_numbers_and_the_words_nan_and_infinity_in_text_pass(client):
    answer = await client.post("/api/v1/places", json={"name": "NaN Infinity 1e999", "country": "JP"}, headers=VIEWER)
    assert answer.status_code == 200, answer.text


async def test_repeated_failed_authentication_from_one_client_is_slowed_down(servers, namespace):
    settings = settings_for(ProbeSettings, servers, namespace, auth_failure_limit=5, auth_failure_window_seconds=3)
    app = probe_app(settings)
    async with running(app):
        bad = {"Authorization": "Bearer not-a-token"}
        here = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 5000)), base_url="http://t"
        )
        there = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("198.51.100.2", 5000)), base_url="http://t"
        )
        async with here, there:
            for _ in range(5):
                assert_problem(await here.get("/api/v1/places/x", headers=bad), 401)
            answer = await here.get("/api/v1/places/x", headers=bad)
            problem = assert_problem(answer, 429, "too-many-failed-authentications")
            assert 1 <= int(answer.headers["retry-after"]) <= 3 and problem["retry_after"] == int(
                answer.headers["retry-after"]
            )
            # While it lasts, nothing from that address is checked, not even a good token ...
            assert (await here.get("/api/v1/places/x", headers=VIEWER)).status_code == 429
            # ... a request without credentials is a plain 401, and other clients are not slowed.
            assert_problem(await here.get("/api/v1/places/x"), 401)
            assert (await there.get("/api/v1/places/x", headers=VIEWER)).status_code == 404
            metrics = (await there.get("/metrics", headers=auth("admin"))).text
            assert 'opp_auth_failures_total{outcome="throttled"}' in metrics

            async def let_in_again():
                return (await here.get("/api/v1/places/x", headers=VIEWER)).status_code == 404

            started = time.monotonic()
            await eventually(let_in_again, timeout=10, interval=0.25)
            assert time.monotonic() - started <= 4
