"""Joint research center commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.ids import new_id
from partners.domain import center as rules
from partners.domain.center import Center
from partners.handlers.partners import PartnerHandlers
from partners.store.centers import CenterStore


class CenterHandlers:
    def __init__(self, centers: CenterStore, partners: PartnerHandlers, today: Callable[[], date]) -> None:
        self.centers = centers
        self.repository = centers.repository
        self.partners = partners
        self.today = today

    async def establish(self, fields: dict[str, Any], *, caller: str, idempotency_key: str | None) -> tuple[Snapshot, bool]:
        await self.partners.require_usable(fields["partner_ids"])
        change = rules.establish(**fields)
        return await self.repository.create_idempotently(
            self.partners.partners.claims,
            scope="partners.centers.establish",
            caller=caller,
            key=idempotency_key,
            request=fields,
            new_id=lambda: new_id("ctr"),
            create=lambda center_id: self.repository.create(center_id, change),
        )

    async def update(self, center_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        if "partner_ids" in edits:
            current = Center.of(await self.repository.get(center_id))
            await self.partners.require_usable([p for p in edits["partner_ids"] if p not in current.partner_ids])
        return await self.repository.change(center_id, lambda s: rules.update(Center.of(s), edits), if_match=if_match)

    async def close(self, center_id: str, reason: str | None, closed_on: date | None, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(
            center_id, lambda s: rules.close(Center.of(s), self.today(), reason, closed_on), if_match=if_match
        )

    async def follow_merge(self, old_id: str, new_id_: str) -> int:
        changed = 0
        for document in await self.centers.of_partners([old_id]):
            _, recorded = await self.repository.execute(document["_id"], lambda s: rules.replace_partner(Center.of(s), old_id, new_id_))
            changed += recorded
        return changed
