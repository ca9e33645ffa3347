"""What the other services announce about partners, kept for their portfolios.

One document per foreign aggregate (`<topic>:<id>`), holding the summary of
its latest state and the partners it involves; an event applies only when
its sequence is newer, so repeats and late arrivals change nothing.
"""

from __future__ import annotations

from typing import Any

from opp_shared.consumer import EventRouter
from opp_shared.documents import ASCENDING
from opp_shared.envelope import CloudEvent
from opp_shared.ports import ViewStore
from partners.domain.portfolio import SECTIONS, item_of

COLLECTION = "portfolio_items"
INDEXES = ("partner_ids",)


class PortfolioFeed:
    def __init__(self, view: ViewStore) -> None:
        self.view = view

    def router(self) -> EventRouter:
        router = EventRouter()
        for topic in SECTIONS:
            router.on(f"{topic}.*", self.apply)
        return router

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
        documents = await self.view.documents.find(
            {"partner_ids": {"$in": partner_ids}}, sort=[("_id", ASCENDING)], limit=limit
        )
        sections: dict[str, list[dict[str, Any]]] = {section: [] for section in SECTIONS.values()}
        for document in documents:
            sections.setdefault(document["section"], []).append(
                {
                    **document["summary"],
                    "partner_ids": document["partner_ids"],
                    "as_of": {"sequence": document["_sequence"], "event_type": document["_event_type"]},
                }
            )
        return sections
