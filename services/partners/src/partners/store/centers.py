"""Joint research centers in MongoDB."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING

from opp_shared.repository import Repository
from opp_shared.runtime import ServiceRuntime
from opp_shared.web.pagination import PageParams, paginate
from partners.domain.center import AGGREGATE

COLLECTION = "centers"


class CenterStore:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.repository = Repository(runtime.store, AGGREGATE, noun="joint center")

    @property
    def collection(self):
        return self.repository.collection

    async def ensure_indexes(self) -> None:
        for field in ("partner_ids", "status", "disciplines"):
            await self.collection.create_index([(field, ASCENDING)])

    async def list(
        self, page: PageParams, *, status: str | None = None, partner_id: str | None = None, discipline: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        query: dict[str, Any] = {}
        for field, value in (("status", status), ("partner_ids", partner_id), ("disciplines", discipline)):
            if value is not None:
                query[field] = value
        return await paginate(self.collection, query, page)

    async def of_partners(self, partner_ids: list[str], limit: int = 1000) -> list[dict[str, Any]]:
        return await self.collection.find({"partner_ids": {"$in": partner_ids}}).sort("_id", ASCENDING).limit(limit).to_list(None)
