"""Joint research center commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.repository import CreateRequest, Repository
from partners.domain import center as rules
from partners.domain.center import Center
from partners.domain.partner import Partner
from partners.handlers.partners import require_usable
from partners.store.centers import CenterQueries


class CenterCommands:
    def __init__(
        self,
        centers: Repository[Center],
        queries: CenterQueries,
        partners: Repository[Partner],
        today: Callable[[], date],
    ) -> None:
        self.repository = centers
        self.queries = queries
        self.partners = partners
        self.today = today

    async def establish(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        await require_usable(self.partners, fields["partner_ids"])
        change = rules.establish(**fields)
        return await self.repository.create_once(
            "partners.centers.establish", request, lambda center_id: self.repository.create(center_id, change)
        )

    async def update(self, center_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        if "partner_ids" in edits:
            current = await self.repository.read(center_id)
            await require_usable(self.partners, [p for p in edits["partner_ids"] if p not in current.partner_ids])
        return await self.repository.change(center_id, lambda c: rules.update(c, edits), if_match=if_match)

    async def close(
        self, center_id: str, reason: str | None, closed_on: date | None, *, if_match: int | None
    ) -> Snapshot:
        return await self.repository.change(
            center_id, lambda c: rules.close(c, self.today(), reason, closed_on), if_match=if_match
        )

    async def follow_merge(self, old_id: str, new_id: str) -> int:
        changed = 0
        for document in await self.queries.of_partners([old_id]):
            _, recorded = await self.repository.execute(
                document["_id"], lambda c: rules.replace_partner(c, old_id, new_id)
            )
            changed += recorded
        return changed
