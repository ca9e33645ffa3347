"""Royalty reports in MongoDB: list queries, totals, and what the schedule looks at."""

from __future__ import annotations

from datetime import date
from typing import Any

from opp_shared.documents import Documents, equal_to
from opp_shared.pagination import PageParams, paginate
from techtransfer.domain.royalty import ReportStatus

TOTAL_FIELDS = ["currency", "status", "revenue", "royalty_due", "royalty_paid"]


class ReportQueries:
    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    async def list(
        self,
        page: PageParams,
        *,
        license_id: str | None = None,
        licensee_id: str | None = None,
        status: str | None = None,
        currency: str | None = None,
        due_before: date | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = equal_to(license_id=license_id, partner_ids=licensee_id, status=status, currency=currency)
        if due_before:
            query["due_on"] = {"$lt": due_before.isoformat()}
        return await paginate(self.documents, query, page)

    async def for_totals(self, *, license_id: str | None, licensee_id: str | None) -> list[dict[str, Any]]:
        query = equal_to(license_id=license_id, partner_ids=licensee_id)
        return await self.documents.find(query, fields=TOTAL_FIELDS)

    async def existing(self, license_ids: list[str]) -> set[str]:
        documents = await self.documents.find({"license_id": {"$in": license_ids}}, fields=[])
        return {d["_id"] for d in documents}

    async def past_due(self, today: date) -> list[str]:
        documents = await self.documents.find(
            {"status": ReportStatus.DUE.value, "due_on": {"$lt": today.isoformat()}}, fields=[]
        )
        return [d["_id"] for d in documents]
