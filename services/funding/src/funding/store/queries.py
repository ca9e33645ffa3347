"""Queries over funding's current-state documents: lists, and what the schedule and the ledger look at."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opp_shared.clock import rfc3339
from opp_shared.documents import ASCENDING, Documents, equal_to
from opp_shared.money import Money, parse
from opp_shared.pagination import PageParams, paginate


class Queries:
    """The list of one aggregate type, filtered by equality on its main fields
    (an array field matches when it holds the value: `partner_ids=<id>`)."""

    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    async def list(self, page: PageParams, **equal: Any) -> tuple[list[dict[str, Any]], str | None]:
        return await paginate(self.documents, equal_to(**equal), page)

    async def ids(self, filter: dict[str, Any], limit: int = 5000) -> list[str]:
        found = await self.documents.find(filter, sort=[("_id", ASCENDING)], limit=limit, fields=[])
        return [d["_id"] for d in found]


class FundQueries(Queries):
    async def requiring_agreement(self, partner_ids: list[str] | None = None) -> list[str]:
        """Open funds that require an active agreement (of these sponsors, when named)."""
        query: dict[str, Any] = {"agreement_required": True, "status": "open"}
        if partner_ids is not None:
            query["partner_ids"] = {"$in": partner_ids}
        return await self.ids(query)


class CallQueries(Queries):
    async def due(self, now: datetime) -> list[str]:
        """Calls whose opening or closing has come and is not announced yet."""
        instant = rfc3339(now)
        return await self.ids(
            {
                "$or": [
                    {"status": "scheduled", "opens_at": {"$lte": instant}},
                    {"status": "open", "closes_at": {"$lte": instant}},
                ]
            }
        )

    async def largest_award(self, fund_id: str) -> Money | None:
        """The largest `max_award` among a fund's calls not closed (what its budget may not go below)."""
        found = await self.documents.find(
            {"fund_id": fund_id, "status": {"$ne": "closed"}}, fields=["max_award"], limit=5000
        )
        awards = [money for d in found if (money := parse(d.get("max_award"))) is not None]
        return max(awards, key=lambda m: m.amount) if awards else None
