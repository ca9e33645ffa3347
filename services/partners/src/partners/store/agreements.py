"""Agreements in MongoDB: list queries, families, and what the schedule looks at."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from opp_shared.documents import ASCENDING, Documents, equal_to
from opp_shared.pagination import PageParams, paginate
from partners.domain.agreement import BEFORE_SIGNATURE, IN_FORCE, REMINDER_DAYS


class AgreementQueries:
    def __init__(self, documents: Documents) -> None:
        self.documents = documents

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
        owner_id: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = equal_to(status=status, type=type, party_ids=partner_id, framework_id=framework_id, owner_id=owner_id)
        window: dict[str, str] = {}
        if expires_before:
            window["$lt"] = expires_before.isoformat()
        if expires_after:
            window["$gt"] = expires_after.isoformat()
        if window:
            query["expires_on"] = {**window, "$ne": None}
        return await paginate(self.documents, query, page)

    async def of_partners(self, partner_ids: list[str], limit: int = 1000) -> list[dict[str, Any]]:
        return await self.documents.find({"party_ids": {"$in": partner_ids}}, sort=[("_id", ASCENDING)], limit=limit)

    async def children(self, agreement_id: str) -> tuple[list[str], list[str]]:
        """Amendments of an agreement, and agreements made under it (read from the children themselves)."""
        by_id = [("_id", ASCENDING)]
        amendments = await self.documents.find({"amends": agreement_id}, sort=by_id, fields=[])
        under = await self.documents.find({"framework_id": agreement_id}, sort=by_id, fields=[])
        return [d["_id"] for d in amendments], [d["_id"] for d in under]

    async def expiring_by(self, today: date) -> list[str]:
        """Agreements in force that have a reminder or their expiry due by `today`."""
        horizon = (today + timedelta(days=max(REMINDER_DAYS))).isoformat()
        documents = await self.documents.find(
            {"status": {"$in": sorted(s.value for s in IN_FORCE)}, "expires_on": {"$lte": horizon, "$ne": None}},
            fields=[],
        )
        return [d["_id"] for d in documents]

    async def waiting_for_signature_since(self, day: date) -> list[str]:
        """Agreements before signature drafted (or submitted) on or before `day`."""
        cutoff = day.isoformat()
        documents = await self.documents.find(
            {
                "status": {"$in": sorted(s.value for s in BEFORE_SIGNATURE)},
                "$or": [
                    {"submitted_on": {"$lte": cutoff, "$ne": None}},
                    {"submitted_on": None, "drafted_on": {"$lte": cutoff}},
                ],
            },
            fields=[],
        )
        return [d["_id"] for d in documents]
