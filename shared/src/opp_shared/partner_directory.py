"""Another service's view of partners, built from `partners.partner.*` events.

Funding and techtransfer both keep one, to validate the partners a fund, a
project or a license names and to show their names; an archived or merged
partner shows as such in the view. The view holds each partner's latest
state and applies an event only when its sequence is newer, so duplicates,
replays and late events change nothing.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from opp_shared.consumer import EventRouter
from opp_shared.envelope import CloudEvent
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


def install_partner_directory(runtime) -> PartnerDirectory:
    """Keep a partner directory in this service's database, fed by its own consumer group."""
    directory = PartnerDirectory(runtime.db)
    runtime.add_index_setup(directory.ensure_indexes)
    router = EventRouter()
    directory.route(router)
    runtime.add_consumer("partner-directory", [PARTNER_TOPIC], router)
    return directory
