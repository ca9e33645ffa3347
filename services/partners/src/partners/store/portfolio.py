"""What the other services announce about partners, kept for their portfolios.

One document per foreign aggregate (`<topic>:<id>`), holding the summary of
its latest state and the partners it involves; an event applies only when
its sequence is newer, so repeats and late arrivals change nothing.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from opp_shared.consumer import EventRouter
from opp_shared.envelope import CloudEvent
from opp_shared.views import VersionedView
from partners.domain.portfolio import SECTIONS, item_of

COLLECTION = "portfolio_items"


class PortfolioStore:
    def __init__(self, db: AsyncDatabase) -> None:
        self.view = VersionedView(db[COLLECTION])

    @property
    def collection(self):
        return self.view.collection

    async def ensure_indexes(self) -> None:
        await self.collection.create_index([("partner_ids", ASCENDING)])

    def route(self, router: EventRouter) -> None:
        for topic in SECTIONS:
            router.on(f"{topic}.*", self.apply)

    async def apply(self, event: CloudEvent) -> None:
        item = item_of(event.topic, event.state)
        if item is None or not event.subject:
            return
        await self.view.apply(
            event,
            {"section": item.section, "partner_ids": item.partner_ids, "summary": item.summary},
            key=f"{event.topic}:{event.subject}",
        )

    async def of_partners(self, partner_ids: list[str], limit: int = 5000) -> dict[str, list[dict[str, Any]]]:
        documents = await self.collection.find({"partner_ids": {"$in": partner_ids}}).sort("_id", ASCENDING).limit(limit).to_list(None)
        sections: dict[str, list[dict[str, Any]]] = {section: [] for section in SECTIONS.values()}
        for document in documents:
            sections.setdefault(document["section"], []).append(
                {**document["summary"], "partner_ids": document["partner_ids"], "as_of": {"sequence": document["_sequence"], "event_type": document["_event_type"]}}
            )
        return sections
