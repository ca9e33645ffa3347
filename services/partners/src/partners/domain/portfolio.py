"""A partner's portfolio, from what the other services announce (pure).

Funding and techtransfer publish their aggregates' whole state in every
event; the portfolio keeps, per foreign aggregate, the latest state's
summary and the partners it involves. Every aggregate that involves
partners names them in the platform's one field for it, `partner_ids`
(docs/conventions.md), so that is the only field read here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from opp_shared.money import Totals, parse

# foreign topic -> portfolio section
SECTIONS: dict[str, str] = {
    "funding.fund": "funds",
    "funding.award": "awards",
    "funding.project": "projects",
    "techtransfer.license": "licenses",
    "techtransfer.royalty_report": "royalty_reports",
}

# What a portfolio shows of a foreign aggregate, where its state has them.
_SUMMARY_FIELDS = (
    "name",
    "title",
    "kind",
    "status",
    "currency",
    "budget",
    "amount",
    "fund_id",
    "call_id",
    "proposal_id",
    "project_id",
    "license_id",
    "technology_ids",
    "territory",
    "field_of_use",
    "starts_on",
    "ends_on",
    "effective_from",
    "expires_on",
    "period_start",
    "period_end",
    "due_on",
    "revenue",
    "royalty_due",
    "royalty_paid",
    "received_on",
)


@dataclass(frozen=True)
class PortfolioItem:
    section: str
    partner_ids: list[str]
    summary: dict[str, Any]


def partner_ids_in(state: dict[str, Any]) -> list[str]:
    value = state.get("partner_ids")
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(v for v in value if isinstance(v, str)))


def item_of(topic: str, state: dict[str, Any]) -> PortfolioItem | None:
    section = SECTIONS.get(topic)
    if section is None:
        return None
    summary = {k: state[k] for k in _SUMMARY_FIELDS if k in state}
    summary["id"] = state.get("id")
    return PortfolioItem(section, partner_ids_in(state), summary)


def royalty_totals(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Royalties due and paid, per currency (amounts in different currencies are never added).
    A report whose figures are not valid money is left out of the totals, not guessed at."""
    due, paid, counted = Totals(), Totals(), {}
    for report in reports:
        report_due, report_paid = parse(report.get("royalty_due")), parse(report.get("royalty_paid"))
        if report_due is not None:
            due.add(report_due)
            counted[report_due.currency] = counted.get(report_due.currency, 0) + 1
        if report_paid is not None:
            paid.add(report_paid)
    currencies = sorted(set(due.currencies()) | set(paid.currencies()))
    return [
        {
            "currency": currency,
            "royalty_due": due.get(currency).to_api()["amount"],
            "royalty_paid": paid.get(currency).to_api()["amount"],
            "reports": counted.get(currency, 0),
        }
        for currency in currencies
    ]


def status_counts(statuses: Iterable[str], every: Iterable[str], open_statuses: Iterable[str]) -> dict[str, Any]:
    """How many items are in each status (every status listed, zero included), and how many are
    open: for agreements, before signature or in force; withdrawn, expired and terminated ones are not."""
    by_status = dict.fromkeys(map(str, every), 0)
    for status in statuses:
        by_status[status] = by_status.get(status, 0) + 1
    return {"by_status": by_status, "open": sum(by_status.get(str(status), 0) for status in open_statuses)}
