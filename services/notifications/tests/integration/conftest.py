"""The notifications service over HTTP against the real FerretDB and Kafka, a real SMTP server
(aiosmtpd, in this process: the plugin's `mailbox`) and a real HTTP receiver for webhooks; partners'
events come from the real partners service. Notifications runs under uvicorn on a free port, so that
its live stream is a real HTTP stream."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import uvicorn

from notifications.main import create_app as create_notifications
from notifications.settings import NotificationsSettings
from opp_devstack import free_ports
from opp_shared.clock import ManualClock
from opp_shared.testing.helpers import auth, eventually, running, settings_for
from partners.main import create_app as create_partners
from partners.settings import PartnersSettings

ADMIN = auth("admin", sub="root")
OFFICER = auth("partnerships_officer", sub="olivia")


class Receiver:
    """An HTTP endpoint that answers each path's scripted statuses in turn (then 204), and keeps what came."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.script: dict[str, list[int]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.calls.append({"path": self.path, "headers": dict(self.headers), "body": body.decode()})
                statuses = receiver.script.get(self.path, [])
                status = statuses.pop(0) if statuses else 204
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def at(self, path: str) -> list[dict]:
        return [c for c in self.calls if c["path"] == path]


@pytest.fixture(scope="module")
def receiver():
    found = Receiver()
    found.thread.start()
    yield found
    found.server.shutdown()


class Platform:
    """Partners (in process, on a manual clock) and notifications (under uvicorn) on one namespace."""

    def __init__(self, partners, partners_app, notifications, notifications_app, clock) -> None:
        self.partners = partners
        self.partners_app = partners_app
        self.api = notifications
        self.app = notifications_app
        self.clock = clock

    async def post(self, path, body=None, headers=OFFICER, expect=201):
        answer = await self.partners.post(path, json=body, headers=headers)
        assert answer.status_code == expect, answer.text
        return answer.json()

    async def register(self, name, country="GB", **extra):
        return await self.post("/api/v1/partners", {"name": name, "kind": "university", "country": country, **extra})

    async def tick(self):
        return await self.partners_app.state.scheduler.tick()

    @property
    def service(self):
        return self.app.state.notifications

    async def inbox(self, headers, **params):
        answer = await self.api.get("/api/v1/notifications", params={"limit": 200, **params}, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    async def entries(self):
        return await self.service.inbox.entries.documents.find({})


@pytest.fixture
async def platform(servers, namespace, mailbox):
    clock = ManualClock(datetime(2027, 3, 1, 0, 0, tzinfo=UTC))
    partners_app = create_partners(settings_for(PartnersSettings, servers, namespace), clock=clock)
    settings = settings_for(
        NotificationsSettings,
        servers,
        namespace,
        smtp_port=mailbox.port,
        webhook_allow_private_urls=True,
        webhook_backoff_seconds=0.05,
        webhook_backoff_cap_seconds=0.2,
        email_backoff_seconds=0.05,
        delivery_poll_seconds=0.1,
        rules_cache_seconds=0.1,
        stream_poll_seconds=0.2,
    )
    notifications_app = create_notifications(settings)
    port = free_ports(1)[0]
    server = uvicorn.Server(uvicorn.Config(notifications_app, host="127.0.0.1", port=port, log_config=None))
    serving = asyncio.create_task(server.serve())
    async with running(partners_app) as partners:
        await eventually(lambda: asyncio.sleep(0, server.started))
        await notifications_app.state.runtime.wait_until_set_up()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as api:
            yield Platform(partners, partners_app, api, notifications_app, clock)
        server.should_exit = True
        await serving


def body_of(call) -> dict:
    return json.loads(call["body"])
