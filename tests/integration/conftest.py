"""The world of the cross-service tests: the four services together, in this process, on one manual
clock, against the session's real FerretDB and Kafka and a real SMTP server (the `mailbox`).

Every service runs its API, relay, consumers and workers; none runs its scheduler in the background,
so what is timed (calls opening, reminders, overdue reports, expiries) fires when a test moves the
clock and calls `Platform.tick()`, as each service's scheduler would on its next round. Events travel
only through Kafka: no test here publishes one by hand.

One world per test module (`platform`), on a namespace of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from funding.main import create_app as create_funding
from funding.settings import FundingSettings
from notifications.main import create_app as create_notifications
from notifications.settings import NotificationsSettings
from opp_shared.clock import ManualClock
from opp_shared.testing.helpers import ServiceApi, auth, eventually, new_namespace, running, settings_for
from opp_shared.testing.mail import Mailbox
from opp_shared.testing.servers import Servers
from partners.main import create_app as create_partners
from partners.settings import PartnersSettings
from techtransfer.main import create_app as create_techtransfer
from techtransfer.settings import TechtransferSettings

START = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing on Monday 1 March 2027
RUN = ["api", "relay", "consumers", "workers"]  # no background scheduler: `Platform.tick()`

ADMIN = auth("admin", sub="root")
READER = auth("viewer", sub="vera")
PARTNERS_OFFICER = auth("partnerships_officer", sub="olivia")
FUNDING_OFFICER = auth("funding_officer", sub="felix")
TECHTRANSFER_OFFICER = auth("techtransfer_officer", sub="tara")


def money(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


class Service(ServiceApi):
    """One running service of the world, with the shortcuts the cross-service tests use."""

    def __init__(self, name: str, client: httpx.AsyncClient, app: FastAPI, writer: dict[str, str]) -> None:
        super().__init__(client, app, writer=writer, reader=READER)
        self.name = name

    async def create(self, path: str, body: Any, **options: Any) -> Any:
        return await self.ok("POST", path, body, expect=201, **options)

    async def act(self, path: str, body: Any = None, **options: Any) -> Any:
        return await self.ok("POST", path, body, **options)

    async def attempt(self, path: str, body: Any = None) -> httpx.Response:
        """A POST as the writer whose answer the test judges itself (a refusal)."""
        return await self.client.post(path, json=body, headers=self.writer)


@dataclass
class Platform:
    clock: ManualClock
    partners: Service
    funding: Service
    techtransfer: Service
    notifications: Service
    mailbox: Mailbox

    async def tick(self) -> dict[str, dict[str, int]]:
        """One round of every service's schedule at the clock's time: what each job fired."""
        return {
            service.name: await service.app.state.scheduler.tick()
            for service in (self.partners, self.funding, self.techtransfer)
        }

    async def partner(self, name: str, kind: str, country: str, **extra: Any) -> str:
        """Register an active partner in partners; answers its id once funding and techtransfer know it."""
        body = {"name": name, "kind": kind, "country": country, "status": "active", **extra}
        partner_id = (await self.partners.create("/api/v1/partners", body))["id"]
        await self.directories_at(partner_id, 1)
        return partner_id

    async def directories_at(self, partner_id: str, sequence: int) -> None:
        """Wait until funding's and techtransfer's partner directories hold this version of a partner."""

        async def held() -> bool:
            for service in (self.funding, self.techtransfer):
                found = await service.app.state.partner_directory.get(partner_id)
                if found is None or found["_sequence"] < sequence:
                    return False
            return True

        await eventually(held, timeout=30)

    async def agreement_in_force(self, *partner_ids: str, **extra: Any) -> str:
        """An agreement with these partners, drafted, submitted, signed and activated in partners."""
        body = {
            "type": "strategic",
            "title": "Strategic research cooperation",
            "parties": [{"partner_id": p} for p in partner_ids],
            "effective_from": "2026-01-01",
            "expires_on": "2031-12-31",
            **extra,
        }
        agreement_id = (await self.partners.create("/api/v1/agreements", body))["id"]
        for action, payload in (("submit", None), ("sign", {"signed_on": "2025-12-01"}), ("activate", None)):
            await self.partners.act(f"/api/v1/agreements/{agreement_id}/{action}", payload)
        return agreement_id


@asynccontextmanager
async def platform_of(servers: Servers, namespace: str, mailbox: Mailbox) -> AsyncIterator[Platform]:
    clock = ManualClock(START)

    def settings(cls, **extra):
        return settings_for(cls, servers, namespace, run=RUN, **extra)

    apps = {
        "partners": (create_partners(settings(PartnersSettings), clock=clock), PARTNERS_OFFICER),
        "funding": (create_funding(settings(FundingSettings), clock=clock), FUNDING_OFFICER),
        "techtransfer": (create_techtransfer(settings(TechtransferSettings), clock=clock), TECHTRANSFER_OFFICER),
        "notifications": (
            create_notifications(
                settings(
                    NotificationsSettings,
                    smtp_port=mailbox.port,
                    email_backoff_seconds=0.05,
                    delivery_poll_seconds=0.1,
                    rules_cache_seconds=0.1,
                ),
                clock=clock,
            ),
            ADMIN,
        ),
    }
    async with AsyncExitStack() as stack:
        services = {
            name: Service(name, await stack.enter_async_context(running(app)), app, writer)
            for name, (app, writer) in apps.items()
        }
        yield Platform(clock=clock, mailbox=mailbox, **services)


@pytest.fixture(scope="module")
async def platform(servers: Servers, mailbox: Mailbox) -> AsyncIterator[Platform]:
    async with platform_of(servers, new_namespace(), mailbox) as world:
        yield world
