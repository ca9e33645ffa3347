"""Joint research centers in MongoDB: list queries and the centers of some partners."""

from __future__ import annotations

from typing import Any

from opp_shared.documents import ASCENDING, Documents, equal_to
from opp_shared.pagination import PageParams, paginate


class CenterQueries:
    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    async def list(
        self,
        page: PageParams,
        *,
        status: str | None = None,
        partner_id: str | None = None,
        discipline: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        return await paginate(
            self.documents, equal_to(status=status, partner_ids=partner_id, disciplines=discipline), page
        )

    async def of_partners(self, partner_ids: list[str], limit: int = 1000) -> list[dict[str, Any]]:
        return await self.documents.find({"partner_ids": {"$in": partner_ids}}, sort=[("_id", ASCENDING)], limit=limit)
