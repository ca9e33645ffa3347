"""A partner's portfolio: its agreements and centers, and what the other services announce about it."""

from __future__ import annotations

from typing import Any

from partners.domain.portfolio import royalty_totals
from partners.handlers.partners import PartnerHandlers
from partners.store.agreements import AgreementStore
from partners.store.centers import CenterStore
from partners.store.portfolio import PortfolioStore

AGREEMENT_FIELDS = ("id", "type", "title", "status", "effective_from", "signed_on", "expires_on", "terminated_on", "renewal_of", "renewed_by", "amends", "framework_id")
CENTER_FIELDS = ("id", "name", "status", "disciplines", "established_on", "closed_on", "agreement_id")


class PortfolioQueries:
    def __init__(self, partners: PartnerHandlers, agreements: AgreementStore, centers: CenterStore, announced: PortfolioStore) -> None:
        self.partners = partners
        self.agreements = agreements
        self.centers = centers
        self.announced = announced

    async def portfolio(self, partner_id: str) -> dict[str, Any]:
        partner = await self.partners.repository.get(partner_id)
        # A partner's portfolio includes what was done with the partners merged into it.
        ids = await self.partners.lineage(partner_id)
        agreements = [
            {**{k: d.get(k) for k in AGREEMENT_FIELDS}, "parties": d.get("parties", []), "via": _via(d.get("party_ids", []), ids)}
            for d in await self.agreements.of_partners(ids)
        ]
        centers = [
            {**{k: d.get(k) for k in CENTER_FIELDS}, "partner_ids": d.get("partner_ids", []), "via": _via(d.get("partner_ids", []), ids)}
            for d in await self.centers.of_partners(ids)
        ]
        announced = await self.announced.of_partners(ids)
        reports = announced.pop("royalty_reports", [])
        return {
            "partner": {k: partner.state.get(k) for k in ("id", "name", "kind", "country", "status", "tier", "merged_into", "version")},
            "includes_partners": ids,
            "agreements": agreements,
            "centers": centers,
            "funds": announced.get("funds", []),
            "awards": announced.get("awards", []),
            "projects": announced.get("projects", []),
            "licenses": announced.get("licenses", []),
            "royalties": {"reports": reports, "totals": royalty_totals(reports)},
        }


def _via(referenced: list[str], lineage: list[str]) -> list[str]:
    """Which of the partner's ids (its own, or a merged predecessor's) an item refers to."""
    return [pid for pid in lineage if pid in referenced]
