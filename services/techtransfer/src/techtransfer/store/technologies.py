"""Technologies in MongoDB: list queries and what the deadline schedule looks at."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from opp_shared.documents import Documents, equal_to
from opp_shared.pagination import PageParams, paginate
from techtransfer.domain.technology import FINAL


class TechnologyQueries:
    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    async def list(
        self,
        page: PageParams,
        *,
        status: str | None = None,
        department: str | None = None,
        inventor: str | None = None,
        keyword: str | None = None,
        origin_project_id: str | None = None,
        licensee_id: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = equal_to(
            status=status,
            department=department,
            inventor_ids=inventor,
            keywords=keyword,
            origin_project_id=origin_project_id,
            partner_ids=licensee_id,
        )
        return await paginate(self.documents, query, page)

    async def with_deadlines_near(self, today: date, horizon_days: int) -> list[str]:
        """Technologies still in play with a deadline between today and the horizon. An array
        matches when any element meets each bound, so this may also bring technologies whose
        deadlines lie on both sides; the domain decides what is actually due."""
        documents = await self.documents.find(
            {
                "status": {"$nin": sorted(s.value for s in FINAL)},
                "deadline_dates": {
                    "$gte": today.isoformat(),
                    "$lte": (today + timedelta(days=horizon_days)).isoformat(),
                },
            },
            fields=[],
        )
        return [d["_id"] for d in documents]
