"""Distributions in MongoDB: list queries."""

from __future__ import annotations

from typing import Any

from opp_shared.documents import Documents, equal_to
from opp_shared.pagination import PageParams, paginate


class DistributionQueries:
    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    async def list(
        self,
        page: PageParams,
        *,
        technology_id: str | None = None,
        license_id: str | None = None,
        royalty_report_id: str | None = None,
        inventor: str | None = None,
        currency: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        query = equal_to(
            technology_id=technology_id,
            license_id=license_id,
            royalty_report_id=royalty_report_id,
            inventor_ids=inventor,
            currency=currency,
        )
        return await paginate(self.documents, query, page)
