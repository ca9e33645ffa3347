"""Subscriptions: each person keeps their own; admins may see and change everyone's."""

from __future__ import annotations

from typing import Any

from notifications.domain import subscriptions as domain
from notifications.domain.rules import patterns_for
from notifications.domain.subscriptions import SUBSCRIPTION, Subscription
from notifications.handlers import read_document
from opp_shared.aggregate import Snapshot
from opp_shared.auth import Principal, Role
from opp_shared.documents import equal_to
from opp_shared.envelope import CloudEvent
from opp_shared.errors import NotFound
from opp_shared.pagination import PageParams, paginate
from opp_shared.repository import CreateRequest, Repository


class SubscriptionCommands:
    def __init__(self, subscriptions: Repository[Subscription]) -> None:
        self.repository = subscriptions

    async def create(self, person_id: str, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        change = domain.create({**fields, "person_id": person_id})

        async def create(subscription_id: str) -> Snapshot:
            return await self.repository.create(subscription_id, change)

        return await self.repository.create_once("subscriptions.create", request, create)

    async def get(self, principal: Principal, subscription_id: str) -> Snapshot:
        """One subscription, if it is the caller's (or the caller is an admin)."""
        snapshot = await self.repository.find(subscription_id)
        if snapshot is None or not (snapshot.state.get("person_id") == principal.sub or Role.ADMIN in principal.roles):
            raise NotFound(f"no subscription with id {subscription_id!r} of yours")
        return snapshot

    async def edit(
        self, principal: Principal, subscription_id: str, edits: dict[str, Any], *, if_match: int | None
    ) -> Snapshot:
        await self.get(principal, subscription_id)
        return await self.repository.change(subscription_id, lambda s: domain.edit(s, edits), if_match=if_match)

    async def cancel(self, principal: Principal, subscription_id: str, *, if_match: int | None) -> Snapshot:
        await self.get(principal, subscription_id)
        return await self.repository.change(subscription_id, domain.cancel, if_match=if_match)

    async def list(
        self, page: PageParams, *, person_id: str | None, active: bool | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        return await paginate(self.repository.documents, equal_to(person_id=person_id, active=active), page)

    async def covering(self, event: CloudEvent) -> list[tuple[str, Subscription]]:
        """The active subscriptions that cover an event, with their ids."""
        documents = await self.repository.documents.find(
            {"active": True, "event_types": {"$in": patterns_for(event.type)}}
        )
        found = [(d["_id"], read_document(SUBSCRIPTION, d)) for d in documents]
        return [(sid, s) for sid, s in found if s.covers(event)]
