"""Partners' command handlers: the steps between an API call and the domain.

Each handler loads what the domain needs, lets the domain decide, and
records the change through the write model. Cross-aggregate steps (a name
claim, then the partner) are ordered so that a crash between them leaves
nothing a later call cannot repair.
"""

from __future__ import annotations

from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.ids import new_id
from partners.domain import partner as partner_domain
from partners.domain.partner import Partner
from partners.store.partners import PartnerStore


class PartnerHandlers:
    def __init__(self, partners: PartnerStore) -> None:
        self.partners = partners

    async def register(self, fields: dict[str, Any], *, caller: str, idempotency_key: str | None) -> tuple[Snapshot, bool]:
        change = partner_domain.register(**fields)  # refuses bad input before anything is claimed

        async def create(partner_id: str) -> Snapshot:
            state = change.state
            await self.partners.claim_name(state["country"], state["name_key"], partner_id)
            return await self.partners.repository.create(partner_id, change)

        return await self.partners.repository.create_idempotently(
            self.partners.claims,
            scope="partners.register",
            caller=caller,
            key=idempotency_key,
            request=fields,
            new_id=lambda: new_id("ptn"),
            create=create,
        )

    async def edit(self, partner_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        current = Partner.of(await self.partners.get(partner_id))
        target = current.model_copy(update=edits) if edits else current
        renamed = "name" in edits or "country" in edits
        new_key = partner_domain.name_key(target.name)
        if renamed and (target.country, new_key) != (current.country, current.name_key):
            await self.partners.claim_name(target.country, new_key, partner_id)
        try:
            snapshot = await self.partners.repository.change(
                partner_id, lambda s: partner_domain.edit(Partner.of(s), edits), if_match=if_match
            )
        except BaseException:
            if renamed and (target.country, new_key) != (current.country, current.name_key):
                await self.partners.release_name(target.country, new_key, partner_id)
            raise
        if renamed and (target.country, new_key) != (current.country, current.name_key):
            await self.partners.release_name(current.country, current.name_key, partner_id)
        return snapshot
