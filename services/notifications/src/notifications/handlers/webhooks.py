"""Webhook endpoints: admins register, change, rotate the secret of, disable and enable them.

A new secret is stored before the change that names it is recorded, so a
crash in between leaves at worst an unused secret. The registering answer and
the rotating answer are the only ones that show a secret.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from notifications.domain import webhooks as domain
from notifications.domain.webhooks import WEBHOOK, Webhook
from notifications.handlers import read_document
from notifications.store.secrets import WebhookSecrets
from opp_shared.aggregate import Snapshot
from opp_shared.clock import Clock, rfc3339
from opp_shared.documents import equal_to
from opp_shared.ids import new_id
from opp_shared.pagination import PageParams, paginate
from opp_shared.repository import CreateRequest, Repository


class WebhookCommands:
    def __init__(
        self,
        webhooks: Repository[Webhook],
        secrets: WebhookSecrets,
        clock: Clock,
        *,
        allow_private: bool,
        overlap: timedelta,
        cache_seconds: float,
    ) -> None:
        self.repository = webhooks
        self.secrets = secrets
        self.clock = clock
        self.allow_private = allow_private
        self.overlap = overlap
        self.cache_seconds = cache_seconds
        self._cached: tuple[float, list[tuple[str, Webhook]]] | None = None

    async def register(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool, str]:
        """Answers (snapshot, replayed, secret)."""
        domain.check_url(fields["url"], allow_private=self.allow_private)
        now = self.clock.now()
        # Validated with a placeholder secret id first: bad input claims nothing and stores no secret.
        domain.register(fields, new_id("sec"), now)

        async def create(endpoint_id: str) -> Snapshot:
            secret_id, _ = await self.secrets.add(endpoint_id, rfc3339(now))
            return await self.repository.create(endpoint_id, domain.register(fields, secret_id, now))

        snapshot, replayed = await self.repository.create_once("webhooks.register", request, create)
        self.forget()
        [secret] = await self.secrets.get([snapshot.state["secrets"][0]["id"]])
        return snapshot, replayed, secret

    async def edit(self, endpoint_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        if "url" in edits:
            domain.check_url(edits["url"], allow_private=self.allow_private)
        snapshot = await self.repository.change(endpoint_id, lambda w: domain.edit(w, edits), if_match=if_match)
        self.forget()
        return snapshot

    async def rotate_secret(
        self, endpoint_id: str, overlap: timedelta | None, *, if_match: int | None
    ) -> tuple[Snapshot, str]:
        await self.repository.get(endpoint_id)
        now = self.clock.now()
        secret_id, secret = await self.secrets.add(endpoint_id, rfc3339(now))
        until = now + (self.overlap if overlap is None else overlap)
        snapshot = await self.repository.change(
            endpoint_id, lambda w: domain.rotate_secret(w, secret_id, now, until), if_match=if_match
        )
        self.forget()
        return snapshot, secret

    async def enable(self, endpoint_id: str, *, if_match: int | None) -> Snapshot:
        now = self.clock.now()
        snapshot = await self.repository.change(endpoint_id, lambda w: domain.enable(w, now), if_match=if_match)
        self.forget()
        return snapshot

    async def disable(self, endpoint_id: str, reason: str, *, if_match: int | None = None) -> Snapshot:
        snapshot = await self.repository.change(endpoint_id, lambda w: domain.disable(w, reason), if_match=if_match)
        self.forget()
        return snapshot

    async def list(self, page: PageParams, *, enabled: bool | None = None) -> tuple[list[dict[str, Any]], str | None]:
        return await paginate(self.repository.documents, equal_to(enabled=enabled), page)

    async def enabled_endpoints(self) -> list[tuple[str, Webhook]]:
        """The enabled endpoints with their ids (cached for a moment, like the rules)."""
        if self._cached is not None and time.monotonic() - self._cached[0] < self.cache_seconds:
            return self._cached[1]
        documents = await self.repository.documents.find({"enabled": True}, sort=[("_id", 1)])
        endpoints = [(d["_id"], read_document(WEBHOOK, d)) for d in documents]
        self._cached = (time.monotonic(), endpoints)
        return endpoints

    def forget(self) -> None:
        self._cached = None

    async def signing_secrets(self, endpoint: Webhook, now: datetime) -> list[str]:
        return await self.secrets.get(endpoint.signing_secret_ids(now))
