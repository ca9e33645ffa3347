"""Funding's view of partners' agreements: which sponsors have an active agreement.

Fed by `partners.agreement` events (one document per agreement, its latest
state, applied only for a newer sequence); see `workers.agreement_watch`
for what follows a change.
"""

from __future__ import annotations

from typing import Any

from funding.domain.fund import AgreementCheck, check_agreements
from opp_shared.foreign_views import ForeignView, ForeignViewSpec

AGREEMENT_VIEW = ForeignViewSpec(
    name="agreement-view", topic="partners.agreement", collection="agreement_view", indexes=("partner_ids", "status")
)


class AgreementDirectory:
    def __init__(self, view: ForeignView) -> None:
        self.view = view

    async def active_of(self, partner_ids: list[str]) -> list[dict[str, Any]]:
        return await self.view.store.documents.find(
            {"partner_ids": {"$in": partner_ids}, "status": "active"}, limit=5000
        )

    async def check(self, sponsor_ids: list[str]) -> AgreementCheck:
        return check_agreements(sponsor_ids, await self.active_of(sponsor_ids))
