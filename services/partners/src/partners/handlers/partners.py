"""Partner commands: register, edit, change status, archive, merge."""

from __future__ import annotations

from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.errors import RuleViolation
from opp_shared.ids import new_id
from partners.domain import partner as partner_domain
from partners.domain.partner import Partner, PartnerStatus
from partners.domain.text import name_key
from partners.store.partners import PartnerStore


class PartnerHandlers:
    def __init__(self, partners: PartnerStore) -> None:
        self.partners = partners
        self.repository = partners.repository

    async def register(self, fields: dict[str, Any], *, caller: str, idempotency_key: str | None) -> tuple[Snapshot, bool]:
        change = partner_domain.register(**fields)  # refuses bad input before anything is claimed

        async def create(partner_id: str) -> Snapshot:
            state = change.state
            await self.partners.claim_name(state["country"], state["name_key"], partner_id)
            return await self.repository.create(partner_id, change)

        return await self.repository.create_idempotently(
            self.partners.claims,
            scope="partners.register",
            caller=caller,
            key=idempotency_key,
            request=fields,
            new_id=lambda: new_id("ptn"),
            create=create,
        )

    async def edit(self, partner_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        """A rename claims the new name first and releases the old one last, so a crash in
        between leaves at worst a stale claim, which the next registration recognises."""
        current = Partner.of(await self.partners.get(partner_id))
        new_country = edits.get("country", current.country)
        new_key = name_key(edits.get("name", current.name))
        renamed = (new_country, new_key) != (current.country, current.name_key)
        if renamed:
            await self.partners.claim_name(new_country, new_key, partner_id)
        try:
            snapshot = await self.repository.change(
                partner_id, lambda s: partner_domain.edit(Partner.of(s), edits), if_match=if_match
            )
        except BaseException:
            if renamed:
                await self.partners.release_name(new_country, new_key, partner_id)
            raise
        if renamed:
            await self.partners.release_name(current.country, current.name_key, partner_id)
        return snapshot

    async def change_status(self, partner_id: str, status: PartnerStatus, reason: str | None, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(
            partner_id, lambda s: partner_domain.change_status(Partner.of(s), status, reason), if_match=if_match
        )

    async def archive(self, partner_id: str, reason: str | None, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(
            partner_id, lambda s: partner_domain.archive(Partner.of(s), reason), if_match=if_match
        )

    async def merge(self, partner_id: str, successor_id: str, *, if_match: int | None) -> Snapshot:
        """Archive the partner with a pointer to its successor. What referred to it
        follows when the `merged` event comes back (see `follow_merge`)."""
        successor = await self.repository.find(successor_id)
        successor_partner = Partner.of(successor) if successor else None
        return await self.repository.change(
            partner_id,
            lambda s: partner_domain.merge_into(Partner.of(s), partner_id, successor_id, successor_partner),
            if_match=if_match,
        )

    async def record_merged_from(self, successor_id: str, predecessor_id: str) -> None:
        await self.repository.change(
            successor_id, lambda s: partner_domain.record_merged_from(Partner.of(s), predecessor_id)
        )

    async def require_usable(self, partner_ids: list[str]) -> None:
        """Partners that may become party to something new: they exist and are not archived."""
        for partner_id in dict.fromkeys(partner_ids):
            snapshot = await self.repository.find(partner_id)
            if snapshot is None:
                raise RuleViolation(f"no partner {partner_id!r}", partner_id=partner_id)
            partner = Partner.of(snapshot)
            if partner.archived:
                raise RuleViolation(
                    f"partner {partner_id!r} is archived and takes no new agreements or centers"
                    + (f"; it was merged into {partner.merged_into!r}" if partner.merged_into else ""),
                    partner_id=partner_id,
                    successor_id=partner.merged_into,
                )

    async def lineage(self, partner_id: str, depth: int = 20) -> list[str]:
        """The partner and every partner merged into it, directly or through others."""
        found = [partner_id]
        frontier = [partner_id]
        while frontier and len(found) < 1000 and depth > 0:
            depth -= 1
            next_frontier = []
            for pid in frontier:
                snapshot = await self.repository.find(pid)
                for merged in (snapshot.state.get("merged_from", []) if snapshot else []):
                    if merged not in found:
                        found.append(merged)
                        next_frontier.append(merged)
            frontier = next_frontier
        return found
