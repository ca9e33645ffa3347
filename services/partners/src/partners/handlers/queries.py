"""Partners' queries that read more than one document: an agreement's family and a partner's portfolio."""

from __future__ import annotations

from typing import Any

from opp_shared.repository import Repository
from partners.domain import agreement
from partners.domain.agreement import Agreement
from partners.domain.center import CenterStatus
from partners.domain.partner import Partner
from partners.domain.portfolio import royalty_totals, status_counts
from partners.handlers.partners import lineage
from partners.store.agreements import AgreementQueries
from partners.store.centers import CenterQueries
from partners.store.portfolio import PortfolioFeed

AGREEMENT_FIELDS = (
    "id",
    "type",
    "title",
    "status",
    "effective_from",
    "signed_on",
    "expires_on",
    "terminated_on",
    "renewal_of",
    "renewed_by",
    "amends",
    "framework_id",
)
CENTER_FIELDS = ("id", "name", "status", "disciplines", "established_on", "closed_on", "agreement_id")
PARTNER_FIELDS = ("id", "name", "kind", "country", "status", "tier", "merged_into", "version")


class AgreementFamilies:
    def __init__(self, agreements: Repository[Agreement], queries: AgreementQueries) -> None:
        self.agreements = agreements
        self.queries = queries

    async def family(self, agreement_id: str) -> dict[str, Any]:
        current = await self.agreements.get(agreement_id)
        predecessors = await self._chain(current.state.get("renewal_of"), "renewal_of")
        successors = await self._chain(current.state.get("renewed_by"), "renewed_by")
        amendments, under_framework = await self.queries.children(agreement_id)
        return {
            "id": agreement_id,
            "renewal_chain": [*reversed(predecessors), agreement_id, *successors],
            "predecessors": list(reversed(predecessors)),
            "successors": successors,
            "amends": current.state.get("amends"),
            "amendments": amendments,
            "framework_id": current.state.get("framework_id"),
            "under_framework": under_framework,
        }

    async def _chain(self, start: str | None, link: str, most: int = 100) -> list[str]:
        """Follow `link` from `start`, nearest first (a cycle or a missing agreement ends it)."""
        chain: list[str] = []
        cursor = start
        while cursor and cursor not in chain and len(chain) < most:
            chain.append(cursor)
            found = await self.agreements.find(cursor)
            cursor = found.state.get(link) if found else None
        return chain


class PortfolioQueries:
    """A partner's portfolio: its agreements and centers, and what the other services announce about it."""

    def __init__(
        self,
        partners: Repository[Partner],
        agreements: AgreementQueries,
        centers: CenterQueries,
        announced: PortfolioFeed,
    ) -> None:
        self.partners = partners
        self.agreements = agreements
        self.centers = centers
        self.announced = announced

    async def portfolio(self, partner_id: str) -> dict[str, Any]:
        partner = await self.partners.get(partner_id)
        # A partner's portfolio includes what was done with the partners merged into it.
        ids = await lineage(self.partners, partner_id)
        agreements = [
            {
                **{k: d.get(k) for k in AGREEMENT_FIELDS},
                "parties": d.get("parties", []),
                "via": _via(d.get("party_ids", []), ids),
            }
            for d in await self.agreements.of_partners(ids)
        ]
        centers = [
            {
                **{k: d.get(k) for k in CENTER_FIELDS},
                "partner_ids": d.get("partner_ids", []),
                "via": _via(d.get("partner_ids", []), ids),
            }
            for d in await self.centers.of_partners(ids)
        ]
        announced = await self.announced.of_partners(ids)
        reports = announced.pop("royalty_reports", [])
        return {
            "partner": {k: partner.state.get(k) for k in PARTNER_FIELDS},
            "includes_partners": ids,
            "counts": {
                "agreements": status_counts(
                    (a["status"] for a in agreements), agreement.AgreementStatus, agreement.OPEN
                ),
                "centers": status_counts((c["status"] for c in centers), CenterStatus, [CenterStatus.ACTIVE]),
            },
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
