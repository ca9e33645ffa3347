"""Another service's view of partners, built from `partners.partner.*` events.

Funding and techtransfer both keep one (to validate the partners a fund, a
project or a license names, and to show their names) and both react to a
partner being archived or merged. The view holds each partner's latest
state and applies an event only when its sequence is newer, so duplicates,
replays and late events change nothing.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from opp_shared.consumer import EventRouter
from opp_shared.envelope import CloudEvent
from opp_shared.errors import RuleViolation
from opp_shared.views import VersionedView

PARTNER_TOPIC = "partners.partner"
COLLECTION = "partner_directory"


class PartnerDirectory:
    def __init__(self, db: AsyncDatabase) -> None:
        self.view = VersionedView(db[COLLECTION])

    async def ensure_indexes(self) -> None:
        await self.view.collection.create_index([("name_key", ASCENDING)])

    def route(self, router: EventRouter) -> None:
        router.on(f"{PARTNER_TOPIC}.*", self.apply)

    async def apply(self, event: CloudEvent) -> None:
        await self.view.apply(event)

    async def get(self, partner_id: str) -> dict[str, Any] | None:
        return await self.view.get(partner_id)

    async def resolve(self, partner_id: str) -> dict[str, Any] | None:
        """The partner, following merge pointers to the one that carries on (at most 10 hops)."""
        partner = await self.get(partner_id)
        for _ in range(10):
            if partner is None or not partner.get("merged_into"):
                return partner
            partner = await self.get(partner["merged_into"])
        return partner

    async def require_usable(self, partner_id: str) -> dict[str, Any]:
        """A partner that may take something new (a fund, a project, a license)."""
        partner = await self.get(partner_id)
        if partner is None:
            raise RuleViolation(f"no partner {partner_id!r} is known here (yet)", partner_id=partner_id)
        if partner.get("status") == "archived":
            successor = partner.get("merged_into")
            raise RuleViolation(
                f"partner {partner_id!r} is archived" + (f"; it was merged into {successor!r}" if successor else ""),
                partner_id=partner_id,
                successor_id=successor,
            )
        return partner


def install_partner_directory(runtime) -> PartnerDirectory:
    """Keep a partner directory in this service's database, fed by its own consumer group."""
    directory = PartnerDirectory(runtime.db)
    runtime.add_index_setup(directory.ensure_indexes)
    router = EventRouter()
    directory.route(router)
    runtime.add_consumer("partner-directory", [PARTNER_TOPIC], router)
    return directory
