"""Partner commands: register, edit, change status, archive, merge; and the check other commands share."""

from __future__ import annotations

from typing import Any

from opp_shared.aggregate import Snapshot
from opp_shared.errors import RuleViolation
from opp_shared.repository import CreateRequest, Repository
from partners.domain import partner as rules
from partners.domain.partner import Partner, PartnerStatus
from partners.domain.text import name_key
from partners.store.partners import PartnerNames


class PartnerCommands:
    def __init__(self, partners: Repository[Partner], names: PartnerNames) -> None:
        self.repository = partners
        self.names = names

    async def register(self, fields: dict[str, Any], request: CreateRequest) -> tuple[Snapshot, bool]:
        change = rules.register(**fields)  # refuses bad input before anything is claimed

        async def create(partner_id: str) -> Snapshot:
            await self.names.claim(change.state["country"], change.state["name_key"], partner_id)
            return await self.repository.create(partner_id, change)

        return await self.repository.create_once("partners.register", request, create)

    async def edit(self, partner_id: str, edits: dict[str, Any], *, if_match: int | None) -> Snapshot:
        """A rename claims the new name first and releases the old one last, so a crash in
        between leaves at worst a stale claim, which the next registration recognises."""
        current = await self.repository.read(partner_id)
        new_country = edits.get("country", current.country)
        new_key = name_key(edits.get("name", current.name))
        renamed = (new_country, new_key) != (current.country, current.name_key)
        if renamed:
            await self.names.claim(new_country, new_key, partner_id)
        try:
            snapshot = await self.repository.change(partner_id, lambda p: rules.edit(p, edits), if_match=if_match)
        except BaseException:
            if renamed:
                await self.names.release(new_country, new_key, partner_id)
            raise
        if renamed:
            await self.names.release(current.country, current.name_key, partner_id)
        return snapshot

    async def change_status(
        self, partner_id: str, status: PartnerStatus, reason: str | None, *, if_match: int | None
    ) -> Snapshot:
        return await self.repository.change(
            partner_id, lambda p: rules.change_status(p, status, reason), if_match=if_match
        )

    async def archive(self, partner_id: str, reason: str | None, *, if_match: int | None) -> Snapshot:
        return await self.repository.change(partner_id, lambda p: rules.archive(p, reason), if_match=if_match)

    async def merge(self, partner_id: str, successor_id: str, *, if_match: int | None) -> Snapshot:
        """Archive the partner with a pointer to its successor. What referred to it
        follows when the `merged` event comes back (see `workers.follow_ups`)."""
        successor = await self.repository.find(successor_id)
        successor_partner = self.repository.kind.read(successor) if successor else None
        return await self.repository.change(
            partner_id, lambda p: rules.merge_into(p, partner_id, successor_id, successor_partner), if_match=if_match
        )

    async def record_merged_from(self, successor_id: str, predecessor_id: str) -> None:
        await self.repository.change(successor_id, lambda p: rules.record_merged_from(p, predecessor_id))


async def require_usable(partners: Repository[Partner], partner_ids: list[str]) -> None:
    """Partners that may become party to something new: they exist and are not archived."""
    for partner_id in dict.fromkeys(partner_ids):
        snapshot = await partners.find(partner_id)
        if snapshot is None:
            raise RuleViolation(f"no partner {partner_id!r}", partner_id=partner_id)
        partner = partners.kind.read(snapshot)
        if partner.archived:
            raise RuleViolation(
                f"partner {partner_id!r} is archived and takes no new agreements or centers"
                + (f"; it was merged into {partner.merged_into!r}" if partner.merged_into else ""),
                partner_id=partner_id,
                successor_id=partner.merged_into,
            )


async def lineage(partners: Repository[Partner], partner_id: str, depth: int = 20) -> list[str]:
    """The partner and every partner merged into it, directly or through others."""
    found = [partner_id]
    frontier = [partner_id]
    while frontier and len(found) < 1000 and depth > 0:
        depth -= 1
        next_frontier = []
        for pid in frontier:
            snapshot = await partners.find(pid)
            for merged in snapshot.state.get("merged_from", []) if snapshot else []:
                if merged not in found:
                    found.append(merged)
                    next_frontier.append(merged)
        frontier = next_frontier
    return found
