"""Agreements in MongoDB: the repository, list queries, families and what the schedule looks at."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pymongo import ASCENDING

from opp_shared.repository import Repository
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.pagination import PageParams, paginate
from partners.domain.agreement import AGGREGATE, BEFORE_SIGNATURE, IN_FORCE, REMINDER_DAYS

COLLECTION = "agreements"


class AgreementStore:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.repository = Repository(runtime.store, AGGREGATE, noun="agreement")

    @property
    def collection(self):
        return self.repository.collection

    async def ensure_indexes(self) -> None:
        for keys in (
            [("status", ASCENDING), ("expires_on", ASCENDING)],
            [("party_ids", ASCENDING)],
            [("type", ASCENDING)],
            [("amends", ASCENDING)],
            [("framework_id", ASCENDING)],
            [("renewal_of", ASCENDING)],
        ):
            await self.collection.create_index(keys)

    async def list(
        self,
        page: PageParams,
        *,
        status: str | None = None,
        type: str | None = None,
        partner_id: str | None = None,
        framework_id: str | None = None,
        expires_before: date | None = None,
        expires_after: date | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        query: dict[str, Any] = {}
        for field, value in (("status", status), ("type", type), ("party_ids", partner_id), ("framework_id", framework_id)):
            if value is not None:
                query[field] = value
        window: dict[str, str] = {}
        if expires_before:
            window["$lt"] = expires_before.isoformat()
        if expires_after:
            window["$gt"] = expires_after.isoformat()
        if window:
            query["expires_on"] = {**window, "$ne": None}
        return await paginate(self.collection, query, page)

    async def of_partners(self, partner_ids: list[str], limit: int = 1000) -> list[dict[str, Any]]:
        return await self.collection.find({"party_ids": {"$in": partner_ids}}).sort("_id", ASCENDING).limit(limit).to_list(None)

    async def children(self, agreement_id: str) -> tuple[list[str], list[str]]:
        """Amendments of an agreement, and agreements made under it (read from the children themselves)."""
        amendments = await self.collection.find({"amends": agreement_id}, projection={"_id": True}).sort("_id").to_list(None)
        under = await self.collection.find({"framework_id": agreement_id}, projection={"_id": True}).sort("_id").to_list(None)
        return [d["_id"] for d in amendments], [d["_id"] for d in under]

    async def expiring_by(self, today: date) -> list[str]:
        """Agreements in force that have a reminder or their expiry due by `today`."""
        horizon = (today + timedelta(days=max(REMINDER_DAYS))).isoformat()
        documents = await self.collection.find(
            {"status": {"$in": sorted(s.value for s in IN_FORCE)}, "expires_on": {"$lte": horizon, "$ne": None}},
            projection={"_id": True},
        ).to_list(None)
        return [d["_id"] for d in documents]

    async def waiting_for_signature_since(self, day: date) -> list[str]:
        """Agreements before signature drafted (or submitted) on or before `day`."""
        cutoff = day.isoformat()
        documents = await self.collection.find(
            {
                "status": {"$in": sorted(s.value for s in BEFORE_SIGNATURE)},
                "$or": [{"submitted_on": {"$lte": cutoff, "$ne": None}}, {"submitted_on": None, "drafted_on": {"$lte": cutoff}}],
            },
            projection={"_id": True},
        ).to_list(None)
        return [d["_id"] for d in documents]
