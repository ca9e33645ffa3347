"""Licenses in MongoDB: list queries and what the schedule and the follow-ups look at."""

from __future__ import annotations

from datetime import date
from typing import Any

from opp_shared.documents import Documents, equal_to
from opp_shared.pagination import PageParams, paginate
from techtransfer.domain.license import ENDED, IN_FORCE, LicenseStatus
from techtransfer.domain.values import WORLDWIDE


class LicenseQueries:
    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    async def list(
        self,
        page: PageParams,
        *,
        status: str | None = None,
        kind: str | None = None,
        licensee_id: str | None = None,
        technology_id: str | None = None,
        country: str | None = None,
        export_classification: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = equal_to(
            status=status,
            kind=kind,
            partner_ids=licensee_id,
            technology_ids=technology_id,
            **{"export.classification": export_classification},
        )
        if country:
            # Licenses whose territory covers the country: naming it, or worldwide.
            query["territory"] = {"$in": [country, WORLDWIDE]}
        return await paginate(self.documents, query, page)

    async def of_technology(self, technology_id: str) -> list[dict[str, Any]]:
        return await self.documents.find({"technology_ids": technology_id}, fields=["status"])

    async def pending_executions(self) -> list[str]:
        documents = await self.documents.find({"execution.state": "pending"}, fields=[])
        return [d["_id"] for d in documents]

    async def term_due(self, today: date) -> list[str]:
        """Executed licenses whose term has started, and licenses in force whose expiry has come."""
        day = today.isoformat()
        documents = await self.documents.find(
            {
                "$or": [
                    {"status": LicenseStatus.EXECUTED.value, "effective_from": {"$lte": day}},
                    {"status": {"$in": sorted(s.value for s in IN_FORCE)}, "expires_on": {"$lte": day, "$ne": None}},
                ]
            },
            fields=[],
        )
        return [d["_id"] for d in documents]

    async def reporting(self) -> list[str]:
        """Licenses that bear royalties and were executed (in force or ended since)."""
        documents = await self.documents.find(
            {"royalty_bearing": True, "status": {"$in": sorted(s.value for s in IN_FORCE | ENDED)}}, fields=[]
        )
        return [d["_id"] for d in documents]
