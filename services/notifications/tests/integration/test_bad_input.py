"""Bad input to the notifications API answers a specific 4xx problem and changes nothing."""

from __future__ import annotations

import json

import httpx
import pytest

from notifications.main import create_app
from notifications.settings import NotificationsSettings
from opp_shared.testing.helpers import assert_problem, auth, running, settings_for

ADMIN = auth("admin", sub="root")
VIEWER = auth("viewer", sub="vic")
RULE = {"name": "r", "event_types": ["partners.partner.registered"], "recipients": ["role:admin"]}

CASES = [
    # (method, path, body, headers, status, slug)
    ("POST", "/api/v1/rules", RULE, VIEWER, 403, "forbidden"),
    ("POST", "/api/v1/rules", RULE, {}, 401, "unauthenticated"),
    ("POST", "/api/v1/rules", {**RULE, "event_types": ["nosuch.thing.happened"]}, ADMIN, 422, "invalid-input"),
    ("POST", "/api/v1/rules", {**RULE, "recipients": ["role:janitor"]}, ADMIN, 422, "invalid-input"),
    ("POST", "/api/v1/rules", {**RULE, "recipients": ["field:state"]}, ADMIN, 422, "invalid-input"),
    ("POST", "/api/v1/rules", {**RULE, "conditions": [{"field": "os.environ", "op": "eq"}]}, ADMIN, 422, None),
    ("POST", "/api/v1/rules", {**RULE, "conditions": [{"field": "state.x", "value": 2**70}]}, ADMIN, 422, None),
    ("POST", "/api/v1/rules", {**RULE, "conditions": [{"field": "state.x", "value": "\ud800"}]}, ADMIN, 422, None),
    ("POST", "/api/v1/rules", {**RULE, "template": {"subject": "{s.__class__}", "text": "x"}}, ADMIN, 422, None),
    ("POST", "/api/v1/rules", {**RULE, "template": {"subject": "{name:>99999999}", "text": "x"}}, ADMIN, 422, None),
    ("POST", "/api/v1/rules", {**RULE, "channels": ["pigeon"]}, ADMIN, 422, None),
    ("POST", "/api/v1/rules", {**RULE, "extra": 1}, ADMIN, 422, None),
    ("PATCH", "/api/v1/rules/nosuch", {"name": "x"}, ADMIN, 404, "not-found"),
    ("PATCH", "/api/v1/rules/partners-partner-office", {}, ADMIN, 422, None),
    ("PATCH", "/api/v1/rules/partners-partner-office", {"recipients": None}, ADMIN, 422, None),
    ("POST", "/api/v1/people", {"id": "a/b", "name": "x"}, ADMIN, 422, None),
    ("POST", "/api/v1/people", {"id": "ann", "name": "Ann", "email": "not-an-email"}, ADMIN, 422, None),
    ("POST", "/api/v1/people", {"id": "ann", "name": "Ann", "language": "fr"}, ADMIN, 422, None),
    ("POST", "/api/v1/people", {"id": "ann", "name": "Ann"}, VIEWER, 403, "forbidden"),
    ("PATCH", "/api/v1/me", {"roles": ["admin"]}, VIEWER, 422, None),
    ("PATCH", "/api/v1/me", {"language": "en"}, VIEWER, 404, "not-found"),
    ("POST", "/api/v1/subscriptions", {"event_types": ["*"], "person_id": "other"}, VIEWER, 403, "forbidden"),
    ("POST", "/api/v1/subscriptions", {"event_types": []}, VIEWER, 422, None),
    ("POST", "/api/v1/subscriptions", {"event_types": ["partners.nothing.*"]}, VIEWER, 422, None),
    ("POST", "/api/v1/webhooks", {"url": "ftp://x.example/", "event_types": ["*"]}, ADMIN, 422, None),
    ("POST", "/api/v1/webhooks", {"url": "http://10.0.0.1/", "event_types": ["*"]}, ADMIN, 409, "rule-violation"),
    ("POST", "/api/v1/webhooks", {"url": "https://a:b@x.example/", "event_types": ["*"]}, ADMIN, 422, None),
    ("POST", "/api/v1/webhooks/nosuch/rotate-secret", None, ADMIN, 404, "not-found"),
    ("POST", "/api/v1/deliveries/nosuch/replay", None, ADMIN, 404, "not-found"),
    ("GET", "/api/v1/deliveries", None, VIEWER, 403, "forbidden"),
    ("GET", "/api/v1/people/root/history", None, VIEWER, 403, "forbidden"),
    ("GET", "/api/v1/notifications?cursor=forged", None, VIEWER, 422, "invalid-input"),
    ("GET", "/api/v1/notifications?since=yesterday", None, VIEWER, 422, None),
    ("GET", "/api/v1/notifications?type=DROP%20TABLE", None, VIEWER, 422, None),
    ("GET", "/api/v1/notifications/nosuch", None, VIEWER, 404, "not-found"),
    ("POST", "/api/v1/notifications/nosuch/read", None, VIEWER, 404, "not-found"),
    ("GET", "/api/v1/notifications/stream?ticket=made-up", None, {}, 401, "unauthenticated"),
    ("GET", "/api/v1/notifications/stream", None, VIEWER, 401, "unauthenticated"),
]


@pytest.fixture(scope="module")
async def client(servers):
    from opp_shared.testing.helpers import new_namespace

    app = create_app(settings_for(NotificationsSettings, servers, new_namespace(), webhook_allow_private_urls=False))
    async with running(app) as client:
        answer = await client.get("/api/v1/rules", headers=ADMIN)  # the defaults are in place
        assert answer.status_code == 200
        client.app = app
        yield client


async def recorded(client: httpx.AsyncClient) -> int:
    return await client.app.state.runtime.store.events.count_documents({})


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "slug"), CASES)
async def test_bad_input_is_a_problem_and_changes_nothing(client, method, path, body, headers, status, slug):
    before = await recorded(client)
    # Sent as ASCII JSON, so that a lone surrogate travels as the escape a client would send.
    content = json.dumps(body).encode() if body is not None else None
    answer = await client.request(
        method, path, content=content, headers={**headers, "content-type": "application/json"}
    )
    assert_problem(answer, status, slug)
    assert await recorded(client) == before
